"""Confluent cost windows: history, lookback, the check's day. Time is an argument."""

from __future__ import annotations

from datetime import date, datetime, timezone

from source_usage_metering.config import parse_config
from source_usage_metering.providers.confluent import planning
from source_usage_metering.windows import Window
from unit_tests.conftest import ConfigBuilder

UTC = timezone.utc
NOW = datetime(2026, 11, 24, 10, 30, tzinfo=UTC)


def config(**top: object):
    return parse_config(
        ConfigBuilder().with_confluent().without("start_date").without("end_date").with_(**top).build(),
        today=NOW.date(),
    )


def test_a_first_sync_reads_364_days_up_to_yesterday() -> None:
    assert planning.cost_window(config(), None, NOW) == Window(
        datetime(2025, 11, 25, tzinfo=UTC), datetime(2026, 11, 24, tzinfo=UTC)
    )


def test_a_start_date_beyond_the_history_is_clamped_to_365_days() -> None:
    window = planning.cost_window(config(start_date="2025-01-01"), None, NOW)
    assert window.start == datetime(2025, 11, 24, tzinfo=UTC)


def test_a_cursor_is_read_again_from_five_days_before_it_and_never_past_yesterday() -> None:
    cursor = datetime(2026, 11, 20, tzinfo=UTC)
    assert planning.cost_window(config(), cursor, NOW) == Window(
        datetime(2026, 11, 15, tzinfo=UTC), datetime(2026, 11, 24, tzinfo=UTC)
    )
    assert planning.cost_window(config(lookback_days=1), cursor, NOW).start == datetime(2026, 11, 17, tzinfo=UTC)
    assert planning.cost_window(config(lookback_days=8), cursor, NOW).start == datetime(2026, 11, 12, tzinfo=UTC)
    assert planning.cost_window(config(), datetime(2026, 11, 30, tzinfo=UTC), NOW) is None


def test_the_check_reads_one_complete_day_four_days_back() -> None:
    assert planning.check_day(NOW) == Window(datetime(2026, 11, 20, tzinfo=UTC), datetime(2026, 11, 21, tzinfo=UTC))


def test_the_products_stream_reads_the_last_seven_days() -> None:
    assert planning.recent_products_window(NOW) == Window(
        datetime(2026, 11, 17, tzinfo=UTC), datetime(2026, 11, 24, tzinfo=UTC)
    )


def test_cost_slices_are_calendar_months_of_at_most_31_days() -> None:
    window = Window(datetime(2026, 1, 15, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC))
    assert [(s.start.date(), s.end.date()) for s in planning.cost_slices(window)] == [
        (date(2026, 1, 15), date(2026, 2, 1)),
        (date(2026, 2, 1), date(2026, 3, 1)),
        (date(2026, 3, 1), date(2026, 3, 2)),
    ]
