#!/usr/bin/env bash
# Create (once) a venv with PyAirbyte and this connector, for integration_tests/test_pyairbyte.py and the README
# example. Prints the venv's python on the last line. Re-runs are no-ops until pyproject.toml changes.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
VENV="${PYAIRBYTE_VENV:-.venv-tools/pyairbyte}"
PYAIRBYTE_SPEC="${PYAIRBYTE_SPEC:-airbyte>=0.71,<0.72}"
stamp="$VENV/.installed-$( (cat pyproject.toml; echo "$PYAIRBYTE_SPEC") | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet "$PYAIRBYTE_SPEC"
  # Editable: the venv runs this checkout's code, so source changes need no reinstall.
  "$VENV/bin/python" -m pip install --quiet -e .
  touch "$stamp"
fi
echo "$VENV/bin/python"
