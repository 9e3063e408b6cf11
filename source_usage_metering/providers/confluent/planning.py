"""Confluent Cloud request windows: cost windows from the cursor, lookback and config range. Pure.

API reference: https://docs.confluent.io/cloud/current/billing/invoices-and-costs.html (costs: UTC days, end
exclusive, one month per request, about a year of history, up to 72 hours of delay).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from source_usage_metering.config import UsageMeteringConfig
from source_usage_metering.providers.confluent.endpoints import MAX_WINDOW_DAYS
from source_usage_metering.windows import Window, at_midnight, month_slices, sync_range

DEFAULT_LOOKBACK_DAYS = 5  # data lags up to 72 hours; two days of margin
MIN_LOOKBACK_DAYS = 3  # never less than the data delay: days still being billed are read again
HISTORY_DAYS = 364  # "the start date can be up to one year in the past"
RECENT_PRODUCTS_DAYS = 7


def lookback_days(config: UsageMeteringConfig) -> int:
    """The configured lookback, else the default; never below the data delay."""
    configured = config.lookback_days if config.lookback_days is not None else DEFAULT_LOOKBACK_DAYS
    return max(configured, MIN_LOOKBACK_DAYS)


def cost_window(config: UsageMeteringConfig, cursor: datetime | None, now: datetime) -> Window | None:
    """The days one sync reads: from the cursor minus the lookback (or the history) to today, exclusive."""
    today = at_midnight(now.date())
    return sync_range(
        default_start=today - timedelta(days=HISTORY_DAYS),
        start_date=config.start_date,
        end_date=config.end_date,
        cursor=cursor,
        lookback=timedelta(days=lookback_days(config)),
        now=now,
        latest=today,
        earliest=today - timedelta(days=HISTORY_DAYS + 1),
    )


def cost_slices(window: Window) -> Iterator[Window]:
    """Calendar-month requests of at most 31 days."""
    return month_slices(window, MAX_WINDOW_DAYS)


def recent_products_window(now: datetime) -> Window:
    """The last days of cost rows whose product values the products stream lists beside the catalogue."""
    end = at_midnight(now.date())
    return Window(end - timedelta(days=RECENT_PRODUCTS_DAYS), end)


def check_day(now: datetime) -> Window:
    """One complete day of costs that `check` reads to prove billing access (4 days back: past the delay)."""
    day = at_midnight(now.date()) - timedelta(days=4)
    return Window(day, day + timedelta(days=1))
