#!/usr/bin/env bash
# Quick start, command 2: set everything up and run the whole test suite.
# Azurite (npm) is installed into ./node_modules when npm is available; with CI=true it is required.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/bootstrap.sh dev
if command -v npm >/dev/null 2>&1; then
  if [ ! -x node_modules/.bin/azurite-blob ]; then
    echo "Installing Azurite (the Azure Storage emulator) into ./node_modules…"
    npm ci --no-audit --no-fund --loglevel=error
  fi
elif [ "${CI:-}" = "true" ]; then
  echo "CI needs Node.js and npm to run the Azurite tests." >&2
  exit 1
else
  echo "npm not found: the Azurite tests will be skipped (install Node.js to run them)."
fi
exec .venv/bin/python -m pytest "$@"
