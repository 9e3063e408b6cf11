from __future__ import annotations

from datetime import datetime, timedelta, timezone

from source_usage_metering.errors import Refusal, RefusalReason
from source_usage_metering.narrowing import Narrowed, RefusalLedger, Refused, Served, narrow
from source_usage_metering.windows import Window, day_boundaries, month_boundaries

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
TOO_OLD = Refusal(RefusalReason.BEYOND_HISTORY, 400, "start date is too far in the past")


def day(n: int) -> datetime:
    return T0 + timedelta(days=n)


class FakeProvider:
    """Serves day numbers in a window unless its start is older than `oldest` or it holds a `bad` day."""

    def __init__(self, oldest: int = 0, bad: frozenset[int] = frozenset()) -> None:
        self.oldest, self.bad, self.reads = oldest, bad, []

    def read(self, window: Window) -> list[int] | Refusal:
        self.reads.append((window.start, window.end))
        days = list(range((window.start - T0).days, (window.end - T0).days))
        if days[0] < self.oldest or self.bad & set(days):
            return TOO_OLD
        return days


def spans(narrowed: Narrowed) -> list[tuple[str, int, int]]:
    return [
        ("served" if isinstance(p, Served) else "refused", (p.window.start - T0).days, (p.window.end - T0).days)
        for p in narrowed.parts
    ]


def test_given_a_readable_window_then_one_read() -> None:
    provider = FakeProvider()
    narrowed = narrow(day_boundaries(Window(day(0), day(31))), provider.read)
    assert spans(narrowed) == [("served", 0, 31)]
    assert narrowed.served[0].rows == list(range(31))
    assert len(provider.reads) == 1


def test_given_history_starting_mid_window_then_the_readable_suffix_is_served_in_few_reads() -> None:
    provider = FakeProvider(oldest=12)
    narrowed = narrow(day_boundaries(Window(day(0), day(31))), provider.read)
    assert spans(narrowed) == [("refused", 0, 12), ("served", 12, 31)]
    assert narrowed.served[0].rows == list(range(12, 31))
    assert len(provider.reads) <= 1 + 5 + 2  # the window, a binary search over 31 days, the unit, the part before


def test_given_every_day_refused_then_the_window_is_refused_in_few_reads() -> None:
    provider = FakeProvider(oldest=99)
    narrowed = narrow(day_boundaries(Window(day(0), day(31))), provider.read)
    assert spans(narrowed) == [("refused", 0, 31)]
    assert not narrowed.served
    assert len(provider.reads) <= 1 + 5 + 2


def test_given_one_refused_day_in_the_middle_then_the_days_before_it_are_served() -> None:
    provider = FakeProvider(bad=frozenset({20}))
    narrowed = narrow(day_boundaries(Window(day(0), day(31))), provider.read)
    assert spans(narrowed) == [("served", 0, 20), ("refused", 20, 21), ("served", 21, 31)]
    served = [row for part in narrowed.served for row in part.rows]
    assert served == [d for d in range(31) if d != 20]


def test_given_a_one_unit_window_refused_then_one_read() -> None:
    provider = FakeProvider(oldest=5)
    narrowed = narrow(day_boundaries(Window(day(0), day(1))), provider.read)
    assert spans(narrowed) == [("refused", 0, 1)]
    assert len(provider.reads) == 1


def test_months_are_the_units_of_a_month_window() -> None:
    assert month_boundaries(
        Window(datetime(2025, 11, 1, tzinfo=timezone.utc), datetime(2026, 2, 1, tzinfo=timezone.utc))
    ) == [
        datetime(2025, 11, 1, tzinfo=timezone.utc),
        datetime(2025, 12, 1, tzinfo=timezone.utc),
        datetime(2026, 1, 1, tzinfo=timezone.utc),
        datetime(2026, 2, 1, tzinfo=timezone.utc),
    ]


def refused(start: int, end: int) -> Refused:
    return Refused(Window(day(start), day(end)), TOO_OLD)


def served(start: int, end: int) -> Served:
    return Served(Window(day(start), day(end)), [])


def test_ledger_confirms_the_edge_once_something_newer_is_served() -> None:
    ledger = RefusalLedger()
    assert ledger.record(Narrowed([refused(0, 31)])) == []
    assert ledger.nothing_served
    assert ledger.record(Narrowed([refused(31, 40), served(40, 59)])) == [refused(0, 40)]
    assert ledger.edge == [refused(0, 40)]
    assert not ledger.unexpected
    assert not ledger.nothing_served


def test_ledger_marks_a_refusal_after_served_days_as_unexpected() -> None:
    ledger = RefusalLedger()
    ledger.record(Narrowed([served(0, 31)]))
    ledger.record(Narrowed([served(31, 40), refused(40, 41), served(41, 59)]))
    assert ledger.unexpected == [refused(40, 41)]
    assert ledger.edge == []


def test_ledger_with_nothing_served_says_so() -> None:
    ledger = RefusalLedger()
    ledger.record(Narrowed([refused(0, 31)]))
    ledger.record(Narrowed([refused(31, 59)]))
    assert ledger.nothing_served
    assert ledger.pending == [refused(0, 59)]


class LengthLimitedProvider:
    """Refuses any window longer than `limit` days (a range limit, not an age limit)."""

    def __init__(self, limit: int) -> None:
        self.limit, self.reads = limit, []

    def read(self, window: Window) -> list[int] | Refusal:
        self.reads.append((window.start, window.end))
        days = list(range((window.start - T0).days, (window.end - T0).days))
        return Refusal(RefusalReason.WINDOW_REFUSED, 400, "range too long") if len(days) > self.limit else days


def test_given_a_window_too_long_for_the_provider_then_it_is_split_and_every_day_served() -> None:
    provider = LengthLimitedProvider(limit=8)
    narrowed = narrow(day_boundaries(Window(day(0), day(31))), provider.read)
    assert not narrowed.refused
    assert [row for part in narrowed.served for row in part.rows] == list(range(31))
    assert len(provider.reads) <= 2 * 31
