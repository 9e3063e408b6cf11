"""CLI: `python -m integration_tests.emulator [--port 0] [--scale small] ...` serves until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from .emulator import Emulator
from .faults import Faults
from .scenario import SCALE_PRESETS, Scenario


def parse_rate_limit(text: str) -> tuple[int, float]:
    """Parse `N/SECONDS` (e.g. `100/60`)."""
    requests, _, seconds = text.partition("/")
    try:
        return int(requests), float(seconds or 60)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"expected N/SECONDS, got {text!r}") from error


def build_parser() -> argparse.ArgumentParser:
    """Return the CLI argument parser."""
    parser = argparse.ArgumentParser(prog="python -m integration_tests.emulator", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--months", type=int, default=2, help="months of data, ending with the current month")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scale", choices=sorted(SCALE_PRESETS), default="small")
    parser.add_argument("--today", type=date.fromisoformat, default=None, help="emulated UTC date (YYYY-MM-DD)")
    parser.add_argument("--history-days-limit", type=int, default=365, help="Confluent costs look-back limit")
    parser.add_argument("--config-out", type=Path, default=None, help="write the connector config JSON here")
    parser.add_argument("--rate-limit", type=parse_rate_limit, default=(10000, 60.0), help="N/SECONDS per provider")
    parser.add_argument("--fault-429-rate", type=float, default=0.0)
    parser.add_argument("--fault-5xx-rate", type=float, default=0.0)
    parser.add_argument("--fault-drop-rate", type=float, default=0.0)
    parser.add_argument("--fault-malformed-rate", type=float, default=0.0)
    parser.add_argument("--slow-seconds", type=float, default=0.0)
    parser.add_argument("--slow-rate", type=float, default=1.0)
    parser.add_argument("--fault-seed", type=int, default=0)
    parser.add_argument("--latency-seconds", type=float, default=0.0, help="mean seconds every API answer takes")
    parser.add_argument("--latency-jitter", type=float, default=0.0, help="spread: mean x (1 +- jitter)")
    return parser


def faults_from_args(args: argparse.Namespace) -> Faults:
    """Build the fault knobs from parsed CLI arguments."""
    limit, window = args.rate_limit
    return Faults(
        rate_429=args.fault_429_rate,
        rate_5xx=args.fault_5xx_rate,
        rate_drop=args.fault_drop_rate,
        malformed_rate=args.fault_malformed_rate,
        slow_seconds=args.slow_seconds,
        slow_rate=args.slow_rate,
        rate_limit=limit,
        rate_window_seconds=window,
        seed=args.fault_seed,
        latency_seconds=args.latency_seconds,
        latency_jitter=args.latency_jitter,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Start the emulator, print `{"base_url", "config_path"}` on one line, serve until a signal."""
    args = build_parser().parse_args(argv)
    scenario = Scenario.preset(
        args.scale, months=args.months, seed=args.seed, history_days_limit=args.history_days_limit
    )
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    with Emulator(scenario=scenario, faults=faults_from_args(args), port=args.port, today=args.today) as emu:
        config_path = None
        if args.config_out is not None:
            args.config_out.write_text(json.dumps(emu.connector_config(), indent=2) + "\n")
            config_path = str(args.config_out)
        print(json.dumps({"base_url": emu.base_url, "config_path": config_path}), flush=True)
        while not stop.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
