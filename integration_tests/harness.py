"""Run the installed connector as a process, the way Airbyte and the docker CLI do, and read its messages."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

STREAMS = ("focus_cost", "organizations", "products", "usage", "workspaces")
# The end-to-end tests' emulated UTC date, never the machine's: after the 16th (October final, November estimated).
E2E_TODAY = date(2026, 11, 20)
CONNECTOR_TIME = time(6, 30)  # the connector's time of day on the emulated date


def connector_now(today: date) -> datetime:
    """The instant a connector process is pinned to on an emulated `today` (see `clock.pinned_env`)."""
    return datetime.combine(today, CONNECTOR_TIME, tzinfo=timezone.utc)


def console_script(name: str = "source-usage-metering") -> str:
    """The console script of the interpreter running the tests (its venv), else the one on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if not found:
        raise FileNotFoundError(f"{name} is not installed (pip install -e .)")
    return found


@dataclass
class Run:
    """One process run: exit code, parsed Airbyte messages, raw streams."""

    returncode: int
    messages: list[dict[str, Any]]
    stdout: str
    stderr: str
    states: list[dict[str, Any]] = field(default_factory=list)

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        """Messages of one type (RECORD, STATE, TRACE, LOG, CATALOG, SPEC, CONNECTION_STATUS)."""
        return [m for m in self.messages if m.get("type") == kind]

    def records(self, stream: str) -> list[dict[str, Any]]:
        """The record data of one stream, in emission order."""
        return [m["record"]["data"] for m in self.of_type("RECORD") if m["record"]["stream"] == stream]

    def last_states(self) -> list[dict[str, Any]]:
        """The newest STATE message per stream: what `read --state` takes back."""
        newest: dict[str, dict[str, Any]] = {}
        for message in self.of_type("STATE"):
            newest[message["state"]["stream"]["stream_descriptor"]["name"]] = message["state"]
        return list(newest.values())

    def stream_state(self, stream: str) -> dict[str, Any]:
        """The newest state blob of one stream."""
        for state in self.last_states():
            if state["stream"]["stream_descriptor"]["name"] == stream:
                return state["stream"]["stream_state"]
        return {}

    def errors(self) -> list[dict[str, Any]]:
        """TRACE error payloads."""
        return [m["trace"]["error"] for m in self.of_type("TRACE") if m["trace"].get("type") == "ERROR"]


def run_connector(
    args: Sequence[str],
    tmp: Path,
    *,
    config: dict | None = None,
    catalog: dict | None = None,
    state: list | None = None,
    timeout: float = 300,
    script: str | None = None,
    env: dict[str, str] | None = None,
) -> Run:
    """Run `source-usage-metering <args>` with files written under `tmp`; stdout parsed line by line.

    `env` adds to the inherited environment (e.g. `clock.pinned_env(...)` to pin the connector's clock).
    """
    argv = [script or console_script(), *args]
    for flag, content in (("--config", config), ("--catalog", catalog), ("--state", state)):
        if content is not None:
            path = tmp / f"{flag.strip('-')}.json"
            path.write_text(json.dumps(content))
            argv += [flag, str(path)]
    environment = {**os.environ, **env} if env else None
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False, env=environment)
    return Run(done.returncode, parse_messages(done.stdout), done.stdout, done.stderr)


def parse_messages(stdout: str) -> list[dict[str, Any]]:
    """Airbyte messages, one JSON object per line (non-JSON lines are ignored)."""
    messages = []
    for line in stdout.splitlines():
        if line.startswith("{"):
            try:
                messages.append(json.loads(line))
            except ValueError:
                continue
    return messages


def configured_catalog(catalog: dict[str, Any], sync_mode: str = "incremental") -> dict[str, Any]:
    """Every discovered stream, configured for incremental append + dedup on its primary key."""
    streams = []
    for stream in catalog["streams"]:
        streams.append(
            {
                "stream": stream,
                "sync_mode": sync_mode,
                "destination_sync_mode": "append_dedup" if sync_mode == "incremental" else "overwrite",
                "cursor_field": stream.get("default_cursor_field", []),
                "primary_key": stream.get("source_defined_primary_key", []),
            }
        )
    return {"streams": streams}


def discover_catalog(config: dict, tmp: Path, sync_mode: str = "incremental") -> tuple[dict, dict]:
    """(discovered catalog, configured catalog)."""
    run = run_connector(["discover"], tmp, config=config)
    assert run.returncode == 0, run.stderr[-2000:]
    catalog = run.of_type("CATALOG")[0]["catalog"]
    return catalog, configured_catalog(catalog, sync_mode)


def record_key(record: dict[str, Any]) -> str:
    """A record's primary key: `id`, or `x_ChargeId` for focus_cost rows."""
    return record["id"] if "id" in record else record["x_ChargeId"]


def dedup_by_id(records: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Append + dedup as a destination does it: the last record of an id wins."""
    return {record_key(record): record for record in records}


def charge_total(records: Iterable[dict[str, Any]]) -> Decimal:
    """Exact sum of every charge amount."""
    return sum(
        (Decimal(str(c["amount"])) for r in records for c in r["charges"] if c.get("amount") is not None), Decimal(0)
    )


def charge_total_by_month(records: Iterable[dict[str, Any]]) -> dict[str, Decimal]:
    """Exact charge sums per `YYYY-MM` of the record's start date."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for record in records:
        for charge in record["charges"]:
            if charge.get("amount") is not None:
                totals[record["start_date"][:7]] += Decimal(str(charge["amount"]))
    return dict(totals)
