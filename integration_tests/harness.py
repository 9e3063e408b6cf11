"""Run the installed connector as a process, the way Airbyte and the docker CLI do, and read its messages.

`run_connector` collects a whole run in memory (tests); `stream_connector` hands the output over in chunks of lines
as it arrives, copies it to a file, and stops a child that stays silent too long (the demo, at any size).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from datetime import time as time_of_day
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows
    fcntl = None  # type: ignore[assignment]

STREAMS = ("focus_cost", "organizations", "products", "usage", "workspaces")
# The end-to-end tests' emulated UTC date, never the machine's: after the 16th (October final, November estimated).
E2E_TODAY = date(2026, 11, 20)
CONNECTOR_TIME = time_of_day(6, 30)  # the connector's time of day on the emulated date


def connector_now(today: date) -> datetime:
    """The instant a connector process is pinned to on an emulated `today` (see `clock.pinned_env`)."""
    return datetime.combine(today, CONNECTOR_TIME, tzinfo=timezone.utc)


def console_script(name: str = "source-usage-metering") -> str:
    """The console script of the interpreter running the tests (its venv), else the one on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if not found:
        raise FileNotFoundError(f"{name} is not installed (pip install -e .)")
    return found


@dataclass
class Run:
    """One process run: exit code, parsed Airbyte messages, raw streams."""

    returncode: int
    messages: list[dict[str, Any]]
    stdout: str
    stderr: str
    states: list[dict[str, Any]] = field(default_factory=list)

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        """Messages of one type (RECORD, STATE, TRACE, LOG, CATALOG, SPEC, CONNECTION_STATUS)."""
        return [m for m in self.messages if m.get("type") == kind]

    def records(self, stream: str) -> list[dict[str, Any]]:
        """The record data of one stream, in emission order."""
        return [m["record"]["data"] for m in self.of_type("RECORD") if m["record"]["stream"] == stream]

    def last_states(self) -> list[dict[str, Any]]:
        """The newest STATE message per stream: what `read --state` takes back."""
        newest: dict[str, dict[str, Any]] = {}
        for message in self.of_type("STATE"):
            newest[message["state"]["stream"]["stream_descriptor"]["name"]] = message["state"]
        return list(newest.values())

    def stream_state(self, stream: str) -> dict[str, Any]:
        """The newest state blob of one stream."""
        for state in self.last_states():
            if state["stream"]["stream_descriptor"]["name"] == stream:
                return state["stream"]["stream_state"]
        return {}

    def errors(self) -> list[dict[str, Any]]:
        """TRACE error payloads."""
        return [m["trace"]["error"] for m in self.of_type("TRACE") if m["trace"].get("type") == "ERROR"]


def run_connector(
    args: Sequence[str],
    tmp: Path,
    *,
    config: dict | None = None,
    catalog: dict | None = None,
    state: list | None = None,
    timeout: float = 300,
    script: str | None = None,
    env: dict[str, str] | None = None,
) -> Run:
    """Run `source-usage-metering <args>` with files written under `tmp`; stdout parsed line by line.

    `env` adds to the inherited environment (e.g. `clock.pinned_env(...)` to pin the connector's clock).
    """
    argv = connector_argv(args, tmp, config=config, catalog=catalog, state=state, script=script)
    environment = {**os.environ, **env} if env else None
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False, env=environment)
    return Run(done.returncode, parse_messages(done.stdout), done.stdout, done.stderr)


def connector_argv(
    args: Sequence[str],
    tmp: Path,
    *,
    config: dict | None = None,
    catalog: dict | None = None,
    state: list | None = None,
    script: str | None = None,
) -> list[str]:
    """The command line of `source-usage-metering <args>`; config, catalog and state are written under `tmp`."""
    argv = [script or console_script(), *args]
    for flag, content in (("--config", config), ("--catalog", catalog), ("--state", state)):
        if content is not None:
            path = tmp / f"{flag.strip('-')}.json"
            path.write_text(json.dumps(content))
            argv += [flag, str(path)]
    return argv


CHUNK_BYTES = 1 << 20
PIPE_BYTES = 1 << 20  # Linux's default pipe-max-size; the default 64 KB pipe stalls the child on every burst
STDERR_TAIL_BYTES = 64 * 1024
LineHandler = Callable[[list[bytes]], None]


@dataclass
class StreamedRun:
    """One streamed process run.

    Attributes:
        returncode: The exit code (negative: killed by that signal).
        silent_for_s: Seconds without output after which the watchdog stopped the process; None if it did not.
        stderr_tail: The last 64 KB of stderr.
        bytes_out: Bytes read from stdout.
    """

    returncode: int
    silent_for_s: float | None
    stderr_tail: str
    bytes_out: int

    @property
    def stopped_silent(self) -> bool:
        """Whether the watchdog stopped the process."""
        return self.silent_for_s is not None


class Watchdog:
    """Stops a process that prints nothing (stdout or stderr) for `limit_s` seconds: SIGTERM, then SIGKILL.

    Use as a context manager around the reading loop and call `touch()` on every chunk of output.
    """

    def __init__(self, process: subprocess.Popen, limit_s: float, grace_s: float = 10.0) -> None:
        self.process = process
        self.limit_s = limit_s
        self.grace_s = grace_s
        self.fired_after_s: float | None = None
        self._last = time.monotonic()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="watchdog", daemon=True)

    def __enter__(self) -> Watchdog:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._done.set()
        self._thread.join()

    def touch(self) -> None:
        """Note output now."""
        self._last = time.monotonic()

    def _watch(self) -> None:
        while not self._done.wait(min(1.0, self.limit_s / 4)):
            silent = time.monotonic() - self._last
            if silent >= self.limit_s and self.process.poll() is None:
                self.fired_after_s = silent
                self.process.terminate()
                try:
                    self.process.wait(self.grace_s)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                return


