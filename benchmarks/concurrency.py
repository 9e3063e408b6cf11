"""Concurrent reads under emulated latency and per-key rate budgets (issue 16); prints one table.

    ./scripts/bench-concurrency [--latencies 0.2 1] [--workers 4] [--reps 3] [--json results.json]
    # or, in any venv with the connector installed: python -m benchmarks.concurrency [same options]

Every workload is a first sync of every stream (no state, no start_date: Confluent's year of cost, Datadog's
`hourly_usage_days: 90` of hourly usage and 15 months of cost) against the emulator in its own process, with each
answer taking the mean latency +- 50 % (seeded) and every API key allowed `RATE_LIMIT` requests per
`RATE_WINDOW_S` (the budgets are per key, as the providers count them). Per workload, `num_workers=1` runs at the
first latency give the request counts and the CPU and memory baseline (at later latencies the sequential wall time
is estimated as its wall time plus requests x the added latency, marked ~); the concurrent runs at every latency
are compared with their bound:

    bound = max(longest chain x latency, requests x latency / workers, max over keys of requests / (limit / window))

The longest chain is the most requests made for one window (its pages, which must follow each other). The bound
counts neither the interpreter's start-up nor the records' CPU: `wall - start-up` is shown too (start-up: the
median wall time of `source-usage-metering spec`, which imports everything a read does). Each figure is the median
of `--reps` runs, the 1-worker and n-worker runs alternating so that drift of the machine hits both alike.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks.bench_usage import CONNECTOR, progress
from benchmarks.emulator_process import EmulatorProcess
from benchmarks.measure import Measured, run_measured
from integration_tests.emulator.scenario import Scenario

SCENARIO = Scenario(
    months=16, confluent_orgs=4, datadog_child_orgs=3, environments=3, resources_per_env=3, product_families=8
)
CONFLUENT = ["confluent_org_a", "confluent_org_b", "confluent_org_c", "confluent_org_d"]
DATADOG = ["datadog_parent", "datadog_child", "datadog_child_2", "datadog_child_3"]
WORKLOADS = {
    "1 Confluent org, 12 months": CONFLUENT[:1],
    "4 Confluent orgs, 12 months": CONFLUENT,
    "Datadog parent + 3 child orgs (own keys), 3 months hourly + 15 months cost": DATADOG,
    "all of these (8 accounts)": CONFLUENT + DATADOG,
}
RATE_LIMIT = 20  # requests per key per window
RATE_WINDOW_S = 10.0
LATENCY_JITTER = 0.5
HOURLY_USAGE_DAYS = 90
TARGETS = {"wall": 1.25, "requests": 1.05, "429_per_account": 2, "cpu_per_record": 1.1, "peak_rss": 1.5}


@dataclass
class Run:
    """One read and the emulator's counters of it."""

    workers: int
    latency_s: float
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    records: int
    requests: int
    by_key: dict[str, dict[str, int]]

    @property
    def cpu_us_per_record(self) -> float:
        """CPU microseconds per emitted record."""
        return 1e6 * self.cpu_s / max(self.records, 1)


