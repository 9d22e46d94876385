#!/usr/bin/env bash
# Set up ./.venv, then run the whole test suite (no network, no API keys).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# A second venv with tracker-core alone (non-editable), to prove it works without the rest.
if [ ! -x .venv-core/bin/python ]; then
  "${PYTHON:-python3}" -m venv .venv-core
fi
.venv-core/bin/python -m pip install --quiet --upgrade pip
.venv-core/bin/python -m pip install --quiet --force-reinstall --no-deps ./packages/tracker-core
.venv-core/bin/python -m pip install --quiet ./packages/tracker-core
.venv/bin/ruff check .
.venv/bin/python -m pytest "$@"
