#!/usr/bin/env bash
# Set up ./.venv, then show the main job on a built-in workflow (no API key needed):
# validate it, then print its simulated execution plan.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/tracker validate build_product
.venv/bin/tracker simulate build_product
