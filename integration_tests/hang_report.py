"""Hang scenarios of issue 13 over the emulator, through a proxy that rewrites its answers, and their table.

Each scenario reads the usage stream of a Confluent Cloud and a Datadog account (clock and emulator pinned to
2026-12-05, from 2026-11-25: two Confluent cost windows, eleven 24-hour Datadog windows) while the proxy makes one
provider misbehave: rate-limit headers asking for a day's wait or an epoch, header values that are not numbers,
page tokens that cycle or never end. `test_hangs.py` asserts on the outcomes; this module's CLI prints the table
published in `docs/reliability.md`:

    python -m integration_tests.hang_report
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from integration_tests.emulator import Emulator
from integration_tests.fault_report import SCENARIO
from integration_tests.harness import Run, configured_catalog, console_script, parse_messages, run_connector
from integration_tests.rewriting_proxy import (
    Exchange,
    Headers,
    PagingTokens,
    Refuse,
    Rewrite,
    RewritingProxy,
    a_b_a,
    fresh,
    proxied,
)
from source_usage_metering.clock import pinned_env

TODAY = date(2026, 12, 5)
ENV = pinned_env(datetime(2026, 12, 5, 6, 30, tzinfo=timezone.utc))
START = "2026-11-25"
COSTS, HOURLY = "/billing/v1/costs", "/api/v2/usage/hourly_usage"
WAIT = re.compile(r"waiting ([0-9.]+) s|Retrying in ([0-9.]+) seconds")


def costs_from(day: str) -> Callable[[Exchange], bool]:
    """The Confluent costs requests of the window starting on `day`."""
    return lambda e: e.path == COSTS and e.param("start_date") == day


def hourly_from(hour: str) -> Callable[[Exchange], bool]:
    """The Datadog hourly usage requests of the window starting at `hour` (`2026-12-01T00`)."""
    return lambda e: e.path == HOURLY and (e.param("filter[timestamp][start]") or "").upper() == hour


def any_answer(exchange: Exchange) -> bool:
    """Every answer."""
    return True


def set_confluent_next(body: Any, token: str) -> None:
    """Confluent's next page: a URL in `metadata.next` carrying `page_token`."""
    body["metadata"] = {"next": f"https://api.confluent.cloud{COSTS}?page_size=10000&page_token={token}"}


def set_datadog_next(body: Any, token: str) -> None:
    """Datadog's next page: `meta.pagination.next_record_id`."""
    body["meta"] = {"pagination": {"next_record_id": token}}


SPENT_FOR_A_DAY = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "86400"}


@dataclass
class Hang:
    """A scenario: what the proxy does, and what a right answer is."""

    name: str
    injected: str
    rewrites: Sequence[Rewrite]
    failing: str | None = None  # the provider whose account must fail (None: the read completes)
    endpoint: str = ""  # the endpoint the failure names
    held_at: dict[str, str] = field(default_factory=dict)  # partition kind -> the cursor that must be kept
    window: Callable[[Exchange], bool] | None = None  # the requests counted as "pages of the failing window"


