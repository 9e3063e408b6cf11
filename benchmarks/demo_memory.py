"""Peak memory and wall time of the demo at scale, next to the connector's own read (a script, not a timed test).

    ./scripts/bench-demo [--months 12] [--scale large] [--out DIR] [--json FILE]
    # or, in a venv with the demo and bench extras: python -m benchmarks.demo_memory [same options]

1. `./scripts/demo --months 12 --scale large`: peak memory is the maximum, sampled every 0.5 s, of the summed RSS of
   the demo and all its descendants (the emulator and the connector included); wall time is the whole command.
2. In the same run, the connector's own `read` of the same config and catalog (the demo's `config.json` and
   `catalog.json`, pointed at a fresh emulator of the same data set) with stdout to /dev/null: its wall time is the
   reference (the emulator's RSS is sampled with it, for the record).

Targets (issue 14): peak <= 1 GB, demo wall <= 1.5x the connector alone. RSS comes from psutil when installed (the
`bench` extra), else from /proc.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any, NamedTuple

from integration_tests.emulator.process import EmulatorProcess

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_S = 0.5
PEAK_TARGET_MB = 1024
WALL_TARGET = 1.5
PAGE = os.sysconf("SC_PAGE_SIZE")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Sampled:
    """One measured run.

    Attributes:
        wall_s: Wall time of the command.
        returncode: Its exit code.
        peak_mb: The maximum of the summed RSS of the process tree over the samples.
        at_peak_mb: Each role's RSS in the sample of the peak (demo, emulator, connector, other).
        role_peak_mb: Each role's own maximum over the run.
        role_cpu_s: Each role's CPU seconds (user + system) as last sampled (up to 0.5 s short per process).
        samples: How many samples were taken.
        load: The mean of the 1-minute load average over the samples (the host is shared: context for wall times).
    """

    wall_s: float
    returncode: int
    peak_mb: float
    at_peak_mb: dict[str, float] = field(default_factory=dict)
    role_peak_mb: dict[str, float] = field(default_factory=dict)
    role_cpu_s: dict[str, float] = field(default_factory=dict)
    samples: int = 0
    load: float = 0.0


def role(cmdline: list[str]) -> str:
    """Name a process of the tree by its command line."""
    text = " ".join(cmdline)
    if "integration_tests.emulator" in text:
        return "emulator"
    if "source-usage-metering" in text:
        return "connector"
    if "integration_tests.demo" in text:
        return "demo"
    return "other"


class Seen(NamedTuple):
    """One process in one sample."""

    role: str
    rss: int  # bytes
    cpu_s: float  # user + system so far


def tree_rss(roots: list[int]) -> dict[int, Seen]:
    """Map each pid of the roots' trees to its role, RSS and CPU so far; psutil when installed, else /proc."""
    try:
        import psutil
    except ImportError:
        return _proc_tree_rss(roots)
    found: dict[int, Seen] = {}
    for root in roots:
        try:
            top = psutil.Process(root)
            processes = [top, *top.children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
        for process in processes:
            try:
                cpu = process.cpu_times()
                found[process.pid] = Seen(role(process.cmdline()), process.memory_info().rss, cpu.user + cpu.system)
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
    return found


def _proc_tree_rss(roots: list[int]) -> dict[int, Seen]:
    children: dict[int, list[int]] = {}
    stats: dict[int, list[str]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stats[int(entry)] = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(stats[int(entry)][1]), []).append(int(entry))
    found: dict[int, Seen] = {}
    pending = [root for root in roots if root in stats]
    while pending:
        pid = pending.pop()
        try:
            rss = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        found[pid] = Seen(role(cmdline), rss, (int(stats[pid][11]) + int(stats[pid][12])) / CLOCK_TICKS)
        pending += children.get(pid, [])
    return found


class TreeSampler:
    """Samples the summed RSS of process trees every 0.5 s in a thread; keeps the peak and who held it."""

    def __init__(self, roots: list[int]) -> None:
        self.roots = roots
        self.result = Sampled(wall_s=0, returncode=0, peak_mb=0)
        self._cpu: dict[int, tuple[str, float]] = {}  # the last CPU seen of every process, gone ones included
        self._roles: dict[int, str] = {}  # a process keeps its role when its command line reads empty (exiting)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            self.sample()
            if self._stop.wait(SAMPLE_S):
                return

    def sample(self) -> None:
        """Take one sample."""
        by_role: dict[str, float] = {}
        for pid, seen in tree_rss(self.roots).items():
            name = self._roles.setdefault(pid, seen.role) if seen.role != "other" else self._roles.get(pid, "other")
            by_role[name] = by_role.get(name, 0) + seen.rss / 2**20
            self._cpu[pid] = (name, seen.cpu_s)
        result = self.result
        result.role_cpu_s = {}
        for name, cpu_s in self._cpu.values():
            result.role_cpu_s[name] = result.role_cpu_s.get(name, 0) + cpu_s
        result.load = (result.load * result.samples + os.getloadavg()[0]) / (result.samples + 1)
        result.samples += 1
        for name, mb in by_role.items():
            result.role_peak_mb[name] = max(result.role_peak_mb.get(name, 0), mb)
        if sum(by_role.values()) > result.peak_mb:
            result.peak_mb, result.at_peak_mb = sum(by_role.values()), by_role


def run_sampled(command: list[str], stdout: IO[Any], extra_roots: tuple[int, ...] = (), echo: bool = False) -> Sampled:
    """Run a command, sampling its process tree (plus `extra_roots`) until it exits.

    Args:
        command: The command line (run from the repository root).
        stdout: Where its stdout and stderr go.
        extra_roots: Other processes whose trees count (the connector's emulator).
        echo: Also print its output here, line by line.
    """
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE if echo else stdout, stderr=subprocess.STDOUT, text=echo
    )
    copier = threading.Thread(target=_copy, args=(process.stdout, stdout), daemon=True) if echo else None
    if copier is not None:
        copier.start()
    with TreeSampler([process.pid, *extra_roots]) as sampler:
        returncode = process.wait()
    if copier is not None:
        copier.join()
    sampler.result.wall_s = time.perf_counter() - started
    sampler.result.returncode = returncode
    return sampler.result


