"""Golden files: what `spec`, `discover` and a fixed emulator read print, kept to prove a redesign changes nothing.

`python -m integration_tests.golden --write` rewrites them; `integration_tests/test_golden.py` compares a fresh run
with them byte for byte. The read is pinned: the emulator's today and the connector's clock are fixed, so the
files do not depend on the day they are made.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import tempfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from integration_tests.emulator import Emulator, Scenario
from integration_tests.harness import Run, configured_catalog, run_connector
from source_usage_metering.clock import pinned_env

GOLDEN = Path(__file__).parent / "golden"
TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 6, 30, tzinfo=timezone.utc)
ENV = pinned_env(NOW)


def fixed_config(emu: Emulator, num_workers: int = 1) -> dict:
    """Two Confluent orgs and the Datadog parent, from 12 days before the pinned today.

    One worker by default: its emission order is fixed, so ids and STATE lines can be compared in order.
    """
    creds = emu.credentials
    accounts = [creds["confluent_org_a"], creds["confluent_org_b"], creds["datadog_parent"]]
    config = emu.connector_config(accounts=accounts, start_date=(TODAY - timedelta(days=12)).isoformat())
    return {**config, "num_workers": num_workers}


def message_lines(run: Run, kind: str) -> list[str]:
    """Stdout lines of one message type, as printed."""
    return [line for line in run.stdout.splitlines() if line.startswith('{"type":"' + kind + '"')]


def without_port(text: str) -> str:
    """The emulator's port (part of state partitions' host) is random: written as PORT."""
    return re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", text)


def digest(lines: list[str]) -> str:
    """sha256 of the lines joined by newlines."""
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def record_id(record: dict) -> str:
    """A record's primary key (`id`, or `x_ChargeId` for focus_cost)."""
    return record["data"].get("id") or record["data"]["x_ChargeId"]


def read_summary(run: Run) -> dict[str, str]:
    """Ids in emission order (hourly ones as a count and digest), STATE lines, digests of every record's data.

    `records.sha256` holds the digest in emission order, then the order-free one (records sorted) that a read with
    any number of workers must match.
    """
    ids = [f"{m['record']['stream']}\t{record_id(m['record'])}" for m in run.of_type("RECORD")]
    hourly = [i for i in ids if "|hourly|" in i]
    listed = [i for i in ids if "|hourly|" not in i]
    records = [m["record"] for m in run.of_type("RECORD")]
    data = [without_port(json.dumps([r["stream"], r["data"]], sort_keys=True)) for r in records]
    return {
        "ids.txt": "\n".join([*listed, f"hourly ids: {len(hourly)} sha256 {digest(hourly)}"]) + "\n",
        "states.jsonl": without_port("\n".join(message_lines(run, "STATE"))) + "\n",
        "records.sha256": f"{len(data)} records sha256 {digest(data)}\n"
        + f"{len(data)} records sorted sha256 {digest(sorted(data))}\n",
    }


def final_states(states_jsonl: str) -> dict[str, dict]:
    """The last STATE of each stream in a `states.jsonl` text: what the next sync starts from."""
    finals = {}
    for line in states_jsonl.splitlines():
        stream = json.loads(line)["state"]["stream"]
        finals[stream["stream_descriptor"]["name"]] = stream["stream_state"]
    return finals


def concurrent_reads(num_workers: int) -> list[dict[str, str]]:
    """The two pinned reads' summaries with `num_workers` workers (same emulator and config as `produce`)."""
    with tempfile.TemporaryDirectory() as tmp, Emulator(Scenario(months=2, seed=7), today=TODAY) as emu:
        work = Path(tmp)
        config = fixed_config(emu, num_workers)
        discover = run_connector(["discover"], work, config=config, env=ENV)
        catalog = configured_catalog(discover.of_type("CATALOG")[0]["catalog"])
        first = run_connector(["read"], work, config=config, catalog=catalog, env=ENV)
        assert first.returncode == 0, first.stderr[-3000:]
        second = run_connector(["read"], work, config=config, catalog=catalog, state=first.last_states(), env=ENV)
        assert second.returncode == 0, second.stderr[-3000:]
        return [read_summary(first), read_summary(second)]


def produce() -> dict[str, str]:
    """Every golden file's content, from fresh runs."""
    files: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp, Emulator(Scenario(months=2, seed=7), today=TODAY) as emu:
        work = Path(tmp)
        config = fixed_config(emu)
        spec = run_connector(["spec"], work, env=ENV)
        files["spec.jsonl"] = "\n".join(message_lines(spec, "SPEC")) + "\n"
        discover = run_connector(["discover"], work, config=config, env=ENV)
        files["catalog.jsonl"] = "\n".join(message_lines(discover, "CATALOG")) + "\n"
        catalog = configured_catalog(discover.of_type("CATALOG")[0]["catalog"])
        first = run_connector(["read"], work, config=config, catalog=catalog, env=ENV)
        assert first.returncode == 0, first.stderr[-3000:]
        files.update({f"read1_{name}": text for name, text in read_summary(first).items()})
        second = run_connector(["read"], work, config=config, catalog=catalog, state=first.last_states(), env=ENV)
        assert second.returncode == 0, second.stderr[-3000:]
        files.update({f"read2_{name}": text for name, text in read_summary(second).items()})
    return files


def main() -> None:
    """Write the golden files (`--write`) or report which differ from a fresh run."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="rewrite the golden files")
    args = parser.parse_args()
    files = produce()
    GOLDEN.mkdir(exist_ok=True)
    for name, text in files.items():
        path = GOLDEN / name
        if args.write:
            path.write_text(text)
        elif not path.exists() or path.read_text() != text:
            print(f"differs: {path}")


if __name__ == "__main__":
    main()
