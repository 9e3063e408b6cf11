"""How `state_0.1.0.jsonl` was made: a read by the connector as released in 0.1.0, its STATE lines kept.

`python -m integration_tests.state_fixtures.make_0_1_0` exports the package as of commit c593a5e (the last commit of
0.1.0, before the provider-package redesign) with `git archive`, runs its `read` against the emulator (two Confluent
organizations and the Datadog parent, from 12 days back) and writes the STATE lines, the emulator's port written as
`PORT`. 0.1.0 has no clock hook: run it on the day the emulator is set to (`TODAY`), or the cursors will not match it.
The committed file was made on 2026-11-30; `test_state_file.py` resumes from it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

from integration_tests.emulator import Emulator, Scenario
from integration_tests.harness import configured_catalog

RELEASE = "c593a5e"
TODAY = date(2026, 11, 30)
SCENARIO = Scenario(months=2, seed=7)
OUT = Path(__file__).parent / "state_0.1.0.jsonl"


def main() -> None:
    """Write `state_0.1.0.jsonl` from a 0.1.0 read."""
    with tempfile.TemporaryDirectory() as tmp, Emulator(SCENARIO, today=TODAY) as emulator:
        work = Path(tmp)
        archive = subprocess.run(["git", "archive", RELEASE, "source_usage_metering"], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        creds = emulator.credentials
        accounts = [creds["confluent_org_a"], creds["confluent_org_b"], creds["datadog_parent"]]
        config = emulator.connector_config(accounts=accounts, start_date=(TODAY - timedelta(days=12)).isoformat())
        (work / "config.json").write_text(json.dumps(config))
        command = [sys.executable, "-c", "from source_usage_metering.run import run; run()"]
        env = {**os.environ, "PYTHONPATH": tmp}  # cwd is `tmp` too, so this checkout's package is not the one run
        found = subprocess.run([*command, "discover", "--config", "config.json"], env=env, cwd=tmp, **CAPTURE)
        catalog = next(json.loads(line) for line in found.stdout.splitlines() if '"CATALOG"' in line)["catalog"]
        (work / "catalog.json").write_text(json.dumps(configured_catalog(catalog)))
        read = subprocess.run(
            [*command, "read", "--config", "config.json", "--catalog", "catalog.json"], env=env, cwd=tmp, **CAPTURE
        )
        lines = [line for line in read.stdout.splitlines() if '"STATE"' in line]
        OUT.write_text("".join(re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", line) + "\n" for line in lines))


CAPTURE = {"capture_output": True, "text": True, "check": True}

if __name__ == "__main__":
    main()