HANGS: list[Hang] = [
    Hang(
        "Pacing: Confluent answers `Remaining: 0`, `Reset: 86400`",
        "on the 1st costs window's answer",
        [Headers(SPENT_FOR_A_DAY, costs_from("2026-11-25"))],
        failing="confluent",
        endpoint="GET /billing/v1/costs",
        held_at={"confluent": "2026-12-01T00:00:00Z"},
        window=costs_from("2026-12-01"),
    ),
    Hang(
        "Pacing: Datadog answers `Remaining: 0`, `Reset: 86400`",
        "on the 2026-12-01 hourly window's answer",
        [Headers(SPENT_FOR_A_DAY, hourly_from("2026-12-01T00"))],
        failing="datadog",
        endpoint="GET /api/v2/usage/hourly_usage",
        held_at={"hourly": "2026-12-02T00:00:00Z"},
        window=hourly_from("2026-12-02T00"),
    ),
    Hang(
        "429 with `Retry-After: 86400`",
        "on the 2026-12-03 hourly window",
        [Refuse(429, {"Retry-After": "86400"}, hourly_from("2026-12-03T00"))],
        failing="datadog",
        endpoint="GET /api/v2/usage/hourly_usage",
        held_at={"hourly": "2026-12-03T00:00:00Z"},
        window=hourly_from("2026-12-03T00"),
    ),
    Hang(
        "429 with `Retry-After: 2`, twice (a wait that fits)",
        "on the 2026-12-03 hourly window",
        [Refuse(429, {"Retry-After": "2"}, hourly_from("2026-12-03T00"), times=2)],
        window=hourly_from("2026-12-03T00"),
    ),
    Hang(
        "Epoch-looking reset: `Remaining: 0`, `Reset: 4102444800`",
        "on every answer of both providers",
        [Headers({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "4102444800"}, any_answer)],
    ),
    Hang(
        "Headers that are not numbers: `Remaining: inf`, `Reset: nan`, `Retry-After: soon`",
        "on every answer of both providers",
        [Headers({"X-RateLimit-Remaining": "inf", "X-RateLimit-Reset": "nan", "Retry-After": "soon"}, any_answer)],
    ),
    Hang(
        "Paging cycles A -> B -> A on Confluent costs",
        "next tokens of the 2nd costs window",
        [PagingTokens("page_token", set_confluent_next, costs_from("2026-12-01"), a_b_a)],
        failing="confluent",
        endpoint="GET /billing/v1/costs",
        held_at={"confluent": "2026-12-01T00:00:00Z"},
        window=costs_from("2026-12-01"),
    ),
    Hang(
        "Paging cycles A -> B -> A on Datadog hourly usage",
        "next tokens of the 2026-12-03 window",
        [PagingTokens("page[next_record_id]", set_datadog_next, hourly_from("2026-12-03T00"), a_b_a)],
        failing="datadog",
        endpoint="GET /api/v2/usage/hourly_usage",
        held_at={"hourly": "2026-12-03T00:00:00Z"},
        window=hourly_from("2026-12-03T00"),
    ),
    Hang(
        "Paging never ends (a fresh token on every page) on Confluent costs",
        "next tokens of the 2nd costs window",
        [PagingTokens("page_token", set_confluent_next, costs_from("2026-12-01"), fresh)],
        failing="confluent",
        endpoint="GET /billing/v1/costs",
        held_at={"confluent": "2026-12-01T00:00:00Z"},
        window=costs_from("2026-12-01"),
    ),
]


@dataclass
class HangOutcome:
    """What one scenario did."""

    hang: Hang
    run: Run
    seconds: float
    peak_rss_mb: float
    window_requests: int
    longest_wait: float
    cursors: dict[str, str]
    baseline_records: int

    def failure(self) -> str:
        """The usage stream's error message, from the account on (empty when the read completed)."""
        errors = [e["message"] for e in self.run.errors() if e["message"].startswith("accounts[")]
        return errors[0] if errors else ""

    def row(self) -> str:
        """The markdown table row."""
        if self.hang.failing:
            said = self.failure().split("): ", 1)[-1]  # after the account's label
            response = f"{self.hang.failing} account fails: `{shorten(said)}`; the other account is read"
        else:
            response = f"read completes ({len(self.run.records('usage'))} of {self.baseline_records} records)"
        pages = str(self.window_requests) if self.hang.window else "-"
        held = ", ".join(f"{k} kept at {self.cursors.get(k, 'none')[:13]}" for k in self.hang.held_at) or "advanced"
        return (
            f"| {self.hang.name} | {self.hang.injected} | {response} | {self.longest_wait:.1f} s | {pages} | {held} "
            f"| {self.peak_rss_mb:.0f} MB | {self.seconds:.1f} |"
        )


