"""Datadog request windows: API limits, lookback and cost finality. Time is an argument."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from source_usage_metering.config import parse_config
from source_usage_metering.providers.base import UsageSlice
from source_usage_metering.providers.datadog.planning import Planner, first_open_month, floor_hour, month_keys
from unit_tests.datadog_api import datadog_account

UTC = timezone.utc
NOW = datetime(2026, 11, 24, 10, 30, tzinfo=UTC)


def planner(now: datetime = NOW, **top: object) -> Planner:
    config = parse_config({"accounts": [datadog_account(hourly_usage_days=2)], **top}, today=now.date())
    return Planner(config.accounts[0], config, now)


def test_child_orgs_give_24_hour_windows_one_org_gives_wide_ones_up_to_the_last_full_hour() -> None:
    multi = list(planner().hourly_slices({}, None, True))
    assert {s.end - s.start for s in multi[:-1]} == {timedelta(hours=24)}
    assert multi[0].start == datetime(2026, 11, 22, tzinfo=UTC)
    assert multi[-1].end == datetime(2026, 11, 24, 10, tzinfo=UTC)
    single = list(planner(start_date="2026-06-01").hourly_slices({}, None, False))
    assert max(s.end - s.start for s in single) == timedelta(days=59)
    assert all(s.cursor_after == s.end for s in single)


def test_lookback_is_at_least_72_hours_even_when_configured_lower() -> None:
    cursor = datetime(2026, 11, 24, 9, tzinfo=UTC)
    first = next(planner(lookback_days=1).hourly_slices({}, cursor, True))
    assert first.start == cursor - timedelta(days=3)
    first = next(planner(lookback_days=5, start_date="2026-01-01").hourly_slices({}, cursor, True))
    assert first.start == cursor - timedelta(days=5)


def test_after_the_16th_last_month_is_final_and_this_month_is_estimated() -> None:
    historical, estimated = planner().cost_slices({"kind": "cost"}, None)
    assert historical.params == {"kind": "historical"}
    assert (historical.start, historical.end) == (datetime(2025, 8, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
    assert estimated.params == {"kind": "estimated"}
    assert (estimated.start, estimated.end) == (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
    assert estimated.cursor_after == estimated.start  # never past a month that is not final


def test_before_the_16th_last_month_is_still_estimated_and_is_re_read_until_final() -> None:
    now = datetime(2026, 12, 10, tzinfo=UTC)
    assert first_open_month(now) == datetime(2026, 11, 1, tzinfo=UTC)
    cursor = datetime(2026, 11, 1, tzinfo=UTC)
    (estimated,) = planner(now).cost_slices({}, cursor)
    assert (estimated.start, estimated.end, estimated.cursor_after) == (
        cursor,
        datetime(2027, 1, 1, tzinfo=UTC),
        cursor,
    )
    later = datetime(2026, 12, 16, tzinfo=UTC)
    historical, estimated = planner(later).cost_slices({}, cursor)
    assert (historical.start, historical.end) == (cursor, datetime(2026, 12, 1, tzinfo=UTC))
    assert estimated.start == datetime(2026, 12, 1, tzinfo=UTC)


def test_start_and_end_date_bound_cost_months() -> None:
    slices = list(planner(start_date="2026-03-15", end_date="2026-05-02").cost_slices({}, None))
    assert [(s.start.date(), s.end.date(), s.params["kind"]) for s in slices] == [
        (date(2026, 3, 1), date(2026, 6, 1), "historical")
    ]


def test_a_sync_after_a_long_pause_resumes_at_its_cursor_not_at_the_default_period() -> None:
    cursor = datetime(2026, 11, 1, tzinfo=UTC)
    first = next(planner().hourly_slices({}, cursor, True))
    assert first.start == cursor - timedelta(days=3)


def test_hourly_params_are_the_documented_query() -> None:
    config = parse_config({"accounts": [datadog_account(product_families=["logs", "infra_hosts"])]}, today=NOW.date())
    plan = Planner(config.accounts[0], config, NOW)
    window = plan.probe_window(timedelta(days=4), hours=24)
    assert (window.start, window.end) == (
        datetime(2026, 11, 20, 10, tzinfo=UTC),
        datetime(2026, 11, 21, 10, tzinfo=UTC),
    )
    assert plan.hourly_params(window, True, limit=500) == {
        "filter[timestamp][start]": "2026-11-20T10",
        "filter[timestamp][end]": "2026-11-21T10",
        "filter[product_families]": "logs,infra_hosts",
        "filter[include_descendants]": "true",
        "page[limit]": 500,
    }
    assert plan.hourly_params(window, False)["filter[include_descendants]"] == "false"
    assert "page[limit]" not in plan.hourly_params(window, False)


def test_the_last_full_hour_ignores_minutes_seconds_and_microseconds() -> None:
    assert floor_hour(datetime(2026, 11, 24, 10, 59, 59, 999999, tzinfo=UTC)) == datetime(2026, 11, 24, 10, tzinfo=UTC)
    now = datetime(2026, 11, 24, 10, 0, 30, tzinfo=UTC)
    (last,) = list(planner(now, start_date="2026-11-24").hourly_slices({}, None, True))
    assert (last.start, last.end) == (datetime(2026, 11, 24, tzinfo=UTC), datetime(2026, 11, 24, 10, tzinfo=UTC))


def test_hourly_usage_never_starts_before_the_retention_limit() -> None:
    first = next(planner(start_date="2025-01-01").hourly_slices({}, None, False))
    assert first.start == datetime(2025, 9, 1, tzinfo=UTC)  # 14 months before November 2026


def test_month_keys_cover_every_month_overlapping_the_window() -> None:
    start, end = datetime(2026, 10, 31, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
    assert list(month_keys(start, end)) == ["2026-10", "2026-11"]
    assert list(month_keys(start, datetime(2026, 12, 1, 0, 1, tzinfo=UTC))) == ["2026-10", "2026-11", "2026-12"]


def test_an_end_date_in_an_open_month_ends_the_estimated_slice_with_that_month() -> None:
    slices = list(planner(start_date="2026-11-01", end_date="2026-11-10").cost_slices({}, None))
    assert [(s.start.date(), s.end.date(), s.params["kind"]) for s in slices] == [
        (date(2026, 11, 1), date(2026, 12, 1), "estimated")
    ]
    assert list(planner(start_date="2026-10-01", end_date="2026-10-31").cost_slices({}, None)) == [
        UsageSlice(
            {},
            datetime(2026, 10, 1, tzinfo=UTC),
            datetime(2026, 11, 1, tzinfo=UTC),
            datetime(2026, 11, 1, tzinfo=UTC),
            {"kind": "historical"},
        )
    ]
