#!/usr/bin/env bash
# Build the connector image and run it the way Airbyte and the docker CLI do, against the provider emulator:
# `docker run --network host IMAGE spec | check | discover | read | read --state`, checking the same invariants as
# the end-to-end tests (integration_tests/docker_check.py). Non-interactive; run as root from a fresh clone:
#
#   bash scripts/docker_e2e.sh
#
# Without a usable DOCKER_HOST it starts a private dockerd (data under $DOCKER_E2E_DIR, kept between runs so the
# base image and build cache are reused) and stops it at the end. On machines without a registry the base image
# is a Debian rootfs made with debootstrap and imported once; the package is installed from a host-built
# wheelhouse (pip inside the build may not reach the index). Never pushes anything.
#
# Environment: BASE_IMAGE (default local/python-base:bookworm), IMAGE (default airbyte/source-usage-metering:dev),
# E2E_PROVIDERS (comma-separated, default confluent,datadog), PYTHON (host python, same minor version as the image's),
# DOCKER_E2E_DIR (default ~/.cache/source-usage-metering/docker), DEBIAN_MIRROR.
set -euo pipefail
cd "$(dirname "$0")/.."

BASE_IMAGE="${BASE_IMAGE:-local/python-base:bookworm}"
IMAGE="${IMAGE:-airbyte/source-usage-metering:dev}"
PROVIDERS="${E2E_PROVIDERS:-confluent,datadog}"
PYTHON="${PYTHON:-python3}"
STATE_DIR="${DOCKER_E2E_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/source-usage-metering/docker}"
WORK="$(mktemp -d /tmp/docker-e2e.XXXXXX)"
DATA="$WORK/data"
DOCKERD_PID=""
EMULATOR_PID=""
STARTED=$SECONDS
PHASE_STARTED=$SECONDS
TIMINGS=()

log() { echo "docker-e2e: $*" >&2; }
fail() { log "FAILED: $*"; exit 1; }
# Exit 3: this machine cannot run a docker daemon or build a base image (nothing about the connector was tested).
unavailable() { log "UNAVAILABLE: $*"; exit 3; }
phase_done() {
  TIMINGS+=("$1 $((SECONDS - PHASE_STARTED))s")
  log "$1 done in $((SECONDS - PHASE_STARTED))s"
  PHASE_STARTED=$SECONDS
}

cleanup() {
  local status=$?
  if [ -n "$EMULATOR_PID" ]; then kill "$EMULATOR_PID" 2>/dev/null || true; wait "$EMULATOR_PID" 2>/dev/null || true; fi
  if [ -n "$DOCKERD_PID" ]; then
    kill "$DOCKERD_PID" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.5; done
  fi
  # dockerd leaves its network namespace mounted under the exec root.
  awk -v work="$WORK" 'index($2, work) == 1 {print $2}' /proc/mounts | sort -r | while read -r point; do
    umount "$point" 2>/dev/null || true
  done
  rm -rf "$WORK" 2>/dev/null || true
  log "total $((SECONDS - STARTED))s (${TIMINGS[*]:-nothing ran}); exit $status"
}
trap cleanup EXIT

ensure_tools() {
  if command -v dockerd > /dev/null && command -v debootstrap > /dev/null; then return; fi
  [ "$(id -u)" = 0 ] || unavailable "dockerd and debootstrap are missing; as root: apt-get install -y docker.io debootstrap"
  log "installing docker.io and debootstrap"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io debootstrap > "$WORK/apt.log" 2>&1 \
    || { tail -20 "$WORK/apt.log" >&2; unavailable "apt-get install docker.io debootstrap"; }
}

start_dockerd() {
  if [ -n "${DOCKER_HOST:-}" ] && docker info > /dev/null 2>&1; then
    log "using the running daemon at DOCKER_HOST=$DOCKER_HOST"
    return
  fi
  ensure_tools
  export DOCKER_HOST="unix://$WORK/dockerd.sock"
  # Short paths under $WORK: unix socket paths are limited to 108 bytes.
  dockerd --host "$DOCKER_HOST" --data-root "$STATE_DIR/data" --exec-root "$WORK/exec" \
    --pidfile "$WORK/dockerd.pid" > "$WORK/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  for _ in $(seq 1 120); do
    docker info > /dev/null 2>&1 && return
    kill -0 "$DOCKERD_PID" 2>/dev/null || { tail -20 "$WORK/dockerd.log" >&2; unavailable "dockerd exited"; }
    sleep 0.5
  done
  tail -20 "$WORK/dockerd.log" >&2
  unavailable "dockerd did not answer within 60s"
}

debian_mirror() {
  if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
  local found
  found="$(awk '/^URIs:/ && $2 ~ /debian\/?$/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)"
  [ -n "$found" ] || found="$(awk '$1 == "deb" && $3 == "bookworm" {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)"
  echo "${found:-http://deb.debian.org/debian}"
}

ensure_base_image() {
  if docker image inspect "$BASE_IMAGE" > /dev/null 2>&1; then
    log "base image $BASE_IMAGE is cached"
    return
  fi
  [ "$BASE_IMAGE" = "local/python-base:bookworm" ] || fail "base image $BASE_IMAGE is not available to this daemon"
  ensure_tools
  log "building $BASE_IMAGE with debootstrap from $(debian_mirror)"
  debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates bookworm \
    "$WORK/rootfs" "$(debian_mirror)" > "$WORK/debootstrap.log" 2>&1 \
    || { tail -20 "$WORK/debootstrap.log" >&2; unavailable "debootstrap"; }
  tar -C "$WORK/rootfs" -c . | docker import - "$BASE_IMAGE" > /dev/null
  rm -rf "$WORK/rootfs"
}

