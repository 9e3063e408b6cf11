"""Run one client as a child process and measure it: wall, user+sys CPU and peak RSS from `os.wait4`.

The model is ../shared/perf-anchor/bench.py (`run_measured`). The client's stdout goes through a pipe into a small
counter process (`python -m benchmarks.count_output`), so every run is verified (records, unique ids, states)
without writing hundreds of megabytes; the counter is a sibling, so its CPU is not in the client's rusage.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Measured:
    """One run of one client."""

    returncode: int
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    output: dict[str, Any] = field(default_factory=dict)
    stderr_tail: str = ""


def run_measured(
    cmd: Sequence[str], *, kind: str = "airbyte", timeout_s: float = 900, env: dict[str, str] | None = None
) -> Measured:
    """Run `cmd`; count its output (`kind`: `airbyte` messages or JSON `lines`); return its rusage.

    Args:
        cmd: The client command line.
        kind: How the counter reads stdout.
        timeout_s: The client is killed after this long.
        env: The client's environment (default: this process's).
    """
    counter = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.count_output", kind],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
    started = time.perf_counter()
    client = subprocess.Popen(cmd, stdout=counter.stdin, stderr=subprocess.PIPE, env=env)
    assert counter.stdin is not None
    assert counter.stdout is not None
    counter.stdin.close()  # only the client writes to the counter
    timer = threading.Timer(timeout_s, lambda: _kill(client.pid))
    timer.start()
    stderr: list[bytes] = []
    reader = threading.Thread(target=lambda: stderr.append(client.stderr.read() if client.stderr else b""))
    reader.start()
    _, status, usage = os.wait4(client.pid, 0)
    wall = time.perf_counter() - started
    timer.cancel()
    client.returncode = os.waitstatus_to_exitcode(status)
    reader.join()
    counted = counter.stdout.read()
    counter.wait(timeout=120)
    return Measured(
        returncode=client.returncode,
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        peak_rss_mb=usage.ru_maxrss / 1024,
        output=json.loads(counted or b"{}"),
        stderr_tail=b"".join(stderr)[-2000:].decode(errors="replace"),
    )


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
