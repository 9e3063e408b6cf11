"""Pure UTC date math: sync ranges, lookback, month-bounded slices. Time is always an argument."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

UTC = timezone.utc


@dataclass(frozen=True)
class Window:
    """A half-open UTC interval [start, end)."""

    start: datetime
    end: datetime

    @property
    def days(self) -> float:
        """Length in days."""
        return (self.end - self.start) / timedelta(days=1)


def covered(window: Window, by: Iterable[Window]) -> bool:
    """Whether the windows `by`, taken together, cover every instant of `window`."""
    reached = window.start
    for part in sorted(by, key=lambda w: w.start):
        if part.start > reached:
            break
        reached = max(reached, part.end)
    return reached >= window.end


def at_midnight(day: date) -> datetime:
    """00:00 UTC of a date."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def month_start(moment: datetime) -> datetime:
    """00:00 UTC of the first day of the moment's month."""
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


def add_months(moment: datetime, months: int) -> datetime:
    """The first day of the month `months` after the moment's month (negative goes back)."""
    index = moment.year * 12 + moment.month - 1 + months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def sync_range(
    *,
    default_start: datetime,
    start_date: date | None,
    end_date: date | None,
    cursor: datetime | None,
    lookback: timedelta,
    now: datetime,
    earliest: datetime | None = None,
    latest: datetime | None = None,
) -> Window | None:
    """The window one sync reads for one account, or None when there is nothing to read.

    Args:
        default_start: where a first sync starts when no start_date is configured.
        start_date: the configured first day (UTC), if any.
        end_date: the configured last day (inclusive), if any.
        cursor: the saved cursor (end of the last completed slice), if any.
        lookback: how far before the cursor to read again.
        now: the current time (UTC).
        earliest: the oldest moment the provider serves, if limited.
        latest: the newest end the provider accepts (defaults to now).

    Returns:
        [start, end) clamped to the provider's limits.
    """
    start = at_midnight(start_date) if start_date else default_start
    if cursor is not None:
        start = max(start, cursor - lookback)
    if earliest is not None:
        start = max(start, earliest)
    end = latest if latest is not None else now
    if end_date is not None:
        end = min(end, at_midnight(end_date) + timedelta(days=1))
    return Window(start, end) if start < end else None


def month_slices(window: Window, max_days: int = 31) -> Iterator[Window]:
    """Split a window at calendar-month boundaries, each slice at most `max_days` long."""
    start = window.start
    while start < window.end:
        end = min(add_months(start, 1), window.end, start + timedelta(days=max_days))
        yield Window(start, end)
        start = end


def fixed_slices(window: Window, step: timedelta) -> Iterator[Window]:
    """Split a window into consecutive slices of at most `step`."""
    start = window.start
    while start < window.end:
        end = min(start + step, window.end)
        yield Window(start, end)
        start = end


def iso(moment: datetime) -> str:
    """ISO-8601 UTC with a Z suffix, seconds precision."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str) -> datetime:
    """Parse an ISO-8601 timestamp or date (as UTC when it carries no offset)."""
    text = value.strip().replace("Z", "+00:00")
    if len(text) == 10:
        text += "T00:00:00+00:00"
    moment = datetime.fromisoformat(text.replace(" ", "T", 1))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def iso_or_none(value: object) -> str | None:
    """A provider timestamp as ISO-8601 UTC, or None when it gave none or an unreadable one (never invented)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return iso(parse_iso(value))
    except ValueError:
        return None


def day_boundaries(window: Window) -> list[datetime]:
    """Midnights from the window's start to its end (both included); the window starts and ends at midnight."""
    return _boundaries(window, lambda moment: moment + timedelta(days=1))


def hour_boundaries(window: Window) -> list[datetime]:
    """Hours from the window's start to its end (both included)."""
    return _boundaries(window, lambda moment: moment + timedelta(hours=1))


def month_boundaries(window: Window) -> list[datetime]:
    """Month starts from the window's start to its end (both included); the window starts on a month start."""
    return _boundaries(window, lambda moment: add_months(moment, 1))


def _boundaries(window: Window, step: Callable[[datetime], datetime]) -> list[datetime]:
    points = [window.start]
    while points[-1] < window.end:
        points.append(min(step(points[-1]), window.end))
    return points


def describe(window: Window) -> str:
    """A window as people read it: months (`2025-08..2025-10`), days or hours, the end exclusive."""
    start, end = window.start, window.end
    if start.day == end.day == 1 and not (start.hour or end.hour):
        return f"{start:%Y-%m}..{end:%Y-%m} (exclusive)"
    if not (start.hour or end.hour):
        return f"{start:%Y-%m-%d}..{end:%Y-%m-%d} (exclusive)"
    return f"{start:%Y-%m-%dT%H}..{end:%Y-%m-%dT%H} (exclusive)"