def _copy(source: IO[str], sink: IO[str]) -> None:
    for line in source:
        sink.write(line)
        print(line, end="", flush=True)


def run_demo(args: argparse.Namespace, out: Path) -> Sampled:
    """`./scripts/demo`, its output (plain progress lines) echoed and kept in `<out>/demo_stdout.log`."""
    command = ["./scripts/demo", "--months", str(args.months), "--scale", args.scale, "--out", str(out)]
    print("$ " + " ".join(command), flush=True)
    log = out.parent / f"{out.name}_stdout.log"
    with log.open("w") as sink:
        return run_sampled(command, stdout=sink, echo=True)


def run_connector_alone(args: argparse.Namespace, out: Path) -> Sampled:
    """The connector's `read` of the demo's config and catalog to /dev/null, against a fresh emulator."""
    emulator_args = ["--scale", args.scale, "--months", str(args.months)]
    with EmulatorProcess(emulator_args) as emulator:
        config = json.loads((out / "config.json").read_text())
        for account in config["accounts"]:
            account["api_url"] = emulator.base_url
        config_path = out / "config_alone.json"
        config_path.write_text(json.dumps(config))
        script = str(Path(sys.executable).parent / "source-usage-metering")
        command = [script, "read", "--config", str(config_path), "--catalog", str(out / "catalog.json")]
        print("$ " + " ".join(command) + " > /dev/null", flush=True)
        with open(os.devnull, "wb") as devnull:
            return run_sampled(command, stdout=devnull, extra_roots=(emulator.pid,))


@dataclass
class Rep:
    """One repetition: the demo, the connector alone, the demo's summary digest."""

    demo: Sampled
    alone: Sampled
    digest: dict[str, Any]

    @property
    def ratio(self) -> float:
        """Demo wall time over the connector's alone."""
        return self.demo.wall_s / self.alone.wall_s if self.alone.wall_s else float("nan")


def table(reps: list[Rep]) -> str:
    """The Markdown table of the runs (and whether the targets are met)."""
    rows = [
        "| rep | run | wall s | load (1 min) | peak RSS MB (tree, 0.5 s samples) | at the peak MB | each process's own "
        "peak MB | CPU s | records |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for number, rep in enumerate(reps, 1):
        records = sum(rep.digest.get("records", {}).values())
        read_s = rep.digest.get("read_seconds", 0)
        rows.append(f"| {number} | `./scripts/demo` (its read: {read_s:.1f} s) | {_cells(rep.demo)} | {records:,} |")
        rows.append(f"| {number} | connector `read` alone > /dev/null | {_cells(rep.alone)} | |")
    peak = max(rep.demo.peak_mb for rep in reps)
    ratios = ", ".join(f"{rep.ratio:.2f}" for rep in reps)
    worst = max(rep.ratio for rep in reps)
    rows += [
        "",
        f"Peak {peak:,.0f} MB (target <= {PEAK_TARGET_MB:,}: {_verdict(peak <= PEAK_TARGET_MB)}); "
        f"demo wall / connector alone: {ratios} (target <= {WALL_TARGET}: {_verdict(worst <= WALL_TARGET)}).",
    ]
    return "\n".join(rows)


def _cells(run: Sampled) -> str:
    return " | ".join(
        (
            f"{run.wall_s:.1f}",
            f"{run.load:.1f}",
            f"{run.peak_mb:,.0f}",
            _by_role(run.at_peak_mb),
            _by_role(run.role_peak_mb),
            _by_role(run.role_cpu_s),
        )
    )


def _by_role(values: dict[str, float]) -> str:
    return ", ".join(f"{name} {value:,.0f}" for name, value in sorted(values.items()) if name != "other" or value >= 1)


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def measure(args: argparse.Namespace, out: Path) -> list[Rep]:
    """Run the reps, alternating the order (demo first, then the connector first) against drifting load."""
    reps: list[Rep] = []
    for number in range(args.reps):
        demo_first = number % 2 == 0
        alone = None if demo_first else run_connector_alone(args, out)
        demo = run_demo(args, out)
        if demo.returncode != 0:
            raise SystemExit(f"the demo failed (exit code {demo.returncode}); see {out.name}_stdout.log")
        alone = alone or run_connector_alone(args, out)
        reps.append(Rep(demo, alone, json.loads((out / "summary.json").read_text())))
    return reps


def main(argv: list[str] | None = None) -> int:
    """Run the measurements and print the table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.demo_memory", description=__doc__)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--scale", default="large", choices=("small", "medium", "large"))
    parser.add_argument("--reps", type=int, default=1, help="repetitions; even ones run the connector alone first")
    parser.add_argument("--out", default="demo-output-bench", help="the demo's output folder (large: about 10 GB)")
    parser.add_argument("--json", default=None, help="also write the measurements to this file")
    args = parser.parse_args(argv)
    out = (ROOT / args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    reps = measure(args, out)
    print()
    print(table(reps))
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(rep) for rep in reps], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
