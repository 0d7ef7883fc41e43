#!/usr/bin/env bash
# Prints, one per line, the version of each tool the project will use (the ones the Makefile's PATH,
# .venv and the override variables point at), and exits non-zero naming each one that is missing.
# It checks only: scripts/setup.sh installs.
set -uo pipefail
cd "$(dirname "$0")/.."

# The same Node.js as every make target, when the script is run on its own.
if [ -d .stagely/node/bin ]; then PATH="$PWD/.stagely/node/bin:$PATH"; fi
NODE_MIN_MAJOR=22

missing=()
miss() { missing+=("$1"); echo "doctor: $1 is missing ($2)" >&2; }

if command -v node >/dev/null 2>&1; then
  node_version=$(node --version)
  major=${node_version#v}; major=${major%%.*}
  echo "node $node_version"
  if [ "$major" -lt "$NODE_MIN_MAJOR" ]; then
    miss "node $NODE_MIN_MAJOR+" "$(command -v node) is $node_version; run make setup"
  fi
else
  miss node "run make setup"
fi

if command -v npm >/dev/null 2>&1; then echo "npm $(npm --version)"; else miss npm "run make setup"; fi

temporal=${TEMPORAL_CLI_PATH:-.venv/bin/temporal}
if [ -x "$temporal" ]; then
  # "temporal version 1.9.1 (Server ..., UI ...)"
  echo "temporal $("$temporal" --version | head -n 1 | awk '{print $3}')"
else
  miss temporal "$temporal; run make setup"
fi

test_server=${TEMPORAL_TEST_SERVER_PATH:-.venv/bin/temporal-test-server}
[ -x "$test_server" ] || miss temporal-test-server "$test_server; run make setup"

moto=${MOTO_SERVER_PATH:-.venv/bin/moto_server}
# moto_server has no --version: ask the Python that runs it (its shebang) for moto's.
moto_python=$([ -x "$moto" ] && head -n 1 "$moto" | sed -n 's/^#! *//p' | awk '{print $1}')
if [ -n "$moto_python" ] && moto_version=$("$moto_python" -c 'import moto; print(moto.__version__)' 2>/dev/null); then
  echo "moto $moto_version"
else
  miss moto "$moto; run make setup"
fi

chromium=${CHROMIUM_PATH:-/usr/bin/chromium}
if [ -x "$chromium" ]; then
  # "Chromium 156.0.8078.114 built on Debian ..."
  echo "chromium $("$chromium" --version 2>/dev/null | grep -o '[0-9][0-9.]*' | head -n 1)"
else
  miss chromium "$chromium; run make setup as root, or install Debian's chromium package"
fi

# Go is part of the project once it has a Go module.
if [ -n "$(git ls-files -- '*go.mod' 2>/dev/null)" ]; then
  if command -v go >/dev/null 2>&1; then
    go_version=$(go env GOVERSION)
    echo "go ${go_version#go}"
  else
    miss go "the project has a Go module"
  fi
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "doctor: missing: ${missing[*]}" >&2
  exit 1
fi
