"""`tracker --help` and `tracker validate` must not import any provider SDK or UI toolkit.

Start-up cost is part of the user experience (design.md, Plugins): an SDK is imported only
when a run actually uses that provider / UI / backend. Each command runs in a fresh
interpreter that reports `sys.modules` as it exits.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("anthropic", "openai", "google.genai", "textual", "acp")

# Runs the real console-script entry point, then prints the loaded module names on the
# last line of stdout (after whatever the command printed).
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


def loaded_modules(*args: str) -> tuple[list[str], subprocess.CompletedProcess[str]]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(list(args))],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else "[]"
    return json.loads(last), proc


def heavy_imports(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)]


def largest_corpus_dip(corpus: Path) -> Path:
    return max(corpus.rglob("*.dip"), key=lambda p: p.stat().st_size)


def test_help_imports_no_sdk() -> None:
    modules, proc = loaded_modules("--help")
    assert "tracker" in " ".join(proc.stdout.splitlines()[:-1]).lower(), proc.stderr
    assert "tracker.cli.app" in modules
    assert heavy_imports(modules) == []


def test_validate_imports_no_sdk(corpus_dir: Path) -> None:
    pipeline = largest_corpus_dip(corpus_dir)
    modules, proc = loaded_modules("validate", str(pipeline))
    assert "Traceback" not in proc.stderr
    if "tracker.dippin.parser" not in modules:
        pytest.fail(f"validate did not parse anything:\n{proc.stdout}\n{proc.stderr}")
    assert heavy_imports(modules) == []


def test_probe_detects_a_heavy_import() -> None:
    """The check itself works: a module importing a listed name is caught."""
    assert heavy_imports(["json", "textual.app", "openai", "acpx", "google.genai.types"]) == [
        "textual.app",
        "openai",
        "google.genai.types",
    ]
