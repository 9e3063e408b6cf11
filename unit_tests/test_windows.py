from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from source_usage_metering.windows import Window, add_months, iso, month_slices, parse_iso, sync_range

UTC = timezone.utc
NOW = datetime(2026, 11, 25, 13, 30, tzinfo=UTC)
TODAY = datetime(2026, 11, 25, tzinfo=UTC)


def test_given_no_cursor_when_range_then_configured_start_to_latest() -> None:
    window = sync_range(
        default_start=TODAY - timedelta(days=364),
        start_date=date(2026, 9, 1),
        end_date=None,
        cursor=None,
        lookback=timedelta(days=5),
        now=NOW,
        latest=TODAY,
    )
    assert window == Window(datetime(2026, 9, 1, tzinfo=UTC), TODAY)


def test_given_cursor_when_range_then_lookback_before_cursor() -> None:
    cursor = datetime(2026, 11, 20, tzinfo=UTC)
    window = sync_range(
        default_start=TODAY - timedelta(days=364),
        start_date=date(2026, 9, 1),
        end_date=None,
        cursor=cursor,
        lookback=timedelta(days=5),
        now=NOW,
        latest=TODAY,
    )
    assert window.start == datetime(2026, 11, 15, tzinfo=UTC)


def test_given_inclusive_end_date_when_range_then_exclusive_day_after() -> None:
    window = sync_range(
        default_start=TODAY,
        start_date=date(2026, 9, 1),
        end_date=date(2026, 9, 30),
        cursor=None,
        lookback=timedelta(0),
        now=NOW,
    )
    assert window.end == datetime(2026, 10, 1, tzinfo=UTC)


def test_given_cursor_past_end_when_range_then_nothing() -> None:
    assert (
        sync_range(
            default_start=TODAY,
            start_date=date(2026, 9, 1),
            end_date=date(2026, 9, 30),
            cursor=datetime(2026, 11, 1, tzinfo=UTC),
            lookback=timedelta(days=5),
            now=NOW,
        )
        is None
    )


def test_given_earliest_limit_when_range_then_clamped() -> None:
    earliest = TODAY - timedelta(days=365)
    window = sync_range(
        default_start=TODAY,
        start_date=date(2020, 1, 1),
        end_date=None,
        cursor=None,
        lookback=timedelta(0),
        now=NOW,
        earliest=earliest,
    )
    assert window.start == earliest


def test_given_window_across_months_when_sliced_then_calendar_months_capped() -> None:
    window = Window(datetime(2026, 1, 15, tzinfo=UTC), datetime(2026, 4, 3, tzinfo=UTC))
    slices = list(month_slices(window, 31))
    assert [(s.start.date().isoformat(), s.end.date().isoformat()) for s in slices] == [
        ("2026-01-15", "2026-02-01"),
        ("2026-02-01", "2026-03-01"),
        ("2026-03-01", "2026-04-01"),
        ("2026-04-01", "2026-04-03"),
    ]
    assert all(s.days <= 31 for s in slices)
    assert slices[0].start == window.start
    assert slices[-1].end == window.end


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        (datetime(2026, 12, 31, tzinfo=UTC), 1, datetime(2027, 1, 1, tzinfo=UTC)),
        (datetime(2026, 1, 5, tzinfo=UTC), -1, datetime(2025, 12, 1, tzinfo=UTC)),
        (datetime(2026, 3, 5, tzinfo=UTC), -14, datetime(2025, 1, 1, tzinfo=UTC)),
    ],
)
def test_add_months(moment: datetime, months: int, expected: datetime) -> None:
    assert add_months(moment, months) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2026-09-01",
        "2026-09-01T00:00:00Z",
        "2026-09-01 00:00:00",
        "2026-09-01T02:00:00+02:00",
        "2026-09-01T00:00:00.000Z",
    ],
)
def test_parse_iso_reads_provider_formats(text: str) -> None:
    assert iso(parse_iso(text)) == "2026-09-01T00:00:00Z"
