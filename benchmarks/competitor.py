"""Optional: airbyte-source-datadog-usage 0.2.5 on the same Datadog pages, through ../shared/perf-anchor.

perf-anchor is not part of this repository (users do not have it): pass `--competitor-dir` to enable. Its
`setup_venvs.sh` builds the competitor's venv (it pulls airbyte-cdk 0.90.0) and its `intercept_run.py` runs the
competitor in-process with `https://api.datadoghq.com` rewritten to our emulator and the 5 s sleeps in its module
skipped (`skip`) or kept (`real`). The competitor sends no end time; `competitor_entry` adds our window's end to
its hourly usage requests (perf-anchor's emulator does the same with `--dd-default-end-hours 0`), so it reads
exactly the pages our connector reads.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STREAM = "hourly_usage_by_product_stream"
SITE_URL = "https://api.datadoghq.com"
ENTRY = "airbyte_source_datadog_usage.run:run"
SLEEP_MODULE = "airbyte_source_datadog_usage.source"
SLEEP_SECONDS_PER_PAGE = 5.0  # `time.sleep(5.0)` before every page after the first


@dataclass(frozen=True)
class Competitor:
    """Where perf-anchor's tools and the competitor's venv are."""

    tools: Path
    python: Path

    @classmethod
    def prepare(cls, tools: Path, workdir: Path) -> Competitor:
        """Build (or reuse) the venvs with perf-anchor's `setup_venvs.sh`."""
        venv_python = workdir / "dd-usage-venv" / "bin" / "python"
        if not venv_python.exists():
            print(f"competitor: creating venvs under {workdir} (setup_venvs.sh) ...", file=sys.stderr)
            subprocess.run(["bash", str(tools / "setup_venvs.sh"), str(workdir)], check=True, capture_output=True)
        return cls(tools, venv_python)

    def command(self, workdir: Path, account: dict[str, Any], start_hour: str, end_hour: str, sleep: str) -> list:
        """The competitor's `read` of [start_hour, end_hour) for the account's org, all families."""
        config = {
            "api_key": account["api_key"],
            "application_key": account["application_key"],
            "site": "datadoghq.com",
            "hourly_usage_by_product": {"product_families": ["all"], "start_date": start_hour},
        }
        stream = {
            "name": STREAM,
            "json_schema": {"type": "object"},
            "supported_sync_modes": ["full_refresh", "incremental"],
            "source_defined_cursor": True,
            "default_cursor_field": ["timestamp"],
        }
        catalog = {
            "streams": [
                {
                    "stream": stream,
                    "sync_mode": "incremental",
                    "cursor_field": ["timestamp"],
                    "destination_sync_mode": "append",
                }
            ]
        }
        config_path, catalog_path = workdir / "competitor_config.json", workdir / "competitor_catalog.json"
        config_path.write_text(json.dumps(config))
        catalog_path.write_text(json.dumps(catalog))
        entry = Path(__file__).with_name("competitor_entry.py")
        return [
            str(self.python), str(entry), str(self.tools), end_hour,
            "--redirect", f"{SITE_URL}={account['api_url']}",
            "--sleep-module", SLEEP_MODULE, "--sleep", sleep, "--entry", ENTRY,
            "--", "read", "--config", str(config_path), "--catalog", str(catalog_path),
        ]  # fmt: skip
