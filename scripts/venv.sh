# Sourced by scripts/test, scripts/demo and scripts/bench*: make .venv with the connector and the optional
# dependencies the caller names in VENV_EXTRAS (comma-separated; default: test). An extra is installed once per
# version of pyproject.toml. Needs python3 (>=3.10) and access to PyPI on the first run, which says what it installs
# as it goes (pip's full output: .venv/install.log).
PYTHON="${PYTHON:-python3}"
VENV_EXTRAS="${VENV_EXTRAS:-test}"

_venv_steps() {  # pip's output, one short line per package collected and per install step
  awk '/^Collecting /{print "  collecting " $2; fflush()}
       /^  Building (wheel|editable) for .*: started/{print "  building " $4; fflush()}
       /^Installing collected packages/{print "  installing the collected packages into .venv ..."; fflush()}
       /^Successfully installed/{print "  installed " NF - 2 " packages"; fflush()}'
}

_venv_pip() {
  local status=0
  PYTHONUNBUFFERED=1 .venv/bin/python -m pip --disable-pip-version-check "$@" --progress-bar off 2>&1 \
    | tee -a .venv/install.log | _venv_steps || status=$?
  if [ "$status" -ne 0 ]; then
    echo "pip failed (exit code $status); the end of .venv/install.log:" >&2
    tail -n 25 .venv/install.log >&2
  fi
  return "$status"
}

if [ ! -x .venv/bin/python ]; then
  echo "First run: creating .venv with $("$PYTHON" --version 2>&1) ..."
  "$PYTHON" -m venv .venv
fi
_venv_hash="$(sha256sum pyproject.toml | cut -c1-16)"
_venv_missing=()
for _venv_extra in ${VENV_EXTRAS//,/ }; do
  [ -f ".venv/.installed-$_venv_hash-$_venv_extra" ] || _venv_missing+=("$_venv_extra")
done
if [ "${#_venv_missing[@]}" -gt 0 ]; then
  _venv_extras="$(IFS=,; echo "${_venv_missing[*]}")"
  echo "Installing the connector and its [$_venv_extras] extras into .venv from PyPI (about a minute the first time):"
  _venv_pip install --upgrade pip
  _venv_pip install -e ".[$_venv_extras]"
  for _venv_extra in "${_venv_missing[@]}"; do touch ".venv/.installed-$_venv_hash-$_venv_extra"; done
  echo "Ready."
fi
