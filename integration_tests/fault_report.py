"""Fault-injection scenarios over the emulator, and the markdown table of their outcomes.

Each scenario runs the installed console script against the loopback emulator with one kind of fault switched on
(or kills it with SIGKILL and resumes from the last STATE it emitted) and compares the deduplicated records with
a fault-free read. `test_faults.py` asserts on the outcomes; this module's CLI prints the table published in
`docs/reliability.md`:

    python -m integration_tests.fault_report > docs/reliability.md
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from integration_tests.emulator import Emulator, Faults, Scenario
from integration_tests.harness import (
    Run,
    connector_now,
    console_script,
    discover_catalog,
    parse_messages,
    record_key,
    run_connector,
)
from source_usage_metering.clock import pinned_env

# Small but busy: two providers, about 20 requests and 6k records per full read of the last 10 days.
SCENARIO = Scenario(months=1, seed=7, datadog_child_orgs=1, product_families=2, environments=2, resources_per_env=2)
HISTORY_DAYS = 10
HOURLY = "/api/v2/usage/hourly_usage"
MAX_RESUMES = 4
Key = tuple[str, str]


@dataclass
class Outcome:
    """What one scenario did and what reached the destination (after dedup by stream and id)."""

    fault: str
    injected: str
    response: str
    expected: int
    delivered: int
    lost: int
    changed: int
    extra: int
    runs: int
    exit_codes: list[int] = field(default_factory=list)
    seconds: float = 0.0
    records: dict[Key, dict[str, Any]] = field(default_factory=dict, repr=False)  # what the destination holds

    def row(self) -> str:
        """The markdown table row."""
        return (
            f"| {self.fault} | {self.injected} | {self.response} | {self.expected} / {self.delivered} "
            f"| **{self.lost}** | {self.changed} | {self.runs} | {self.seconds:.1f} |"
        )


def dataset(runs: Iterable[Run]) -> dict[Key, dict[str, Any]]:
    """Append + dedup across runs, as a destination does: the last record of a stream and id wins."""
    records: dict[Key, dict[str, Any]] = {}
    for run in runs:
        for message in run.of_type("RECORD"):
            record = message["record"]
            records[(record["stream"], record_key(record["data"]))] = record["data"]
    return records


def retry_summary(runs: Iterable[Run]) -> str:
    """How the connector coped, from its own log lines: retries, pacing waits, exit codes."""
    retries = waits = 0
    for run in runs:
        for message in run.of_type("LOG"):
            text = message["log"]["message"]
            retries += "Retrying in" in text
            waits += "pacing:" in text and " waiting " in text
    parts = [f"{retries} retries"] if retries else []
    if waits:
        parts.append(f"{waits} pacing waits")
    return ", ".join(parts) or "no retries"


class FaultLab:
    """One emulator, one config and the fault-free dataset every scenario is compared with.

    Every connector process it starts is pinned to the emulator's today (`env`), whatever the machine's clock says.
    """

    def __init__(self, emulator: Emulator, tmp: Path) -> None:
        self.emulator = emulator
        self.tmp = tmp
        self.env = pinned_env(connector_now(emulator.today))
        self.config = emulator.connector_config(start_date=(emulator.today - timedelta(days=HISTORY_DAYS)).isoformat())
        _, self.catalog = discover_catalog(self.config, tmp)
        emulator.set_faults(Faults())
        baseline = self.read()
        if baseline.returncode != 0:
            raise RuntimeError(f"the fault-free read failed: {baseline.stderr[-2000:]}")
        self.baseline = dataset([baseline])

    def read(self, state: list | None = None, config: dict | None = None, tmp: Path | None = None) -> Run:
        """One `read` of every stream, incremental."""
        config = config or self.config
        return run_connector(["read"], tmp or self.tmp, config=config, catalog=self.catalog, state=state, env=self.env)

    def compare(self, fault: str, injected: str, runs: list[Run], started: float) -> Outcome:
        """An outcome from the runs of one scenario."""
        delivered = dataset(runs)
        changed = sum(1 for key, data in self.baseline.items() if key in delivered and delivered[key] != data)
        return Outcome(
            fault=fault,
            injected=injected,
            response=retry_summary(runs) + "; exit " + ", ".join(str(r.returncode) for r in runs),
            expected=len(self.baseline),
            delivered=len(delivered),
            lost=len(self.baseline.keys() - delivered.keys()),
            changed=changed,
            extra=len(delivered.keys() - self.baseline.keys()),
            runs=len(runs),
            exit_codes=[r.returncode for r in runs],
            seconds=time.monotonic() - started,
            records=delivered,
        )

    def with_faults(self, fault: str, faults: Faults) -> Outcome:
        """One read with the emulator injecting `faults`."""
        started = time.monotonic()
        self.emulator.reset_stats()
        self.emulator.set_faults(faults)
        try:
            run = self.read()
        finally:
            self.emulator.set_faults(Faults())
        return self.compare(fault, injected_summary(self.emulator.stats()), [run], started)

    def killed_and_resumed(self, fault: str, trigger: KillTrigger, faults: Faults | None = None) -> Outcome:
        """SIGKILL a read at a trigger, then re-run from the last STATE it emitted until a read completes."""
        started = time.monotonic()
        tmp = Path(tempfile.mkdtemp(dir=self.tmp))
        if faults:
            self.emulator.set_faults(faults)
        try:
            killed = read_until_killed(self, trigger, tmp)
        finally:
            if faults:
                self.emulator.set_faults(Faults())
        runs = [killed]
        while runs[-1].returncode != 0 and len(runs) <= MAX_RESUMES:
            runs.append(self.read(state=runs[-1].last_states() or None, tmp=tmp))
        return self.compare(fault, trigger.describe, runs, started)

    def killed_in_parallel(self, kills: list[tuple[str, KillTrigger]]) -> list[Outcome]:
        """Fault-free kill scenarios two at a time (they share the emulator, which then injects nothing)."""
        with ThreadPoolExecutor(max_workers=2) as pool:
            return list(pool.map(lambda kill: self.killed_and_resumed(*kill), kills))


def injected_summary(stats: dict[str, Any]) -> str:
    """The emulator's answers other than 200, e.g. `3 x 429, 2 dropped of 36 requests`."""
    counts = Counter({k: v for k, v in stats["status_counts"].items() if k != "200"})
    faults = ", ".join(f"{n} x {status}" for status, n in sorted(counts.items()))
    return f"{faults or 'no error statuses'} of {stats['requests']} requests"


