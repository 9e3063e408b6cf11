# Sourced by scripts/test and scripts/demo: make .venv with the connector and its test tools installed.
# Re-installs only when pyproject.toml changes. Needs python3 (>=3.10) and access to PyPI on the first run.
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[test]"
  touch "$stamp"
fi
