"""The emulator in its own process, so the harness stays small and the clients' rusage is theirs alone.

A child forked from a big parent inherits the parent's resident pages until it execs, and `ru_maxrss` counts them;
the emulator's page cache therefore lives here, not in the harness. The harness talks to it over the emulator's
admin endpoints (`/_emulator/stats`, `/_emulator/reset_stats`, `/_emulator/faults`).

    python -m benchmarks.emulator_process '{"environments": 20, ...}'   # prints {"base_url", "credentials"}
    python -m benchmarks.emulator_process '{"scenario": {"months": 16, ...}}'   # any emulator scenario
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from typing import Any

from benchmarks.workload import Shape
from integration_tests.emulator.scenario import Scenario

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_CACHE_BYTES = 2 * 1024**3  # every page of the largest run stays cached: each page is generated once


class EmulatorProcess:
    """A running emulator child process, driven over HTTP."""

    def __init__(self, shape: Shape | Scenario) -> None:
        knobs = {"scenario": shape.as_dict()} if isinstance(shape, Scenario) else shape.__dict__
        command = [sys.executable, "-m", "benchmarks.emulator_process", json.dumps(knobs)]
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, cwd=root)
        assert self.process.stdout is not None
        hello = json.loads(self.process.stdout.readline())
        self.base_url: str = hello["base_url"]
        self.credentials: dict[str, dict[str, Any]] = hello["credentials"]

    def __enter__(self) -> EmulatorProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _call(self, path: str, body: dict | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        with urllib.request.urlopen(self.base_url + path, data=data, timeout=60) as response:
            return json.loads(response.read())

    def stats(self) -> dict[str, Any]:
        """API traffic since the last reset."""
        return self._call("/_emulator/stats")

    def reset_stats(self) -> None:
        """Zero the traffic counters."""
        self._call("/_emulator/reset_stats", {})

    def set_faults(self, **faults: Any) -> None:
        """Replace the fault knobs (e.g. `rate_limit`, `rate_window_seconds`)."""
        self._call("/_emulator/faults", faults)

    def cpu_s(self) -> float:
        """The emulator's own CPU so far (user + system)."""
        with open(f"/proc/{self.process.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def stop(self) -> None:
        """Stop the child."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(10)


def main() -> None:
    """Serve until SIGTERM."""
    from integration_tests.emulator import Emulator

    knobs = json.loads(sys.argv[1])
    scenario = Scenario(**knobs["scenario"]) if "scenario" in knobs else Shape(**knobs).scenario()
    emulator = Emulator(scenario=scenario)
    for api in emulator.gateway.apis.values():
        if getattr(api, "cache", None) is not None:
            api.cache._max_bytes = PAGE_CACHE_BYTES  # benchmark-only: no eviction between reps
    signal.signal(signal.SIGTERM, lambda *_: emulator.stop())
    emulator.start()
    print(json.dumps({"base_url": emulator.base_url, "credentials": emulator.credentials}), flush=True)
    emulator.serve_forever()


if __name__ == "__main__":
    main()
