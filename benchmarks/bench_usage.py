"""Benchmark the usage stream against the local emulator and print the tables (see benchmarks/README.md).

    python -m benchmarks.bench_usage [--quick] [--competitor-dir ../shared/perf-anchor] [--json results.json]

Per provider and history length (1 and 12 months): the connector (remote data off and on), the bare CDK floor and
the physical floor on the same pages, each run as a child process (rusage from `os.wait4`), targets interleaved,
median of the reps; then pacing under an emulated rate budget, `spec`/`check` start-up, and (optionally)
airbyte-source-datadog-usage 0.2.5 on the same Datadog pages.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from benchmarks import report
from benchmarks.competitor import Competitor
from benchmarks.emulator_process import EmulatorProcess
from benchmarks.measure import Measured, run_measured
from benchmarks.workload import (
    PROVIDERS,
    History,
    Shape,
    bare_catalog,
    connector_config,
    usage_catalog,
    utc_today,
)

PYTHON = sys.executable
CONSOLE_SCRIPT = Path(PYTHON).parent / "source-usage-metering"
CONNECTOR = (
    [str(CONSOLE_SCRIPT)]
    if CONSOLE_SCRIPT.exists()
    else [PYTHON, "-c", "from source_usage_metering.run import run; run()"]
)
# The same interpreter and libraries, the connector's code as of another commit (`--baseline`): a change's effect
# measured in one run, against the same emulator and machine load.
BASELINE_CONNECTOR = [PYTHON, "-c", "from source_usage_metering.run import run; run()"]
PACED_MONTHS = {"confluent": 12, "datadog": 1}  # enough requests to spend several windows
PACED_WINDOW_S = 5.0
PACED_WINDOWS = 4  # the budget is set so that the run needs about this many windows


@dataclass
class Row:
    """The medians of one target on one workload."""

    provider: str
    months: int
    target: str
    reps: list[Measured] = field(default_factory=list)
    requests: int = 0
    records_read: int = 0
    status_429: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def median(self, name: str) -> float:
        """The median of a measured field over the reps."""
        return statistics.median(getattr(rep, name) for rep in self.reps)

    @property
    def emitted(self) -> int:
        """Records in the output (the same in every rep; checked)."""
        return self.reps[0].output.get("records", 0) if self.reps else 0


class Bench:
    """Runs the targets against one emulator and collects rows."""

    def __init__(self, args: argparse.Namespace, emulator: EmulatorProcess, workdir: Path) -> None:
        self.args = args
        self.emulator = emulator
        self.workdir = workdir
        self.today = utc_today()
        self.rows: dict[tuple[str, int, str], Row] = {}
        self.catalog = self._write("usage_catalog.json", usage_catalog())
        self.bare_catalog = self._write("bare_catalog.json", bare_catalog())
        self.baselines = {rev: checkout_baseline(rev, workdir / "baseline") for rev in args.baseline}
        self.competitor = (
            Competitor.prepare(Path(args.competitor_dir).resolve(), workdir / "competitor")
            if args.competitor_dir
            else None
        )

    def _write(self, name: str, content: Any) -> str:
        path = self.workdir / name
        path.write_text(json.dumps(content))
        return str(path)

    def config_path(self, provider: str, history: History, remote_data: bool) -> str:
        """Write the connector config of one workload."""
        config = connector_config(self.emulator, provider, history, remote_data=remote_data)
        return self._write(f"{provider}-{history.months}m-{'on' if remote_data else 'off'}.json", config)

    def targets(self, provider: str, history: History) -> dict[str, tuple[list[str], str]]:
        """Target name -> (command, output kind) for one workload."""
        off, on = self.config_path(provider, history, False), self.config_path(provider, history, True)
        targets = {
            "ours": ([*CONNECTOR, "read", "--config", off, "--catalog", self.catalog], "airbyte"),
            "ours+remote_data": ([*CONNECTOR, "read", "--config", on, "--catalog", self.catalog], "airbyte"),
            "bare-cdk": ([PYTHON, "-m", "benchmarks.bare_cdk", "read", "--config", off, "--catalog",
                          self.bare_catalog], "airbyte"),
            "floor": ([PYTHON, "-m", "benchmarks.floor", "--config", off], "lines"),
        }  # fmt: skip
        for revision in self.baselines:
            targets[f"ours@{revision}"] = ([*BASELINE_CONNECTOR, "read", "--config", off, "--catalog",
                                            self.catalog], "airbyte")  # fmt: skip
        if self.competitor and provider == "datadog" and history.months == 1:
            account = connector_config(self.emulator, provider, history, remote_data=False)["accounts"][0]
            workdir = self.workdir / "competitor"
            command = self.competitor.command(workdir, account, history.start_hour, history.end_hour, "skip")
            targets["competitor-nosleep"] = (command, "airbyte")
        return targets

    def measure(self, key: tuple[str, int, str], command: list[str], kind: str) -> Measured:
        """One run; requests, records served and 429s from the emulator's counters."""
        self.emulator.reset_stats()
        env = baseline_env(self.baselines[key[2][5:]]) if key[2].startswith("ours@") else None
        measured = run_measured(command, kind=kind, env=env)
        stats = self.emulator.stats()
        if measured.returncode != 0:
            raise SystemExit(f"{key} failed (exit {measured.returncode}):\n{measured.stderr_tail}")
        row = self.rows.setdefault(key, Row(*key))
        row.requests, row.records_read = stats["requests"], stats["records_served"]
        row.status_429 = stats["status_counts"].get("429", 0)
        row.extra["by_path"] = stats["by_path"]
        return measured

    def run_matrix(self) -> None:
        """Every target on every workload: one untimed warm-up (fills the emulator's page cache), then the reps."""
        workloads = [(p, History.of(m, self.today)) for p in self.args.providers for m in self.args.months]
        plan = [
            ((p, h.months, name), cmd, kind) for p, h in workloads for name, (cmd, kind) in self.targets(p, h).items()
        ]
        for key, command, kind in plan:
            if key[2] in ("ours", "floor"):
                progress(f"warm-up {key}")
                self.measure(key, command, kind)
        self.rows.clear()
        for rep in range(self.args.reps):
            shift = rep % len(plan)
            for key, command, kind in plan[shift:] + plan[:shift]:
                progress(f"rep {rep + 1}/{self.args.reps} {key}")
                self.rows.setdefault(key, Row(*key))
                self.rows[key].reps.append(self.measure(key, command, kind))

    def run_pacing(self) -> list[dict[str, Any]]:
        """The connector under each provider's emulated rate budget (remote data off)."""
        results = []
        for provider in self.args.providers:
            months, window = PACED_MONTHS[provider], PACED_WINDOW_S
            history = History.of(months, self.today)
            unpaced = self.rows.get((provider, months, "ours"))
            limit = max(2, -(-(unpaced.requests if unpaced else 8) // PACED_WINDOWS))
            self.emulator.set_faults(rate_limit=limit, rate_window_seconds=window)
            time.sleep(window - time.time() % window)  # start at a window boundary: the minimum is reachable
            key = (provider, months, f"paced {limit}/{window:g}s")
            progress(f"pacing {key}")
            command = [*CONNECTOR, "read", "--config", self.config_path(provider, history, False), "--catalog",
                       self.catalog]  # fmt: skip
            measured = self.measure(key, command, "airbyte")
            row = self.rows.pop(key)
            self.emulator.set_faults()
            minimum = row.requests * window / limit
            results.append({"provider": provider, "months": months, "limit": limit, "window_s": window,
                            "requests": row.requests, "status_429": row.status_429, "wall_s": measured.wall_s,
                            "cpu_s": measured.cpu_s, "theoretical_min_s": minimum,
                            "records": measured.output.get("records")})  # fmt: skip
        return results

    def run_startup(self) -> list[dict[str, Any]]:
        """`spec` and `check` of the connector (and the bare CDK's `spec`), median of the reps."""
        check_configs = {p: self.config_path(p, History.of(1, self.today), False) for p in self.args.providers}
        commands: dict[str, list[str]] = {"spec": [*CONNECTOR, "spec"]}
        commands.update({f"check {p}": [*CONNECTOR, "check", "--config", c] for p, c in check_configs.items()})
        commands["bare-cdk spec"] = [PYTHON, "-m", "benchmarks.bare_cdk", "spec"]
        if self.competitor:
            commands["competitor spec"] = [str(self.competitor.python), "-m", "airbyte_source_datadog_usage.run",
                                           "spec"]  # fmt: skip
        runs: dict[str, list[Measured]] = {name: [] for name in commands}
        for _ in range(max(self.args.reps, 3)):
            for name, command in commands.items():
                progress(f"start-up {name}")
                runs[name].append(run_measured(command))
        return [{"command": name, **medians(ms)} for name, ms in runs.items()]

    def run_competitor_asis(self) -> dict[str, Any] | None:
        """The competitor as shipped (real 5 s sleeps) on a short window, and its no-sleep run on the same window."""
        if not self.competitor or "datadog" not in self.args.providers or not self.args.competitor_asis_days:
            return None
        month = History.of(1, self.today)
        history = History(0, month.start, month.start + timedelta(days=self.args.competitor_asis_days))
        account = connector_config(self.emulator, "datadog", month, remote_data=False)["accounts"][0]
        workdir = self.workdir / "competitor"
        result: dict[str, Any] = {"days": history.days}
        for sleep in ("skip", "real"):
            progress(f"competitor as shipped ({sleep} sleeps), {history.days} days")
            key = ("datadog", 0, f"competitor-{sleep}")
            measured = self.measure(key, self.competitor.command(workdir, account, history.start_hour,
                                                                 history.end_hour, sleep), "airbyte")  # fmt: skip
            row = self.rows.pop(key)
            result[sleep] = {"wall_s": measured.wall_s, "cpu_s": measured.cpu_s, "requests": row.requests,
                             "records": measured.output.get("records")}  # fmt: skip
        return result


def checkout_baseline(revision: str, where: Path) -> Path:
    """The package source of `revision` (git archive into `where/<revision>`), for the `ours@<revision>` target."""
    target = where / revision
    if not (target / "source_usage_metering").exists():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "archive", revision, "source_usage_metering"], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target


def baseline_env(source_root: Path) -> dict[str, str]:
    """This environment with the baseline's package first on the import path."""
    return {**os.environ, "PYTHONPATH": str(source_root)}


def medians(runs: list[Measured]) -> dict[str, Any]:
    """Median wall, CPU and peak RSS of some runs, and whether all succeeded."""
    return {
        "wall_s": statistics.median(m.wall_s for m in runs),
        "cpu_s": statistics.median(m.cpu_s for m in runs),
        "peak_rss_mb": statistics.median(m.peak_rss_mb for m in runs),
        "ok": all(m.returncode == 0 for m in runs),
    }


def progress(message: str) -> None:
    """One progress line on stderr."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_usage", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="1 rep, fewer Datadog families, shorter pacing (~3 min)")
    parser.add_argument("--reps", type=int, default=None, help="timed reps per target (default 3; 1 with --quick)")
    parser.add_argument("--providers", default="confluent,datadog")
    parser.add_argument("--competitor-dir", default=None, help="perf-anchor directory (optional)")
    parser.add_argument("--competitor-asis-days", type=int, default=3, help="days read by the sleeping competitor")
    parser.add_argument("--skip", default="", help="comma list of: pacing, startup")
    parser.add_argument("--baseline", action="append", default=[], metavar="REV",
                        help="also run the connector as of this git revision (ours@REV); repeatable")  # fmt: skip
    parser.add_argument("--json", default=None, help="also write every measurement here")
    parser.add_argument("--workdir", default=str(Path.home() / ".cache" / "source-usage-metering" / "bench"),
                        help="configs, and the competitor's venvs (kept between runs)")  # fmt: skip
    args = parser.parse_args(argv)
    args.providers = [p for p in args.providers.split(",") if p in PROVIDERS]
    args.reps = args.reps or (1 if args.quick else 3)
    args.months = (1, 12)
    args.skip = set(filter(None, args.skip.split(",")))
    return args


def main(argv: list[str] | None = None) -> None:
    """Run everything and print the tables."""
    args = parse_args(argv)
    shape = Shape(product_families=8) if args.quick else Shape()
    started = time.time()
    workdir = Path(args.workdir)
    (workdir / "competitor").mkdir(parents=True, exist_ok=True)
    with EmulatorProcess(shape) as emulator:
        bench = Bench(args, emulator, workdir)
        bench.run_matrix()
        asis = bench.run_competitor_asis()
        pacing = [] if "pacing" in args.skip else bench.run_pacing()
        startup = [] if "startup" in args.skip else bench.run_startup()
    results = {"shape": asdict(shape), "today": bench.today.isoformat(), "reps": args.reps,
               "rows": [report.row_dict(r) for r in bench.rows.values()], "pacing": pacing, "startup": startup,
               "competitor_asis": asis, "elapsed_s": time.time() - started, "machine": report.machine()}  # fmt: skip
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    print(report.render(results))


if __name__ == "__main__":
    main()
