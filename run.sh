#!/usr/bin/env bash
# Quick start, command 1: set everything up and start the dashboard on the local backend.
# The port follows Streamlit's own STREAMLIT_SERVER_PORT (default 8501).
set -euo pipefail
cd "$(dirname "$0")"
source scripts/bootstrap.sh runtime
port="${STREAMLIT_SERVER_PORT:-8501}"
echo "Starting the dashboard on http://localhost:${port} (local backend; state in ${AZML_DATA_DIR:-.data/})…"
exec .venv/bin/streamlit run dashboard/app.py "$@"