def shorten(text: str, limit: int = 170) -> str:
    """At most `limit` characters."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


class HangLab:
    """One emulator behind one proxy; every scenario reads the usage stream of both providers."""

    def __init__(self, emulator: Emulator, proxy: RewritingProxy, tmp: Path) -> None:
        self.proxy = proxy
        self.tmp = tmp
        self._outcomes: dict[str, HangOutcome] = {}
        # One request at a time: each hang is injected on a given request and the next one must meet it.
        self.config = {**proxied(emulator.connector_config(start_date=START), proxy), "num_workers": 1}
        found = run_connector(["discover"], tmp, config=self.config, env=ENV)
        catalog = configured_catalog(found.of_type("CATALOG")[0]["catalog"])
        self.catalog = {"streams": [s for s in catalog["streams"] if s["stream"]["name"] == "usage"]}
        baseline = self.read()
        if baseline.returncode != 0:
            raise RuntimeError(f"the read without rewrites failed: {baseline.stderr[-2000:]}")
        self.baseline_records = len(baseline.records("usage"))

    def read(self) -> Run:
        """One read of the usage stream, pinned."""
        return run_connector(["read"], self.tmp, config=self.config, catalog=self.catalog, env=ENV)

    def outcome(self, hang: Hang) -> HangOutcome:
        """Run one scenario through the proxy (once: later calls return the same outcome)."""
        if hang.name not in self._outcomes:
            self._outcomes[hang.name] = self._run(hang)
        return self._outcomes[hang.name]

    def _run(self, hang: Hang) -> HangOutcome:
        self.proxy.rewrites = list(hang.rewrites)
        self.proxy.exchanges.clear()
        try:
            run, seconds, rss = measured_read(self.config, self.catalog, self.tmp)
        finally:
            self.proxy.rewrites = []
        window = sum(1 for e in self.proxy.exchanges if hang.window and hang.window(e))
        return HangOutcome(hang, run, seconds, rss, window, longest_wait(run), cursors(run), self.baseline_records)


def measured_read(config: dict, catalog: dict, tmp: Path) -> tuple[Run, float, float]:
    """A pinned `read` process: its run, wall seconds and peak RSS (MB, from the kernel's accounting of it)."""
    paths = {"config": tmp / "hang_config.json", "catalog": tmp / "hang_catalog.json"}
    paths["config"].write_text(json.dumps(config))
    paths["catalog"].write_text(json.dumps(catalog))
    argv = [console_script(), "read", "--config", str(paths["config"]), "--catalog", str(paths["catalog"])]
    started = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(argv, stdout=out, stderr=err, env={**os.environ, **ENV})
        peak_kb = 0
        while process.poll() is None:
            peak_kb = max(peak_kb, high_water_kb(process.pid))
            time.sleep(0.02)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode(errors="replace")
    seconds = time.monotonic() - started
    return Run(process.returncode, parse_messages(stdout), stdout, stderr), seconds, peak_kb / 1024


def high_water_kb(pid: int) -> int:
    """The process's peak resident memory so far (`VmHWM`, KB); 0 once it is gone.

    Read from /proc while it runs: the kernel's rusage of a child also counts the forked copy of this (larger)
    test process before the exec.
    """
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(found.group(1)) if found else 0


def longest_wait(run: Run) -> float:
    """The longest single wait the connector logged (pacing or retry), in seconds."""
    waits = [float(a or b) for m in run.of_type("LOG") for a, b in WAIT.findall(m["log"]["message"])]
    return max(waits, default=0.0)


def cursors(run: Run) -> dict[str, str]:
    """Usage cursors of the newest STATE: `confluent` and Datadog's `hourly` / `cost`."""
    entries = run.stream_state("usage").get("states", [])
    return {e["partition"].get("kind") or e["partition"]["provider"]: e["cursor"]["end_date"] for e in entries}


def run_all(tmp: Path) -> list[HangOutcome]:
    """Every scenario against one fresh emulator and proxy."""
    with Emulator(scenario=SCENARIO, today=TODAY) as emulator, RewritingProxy(emulator.base_url) as proxy:
        lab = HangLab(emulator, proxy, tmp)
        return [lab.outcome(hang) for hang in HANGS]


def markdown(outcomes: list[HangOutcome]) -> str:
    """The hangs table."""
    header = (
        "| Hang | Injected (proxy) | Connector response | Longest single wait | Requests of the window | "
        "Cursor | Peak RSS | Seconds |\n|---|---|---|---|---|---|---|---|"
    )
    return "\n".join([header, *(outcome.row() for outcome in outcomes)])


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as directory:
        print(markdown(run_all(Path(directory))))
