"""Narrowing a refused request window down to the units the provider serves. Pure: reading is an argument.

A provider may refuse a whole window (400/403) because part of it is older than it keeps: Confluent's "start date is
too far in the past", Datadog's "start_month must be within the last 15 months". The window is narrowed instead of
dropped: its start moves forward unit by unit (a binary search), the readable suffix is delivered, and the refused
prefix is reported with the provider's own message. The model (documented in docs/reliability.md): a provider's
refusal depends on how old the window's start is, so the readable part of a window is a suffix. One more read checks
that model: the refused unit next to the readable suffix and the part before it are each read on their own, so a
refusal in the middle of readable days shows as readable units older than a refused one (never silently as the edge
of history), and a refusal of the window's length (the unit reads alone) splits the window in halves instead.

Requests for a window refused by age, n units: 1 + ceil(log2 n) + 2 at most; by length: about 2 per unit at most.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from source_usage_metering.errors import Refusal
from source_usage_metering.windows import Window

Rows = TypeVar("Rows")


@dataclass(frozen=True)
class Refused:
    """A refused stretch of units and the provider's answer."""

    window: Window
    refusal: Refusal


@dataclass(frozen=True)
class Served(Generic[Rows]):
    """A stretch of units the provider answered, and its rows."""

    window: Window
    rows: Rows


@dataclass
class Narrowed(Generic[Rows]):
    """A window's outcome: served and refused stretches, oldest first, covering the window exactly."""

    parts: list[Served[Rows] | Refused] = field(default_factory=list)

    @property
    def refused(self) -> list[Refused]:
        """The refused stretches."""
        return [part for part in self.parts if isinstance(part, Refused)]

    @property
    def served(self) -> list[Served[Rows]]:
        """The answered stretches."""
        return [part for part in self.parts if isinstance(part, Served)]

    def windows_only(self) -> Narrowed[None]:
        """The same stretches without their rows (what refusal ledgers judge; rows kept would pin them in memory)."""
        return Narrowed([Served(part.window, None) if isinstance(part, Served) else part for part in self.parts])


def narrow(boundaries: Sequence[datetime], read: Callable[[Window], Rows | Refusal]) -> Narrowed[Rows]:
    """Read `[boundaries[0], boundaries[-1])`, narrowing it on a refusal down to single units.

    Args:
        boundaries: the unit boundaries of the window, oldest first (days, hours or month starts), at least two.
        read: reads one window; returns its rows, or the `Refusal` when the provider refused it. Errors raise.

    Returns:
        The served and refused stretches, oldest first.
    """
    end = boundaries[-1]
    whole = Window(boundaries[0], end)
    answer = read(whole)
    if not isinstance(answer, Refusal):
        return Narrowed([Served(whole, answer)])
    if len(boundaries) == 2:
        return Narrowed([Refused(whole, answer)])
    # The smallest start whose suffix reads: [boundaries[lo], end) is refused, [boundaries[hi], end) reads.
    lo, hi, suffix = 0, len(boundaries) - 1, None
    while hi - lo > 1:
        middle = (lo + hi) // 2
        answer = read(Window(boundaries[middle], end))
        if isinstance(answer, Refusal):
            lo = middle
        else:
            hi, suffix = middle, answer
    alone = read(Window(boundaries[lo], boundaries[hi]))
    if not isinstance(alone, Refusal):
        # The unit reads on its own: the refusal was about the window's length, not its age. Split in halves.
        middle = len(boundaries) // 2
        halves = narrow(boundaries[: middle + 1], read), narrow(boundaries[middle:], read)
        return Narrowed(joined([*halves[0].parts, *halves[1].parts]))
    parts: list[Served[Rows] | Refused] = []
    if lo > 0:
        parts.append(_before_the_refused_unit(Window(boundaries[0], boundaries[lo]), read))
    parts.append(Refused(Window(boundaries[lo], boundaries[hi]), alone))
    if suffix is not None:
        parts.append(Served(Window(boundaries[hi], end), suffix))
    return Narrowed(joined(parts))


def joined(parts: list[Any]) -> list[Any]:
    """Adjacent refused stretches as one (the later refusal's words), served ones left as they are."""
    out: list[Any] = []
    for part in parts:
        previous = out[-1] if out else None
        if isinstance(part, Refused) and isinstance(previous, Refused) and previous.window.end == part.window.start:
            out[-1] = Refused(Window(previous.window.start, part.window.end), part.refusal)
        else:
            out.append(part)
    return out


def _before_the_refused_unit(window: Window, read: Callable[[Window], Rows | Refusal]) -> Served[Rows] | Refused:
    """The units before the refused one, read once: refused as a whole (the model), or served (a middle refusal)."""
    answer = read(window)
    return Refused(window, answer) if isinstance(answer, Refusal) else Served(window, answer)


@dataclass
class RefusalLedger:
    """One state partition's refusals in a sync, and what they mean once the windows around them are read.

    Windows are recorded oldest first. A refused stretch older than every served one is the edge of the provider's
    history: skipped with a warning (`edge`). A refused stretch after something older was served is not: it holds
    the cursor before it and fails the account once the rest is read (`unexpected`). Until something is served,
    refused stretches wait in `pending` (and their slices must not move the cursor): if nothing is ever served,
    every window was refused.
    """

    first_served: datetime | None = None
    pending: list[Refused] = field(default_factory=list)
    edge: list[Refused] = field(default_factory=list)
    unexpected: list[Refused] = field(default_factory=list)

    def record(self, narrowed: Narrowed) -> list[Refused]:
        """Take one window's outcome; returns the stretches just confirmed as the edge of history (to warn of)."""
        confirmed: list[Refused] = []
        for part in narrowed.parts:
            if isinstance(part, Served):
                if self.first_served is None:
                    self.first_served = part.window.start
                    confirmed, self.pending = self.pending, []
                    self.edge.extend(confirmed)
            elif self.first_served is None:
                self.pending = joined([*self.pending, part])
            else:
                self.unexpected.append(part)
        return confirmed

    @property
    def nothing_served(self) -> bool:
        """Whether every window recorded so far was refused."""
        return self.first_served is None and bool(self.pending)
