"""The demo: start the emulator, run check, discover and a full read with the console script, summarise, chart.

Run it with `./scripts/demo` (installs everything first) or `python -m integration_tests.demo`. The read's output
is copied to `<out>/read_output.jsonl` and summarised while it flows, so memory stays flat at any size.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from integration_tests.demo.progress import ReadProgress, format_duration, make_view
from integration_tests.demo.summary import ReadSummary
from integration_tests.emulator.process import EmulatorProcess
from integration_tests.harness import Run, StreamedRun, configured_catalog, run_connector, stream_connector
from source_usage_metering.clock import utc_now
from source_usage_metering.focus.csv_export import FocusCsvWriter

SILENCE_LIMIT_S = 600.0
EXIT_SILENT = 124  # as timeout(1) does


@dataclass
class ReadResult:
    """A streamed read: the process outcome, the summary, the wall time and the read's end (UTC day)."""

    run: StreamedRun
    summary: ReadSummary
    elapsed_s: float
    until: date


def main(argv: list[str] | None = None) -> int:
    """Run the demo; the exit code is the read's (124 when the watchdog stopped a silent connector)."""
    args = _arguments(argv)
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    today = utc_now().date()  # the emulator's "today" is the connector's (both pinned by tests through the hook)
    emulator_args = ["--scale", args.scale, "--months", str(args.months), "--today", today.isoformat()]
    with EmulatorProcess(emulator_args) as emu:
        config = _config_for(emu.config, args.providers)
        print(f"Emulator on {emu.base_url} ({args.scale} data set, {args.months} months); out: {out}", flush=True)
        check = _step("check", run_connector(["check"], out, config=config))
        if check.returncode != 0:
            return check.returncode
        discover = _step("discover", run_connector(["discover"], out, config=config))
        if discover.returncode != 0:
            return discover.returncode
        catalog = configured_catalog(discover.of_type("CATALOG")[0]["catalog"])
        print("  read      (output streamed to read_output.jsonl)", flush=True)
        result = read(config, catalog, out, silence_limit_s=args.silence_limit)
    return report(result, out, chart=not args.no_chart)


def read(
    config: dict[str, Any],
    catalog: dict[str, Any],
    out: Path,
    *,
    silence_limit_s: float = SILENCE_LIMIT_S,
    display: TextIO | None = sys.stdout,
) -> ReadResult:
    """Run the connector's read, copy its output to `out/read_output.jsonl` and summarise it as it flows.

    Args:
        config: The connector config (written to `out/config.json`).
        catalog: The configured catalog (written to `out/catalog.json`).
        out: The output folder.
        silence_limit_s: The watchdog stops the connector after this long without output.
        display: Where progress goes (a bar on a terminal, plain lines otherwise); None for none.

    Returns:
        The process outcome, the summary and the wall time. The newest state per stream is in `out/state.json`,
        the focus_cost rows (when the catalog selects the stream) in `out/focus_cost.csv`.
    """
    summary = ReadSummary()
    progress = ReadProgress(summary.records)
    until = utc_now().date()  # the connector's clock (pinned by tests through clock.pinned_env)

    def on_lines(lines: list[bytes]) -> None:
        for note in summary.add_lines(lines):
            progress.add(note)

    started = time.perf_counter()
    view = make_view(progress, display) if display is not None else contextlib.nullcontext()
    focus_csv = out / "focus_cost.csv"
    with (out / "read_output.jsonl").open("wb") as sink, focus_csv.open("w", newline="") as rows, view:
        summary.on_focus_row = FocusCsvWriter(rows).write
        run = stream_connector(
            ["read"], out, on_lines, config=config, catalog=catalog, sink=sink, silence_limit_s=silence_limit_s
        )
    elapsed = time.perf_counter() - started
    (out / "state.json").write_text(json.dumps(summary.last_states(), indent=2))
    return ReadResult(run, summary, elapsed, until)


def report(result: ReadResult, out: Path, chart: bool = True) -> int:
    """Print the outcome, the summary and the chart's path; write `summary.json`; return the exit code."""
    run, summary = result.run, result.summary
    if run.stopped_silent:
        print(
            f"  read      STOPPED: the connector printed nothing for {format_duration(run.silent_for_s or 0)}, "
            f"so the watchdog stopped it. The output so far is in {out / 'read_output.jsonl'}."
        )
    else:
        print(f"  read      {'ok' if run.returncode == 0 else f'FAILED (exit code {run.returncode})'}")
    if run.returncode != 0 and run.stderr_tail.strip():
        print("    stderr (end): " + run.stderr_tail.strip()[-1500:])
    print(summary.render(result.elapsed_s, out))
    digest = {**summary.to_dict(), "read_seconds": round(result.elapsed_s, 2), "returncode": run.returncode}
    if summary.records.get("focus_cost"):
        print(f"FOCUS 1.2 rows (focus_cost, {summary.records['focus_cost']:,}): {out / 'focus_cost.csv'}")
    if chart and summary.cost_by_period:
        digest["chart"] = str(_chart(result, out))
        print(f"Chart (daily cost per provider, top products): {digest['chart']}")
    (out / "summary.json").write_text(json.dumps(digest, indent=2))
    return EXIT_SILENT if run.stopped_silent else run.returncode


def _chart(result: ReadResult, out: Path) -> Path:
    from integration_tests.demo.chart import chart_data, draw_chart

    return draw_chart(chart_data(result.summary, result.until), out / "cost_overview.png")


def _config_for(config: dict[str, Any], providers: list[str]) -> dict[str, Any]:
    """The emulator's config restricted to the chosen providers' accounts."""
    return {**config, "accounts": [item for item in config["accounts"] if item["provider"] in providers]}


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m integration_tests.demo", description=__doc__)
    parser.add_argument("--out", default="demo-output", help="where the config, raw Airbyte output and chart go")
    parser.add_argument("--months", type=int, default=2, help="months of emulated history")
    parser.add_argument("--scale", default="small", choices=("small", "medium", "large"))
    parser.add_argument("--providers", nargs="+", default=["confluent", "datadog"], choices=("confluent", "datadog"))
    parser.add_argument(
        "--silence-limit", type=float, default=SILENCE_LIMIT_S, help="stop the read after this many seconds of silence"
    )
    parser.add_argument("--no-chart", action="store_true", help="skip the chart (no matplotlib needed)")
    return parser.parse_args(argv)


def _step(name: str, run: Run) -> Run:
    status = run.of_type("CONNECTION_STATUS")
    outcome = status[0]["connectionStatus"]["status"] if status else ("ok" if run.returncode == 0 else "FAILED")
    print(f"  {name:<9} {outcome}", flush=True)
    for error in run.errors():
        print(f"    error: {error.get('message')}")
    if status and status[0]["connectionStatus"].get("message"):
        print(f"    {status[0]['connectionStatus']['message']}")
    return run
