#!/usr/bin/env bash
# Create ./.venv and install every tracker package into it (editable), plus dev tools.
# Needs only python3 (>= 3.11) with pip and venv. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet \
  -e packages/tracker-core \
  -e packages/tracker-providers \
  -e packages/tracker-tui \
  -e packages/tracker-acp \
  -e packages/tracker-swebench \
  -e ".[all,dev]"
# Editable installs are not byte-compiled by pip; do it once so start-up stays fast even where
# PYTHONDONTWRITEBYTECODE is set.
.venv/bin/python -m compileall -q packages/*/src >/dev/null || true
echo "tracker installed in ./.venv  (try: .venv/bin/tracker --help)" >&2
