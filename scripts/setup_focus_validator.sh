#!/usr/bin/env bash
# Create (once) .venv-focus/: the FinOps Foundation's FOCUS validator (focus-validator on PyPI), used by
# integration_tests/focus_validation.py and described in docs/focus.md. It needs Python >= 3.12: set
# FOCUS_PYTHON to the interpreter (default: the newest pyenv 3.12+, else python3.12 or python3.13 on PATH).
# pyarrow<18 is installed beside it: focus-validator 2.2.1 pins numpy<2, newer pyarrow wheels need numpy 2.
# Re-runs are no-ops (a stamp per requirement set). The last two lines printed name the venv's
# focus-validator and the site-packages folder to run it from.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${FOCUS_VENV:-.venv-focus}"
REQUIREMENTS=("focus-validator==2.2.1" "pyarrow<18")

is_312() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; }

find_python() {
  if [ -n "${FOCUS_PYTHON:-}" ]; then
    if is_312 "$FOCUS_PYTHON"; then echo "$FOCUS_PYTHON"; fi
    return
  fi
  local root candidate
  root="$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"
  # pyenv's python3.12 shim fails unless 3.12 is the active version, so try the interpreters themselves first.
  for candidate in "$root"/versions/3.1[2-9]*/bin/python python3.12 python3.13; do
    if is_312 "$candidate"; then echo "$candidate"; return; fi
  done
}

PYTHON="$(find_python)"
if [ -z "$PYTHON" ]; then
  echo "setup_focus_validator: focus-validator 2.2.1 needs Python >= 3.12, none found" \
       "(tried ${FOCUS_PYTHON:-pyenv versions 3.12+, python3.12, python3.13});" \
       "install one (pyenv install 3.12) or set FOCUS_PYTHON=/path/to/python3.12" >&2
  exit 2
fi

stamp="$VENV/.installed-$(printf '%s\n' "${REQUIREMENTS[@]}" | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "setup_focus_validator: creating $VENV with $("$PYTHON" --version) ($PYTHON)"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  echo '*' > "$VENV/.gitignore"  # the venv never goes into git
  echo "setup_focus_validator: installing ${REQUIREMENTS[*]} from PyPI"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${REQUIREMENTS[@]}"
  touch "$stamp"
else
  echo "setup_focus_validator: $VENV is up to date (${REQUIREMENTS[*]})"
fi
site_packages="$("$VENV/bin/python" -c 'import focus_validator, os; print(os.path.dirname(os.path.dirname(focus_validator.__file__)))')"
echo "focus-validator=$(cd "$VENV/bin" && pwd)/focus-validator"
echo "site-packages=$site_packages"
