"""`meltano run tap-usage-metering target-jsonl` against the emulator, with the example project of meltano/.

Slow (Meltano's venv takes about 30 s to install the first time): runs in CI, deselected by default. The tap is the
console script under test (the example's `pip_url` installs this checkout instead); target-jsonl is installed by
`meltano install` from PyPI.
"""

from __future__ import annotations

import json
import os
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from integration_tests.emulator import Emulator
from integration_tests.harness import console_script
from integration_tests.singer_tools import REPO, last_json_line, looks_offline, read_jsonl, tool_bin_dirs

pytestmark = pytest.mark.slow
JOB_STATE_ID = "dev:tap-usage-metering-to-target-jsonl"


def example_project(directory: Path) -> Path:
    """meltano/meltano.yml with the extractor pointed at the installed console script."""
    project = yaml.safe_load((REPO / "meltano" / "meltano.yml").read_text())
    extractor = project["plugins"]["extractors"][0]
    extractor.pop("pip_url")
    extractor["executable"] = console_script("tap-usage-metering")
    directory.mkdir()
    (directory / "meltano.yml").write_text(yaml.safe_dump(project, sort_keys=False))
    return directory


@pytest.fixture(scope="module")
def meltano(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory):
    """A function running `meltano <args>` in the example project, configured for the emulator through env vars."""
    binary = tool_bin_dirs("meltano")["meltano"] / "meltano"
    project = example_project(tmp_path_factory.mktemp("meltano") / "project")
    config = emulator.connector_config(providers=("confluent",))
    env = {
        **os.environ,
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "TAP_USAGE_METERING_ACCOUNTS": json.dumps(config["accounts"]),
        "TAP_USAGE_METERING_START_DATE": config["start_date"],
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(binary), *args], cwd=project, env=env, capture_output=True, text=True, timeout=600, check=False
        )

    installed = run("install")
    if installed.returncode != 0 and looks_offline(installed.stderr):
        pytest.skip(f"PyPI is unreachable for `meltano install`: {installed.stderr[-300:]}")
    assert installed.returncode == 0, installed.stderr[-3000:]
    run.project = project  # type: ignore[attr-defined]
    run.secret = config["accounts"][0]["api_secret"]  # type: ignore[attr-defined]
    return run


def state_of(meltano: Any) -> dict[str, Any]:
    shown = meltano("state", "get", JOB_STATE_ID)
    assert shown.returncode == 0, shown.stderr[-2000:]
    return last_json_line(shown.stdout)["singer_state"]


def test_meltano_run_loads_and_rerun_reads_only_the_lookback_window(emulator: Emulator, meltano) -> None:
    first = meltano("run", "tap-usage-metering", "target-jsonl")
    assert first.returncode == 0, first.stderr[-3000:]
    output = meltano.project / "output"
    usage = read_jsonl(output / "usage.jsonl")
    config_start = emulator.connector_config()["start_date"]
    truth = emulator.truth("confluent", config_start, emulator.today)
    assert len([c for r in usage for c in r["charges"]]) == truth["count"]
    assert {p.name for p in output.glob("*.jsonl")} == {
        f"{s}.jsonl" for s in ("focus_cost", "organizations", "products", "usage", "workspaces")
    }
    state = state_of(meltano)
    assert state["bookmarks"]["usage"]["states"][0]["cursor"]["end_date"] == f"{emulator.today.isoformat()}T00:00:00Z"

    second = meltano("run", "tap-usage-metering", "target-jsonl")
    assert second.returncode == 0, second.stderr[-3000:]
    appended = read_jsonl(output / "usage.jsonl")[len(usage) :]
    window_start = f"{(emulator.today - timedelta(days=5)).isoformat()}T00:00:00Z"
    assert appended
    assert {r["id"] for r in appended} == {r["id"] for r in usage if r["start_date"] >= window_start}
    assert state_of(meltano) == state
    assert meltano.secret not in first.stderr + second.stderr


def test_accounts_is_one_redacted_setting(meltano) -> None:
    printed = meltano("config", "print", "tap-usage-metering")
    assert printed.returncode == 0, printed.stderr[-2000:]
    assert json.loads(printed.stdout[printed.stdout.index("{") :])["accounts"] == "*****"
    assert meltano.secret not in printed.stdout + printed.stderr