class ConcurrencyBench:
    """Runs the workloads against one emulator process."""

    def __init__(self, emulator: EmulatorProcess, workdir: Path) -> None:
        self.emulator = emulator
        self.workdir = workdir
        self.keys = {c["api_key"]: name for name, c in emulator.credentials.items()}
        self.catalog = self._write("catalog.json", self._discovered_catalog())

    def _write(self, name: str, content: Any) -> str:
        path = self.workdir / name
        path.write_text(json.dumps(content))
        return str(path)

    def config(self, accounts: list[str], workers: int) -> dict[str, Any]:
        """No start_date (each provider's own first-sync history); Datadog parents read only their own org."""
        items = []
        for name in accounts:
            item = dict(self.emulator.credentials[name])
            if item["provider"] == "datadog":
                item.update(include_child_orgs=False, hourly_usage_days=HOURLY_USAGE_DAYS)
            items.append(item)
        return {"accounts": items, "include_remote_data": True, "num_workers": workers}

    def _discovered_catalog(self) -> dict[str, Any]:
        """Every stream `discover` lists, incremental (what a first sync of a new connection reads)."""
        from integration_tests.harness import configured_catalog

        config = self._write("discover.json", self.config(CONFLUENT[:1], 1))
        run = subprocess.run([*CONNECTOR, "discover", "--config", config], capture_output=True, text=True, check=False)
        lines = [line for line in run.stdout.splitlines() if line.startswith('{"type":"CATALOG"')]
        if run.returncode != 0 or not lines:
            raise SystemExit(f"discover failed:\n{run.stderr[-2000:]}")
        return configured_catalog(json.loads(lines[0])["catalog"])

    def read(self, workload: str, workers: int, latency: float) -> Run:
        """One first sync, started at a rate window's boundary so every run meets its budgets alike."""
        self.emulator.set_faults(
            latency_seconds=latency,
            latency_jitter=LATENCY_JITTER,
            rate_limit=RATE_LIMIT,
            rate_window_seconds=RATE_WINDOW_S,
        )
        config = self._write(f"config-{workers}.json", self.config(WORKLOADS[workload], workers))
        time.sleep(RATE_WINDOW_S - time.time() % RATE_WINDOW_S)
        self.emulator.reset_stats()
        progress(f"{workload}: num_workers={workers}, latency {latency:g} s")
        measured: Measured = run_measured([*CONNECTOR, "read", "--config", config, "--catalog", self.catalog])
        stats = self.emulator.stats()
        errors = measured.output.get("errors", 0)
        if measured.returncode != 0 or errors:
            raise SystemExit(f"{workload} (workers {workers}) failed (exit {measured.returncode}):\n"
                             f"{measured.stderr_tail}")  # fmt: skip
        by_key = {self.keys.get(key, key or "-"): counts for key, counts in stats["by_key"].items()}
        return Run(workers, latency, measured.wall_s, measured.cpu_s, measured.peak_rss_mb,
                   measured.output.get("records", 0), stats["requests"], by_key)  # fmt: skip

    def startup_s(self) -> float:
        """Median wall time of `spec` (the interpreter and every import a read makes)."""
        return statistics.median(run_measured([*CONNECTOR, "spec"]).wall_s for _ in range(3))


