"""At most one large window's rows held at a time in the whole sync, however many workers read.

A Confluent cost window is held whole to fold its pricing tiers into lines (a line's rows may come on any page of
the window). Read concurrently, every worker held one: at the demo's large scale (a Confluent org with ~95,000 cost
rows a month, remote data on) four months in flight took the connector to 2.4 GB, against 0.3 GB read one at a
time. A window that outgrows its first page therefore waits until no other large window is held; windows of one
page (most accounts: ~7,200 rows a month) never wait, so concurrency is unchanged for them.
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType

logger = logging.getLogger("airbyte")

# One large window at a time: the memory of one sequential read. Per process (a connector process runs one sync).
LARGE_WINDOWS = threading.Semaphore(1)
# The holder reads one window: at most its page cap, each page bounded by the request deadline and wait limit.
# Past this, read anyway (memory grows) rather than stall the sync.
MAX_WAIT_S = 1800.0


class WindowHold:
    """One window's read: counts the rows it holds and, past `threshold`, takes the large-window permit.

    Use as a context manager around the read *and* the emission of the window's records: the permit is released
    when the block ends (also when a generator holding it is closed).

    Args:
        threshold: Rows a window may hold without the permit (Confluent: one page, `COSTS_PAGE_SIZE`).
        gate: The permit (the process-wide `LARGE_WINDOWS`; tests pass their own).
    """

    def __init__(self, threshold: int, gate: threading.Semaphore | None = None) -> None:
        self.threshold = threshold
        self.rows = 0
        self.holding = False
        self._gate = gate or LARGE_WINDOWS

    def held(self, count: int = 1) -> None:
        """Count `count` more rows held; the first time the count passes the threshold, wait for the permit."""
        self.rows += count
        if self.rows > self.threshold and not self.holding:
            if not self._gate.acquire(timeout=MAX_WAIT_S):
                logger.warning("waited %.0f s for another large window to be read; reading this one too", MAX_WAIT_S)
                self.rows = -(1 << 62)  # never ask again for this window
                return
            self.holding = True

    def __enter__(self) -> WindowHold:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self.holding:
            self.holding = False
            self._gate.release()
