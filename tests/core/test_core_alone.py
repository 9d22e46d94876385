"""tracker-core installed on its own (scripts/test.sh builds .venv-core) validates pipelines."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CORE_VENV_TRACKER = REPO / ".venv-core" / "bin" / "tracker"

pytestmark = pytest.mark.skipif(
    not CORE_VENV_TRACKER.exists(), reason=".venv-core not built (run scripts/test.sh)"
)


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CORE_VENV_TRACKER), *args], capture_output=True, text=True, cwd=cwd, timeout=60
    )


def test_core_alone_validates_a_corpus_pipeline(corpus_dir: Path, tmp_path: Path) -> None:
    result = _run("validate", str(corpus_dir / "examples" / "ralph-loop.dip"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "ralph-loop.dip: valid" in result.stdout
    assert "Traceback" not in result.stderr


def test_core_alone_reports_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.dip"
    bad.write_text("workflow W\n  start: A\n  exit: Done\n\n  agent A\n    prompt: hi\n")
    result = _run("validate", str(bad), cwd=tmp_path)
    assert result.returncode == 1
    assert "DIP002" in result.stderr + result.stdout


def test_core_alone_lists_only_core_plugin(tmp_path: Path) -> None:
    result = _run("plugins", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    dists = {p["distribution"] for p in doc["plugins"]}
    assert dists == {"tracker-core"}


PIPELINE_WITHOUT_LLM = """\
workflow NoKeys
  goal: "Tool nodes and a gate, no LLM"
  start: Start
  exit: Done

  agent Start
    label: Start

  tool Build
    timeout: 10s
    command: echo built > build.txt && echo ok

  human Approve
    label: "Ship it?"
    mode: yes_no

  tool Ship
    timeout: 10s
    command: cat build.txt

  agent Done
    label: Done

  edges
    Start -> Build
    Build -> Approve
    Approve -> Ship  when ctx.outcome = success
    Approve -> Done  when ctx.outcome = fail
    Ship -> Done
"""


def test_core_alone_runs_a_pipeline_without_any_key(tmp_path: Path) -> None:
    pipeline = tmp_path / "nokeys.dip"
    pipeline.write_text(PIPELINE_WITHOUT_LLM)
    env = {
        k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and k != "XDG_CONFIG_HOME"
    }
    env["HOME"] = str(tmp_path)
    result = subprocess.run(
        [str(CORE_VENV_TRACKER), "run", str(pipeline), "--auto-approve", "--no-tui"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert (tmp_path / "build.txt").read_text().strip() == "built"
    no_providers = subprocess.run(
        [str(CORE_VENV_TRACKER.parent / "python"), "-c", "import tracker_providers"],
        capture_output=True,
    )
    assert no_providers.returncode != 0  # really core alone
