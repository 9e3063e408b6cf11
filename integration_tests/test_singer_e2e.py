"""Singer end to end against the emulator: `tap-usage-metering` piped into the real target-jsonl, and singer-check-tap.

The third-party tools live in their own venvs (scripts/setup_singer_tools.sh; about 25 s the first time, then
instant); the tests skip only when PyPI cannot be reached to install them.
"""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from integration_tests.emulator import Emulator
from integration_tests.harness import STREAMS, charge_total, console_script, dedup_by_id, record_key
from integration_tests.singer_tools import last_json_line, read_jsonl, tool_bin_dirs

CENT = Decimal("0.01")
CONFLUENT_LOOKBACK_DAYS = 5


@pytest.fixture(scope="module")
def tools() -> dict[str, Path]:
    return tool_bin_dirs("target-jsonl", "singer-tools")


@pytest.fixture(scope="module")
def tap() -> str:
    return console_script("tap-usage-metering")


@pytest.fixture(scope="module")
def config_file(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("singer-config") / "config.json"
    path.write_text(json.dumps(emulator.connector_config(providers=("confluent",))))
    return path


def pipe_to_target_jsonl(tap_argv: list[str], target: Path, out_dir: Path) -> tuple[str, dict[str, Any], str]:
    """Run `tap | target-jsonl`; returns (the tap's stderr, the target's final state, the target's stderr)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    target_config = out_dir / "target_config.json"
    target_config.write_text(json.dumps({"destination_path": str(out_dir), "do_timestamp_file": False}))
    with subprocess.Popen(tap_argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as tap_process:
        loaded = subprocess.run(
            [str(target / "target-jsonl"), "--config", str(target_config)],
            stdin=tap_process.stdout,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        tap_stderr = tap_process.stderr.read().decode()
    assert tap_process.returncode == 0, tap_stderr[-3000:]
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    return tap_stderr, last_json_line(loaded.stdout), loaded.stderr


@pytest.fixture(scope="module")
def first_load(tap, tools, config_file, tmp_path_factory) -> tuple[Path, dict[str, Any]]:
    out_dir = tmp_path_factory.mktemp("jsonl-first")
    _, state, _ = pipe_to_target_jsonl([tap, "--config", str(config_file)], tools["target-jsonl"], out_dir)
    return out_dir, state


def test_target_jsonl_loads_every_cost_line_once(emulator: Emulator, config_file: Path, first_load) -> None:
    out_dir, _ = first_load
    usage = read_jsonl(out_dir / "usage.jsonl")
    config = json.loads(config_file.read_text())
    truth = emulator.truth("confluent", config["start_date"], emulator.today)
    assert len([c for r in usage for c in r["charges"]]) == truth["count"]
    assert abs(charge_total(usage) - Decimal(str(truth["total"]))) < CENT
    for stream in STREAMS:
        records = read_jsonl(out_dir / f"{stream}.jsonl")
        assert records, stream
        assert len({record_key(r) for r in records}) == len(records), stream
    tenant = emulator.confluent_tenants[0]
    assert len({r["id"] for r in usage}) == len(usage)
    assert [r["id"] for r in read_jsonl(out_dir / "organizations.jsonl")] == [f"confluent|{tenant.org_id}|organization"]
    workspaces = [r["id"] for r in read_jsonl(out_dir / "workspaces.jsonl")]
    assert sorted(workspaces) == sorted(f"confluent|{tenant.org_id}|environment|{e['id']}" for e in tenant.environments)
    products = [r["id"] for r in read_jsonl(out_dir / "products.jsonl")]
    assert len(products) == len(set(products))
    assert "confluent|product|KAFKA" in products


def test_target_echoes_the_final_bookmarks(emulator: Emulator, first_load) -> None:
    _, state = first_load
    assert set(state["bookmarks"]) == set(STREAMS)
    cursors = [entry["cursor"]["end_date"] for entry in state["bookmarks"]["usage"]["states"]]
    assert cursors == [f"{emulator.today.isoformat()}T00:00:00Z"]


def test_rerun_from_the_target_state_returns_only_the_lookback_window(
    tap, tools, config_file, first_load, tmp_path
) -> None:
    first_dir, state = first_load
    state_file = tmp_path / "state.json"
    state_file.write_text(json.dumps(state))
    argv = [tap, "--config", str(config_file), "--state", str(state_file)]
    _, second_state, _ = pipe_to_target_jsonl(argv, tools["target-jsonl"], tmp_path / "out")
    first = read_jsonl(first_dir / "usage.jsonl")
    again = read_jsonl(tmp_path / "out" / "usage.jsonl")
    cursor = datetime.fromisoformat(
        state["bookmarks"]["usage"]["states"][0]["cursor"]["end_date"].replace("Z", "+00:00")
    )
    window_start = (cursor - timedelta(days=CONFLUENT_LOOKBACK_DAYS)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert min(r["start_date"] for r in again) == window_start  # exactly the lookback
    expected = {r["id"] for r in first if r["start_date"] >= window_start}
    assert {r["id"] for r in again} == expected
    assert dedup_by_id(first + again) == dedup_by_id(first)
    assert read_jsonl(tmp_path / "out" / "workspaces.jsonl") == []
    assert second_state == state


def test_field_and_stream_selection_reach_the_target(emulator: Emulator, tap, tools, config_file, tmp_path) -> None:
    discovered = subprocess.run(
        [tap, "--config", str(config_file), "--discover"], capture_output=True, text=True, timeout=120, check=True
    )
    catalog = json.loads(discovered.stdout)
    for entry in catalog["streams"]:
        for item in entry["metadata"]:
            if not item["breadcrumb"]:
                item["metadata"]["selected"] = entry["tap_stream_id"] == "workspaces"
            elif item["breadcrumb"][-1] == "remote_data":
                item["metadata"]["selected"] = False
    catalog_file = tmp_path / "catalog.json"
    catalog_file.write_text(json.dumps(catalog))
    argv = [tap, "--config", str(config_file), "--catalog", str(catalog_file)]
    _, state, _ = pipe_to_target_jsonl(argv, tools["target-jsonl"], tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").glob("*.jsonl")) == ["workspaces.jsonl"]
    workspaces = read_jsonl(tmp_path / "out" / "workspaces.jsonl")
    assert len(workspaces) == len(emulator.confluent_tenants[0].environments)
    assert all("remote_data" not in r and r["id"] for r in workspaces)
    assert set(state["bookmarks"]) == {"workspaces"}


def test_singer_check_tap_validates_both_runs(tap, tools, config_file, tmp_path) -> None:
    checked = subprocess.run(
        [str(tools["singer-tools"] / "singer-check-tap"), "--tap", tap, "--config", str(config_file)],
        capture_output=True,
        text=True,
        cwd=tmp_path,  # it writes singer-check-tap-data/ into the working directory
        timeout=600,
        check=False,
    )
    assert checked.returncode == 0, (checked.stdout + checked.stderr)[-3000:]
    assert checked.stdout.count("The output is valid.") == 2
    assert "Now re-running tap with state produced by previous run" in checked.stdout
    secret = json.loads(config_file.read_text())["accounts"][0]["api_secret"]
    assert secret not in checked.stdout + checked.stderr
