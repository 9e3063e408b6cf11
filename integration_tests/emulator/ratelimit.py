"""Per-provider request budgets over fixed, wall-clock-aligned windows."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class BudgetState:
    """The outcome of taking one request from a budget."""

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int
    period_seconds: int


class RateBudget:
    """Allows `limit` requests per window of `window_seconds`; windows are aligned to the epoch like Datadog's."""

    def __init__(self, limit: int, window_seconds: float) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self._window = -1
        self._used = 0
        self._lock = threading.Lock()

    def take(self, now: float | None = None) -> BudgetState:
        """Spend one request (refused ones count too) and return the budget headers' values."""
        now = time.time() if now is None else now
        with self._lock:
            window = int(now // self.window_seconds)
            if window != self._window:
                self._window, self._used = window, 0
            self._used += 1
            reset = max(1, math.ceil((window + 1) * self.window_seconds - now))
            return BudgetState(
                allowed=self._used <= self.limit,
                limit=self.limit,
                remaining=max(self.limit - self._used, 0),
                reset_seconds=reset,
                period_seconds=math.ceil(self.window_seconds),
            )
