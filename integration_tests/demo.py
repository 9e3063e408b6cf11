"""The demo: start the emulator, run check, discover and a full read with the console script, summarise.

Run it with `./scripts/demo` (installs everything first) or `python -m integration_tests.demo`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

from integration_tests.emulator import Emulator, Scenario
from integration_tests.harness import STREAMS, Run, configured_catalog, run_connector


def main(argv: list[str] | None = None) -> int:
    """Run the demo; the exit code is the read's."""
    args = _arguments(argv)
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    with Emulator(scenario=Scenario.preset(args.scale, months=args.months)) as emu:
        config = emu.connector_config(providers=tuple(args.providers))
        (out / "config.json").write_text(json.dumps(config, indent=2))
        print(
            f"Emulator on {emu.base_url} ({args.scale} data set, {args.months} months); config: {out / 'config.json'}"
        )
        check = _step("check", run_connector(["check"], out, config=config))
        if check.returncode != 0:
            return check.returncode
        discover = _step("discover", run_connector(["discover"], out, config=config))
        catalog = configured_catalog(discover.of_type("CATALOG")[0]["catalog"])
        started = time.perf_counter()
        read = _step("read", run_connector(["read"], out, config=config, catalog=catalog))
        elapsed = time.perf_counter() - started
        (out / "read_output.jsonl").write_text(read.stdout)
        (out / "state.json").write_text(json.dumps(read.last_states(), indent=2))
        print(summary(read, elapsed, out))
        return read.returncode


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="demo-output", help="where the config and raw Airbyte output go")
    parser.add_argument("--months", type=int, default=2, help="months of emulated history")
    parser.add_argument("--scale", default="small", choices=("small", "medium", "large"))
    parser.add_argument("--providers", nargs="+", default=["confluent", "datadog"], choices=("confluent", "datadog"))
    return parser.parse_args(argv)


def _step(name: str, run: Run) -> Run:
    status = run.of_type("CONNECTION_STATUS")
    outcome = status[0]["connectionStatus"]["status"] if status else ("ok" if run.returncode == 0 else "FAILED")
    print(f"  {name:<9} {outcome}")
    for error in run.errors():
        print(f"    error: {error.get('message')}")
    if status and status[0]["connectionStatus"].get("message"):
        print(f"    {status[0]['connectionStatus']['message']}")
    return run


def summary(read: Run, elapsed: float, out: Path) -> str:
    """Records per stream, cost per provider and per product, where the raw output is."""
    lines = ["", f"Read finished in {elapsed:.1f} s. Records per stream:"]
    for stream in STREAMS:
        lines.append(f"  {stream:<14} {len(read.records(stream)):>8}")
    products = {r["id"]: r.get("name") or r["id"] for r in read.records("products")}
    per_provider: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    per_product: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    kinds: Counter[str] = Counter()
    start, end = None, None
    for record in read.records("usage"):
        if not record.get("charges"):
            kinds[f"{record['provider']} measurements"] += 1
            continue
        kinds[f"{record['provider']} cost lines"] += 1
        start = min(start or record["start_date"], record["start_date"])
        end = max(end or record.get("end_date") or "", record.get("end_date") or "")
        for charge in record["charges"]:
            if charge.get("amount") is None:
                continue
            currency = charge.get("currency") or "?"
            amount = Decimal(str(charge["amount"]))
            per_provider[(record["provider"], currency)] += amount
            product = record.get("product") or {}
            name = products.get(product.get("id")) or product.get("name") or "(no product)"
            per_product[(record["provider"], name, currency)] += amount
    lines.append(f"Usage records: {', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))}")
    lines.append(f"Cost per provider, {(start or '')[:10]} to {(end or '')[:10]} (end exclusive):")
    for (provider, currency), amount in sorted(per_provider.items()):
        lines.append(f"  {provider:<10} {amount:>14,.2f} {currency}")
    lines.append("Cost per product:")
    for (provider, product, currency), amount in sorted(per_product.items(), key=lambda i: (i[0][0], -i[1])):
        lines.append(f"  {provider:<10} {product[:36]:<36} {amount:>14,.2f} {currency}")
    lines.append(f"Raw Airbyte output: {out / 'read_output.jsonl'} (state: {out / 'state.json'})")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