build_wheelhouse() {
  local host_python image_python
  host_python="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
  image_python="$(docker run --rm --entrypoint python3 "$BASE_IMAGE" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
  [ "$host_python" = "$image_python" ] \
    || fail "host $PYTHON is $host_python but the image has python $image_python; set PYTHON=python$image_python"
  # Dependencies only (plus the build backend): the package itself is built from source in the image, so the
  # dependency layer stays cached until pyproject.toml changes.
  local stamp
  stamp="wheelhouse/.built-$( (cat pyproject.toml; echo "$host_python") | sha256sum | cut -c1-16)"
  if [ -f "$stamp" ]; then
    log "wheelhouse is up to date"
    return
  fi
  rm -rf wheelhouse
  mkdir -p wheelhouse
  { "$PYTHON" -m pip wheel --disable-pip-version-check . setuptools wheel -w wheelhouse \
      && rm -f wheelhouse/airbyte_source_usage_metering-*.whl; } > "$WORK/wheel.log" 2>&1 \
    || { tail -20 "$WORK/wheel.log" >&2; fail "pip wheel"; }
  touch "$stamp"
}

build_image() {
  local previous
  previous="$(docker image inspect -f '{{.Id}}' "$IMAGE" 2>/dev/null || true)"
  docker build --build-arg BASE_IMAGE="$BASE_IMAGE" --build-arg INSTALL_FROM=wheelhouse -t "$IMAGE" . \
    > "$STATE_DIR/last-build.log" 2>&1 || { tail -30 "$STATE_DIR/last-build.log" >&2; fail "docker build"; }
  [ "$(docker run --rm --entrypoint id "$IMAGE" -u)" != 0 ] || fail "the image runs as root"
  docker image inspect -f '{{json .Config.Env}}' "$IMAGE" | grep -q '"AIRBYTE_ENTRYPOINT=source-usage-metering"' \
    || fail "AIRBYTE_ENTRYPOINT is not source-usage-metering"
  # Drop the replaced image, keep the builder stage's layers: they are the cache of the next build.
  if [ -n "$previous" ] && [ "$previous" != "$(docker image inspect -f '{{.Id}}' "$IMAGE")" ]; then
    docker rmi "$previous" > /dev/null 2>&1 || true
  fi
}

start_emulator() {
  mkdir -p "$DATA"
  chmod 755 "$DATA"
  "$PYTHON" -m integration_tests.emulator --port 0 --config-out "$WORK/emulator-config.json" \
    > "$WORK/emulator.out" 2> "$WORK/emulator.err" &
  EMULATOR_PID=$!
  for _ in $(seq 1 60); do
    if [ -s "$WORK/emulator.out" ]; then
      BASE_URL="$("$PYTHON" -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["base_url"])' \
        "$WORK/emulator.out")"
      return
    fi
    kill -0 "$EMULATOR_PID" 2>/dev/null || { cat "$WORK/emulator.err" >&2; fail "the emulator exited"; }
    sleep 0.5
  done
  fail "the emulator did not start within 30s"
}

connector() {
  local name=$1
  shift
  docker run --rm --network host -v "$DATA:/data:ro" "$IMAGE" "$@" > "$WORK/$name.jsonl" 2> "$WORK/$name.err" \
    || { tail -5 "$WORK/$name.jsonl" "$WORK/$name.err" >&2; fail "docker run ... $*"; }
}

verify() { "$PYTHON" integration_tests/docker_check.py "$@" || fail "invariant broken (see above)"; }

run_protocol() {
  local config=/data/config.json
  verify config "$WORK/emulator-config.json" "$DATA/config.json" --providers "$PROVIDERS" --lookback-days 5
  chmod 644 "$DATA/config.json"
  connector spec spec
  verify spec "$WORK/spec.jsonl"
  connector check check --config "$config"
  verify check "$WORK/check.jsonl" --config "$DATA/config.json"
  connector discover discover --config "$config"
  verify discover "$WORK/discover.jsonl" --config "$DATA/config.json" --catalog-out "$DATA/catalog.json"
  connector read read --config "$config" --catalog /data/catalog.json
  verify read "$WORK/read.jsonl" --config "$DATA/config.json" --base-url "$BASE_URL" --state-out "$DATA/state.json"
  chmod 644 "$DATA/catalog.json" "$DATA/state.json"
  connector reread read --config "$config" --catalog /data/catalog.json --state /data/state.json
  verify reread "$WORK/reread.jsonl" --config "$DATA/config.json" --state "$DATA/state.json" \
    --first-read "$WORK/read.jsonl"
}

mkdir -p "$STATE_DIR/data"
start_dockerd
phase_done dockerd
ensure_base_image
phase_done base-image
build_wheelhouse
phase_done wheelhouse
build_image
phase_done image-build
start_emulator
run_protocol
phase_done protocol-runs
log "PASSED: $IMAGE (base $BASE_IMAGE, providers $PROVIDERS)"