def stream_process(
    argv: Sequence[str], on_lines: LineHandler, *, sink: IO[bytes] | None = None, silence_limit_s: float = 600.0
) -> StreamedRun:
    """Run `argv`, hand its stdout to `on_lines` in chunks of lines as it arrives, copy it to `sink`.

    Memory stays constant whatever the output size: nothing is kept but the last 64 KB of stderr.

    Args:
        argv: The command line.
        on_lines: Called with each batch of complete lines (without their newline), in order.
        sink: A binary file that receives stdout byte for byte (None: not kept).
        silence_limit_s: The process is stopped after this many seconds without output (see `Watchdog`).

    Returns:
        The exit code, whether the watchdog stopped it, the end of stderr and the bytes read.
    """
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None
    assert process.stderr is not None
    _widen_pipe(process.stdout)
    tail = bytearray()
    bytes_out = 0
    try:
        with Watchdog(process, silence_limit_s) as watchdog:
            reader = threading.Thread(target=_drain, args=(process.stderr, tail, watchdog), daemon=True)
            reader.start()
            pending = b""
            for chunk in iter(lambda: process.stdout.read1(CHUNK_BYTES), b""):
                watchdog.touch()
                bytes_out += len(chunk)
                if sink is not None:
                    sink.write(chunk)
                lines = (pending + chunk).split(b"\n")
                pending = lines.pop()
                if lines:
                    on_lines(lines)
            if pending:
                on_lines([pending])
            returncode = process.wait()
            reader.join(timeout=5)
    finally:
        if process.poll() is None:  # the handler failed or the reader was interrupted: never leave it running
            process.kill()
            process.wait()
    return StreamedRun(returncode, watchdog.fired_after_s, tail.decode(errors="replace"), bytes_out)


def _widen_pipe(stream: IO[bytes]) -> None:
    """Let the child write up to 1 MB ahead of the reader (Linux; elsewhere the default size stays)."""
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl is not None else None
    if set_size is not None:
        with contextlib.suppress(OSError):
            fcntl.fcntl(stream.fileno(), set_size, PIPE_BYTES)


def _drain(stream: IO[bytes], tail: bytearray, watchdog: Watchdog) -> None:
    for chunk in iter(lambda: stream.read1(CHUNK_BYTES), b""):  # type: ignore[attr-defined]
        watchdog.touch()
        tail += chunk
        del tail[:-STDERR_TAIL_BYTES]


def stream_connector(
    args: Sequence[str],
    tmp: Path,
    on_lines: LineHandler,
    *,
    config: dict | None = None,
    catalog: dict | None = None,
    state: list | None = None,
    sink: IO[bytes] | None = None,
    silence_limit_s: float = 600.0,
    script: str | None = None,
) -> StreamedRun:
    """Run `source-usage-metering <args>` like `run_connector`, streaming its output (see `stream_process`)."""
    argv = connector_argv(args, tmp, config=config, catalog=catalog, state=state, script=script)
    return stream_process(argv, on_lines, sink=sink, silence_limit_s=silence_limit_s)


def parse_messages(stdout: str) -> list[dict[str, Any]]:
    """Airbyte messages, one JSON object per line (non-JSON lines are ignored)."""
    messages = []
    for line in stdout.splitlines():
        if line.startswith("{"):
            try:
                messages.append(json.loads(line))
            except ValueError:
                continue
    return messages


def configured_catalog(catalog: dict[str, Any], sync_mode: str = "incremental") -> dict[str, Any]:
    """Every discovered stream, configured for incremental append + dedup on its primary key."""
    streams = []
    for stream in catalog["streams"]:
        streams.append(
            {
                "stream": stream,
                "sync_mode": sync_mode,
                "destination_sync_mode": "append_dedup" if sync_mode == "incremental" else "overwrite",
                "cursor_field": stream.get("default_cursor_field", []),
                "primary_key": stream.get("source_defined_primary_key", []),
            }
        )
    return {"streams": streams}


def discover_catalog(config: dict, tmp: Path, sync_mode: str = "incremental") -> tuple[dict, dict]:
    """(discovered catalog, configured catalog)."""
    run = run_connector(["discover"], tmp, config=config)
    assert run.returncode == 0, run.stderr[-2000:]
    catalog = run.of_type("CATALOG")[0]["catalog"]
    return catalog, configured_catalog(catalog, sync_mode)


def record_key(record: dict[str, Any]) -> str:
    """A record's primary key: `id`, or `x_ChargeId` for focus_cost rows."""
    return record["id"] if "id" in record else record["x_ChargeId"]


def dedup_by_id(records: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Append + dedup as a destination does it: the last record of an id wins."""
    return {record_key(record): record for record in records}


def charge_total(records: Iterable[dict[str, Any]]) -> Decimal:
    """Exact sum of every charge amount."""
    return sum(
        (Decimal(str(c["amount"])) for r in records for c in r["charges"] if c.get("amount") is not None), Decimal(0)
    )


def charge_total_by_month(records: Iterable[dict[str, Any]]) -> dict[str, Decimal]:
    """Exact charge sums per `YYYY-MM` of the record's start date."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for record in records:
        for charge in record["charges"]:
            if charge.get("amount") is not None:
                totals[record["start_date"][:7]] += Decimal(str(charge["amount"]))
    return dict(totals)
