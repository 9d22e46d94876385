"""Inspecting a run our own engine wrote: `tracker run` a tiny tool-only pipeline, then
`tracker diagnose`, `tracker audit` and `tracker list` on its run directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TRACKER = REPO / ".venv" / "bin" / "tracker"

PIPELINE = """\
workflow tools
  start: Start
  exit: Done

  agent Start
    label: Start

  tool Hello
    timeout: 60s
    command:
      echo hello

  tool Break
    timeout: 60s
    command:
      echo partial output; echo it broke >&2; exit 3

  agent Done
    label: Done

  edges
    Start -> Hello
    Hello -> Break
    Break -> Done
"""


def tracker(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = [str(TRACKER)] if TRACKER.exists() else [sys.executable, "-m", "tracker.cli.app"]
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update({"NO_COLOR": "1", "XDG_CONFIG_HOME": str(cwd / "xdg")})
    return subprocess.run(
        [*exe, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=120
    )


def test_failed_engine_run_is_diagnosed_and_audited(tmp_path: Path) -> None:
    (tmp_path / "p.dip").write_text(PIPELINE)
    run = tracker("run", "p.dip", "--no-tui", cwd=tmp_path)
    assert run.returncode == 1, run.stderr
    [run_dir] = list((tmp_path / ".tracker" / "runs").iterdir())
    run_id = run_dir.name

    diag = tracker("diagnose", cwd=tmp_path)  # most recent run
    assert diag.returncode == 0, diag.stderr
    out = diag.stdout
    assert out.startswith(f"\ntracker diagnose\n\n  Run ID:  {run_id}\n  Nodes:   2 completed\n")
    assert "  Failures: 1\n\n  ✗ Break\n" in out
    assert "    Output:\n      partial output\n" in out
    assert "    Stderr:\n      it broke\n" in out
    assert "    Errors:\n      " in out
    assert "─── Suggestions " in out

    doc = json.loads(tracker("diagnose", run_id[:5], "--json", cwd=tmp_path).stdout)
    [failure] = doc["failures"]
    assert failure["node_id"] == "Break" and failure["outcome"] == "fail"
    assert failure["stdout"] == "partial output" and failure["stderr"] == "it broke"
    assert failure["retry_count"] >= 1

    audit = tracker("audit", run_id[:6], "-w", str(tmp_path), cwd=REPO)
    assert audit.returncode == 0, audit.stderr
    text = audit.stdout
    assert f"  Run ID:    {run_id}\n  Status:    fail\n  Nodes:     2 completed\n" in text
    assert "▶ pipeline_started\n" in text and "▶ pipeline_failed\n" in text
    assert "▸ Hello — stage_completed (" in text
    assert "  • Pipeline failed at Break — check error details above\n" in text

    listing = tracker("list", cwd=tmp_path)
    assert listing.returncode == 0
    [row] = [line for line in listing.stdout.splitlines() if line.startswith(f"  {run_id}")]
    assert row.split()[1:3] == ["FAIL", "2"]
    assert row.rstrip().endswith("Break")
    assert "  1 runs total\n" in listing.stdout


def test_successful_engine_run_is_clean(tmp_path: Path) -> None:
    (tmp_path / "p.dip").write_text(PIPELINE.replace("exit 3", "exit 0"))
    assert tracker("run", "p.dip", "--no-tui", cwd=tmp_path).returncode == 0
    diag = tracker("diagnose", cwd=tmp_path)
    assert "  No failures found — this run completed cleanly.\n" in diag.stdout
    doc = json.loads(tracker("list", "--json", cwd=tmp_path).stdout)
    assert [(r["status"], r["nodes"]) for r in doc] == [("success", 4)]
    report = json.loads(tracker("audit", doc[0]["run_id"], "--json", cwd=tmp_path).stdout)
    assert report["status"] == "success" and "errors" not in report
