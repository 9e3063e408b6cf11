from __future__ import annotations

import time
from datetime import date, datetime, timedelta, timezone

import pytest

from source_usage_metering.windows import (
    Window,
    add_months,
    covered,
    iso,
    iso_or_none,
    month_slices,
    parse_iso,
    sync_range,
)

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


def test_given_start_equal_to_end_then_nothing_to_read() -> None:
    assert (
        sync_range(
            default_start=TODAY,
            start_date=None,
            end_date=None,
            cursor=None,
            lookback=timedelta(0),
            now=NOW,
            latest=TODAY,
        )
        is None
    )


def test_given_a_smaller_cap_then_slices_are_cut_inside_the_month() -> None:
    window = Window(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 25, tzinfo=UTC))
    assert [s.days for s in month_slices(window, 10)] == [10, 10, 4]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-09-01 10:20:30", datetime(2026, 9, 1, 10, 20, 30, tzinfo=UTC)),
        (" 2026-09-01T10:20:30+02:00 ", datetime(2026, 9, 1, 8, 20, 30, tzinfo=UTC)),
        ("2026-09-01", datetime(2026, 9, 1, tzinfo=UTC)),
    ],
)
def test_parse_iso_gives_an_aware_utc_moment(text: str, expected: datetime) -> None:
    moment = parse_iso(text)
    assert moment == expected
    assert moment.utcoffset() == timedelta(0)
    assert moment.tzinfo is not None


def test_the_machines_time_zone_never_matters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        assert iso(datetime(2026, 9, 1, 2, tzinfo=timezone(timedelta(hours=2)))) == "2026-09-01T00:00:00Z"
        assert iso(parse_iso("2026-09-01T02:00:00+02:00")) == "2026-09-01T00:00:00Z"
        assert parse_iso("2026-09-01T02:00:00+02:00").tzinfo == UTC
        assert iso_or_none("2026-09-01 00:00:00") == "2026-09-01T00:00:00Z"
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.mark.parametrize("value", [None, "", 5, "yesterday", ["2026-09-01"]])
def test_iso_or_none_never_invents_a_time(value: object) -> None:
    assert iso_or_none(value) is None


def _w(start: str, end: str) -> Window:
    return Window(datetime.fromisoformat(f"{start}T00:00:00+00:00"), datetime.fromisoformat(f"{end}T00:00:00+00:00"))


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ([("2026-11-01", "2026-12-01")], True),
        ([("2026-11-20", "2026-12-01"), ("2026-10-01", "2026-11-20")], True),  # joined, in any order
        ([("2026-10-01", "2026-11-19"), ("2026-11-20", "2026-12-01")], False),  # a day missing
        ([("2026-11-17", "2026-11-23")], False),  # ends a day short
        ([], False),
    ],
)
def test_covered_needs_every_instant_of_the_window(parts: list[tuple[str, str]], expected: bool) -> None:
    assert covered(_w("2026-11-17", "2026-11-24"), [_w(*p) for p in parts]) is expected
