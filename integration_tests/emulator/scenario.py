"""Scenario knobs, scale presets, calendar helpers and data revisions shared by both providers."""

from __future__ import annotations

import dataclasses
import hashlib
import random
import threading
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

SCALE_PRESETS: dict[str, dict[str, int]] = {
    "small": {"environments": 3, "resources_per_env": 3, "datadog_child_orgs": 2, "product_families": 8},
    "medium": {"environments": 20, "resources_per_env": 5, "datadog_child_orgs": 4, "product_families": 20},
    "large": {"environments": 150, "resources_per_env": 8, "datadog_child_orgs": 9, "product_families": 48},
}

# The most recent days are still being billed: their amounts are scaled down (1 = yesterday).
INCOMPLETE_DAY_FACTORS: dict[int, Decimal] = {1: Decimal("0.55"), 2: Decimal("0.75"), 3: Decimal("0.9")}


@dataclass(frozen=True)
class Scenario:
    """What the emulated tenants contain; equal scenarios (and `today`) give byte-identical responses.

    Attributes:
        months: Calendar months of data ending with the current (partial) month.
        seed: Seed of every generated value.
        confluent_orgs: Number of Confluent organizations (at least 2: org A and org B).
        environments: Listed environments of Confluent org A (org B gets a third, at least 2).
        resources_per_env: Billed resources per Confluent environment.
        datadog_child_orgs: Child orgs under the Datadog parent org.
        product_families: Known Datadog product families served (plus one unknown family).
        history_days_limit: Confluent costs refuse a `start_date` older than `today - history_days_limit`.
    """

    months: int = 2
    seed: int = 7
    confluent_orgs: int = 2
    environments: int = 3
    resources_per_env: int = 3
    datadog_child_orgs: int = 2
    product_families: int = 8
    history_days_limit: int = 365

    @classmethod
    def preset(cls, scale: str, **overrides: int) -> Scenario:
        """Build a scenario from a scale preset (`small`, `medium`, `large`) plus overrides.

        Raises:
            ValueError: For an unknown scale name.
        """
        if scale not in SCALE_PRESETS:
            raise ValueError(f"unknown scale {scale!r}; valid: {', '.join(SCALE_PRESETS)}")
        return cls(**{**SCALE_PRESETS[scale], **overrides})

    def as_dict(self) -> dict[str, int]:
        """Return the knobs as a plain dict."""
        return dataclasses.asdict(self)


def stable_hex(*parts: object) -> str:
    """Return the sha256 hex digest of the parts joined by `|`."""
    return hashlib.sha256("|".join(str(part) for part in parts).encode()).hexdigest()


def seeded_rng(*parts: object) -> random.Random:
    """Return a `Random` seeded deterministically from the parts."""
    return random.Random(stable_hex(*parts))


def add_months(month_start: date, months: int) -> date:
    """Return the first day of the month `months` after (or before) `month_start`'s month."""
    index = month_start.year * 12 + month_start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_start(day: date) -> date:
    """Return the first day of `day`'s month."""
    return day.replace(day=1)


def iter_days(start: date, end: date):
    """Yield each day in the half-open range [start, end)."""
    day = start
    while day < end:
        yield day
        day += timedelta(days=1)


def data_start(today: date, months: int) -> date:
    """Return the first day of the data set: the first of the month `months - 1` months before today's."""
    return add_months(month_start(today), -(max(months, 1) - 1))


def month_is_final(month: date, today: date) -> bool:
    """Return whether a month's Datadog cost is final (published by the 16th of the following month)."""
    return today >= add_months(month, 1).replace(day=16)


class Revisions:
    """Late corrections: a cumulative multiplier per day, applied by both providers' data."""

    def __init__(self) -> None:
        self._factors: dict[date, Decimal] = {}
        self._lock = threading.Lock()
        self.version = 0

    def revise(self, today: date, days: int, factor: float) -> None:
        """Multiply the data of the `days` days before `today` by `factor`."""
        with self._lock:
            for back in range(1, days + 1):
                day = today - timedelta(days=back)
                self._factors[day] = self._factors.get(day, Decimal(1)) * Decimal(str(factor))
            self.version += 1

    def factor(self, day: date) -> Decimal:
        """Return the multiplier of a day (1 when never revised)."""
        return self._factors.get(day, Decimal(1))

    def day_factor(self, day: date, today: date) -> Decimal:
        """Return the revision multiplier times the incompleteness factor of a recent day."""
        return self.factor(day) * INCOMPLETE_DAY_FACTORS.get((today - day).days, Decimal(1))
