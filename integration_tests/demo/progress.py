"""Live progress of a read: records per stream, the slice last read, rate and time left, as a bar or plain lines.

The connector logs a line per completed slice (`source_usage_metering/streams/progress.py`) and emits an Airbyte
ESTIMATE trace of the usage stream's total; both arrive as messages on its stdout, parsed here.
"""

from __future__ import annotations

import re
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

# "usage: accounts[1] (datadog: acme-datadog): 2026-10-01T00:00..2026-10-02T00:00: 1443 records (slice 3/65, ...)"
SLICE_LOG = re.compile(
    r"^(?P<stream>\w+): (?P<account>.+): (?P<window>\S+): \d+ records "
    r"\(slice (?P<done>\d+)(?:/(?P<planned>\d+))?, \d+ records so far\)$"
)
STREAM_ORDER = ("organizations", "products", "usage", "workspaces")
RATE_WINDOW_S = 15.0
PLAIN_INTERVAL_S = 10.0
BAR_INTERVAL_S = 0.25


@dataclass
class Snapshot:
    """Where the read is, for one display.

    Attributes:
        elapsed_s: Seconds since the read started.
        stream: The stream being read ("" before the first).
        records: Records per stream so far.
        estimate: The connector's estimate of the current stream's records (None when it gave none).
        account: The account of the last completed slice, e.g. `accounts[1] (datadog: acme-datadog)`.
        window: The window of that slice, e.g. `2026-10-01T00:00..2026-10-02T00:00`.
        slices: `done/planned` slices of the current stream ("" before the first).
        rate: Records per second over the last 15 s.
        eta_s: Seconds left at that rate, when there is an estimate to go by.
        finished: Streams the connector reported complete.
    """

    elapsed_s: float
    stream: str
    records: dict[str, int]
    estimate: int | None
    account: str
    window: str
    slices: str
    rate: float
    eta_s: float | None
    finished: set[str] = field(default_factory=set)


class ReadProgress:
    """Follows a read from its LOG and TRACE messages plus the record counters of the summary."""

    def __init__(self, records: Mapping[str, int], clock: Callable[[], float] = time.monotonic) -> None:
        self.records = records
        self.clock = clock
        self.started = clock()
        self.stream = ""
        self.estimates: dict[str, int] = {}
        self.account = self.window = self.slices = ""
        self.finished: set[str] = set()
        self.streams: list[str] = list(STREAM_ORDER)  # plus any other stream the read starts (e.g. a FOCUS stream)
        self._samples: deque[tuple[float, int]] = deque([(self.started, 0)])

    def add(self, message: dict[str, Any]) -> None:
        """Take a LOG or TRACE message into account (others are ignored)."""
        if message.get("type") == "LOG":
            self._add_log(str((message.get("log") or {}).get("message", "")))
            return
        trace = message.get("trace") or {}
        if trace.get("type") == "ESTIMATE":
            estimate = trace.get("estimate") or {}
            if estimate.get("row_estimate") is not None:
                self.estimates[estimate.get("name", "")] = int(estimate["row_estimate"])
        elif trace.get("type") == "STREAM_STATUS":
            status = trace.get("stream_status") or {}
            name = (status.get("stream_descriptor") or {}).get("name", "")
            if status.get("status") in ("STARTED", "RUNNING"):
                self.stream = name
                if name not in self.streams:
                    self.streams.append(name)
            elif status.get("status") in ("COMPLETE", "INCOMPLETE"):
                self.finished.add(name)

    def _add_log(self, text: str) -> None:
        match = SLICE_LOG.match(text)
        if match:
            self.stream, self.account, self.window = match["stream"], match["account"], match["window"]
            self.slices = match["done"] + (f"/{match['planned']}" if match["planned"] else "")

    def snapshot(self) -> Snapshot:
        """Where the read is now."""
        now = self.clock()
        records = {name: self.records.get(name, 0) for name in self.streams}
        rate = self._rate(now, sum(records.values()))
        estimate = self.estimates.get(self.stream)
        left = (estimate - records.get(self.stream, 0)) if estimate is not None else None
        eta = left / rate if left is not None and left > 0 and rate > 0 else None
        return Snapshot(
            elapsed_s=now - self.started,
            stream=self.stream,
            records=records,
            estimate=estimate,
            account=self.account,
            window=self.window,
            slices=self.slices,
            rate=rate,
            eta_s=eta,
            finished=set(self.finished),
        )

    def _rate(self, now: float, total: int) -> float:
        self._samples.append((now, total))
        while len(self._samples) > 2 and now - self._samples[1][0] >= RATE_WINDOW_S:
            self._samples.popleft()
        then, before = self._samples[0]
        return (total - before) / (now - then) if now > then else 0.0