def median_run(runs: list[Run]) -> Run:
    """Medians of wall, CPU and peak RSS; the counters of the run with the median wall time (counts must agree)."""
    if len({(r.records, r.requests) for r in runs}) != 1:
        raise SystemExit(f"repeated runs disagree: {[(r.records, r.requests) for r in runs]} (records, requests)")
    middle = sorted(runs, key=lambda r: r.wall_s)[len(runs) // 2]
    return Run(middle.workers, middle.latency_s, statistics.median(r.wall_s for r in runs),
               statistics.median(r.cpu_s for r in runs), statistics.median(r.peak_rss_mb for r in runs),
               middle.records, middle.requests, middle.by_key)  # fmt: skip


def bound_s(sequential: Run, latency: float, workers: int) -> dict[str, float]:
    """The three limits of the issue, from the num_workers=1 run's request counts."""
    chain = max(counts["longest_chain"] for counts in sequential.by_key.values())
    per_key = max(counts["requests"] for counts in sequential.by_key.values())
    return {
        "chain": chain * latency,
        "throughput": sequential.requests * latency / workers,
        "budget": per_key / (RATE_LIMIT / RATE_WINDOW_S),
    }


def row(workload: str, sequential: Run, concurrent: Run, startup: float) -> dict[str, Any]:
    """One table row and its checks against the targets."""
    limits = bound_s(sequential, concurrent.latency_s, concurrent.workers)
    bound = max(limits.values())
    worst_429 = max((c["rate_limited"] for c in concurrent.by_key.values()), default=0)
    checks = {
        "wall": (concurrent.wall_s - startup) / bound,
        "requests": concurrent.requests / sequential.requests,
        "429_per_account": worst_429,
        "cpu_per_record": concurrent.cpu_us_per_record / sequential.cpu_us_per_record,
        "peak_rss": concurrent.peak_rss_mb / sequential.peak_rss_mb,
    }
    return {
        "workload": workload,
        "latency_s": concurrent.latency_s,
        "accounts": len(WORKLOADS[workload]),
        "records": concurrent.records,
        "sequential": asdict(sequential),
        "concurrent": asdict(concurrent),
        "bound_s": bound,
        "bound_by": max(limits, key=limits.__getitem__),
        "limits_s": limits,
        "startup_s": startup,
        "checks": checks,
        "met": all(checks[name] <= target for name, target in TARGETS.items()),
    }


def print_table(rows: list[dict[str, Any]], workers: int) -> None:
    """The markdown table of every row."""
    print(f"\nnum_workers={workers} vs 1; rate budget {RATE_LIMIT} requests / {RATE_WINDOW_S:g} s per key; "
          f"latency +-{LATENCY_JITTER:.0%}; start-up (spec) {rows[0]['startup_s']:.2f} s\n")  # fmt: skip
    print(
        "| workload | latency | requests (1 → n) | 429 max/account | wall 1 worker | wall n workers | bound "
        "(by) | (wall - start-up) / bound | CPU µs/record (1 → n) | peak RSS MB (1 → n) | targets |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        s, c, k = r["sequential"], r["concurrent"], r["checks"]
        extra_wait = s["requests"] * (r["latency_s"] - s["latency_s"])  # the 1-worker run's added latency
        wall_1 = f"{s['wall_s']:.1f} s" if not extra_wait else f"~{s['wall_s'] + extra_wait:.0f} s"
        print(f"| {r['workload']} | {r['latency_s']:g} s | {s['requests']} → {c['requests']} "
              f"| {k['429_per_account']} | {wall_1} | {c['wall_s']:.1f} s "
              f"| {r['bound_s']:.1f} s ({r['bound_by']}) | {k['wall']:.2f} "
              f"| {1e6 * s['cpu_s'] / max(s['records'], 1):.0f} → {1e6 * c['cpu_s'] / max(c['records'], 1):.0f} "
              f"| {s['peak_rss_mb']:.0f} → {c['peak_rss_mb']:.0f} | {'met' if r['met'] else 'MISSED'} |")  # fmt: skip


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.concurrency", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--latencies", type=float, nargs="+", default=[0.2, 1.0], help="mean latencies in seconds")
    parser.add_argument("--workers", type=int, default=4, help="num_workers of the concurrent runs (default 4)")
    parser.add_argument("--workloads", nargs="+", type=int, help="indexes of the workloads to run (default all)")
    parser.add_argument("--reps", type=int, default=3, help="runs per figure, medians shown (default 3)")
    parser.add_argument("--json", help="also write every measurement to this file")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Run every workload at every latency, print the table."""
    args = parse_args(argv)
    names = list(WORKLOADS)
    chosen = [names[i] for i in args.workloads] if args.workloads else names
    rows = []
    with tempfile.TemporaryDirectory() as tmp, EmulatorProcess(SCENARIO) as emulator:
        bench = ConcurrencyBench(emulator, Path(tmp))
        startup = bench.startup_s()
        baselines: dict[str, Run] = {}
        for latency in args.latencies:
            for workload in chosen:
                sequential_runs, concurrent_runs = [], []
                for _ in range(args.reps):
                    if workload not in baselines:
                        sequential_runs.append(bench.read(workload, 1, latency))
                    concurrent_runs.append(bench.read(workload, args.workers, latency))
                if sequential_runs:
                    baselines[workload] = median_run(sequential_runs)
                sequential = baselines[workload]
                concurrent = median_run(concurrent_runs)
                if concurrent.records != sequential.records:
                    raise SystemExit(f"{workload}: {concurrent.records} records with {args.workers} workers, "
                                     f"{sequential.records} with 1")  # fmt: skip
                rows.append(row(workload, sequential, concurrent, startup))
    print_table(rows, args.workers)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    sys.exit(0 if all(r["met"] for r in rows) else 1)


if __name__ == "__main__":
    main()
