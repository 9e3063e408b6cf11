"""Run the FinOps Foundation's FOCUS validator (focus-validator 2.2.1, in `.venv-focus/`) on a CSV file, offline.

Set the venv up with `bash scripts/setup_focus_validator.sh`. The validator's exit status is 0 even when rules
fail, so the result is read from its summary line `Total: N | Pass: P | Fail: F | Skipped: S` and its
per-rule lines (`❌ <RuleId>: FAIL ...`).
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOCUS_VERSION = "1.2"
_SUMMARY = re.compile(r"^Total: (\d+) \| Pass: (\d+) \| Fail: (\d+) \| Skipped: (\d+)\s*$", re.MULTILINE)
_FAILED_RULE = re.compile(r"^\S+\s+([A-Za-z]+-[A-Z]-\d{3}-[A-Z]): FAIL\b", re.MULTILINE)


class FocusValidatorMissing(RuntimeError):
    """`.venv-focus/` (or `$FOCUS_VENV`) holds no focus-validator."""


@dataclass(frozen=True)
class ValidationResult:
    """The validator's counts of rules, the ids of the failing ones (sorted), and its full output."""

    total: int
    passed: int
    failed: int
    skipped: int
    failing_rules: list[str]
    output: str


def focus_venv() -> Path:
    """The validator's venv: `$FOCUS_VENV`, else `.venv-focus/` at the repository root."""
    return Path(os.environ.get("FOCUS_VENV") or ROOT / ".venv-focus")


def validator_paths(venv: Path | None = None) -> tuple[Path, Path]:
    """(the `focus-validator` executable, the `site-packages` folder holding `focus_validator/`).

    Raises:
        FocusValidatorMissing: the venv or the package is not there.
    """
    venv = venv or focus_venv()
    executable = venv / "bin" / "focus-validator"
    packages = sorted(venv.glob("lib/python3.*/site-packages/focus_validator"))
    if not executable.exists() or not packages:
        raise FocusValidatorMissing(
            f"focus-validator is not installed in {venv}: run `bash scripts/setup_focus_validator.sh` "
            "(needs Python >= 3.12 and PyPI on the first run)"
        )
    return executable, packages[-1].parent


def validate_focus_csv(
    path: str | Path,
    *,
    applicability_criteria: Sequence[str] = (),
    venv: Path | None = None,
    timeout: float = 600,
) -> ValidationResult:
    """Validate a FOCUS 1.2 CSV file with `focus-validator --validate-version 1.2 --block-download`.

    The validator runs with its `site-packages` folder as the working directory: 2.2.1 opens
    `focus_validator/rules/currency_codes.csv` by a relative path. `--block-download` keeps it offline (it
    uses the 1.2 rule model shipped in the package).

    Args:
        path: the CSV file (see `source_usage_metering.focus.csv_export.write_focus_csv`).
        applicability_criteria: criteria to declare (`--applicability-criteria`); none by default, as in the
            command the docs give.
        venv: the validator's venv (default `focus_venv()`).
        timeout: seconds before the run is abandoned.

    Returns:
        The counts of its summary line and the ids of the rules it reports as FAIL.

    Raises:
        FocusValidatorMissing: no validator installed.
        RuntimeError: the validator exited non-zero or printed no summary line.
    """
    executable, site_packages = validator_paths(venv)
    argv = [str(executable), "--data-file", str(Path(path).resolve())]
    argv += ["--validate-version", FOCUS_VERSION, "--block-download"]
    if applicability_criteria:
        argv += ["--applicability-criteria", ",".join(applicability_criteria)]
    done = subprocess.run(
        argv, cwd=site_packages, capture_output=True, text=True, timeout=timeout, check=False, encoding="utf-8"
    )
    output = done.stdout + done.stderr
    if done.returncode != 0:
        raise RuntimeError(f"focus-validator exited {done.returncode}:\n{output[-3000:]}")
    return parse_output(output)


def parse_output(output: str) -> ValidationResult:
    """Read the summary line and the failing rule ids from the validator's console output.

    Raises:
        RuntimeError: no summary line.
    """
    summary = _SUMMARY.search(output)
    if not summary:
        raise RuntimeError(f"focus-validator printed no summary line:\n{output[-3000:]}")
    total, passed, failed, skipped = (int(group) for group in summary.groups())
    failing = sorted(set(_FAILED_RULE.findall(output)))
    return ValidationResult(total, passed, failed, skipped, failing, output)
