#!/usr/bin/env bash
# Create .venv with Python 3.11+ and install the project into it, once per pyproject.toml change.
# Usage: source scripts/bootstrap.sh [runtime|dev]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

profile="${1:-runtime}"
find_python() {
  for candidate in "${PYTHON:-}" python3 python3.13 python3.12 python3.11; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "This project needs Python 3.11 or newer; none was found on PATH (set PYTHON=/path/to/python3.11)." >&2
  return 1
}

if [ ! -x .venv/bin/python ]; then
  python="$(find_python)"
  echo "Creating .venv with $($python --version)…"
  "$python" -m venv .venv
fi

extra=""
[ "$profile" = "dev" ] && extra="[dev]"
stamp=".venv/.installed-${profile}-$(cat pyproject.toml | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "Installing the dashboard and its dependencies into .venv (first run takes a few minutes)…"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${extra}"
  rm -f .venv/.installed-"${profile}"-*
  touch "$stamp"
fi
