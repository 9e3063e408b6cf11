"""Third-party Singer tools for the Singer/Meltano e2e tests: venvs made by scripts/setup_singer_tools.sh."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
SETUP_SCRIPT = REPO / "scripts" / "setup_singer_tools.sh"
# pip's words for "the package index could not be reached" (the only reason to skip rather than fail).
_OFFLINE_SIGNS = (
    "NewConnectionError",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "Max retries exceeded",
    "No matching distribution found",
    "Could not find a version",
    "Failed to fetch",
    "dns error",
)


def looks_offline(stderr: str) -> bool:
    """Whether an installer's error output says the package index could not be reached."""
    return any(sign in stderr for sign in _OFFLINE_SIGNS)


def tool_bin_dirs(*tools: str, timeout: float = 900) -> dict[str, Path]:
    """`{tool: venv bin dir}`, installing the venvs from PyPI on first use; skips the test if PyPI is unreachable."""
    result = subprocess.run(
        ["bash", str(SETUP_SCRIPT), *tools], capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        if looks_offline(result.stderr):
            pytest.skip(f"PyPI is unreachable, cannot install {', '.join(tools)}: {result.stderr.strip()[-300:]}")
        pytest.fail(f"scripts/setup_singer_tools.sh failed:\n{result.stderr[-3000:]}")
    found = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    return {tool: Path(found[tool]) for tool in tools}


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The records target-jsonl wrote for one stream ([] when it wrote no file)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def last_json_line(text: str) -> dict[str, Any]:
    """The last JSON line a target printed (its final state)."""
    lines = [line for line in text.splitlines() if line.strip().startswith("{")]
    assert lines, f"no state line in {text[-500:]!r}"
    return json.loads(lines[-1])
