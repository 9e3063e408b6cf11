"""PyAirbyte (the `airbyte` package) reads the locally installed connector into its default DuckDB cache.

Real tool, real process: scripts/setup_pyairbyte.sh builds a venv with PyAirbyte and this checkout (first run about
a minute), integration_tests/pyairbyte_read.py runs in it against the emulator on loopback, offline.
"""

from __future__ import annotations

import json
import os
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from integration_tests.emulator import Emulator

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
CENT = Decimal("0.01")
STREAMS = ("focus_cost", "organizations", "products", "usage", "workspaces")


@pytest.fixture(scope="module")
def pyairbyte_python() -> Path:
    """The PyAirbyte venv's python (created on first use)."""
    setup = subprocess.run(
        ["bash", "scripts/setup_pyairbyte.sh"], cwd=ROOT, capture_output=True, text=True, timeout=1200, check=False
    )
    assert setup.returncode == 0, setup.stderr[-3000:]
    return ROOT / setup.stdout.strip().splitlines()[-1]


def read_with_pyairbyte(python: Path, config: dict[str, Any], workdir: Path, reads: int) -> dict[str, Any]:
    """Run pyairbyte_read.py in `workdir` (where the default cache goes); return its summary."""
    config_path = workdir / "config.json"
    config_path.write_text(json.dumps(config))
    env = {**os.environ, "AIRBYTE_OFFLINE_MODE": "1", "DO_NOT_TRACK": "1"}
    env.pop("AIRBYTE_CACHE_ROOT", None)
    script = ROOT / "integration_tests" / "pyairbyte_read.py"
    run = subprocess.run(
        [str(python), str(script), "--config", str(config_path), "--reads", str(reads)],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert run.returncode == 0, (run.stdout[-2000:], run.stderr[-3000:])
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_two_syncs_into_the_default_duckdb_cache_keep_every_cost_line_once(
    emulator: Emulator, pyairbyte_python: Path, tmp_path: Path
) -> None:
    datadog = {**emulator.credentials["datadog_parent"], "hourly_usage_days": 2}
    config = {"accounts": [emulator.credentials["confluent_org_a"], datadog], "include_remote_data": True}

    summary = read_with_pyairbyte(pyairbyte_python, config, tmp_path, reads=2)

    assert Path(summary["db_path"]) == tmp_path / ".cache" / "default_cache" / "default_cache.duckdb"
    assert all(summary["rows"][stream] > 0 for stream in STREAMS), summary["rows"]
    first, second = summary["processed"]
    assert 0 < second < first  # the second sync re-reads only the lookback window
    # After two syncs the cache still holds each cost line once: merged on the primary key, not appended.
    for provider in ("confluent", "datadog"):
        truth = Decimal(str(emulator.truth(provider)["total"]))
        assert abs(Decimal(summary["charges"][provider]) - truth) <= CENT, provider
    assert summary["cost_lines"]["datadog"] == emulator.truth("datadog")["count"]
