"""Datadog request windows: hourly usage slices and cost months, from cursors, lookback and config. Pure."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from source_usage_metering.config import UsageMeteringConfig
from source_usage_metering.providers.base import Partition, UsageSlice
from source_usage_metering.providers.datadog.account import DatadogAccount
from source_usage_metering.windows import Window, add_months, at_midnight, fixed_slices, month_start, sync_range

MULTI_ORG_WINDOW = timedelta(hours=24)  # "up to 24 hours of hourly usage data for multiple organizations"
# "up to two months ... for a single organization": 59 days is within two months under any reading.
SINGLE_ORG_WINDOW = timedelta(days=59)
MIN_LOOKBACK_DAYS = 3  # usage is delayed by up to 72 hours
HOURLY_RETENTION_MONTHS = 14  # data is retained 15 months; stay safely inside
COST_HISTORY_MONTHS = 15
FINAL_DAY = 16  # "cost data for a given month becomes available no later than the 16th of the following month"


def floor_hour(moment: datetime) -> datetime:
    """The start of the moment's hour."""
    return moment.replace(minute=0, second=0, microsecond=0)


def month_keys(start: datetime, end: datetime) -> Iterator[str]:
    """`YYYY-MM` of every month overlapping [start, end)."""
    month = month_start(start)
    while month < end:
        yield month.strftime("%Y-%m")
        month = add_months(month, 1)


def first_open_month(now: datetime) -> datetime:
    """The oldest month whose cost is not final yet: the previous month until the 16th, then this month."""
    this_month = month_start(now)
    return this_month if now.day >= FINAL_DAY else add_months(this_month, -1)


class Planner:
    """Windows of one Datadog account for one sync (`now` is given, never read)."""

    def __init__(self, account: DatadogAccount, config: UsageMeteringConfig, now: datetime) -> None:
        self.account = account
        self.config = config
        self.now = now

    def probe_window(self, age: timedelta, *, hours: int) -> Window:
        """A short window of complete usage, `age` before now."""
        start = floor_hour(self.now) - age
        return Window(start, start + timedelta(hours=hours))

    def hourly_params(self, window: Window, descendants: bool, *, limit: int | None = None) -> dict[str, Any]:
        """`hourly_usage` query parameters of a window (the families of the account)."""
        params: dict[str, Any] = {
            "filter[timestamp][start]": window.start.strftime("%Y-%m-%dT%H"),
            "filter[timestamp][end]": window.end.strftime("%Y-%m-%dT%H"),
            "filter[product_families]": ",".join(self.account.product_families),
            "filter[include_descendants]": "true" if descendants else "false",
        }
        if limit is not None:
            params["page[limit]"] = limit
        return params

    def hourly_slices(self, partition: Partition, cursor: datetime | None, descendants: bool) -> Iterator[UsageSlice]:
        """24-hour windows with child orgs, 59-day windows for one org; lookback at least 72 hours."""
        today = at_midnight(self.now.date())
        lookback = max(self.config.lookback_days or 0, MIN_LOOKBACK_DAYS)
        earliest = add_months(month_start(self.now), -HOURLY_RETENTION_MONTHS)
        # The default period only shapes a first sync: a later one resumes at its cursor however long ago that was.
        first_sync_start = today - timedelta(days=self.account.hourly_usage_days)
        window = sync_range(
            default_start=first_sync_start if cursor is None else earliest,
            start_date=self.config.start_date,
            end_date=self.config.end_date,
            cursor=cursor,
            lookback=timedelta(days=lookback),
            now=self.now,
            earliest=earliest,
            latest=floor_hour(self.now),
        )
        if window is None:
            return
        step = MULTI_ORG_WINDOW if descendants else SINGLE_ORG_WINDOW
        for piece in fixed_slices(window, step):
            yield UsageSlice(partition, piece.start, piece.end, piece.end, {"kind": "hourly"}, measures_only=True)

    def estimated_months(self) -> tuple[datetime, datetime]:
        """The months not final yet, [first open month, next month): what `estimated_cost` is read for."""
        return first_open_month(self.now), add_months(month_start(self.now), 1)

    def cost_slices(self, partition: Partition, cursor: datetime | None) -> Iterator[UsageSlice]:
        """Final months from `historical_cost`, then open months from `estimated_cost`.

        No lookback: the cursor never passes the first month that is not final, so open months are re-read
        every sync until final, and final months are never read twice.
        """
        this_month = month_start(self.now)
        start = add_months(this_month, -COST_HISTORY_MONTHS)
        if self.config.start_date is not None:
            start = max(start, month_start(at_midnight(self.config.start_date)))
        if cursor is not None:
            start = max(start, month_start(cursor))
        end = add_months(this_month, 1)
        if self.config.end_date is not None:
            end = min(end, add_months(month_start(at_midnight(self.config.end_date)), 1))
        open_from = first_open_month(self.now)
        if start < min(open_from, end):
            closed_end = min(open_from, end)
            yield UsageSlice(partition, start, closed_end, closed_end, {"kind": "historical"})
        estimated_start = max(start, open_from)
        if estimated_start < end:
            yield UsageSlice(partition, estimated_start, end, estimated_start, {"kind": "estimated"})
