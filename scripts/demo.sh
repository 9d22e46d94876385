#!/usr/bin/env bash
# Set up ./.venv, then run the demo pipeline end to end with no API key: tool nodes, a human
# gate answered by --auto-approve, and agent nodes answered by the scripted provider.
# The run works in ./.demo (created fresh each time); its run directory lands in
# ./.demo/.tracker/runs/<run-id>/.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
rm -rf .demo && mkdir -p .demo && cd .demo
"$ROOT/.venv/bin/tracker" validate "$ROOT/examples/demo.dip"
"$ROOT/.venv/bin/tracker" run "$ROOT/examples/demo.dip" \
  --auto-approve --scripted "$ROOT/examples/demo.scripted.yaml"
