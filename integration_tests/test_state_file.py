"""`read --state`: the shapes users save resume without a gap or a full re-read; anything else is a config error.

Issue 13: state is parsed in one place. Accepted: the Airbyte list of state messages (every resume test of the suite
uses it), the STATE lines of a read (`grep '"STATE"' out.jsonl > state.json`; the JSON-array form is read by the same
code, `unit_tests/test_state.py`), and the 0.1.0 shape (a committed fixture made by a 0.1.0 read). Anything else
gets a config_error trace saying what is wrong and showing the expected shape.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from integration_tests.emulator import Emulator, Scenario
from integration_tests.harness import Run, configured_catalog, run_connector
from source_usage_metering.clock import pinned_env

FIXTURE = Path(__file__).parent / "state_fixtures" / "state_0.1.0.jsonl"
FIXTURE_DAY = date(2026, 11, 30)  # the fixture's read ran on this day (its emulator's today)
RESUME_DAY = date(2026, 12, 3)  # three days later
ENV = pinned_env(datetime(2026, 12, 3, 6, 30, tzinfo=timezone.utc))
LOOKBACK = {"confluent": timedelta(days=5), "hourly": timedelta(days=3)}  # the providers' default lookbacks


@pytest.fixture(scope="module")
def later(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Emulator, dict, dict]]:
    """The fixture's emulator (same scenario and accounts), three days on; config and catalog."""
    with Emulator(Scenario(months=2, seed=7), today=RESUME_DAY) as emulator:
        creds = emulator.credentials
        accounts = [creds["confluent_org_a"], creds["confluent_org_b"], creds["datadog_parent"]]
        config = emulator.connector_config(accounts=accounts, start_date=(FIXTURE_DAY - timedelta(days=12)).isoformat())
        work = tmp_path_factory.mktemp("discover")
        found = run_connector(["discover"], work, config=config, env=ENV)
        yield emulator, config, configured_catalog(found.of_type("CATALOG")[0]["catalog"])


def usage_cursors(states: list[dict[str, Any]]) -> dict[tuple, str]:
    """(provider, tenant, kind) -> end_date of the usage stream's newest state."""
    usage = [s for s in states if s["stream"]["stream_descriptor"]["name"] == "usage"][-1]["stream"]["stream_state"]
    return {
        (e["partition"]["provider"], e["partition"]["tenant"], e["partition"].get("kind")): e["cursor"]["end_date"]
        for e in usage["states"]
    }


def fixture_lines(port: int) -> str:
    return FIXTURE.read_text().replace("127.0.0.1:PORT", f"127.0.0.1:{port}")


def usage_ids(run: Run) -> set[str]:
    return {record["id"] for record in run.records("usage")}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "state.json"
    path.write_text(text)
    return path


def read_with_state_file(emulator_config: tuple, tmp_path: Path, state_file: Path | None) -> Run:
    _, config, catalog = emulator_config
    args = ["read", *(["--state", str(state_file)] if state_file else [])]
    return run_connector(args, tmp_path, config=config, catalog=catalog, env=ENV)


def test_the_0_1_0_state_resumes_without_a_gap_or_a_full_re_read(later, tmp_path: Path) -> None:
    emulator = later[0]
    lines = fixture_lines(emulator.port)
    saved = usage_cursors([json.loads(line)["state"] for line in fixture_lines(emulator.port).splitlines()])
    resumed = read_with_state_file(later, tmp_path, write(tmp_path, lines))
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    full = read_with_state_file(later, tmp_path, None)
    by_partition = {key: [] for key in saved}
    for record in resumed.records("usage"):
        kind = None if record["provider"] == "confluent" else ("hourly" if "|hourly|" in record["id"] else "cost")
        tenant = record["organization"]["id"].split("|")[1] if record["provider"] == "confluent" else None
        key = next(
            k for k in saved if k[0] == record["provider"] and k[2] == kind and (tenant is None or k[1] == tenant)
        )
        by_partition[key].append(record["start_date"])
    for (provider, tenant, kind), cursor in saved.items():
        if kind == "cost":
            continue  # Datadog cost months stay open until final: re-read by design
        earliest = min(by_partition[(provider, tenant, kind)])
        floor = datetime.fromisoformat(cursor.replace("Z", "+00:00")) - LOOKBACK[kind or provider]
        assert earliest >= floor.strftime("%Y-%m-%dT%H:%M:%SZ")[: len(earliest)], (provider, kind)  # no full re-read
    since_cursor = {
        r["id"] for r in full.records("usage") if r["provider"] == "confluent" and r["start_date"] >= "2026-11-30"
    } | {r["id"] for r in full.records("usage") if "|hourly|" in r["id"] and r["start_date"] >= "2026-11-30T12:00:00Z"}
    assert since_cursor
    assert since_cursor <= usage_ids(resumed)  # no gap: everything after the saved cursors is read
    assert len(usage_ids(resumed)) < len(usage_ids(full))
    assert all(v >= saved[k] for k, v in usage_cursors(resumed.last_states()).items())


def test_the_state_lines_of_a_read_resume_it(later, tmp_path: Path) -> None:
    first = read_with_state_file(later, tmp_path, None)
    assert first.returncode == 0, first.stderr[-2000:]
    lines = [line for line in first.stdout.splitlines() if '"STATE"' in line]  # grep '"STATE"' out.jsonl
    text = "\n".join(lines) + "\n"
    second = read_with_state_file(later, tmp_path, write(tmp_path, text))
    assert second.returncode == 0, second.stderr[-2000:]
    assert usage_cursors(second.last_states()) == usage_cursors(first.last_states())
    assert len(second.records("usage")) < len(first.records("usage")) / 2  # the lookback only


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ('{"usage": {"end_date": "2026-11-25T00:00:00Z"}}', "a legacy object keyed by stream name (usage)"),
        ('[{"type": "GLOBAL", "global": {"stream_states": []}}]', "a GLOBAL state"),
        (
            '{"states": [{"partition": {"provider": "confluent"}, "cursor": {"end_date": "2026-11-25T00:00:00Z"}}]}',
            "a stream's 'states' block on its own",
        ),
    ],
    ids=["legacy-dict", "global", "readme-block"],
)
def test_a_state_of_another_shape_is_a_config_error_showing_the_expected_one(
    later, tmp_path: Path, content: str, says: str
) -> None:
    run = read_with_state_file(later, tmp_path, write(tmp_path, content))
    assert run.returncode == 1
    [error] = run.errors()
    assert error["failure_type"] == "config_error"
    assert error["message"].startswith("Invalid state: ")
    assert says in error["message"]
    assert "Expected a list of Airbyte STREAM states, e.g. [{" in error["message"]
    assert "stack_trace" not in error
    assert not run.of_type("RECORD")  # never a silent full re-read
    assert "Traceback" not in run.stdout + run.stderr