@dataclass
class KillTrigger:
    """When to SIGKILL: at the `nth` message matching `matches`, after `delay` seconds.

    `torn` drops the triggering STATE message from what the platform received, as if the kill cut its line.
    """

    describe: str
    matches: Callable[[dict[str, Any]], bool]
    nth: int
    delay: float = 0.0
    torn: bool = False


def is_usage_state(message: dict[str, Any]) -> bool:
    """A STATE message of the usage stream."""
    return message.get("type") == "STATE" and message["state"]["stream"]["stream_descriptor"]["name"] == "usage"


def is_usage_record(message: dict[str, Any]) -> bool:
    """A RECORD of the usage stream."""
    return message.get("type") == "RECORD" and message["record"]["stream"] == "usage"


def kill_after(process: subprocess.Popen, delay: float) -> None:
    """SIGKILL `process` `delay` seconds from now, from a thread that sleeps.

    Not `threading.Timer`: its timed wait never ends under libfaketime (scripts/test_clocks), a plain sleep does.
    """

    def kill() -> None:
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)

    threading.Thread(target=kill, daemon=True).start()


def read_until_killed(lab: FaultLab, trigger: KillTrigger, tmp: Path) -> Run:
    """Run `read` as a process and SIGKILL it at the trigger; returns what it printed before dying."""
    config_path, catalog_path = tmp / "kill_config.json", tmp / "kill_catalog.json"
    config_path.write_text(json.dumps(lab.config))
    catalog_path.write_text(json.dumps(lab.catalog))
    argv = [console_script(), "read", "--config", str(config_path), "--catalog", str(catalog_path)]
    with tempfile.TemporaryFile() as stderr:
        environment = {**os.environ, **lab.env}
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=stderr, text=True, env=environment)
        lines, seen, torn_line = [], 0, None
        assert process.stdout is not None
        for line in process.stdout:
            message = parse_messages(line)
            if message and trigger.matches(message[0]) and seen < trigger.nth:
                seen += 1
                if seen == trigger.nth:
                    torn_line = line if trigger.torn else None
                    kill_after(process, trigger.delay)
            lines.append(line[: len(line) // 2] if line is torn_line else line)
        returncode = process.wait()
        stderr.seek(0)
        error_text = stderr.read().decode(errors="replace")
    stdout = "".join(lines)
    return Run(returncode, parse_messages(stdout), stdout, error_text)


FAULTS: list[tuple[str, Faults]] = [
    ("429 burst (3 in a row on hourly usage, Retry-After 1 s)", Faults(fail_first_n={HOURLY: 3}, fail_status=429)),
    ("5xx at 20 % (500/502/503, half HTML pages)", Faults(rate_5xx=0.2, seed=4)),
    ("Dropped connections (15 %)", Faults(rate_drop=0.15, seed=5)),
    ("Slow responses (0.3 s on 30 % of requests)", Faults(slow_seconds=0.3, slow_rate=0.3, seed=6)),
    ("Malformed body (truncated JSON on 15 % of 200s)", Faults(malformed_rate=0.15, seed=7)),
    ("Tight rate budget (6 requests / 2 s window)", Faults(rate_limit=6, rate_window_seconds=2.0)),
]

KILLS: list[tuple[str, KillTrigger, Faults | None]] = [
    (
        "SIGKILL during a page (request in flight)",
        KillTrigger("killed 0.3 s into a 0.8 s hourly request", is_usage_state, 4, delay=0.3),
        Faults(slow_seconds=0.8, paths=(HOURLY,)),
    ),
    (
        "SIGKILL while a slice's records stream out",
        KillTrigger("killed at the 1500th usage record, before its slice's STATE", is_usage_record, 1500),
        None,
    ),
    ("SIGKILL between slices", KillTrigger("killed right after the 5th usage STATE", is_usage_state, 5), None),
    (
        "SIGKILL during state output",
        KillTrigger("killed at the 7th usage STATE, its line torn in half", is_usage_state, 7, torn=True),
        None,
    ),
]


def run_all(tmp: Path) -> list[Outcome]:
    """Every fault and kill scenario against one fresh emulator."""
    with Emulator(scenario=SCENARIO) as emulator:
        lab = FaultLab(emulator, tmp)
        outcomes = [lab.with_faults(name, faults) for name, faults in FAULTS]
        outcomes += [lab.killed_and_resumed(name, trigger, faults) for name, trigger, faults in KILLS if faults]
        outcomes += lab.killed_in_parallel([(name, trigger) for name, trigger, faults in KILLS if not faults])
    return outcomes


def markdown(outcomes: list[Outcome]) -> str:
    """The reliability table."""
    header = (
        "| Fault | Injected (emulator) | Connector response | Records fault-free / delivered | Lost | Changed "
        "| Runs | Seconds |\n|---|---|---|---|---|---|---|---|"
    )
    return "\n".join([header, *(outcome.row() for outcome in outcomes)])


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as directory:
        print(markdown(run_all(Path(directory))))