def format_duration(seconds: float) -> str:
    """`42 s`, `3 min 05 s`, `1 h 02 min`."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def format_line(snapshot: Snapshot) -> str:
    """One plain progress line, e.g. for logs and CI (see `PlainView`)."""
    parts = [f"[{format_duration(snapshot.elapsed_s):>10}]"]
    if snapshot.stream:
        done = snapshot.records.get(snapshot.stream, 0)
        count = f"{snapshot.stream}: {done:,} records"
        if snapshot.estimate:
            count += f" of about {snapshot.estimate:,} ({min(done / snapshot.estimate, 1):.0%})"
        parts.append(count)
    parts.append(f"{snapshot.rate:,.0f} records/s")
    if snapshot.eta_s is not None:
        parts.append(f"about {format_duration(snapshot.eta_s)} left")
    if snapshot.window:
        parts.append(f"last slice {snapshot.slices}: {snapshot.account} {snapshot.window}")
    others = [f"{name} {n:,}" for name, n in snapshot.records.items() if name != snapshot.stream and n]
    if others:
        parts.append("done: " + ", ".join(others))
    return " · ".join(parts)


class PlainView:
    """Prints `format_line` every 10 s (and once at the end) from a background thread."""

    def __init__(self, progress: ReadProgress, out: TextIO = sys.stdout, interval_s: float = PLAIN_INTERVAL_S) -> None:
        self.progress = progress
        self.out = out
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="progress", daemon=True)

    def __enter__(self) -> PlainView:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        self._print()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._print()

    def _print(self) -> None:
        print("  " + format_line(self.progress.snapshot()), file=self.out, flush=True)


class BarView:
    """A rich progress bar per stream: records of the estimate, rate, time left and the slice last read."""

    def __init__(self, progress: ReadProgress, console: Any = None, interval_s: float = BAR_INTERVAL_S) -> None:
        from rich.progress import BarColumn, Progress, TextColumn

        self.progress = progress
        self.interval_s = interval_s
        self.bar = Progress(
            TextColumn("  {task.fields[stream]:<13}"),
            BarColumn(bar_width=30),
            TextColumn("{task.fields[count]:>26}"),
            TextColumn("{task.fields[speed]:>16}"),
            TextColumn("{task.fields[eta]:<18}"),
            TextColumn("[dim]{task.fields[where]}"),
            auto_refresh=False,
            console=console,
        )
        self.tasks: dict[str, Any] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="progress", daemon=True)

    def __enter__(self) -> BarView:
        self.bar.start()
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        self._update(final=True)
        self.bar.stop()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._update()

    def _update(self, final: bool = False) -> None:
        snapshot = self.progress.snapshot()
        for name, done in snapshot.records.items():
            if not done and name != snapshot.stream:
                continue
            if name not in self.tasks:
                fields = dict.fromkeys(("count", "speed", "eta", "where"), "")
                self.tasks[name] = self.bar.add_task(name, total=None, stream=name, **fields)
            complete = final or name in snapshot.finished
            current = name == snapshot.stream and not complete
            estimate = done if complete else snapshot.estimate if current else None
            self.bar.update(
                self.tasks[name],
                completed=done,
                total=max(estimate, done) if estimate else None,
                count=f"{done:,}" + (f" / ~{estimate:,}" if current and estimate else ""),
                speed=f"{snapshot.rate:,.0f} rec/s" if current else "",
                eta=f"~{format_duration(snapshot.eta_s)} left" if current and snapshot.eta_s is not None else "",
                where=f"{snapshot.account} {snapshot.window}" if current and snapshot.window else "",
            )
            self.bar.start_task(self.tasks[name])  # a new total restarts the task in rich, which then pulses forever
        self.bar.refresh()


def make_view(progress: ReadProgress, out: TextIO = sys.stdout) -> PlainView | BarView:
    """A bar on a terminal, plain lines every 10 s otherwise."""
    return BarView(progress) if out.isatty() else PlainView(progress, out)
