#!/usr/bin/env bash
# Create (once) the third-party Singer/Meltano venvs the Singer e2e tests and the README use, from PyPI only.
# Each tool gets its own venv (target-jsonl pins jsonschema 2.6.0; airbyte-cdk needs a newer one).
# Usage: scripts/setup_singer_tools.sh [target-jsonl] [singer-tools] [meltano]   (default: target-jsonl singer-tools)
# Prints `<tool>=<venv bin dir>` per tool. Re-runs are no-ops (a stamp file per venv); a lock serialises
# concurrent runs.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
TOOLS_DIR="${SINGER_TOOLS_DIR:-.venv-tools}"
mkdir -p "$TOOLS_DIR"
exec 9>"$TOOLS_DIR/.singer-tools.lock"
flock 9

requirement() {
  case "$1" in
    target-jsonl) echo "target-jsonl==0.1.4" ;;
    singer-tools) echo "singer-tools==0.4.1" ;;
    meltano) echo "meltano>=4.4,<5" ;;
    *) echo "unknown tool: $1 (expected target-jsonl, singer-tools or meltano)" >&2; exit 2 ;;
  esac
}

tools=("$@")
[ ${#tools[@]} -gt 0 ] || tools=(target-jsonl singer-tools)
for tool in "${tools[@]}"; do
  spec="$(requirement "$tool")"
  venv="$TOOLS_DIR/$tool"
  stamp="$venv/.installed-$(echo "$spec" | sha256sum | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    rm -rf "$venv"
    "$PYTHON" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$spec"
    touch "$stamp"
  fi
  echo "$tool=$(cd "$venv/bin" && pwd)"
done
