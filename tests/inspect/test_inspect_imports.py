"""`tracker diagnose/audit/list` stay light (cli-tui.md §0): no provider SDK, UI toolkit,
ACP, nor the engine — inspecting a run only reads files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("anthropic", "openai", "google.genai", "textual", "acp", "tracker.engine", "tracker.llm")

PROBE = """
import json, sys
sys.argv = ["tracker", *json.loads(sys.argv[1])]
from tracker.cli.app import main
try:
    main()
except SystemExit:
    pass
sys.stdout.flush()
print("\\n" + json.dumps(sorted(sys.modules)))
"""


@pytest.mark.parametrize("args", [["diagnose", "failed"], ["audit", "failed"], ["list"]])
def test_inspection_commands_import_nothing_heavy(workdir: Path, args: list[str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps([*args, "-w", str(workdir)])],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    modules = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "tracker.inspect" in modules, proc.stderr
    heavy = [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)]
    assert heavy == []
