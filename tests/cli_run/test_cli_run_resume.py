"""Resume from the CLI (cli-tui.md §4.9) and Ctrl+C (§1.3): a killed or interrupted run
continues from its checkpoint and completed nodes never run twice."""

from __future__ import annotations

import json
import signal
from pathlib import Path

from cli_run_support import (
    activity,
    marker_lines,
    outputs,
    run_dirs,
    start,
    tool_pipeline,
    tracker,
    wait_for,
    write,
)

#: Two blocks until the test creates `go` (or 20 s pass); every node appends its name
SLOW = tool_pipeline(
    ("One", "echo One >> marker.txt"),
    (
        "Two",
        "echo Two >> marker.txt; i=0; while [ ! -f go ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done",
    ),
    ("Three", "echo Three >> marker.txt"),
)


def _started_two(workdir: Path) -> bool:
    return "Two" in marker_lines(workdir)


def test_killed_run_resumes_by_prefix_without_rerunning_completed_nodes(tmp_path: Path) -> None:
    write(tmp_path / "p.dip", SLOW)
    proc = start("p.dip", cwd=tmp_path)
    try:
        wait_for(lambda: _started_two(tmp_path))
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    [run_dir] = run_dirs(tmp_path)
    checkpoint = json.loads((run_dir / "checkpoint.json").read_text())
    assert checkpoint["completed_nodes"] == ["Start", "One"]
    assert checkpoint["current_node"] == "Two"

    (tmp_path / "go").touch()
    resumed = tracker("-r", run_dir.name[:5], "p.dip", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert marker_lines(tmp_path) == ["One", "Two", "Two", "Three"]
    assert "  ✓ resumed 2 completed nodes: Start, One" in resumed.stdout
    assert f"  Run ID:    {run_dir.name}" in resumed.stdout
    assert run_dirs(tmp_path) == [run_dir]  # same directory, log appended
    types = [e["type"] for e in activity(run_dir)]
    assert types.count("pipeline_started") == 2
    assert types[-1] == "pipeline_completed"


def test_ctrl_c_saves_the_checkpoint_prints_the_resume_hint_and_exits_1(tmp_path: Path) -> None:
    write(tmp_path / "p.dip", SLOW)
    proc = start("p.dip", cwd=tmp_path)
    wait_for(lambda: _started_two(tmp_path))
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=20) == 1
    out, err = outputs(tmp_path)
    [run_dir] = run_dirs(tmp_path)
    hint = f"tracker -r {run_dir.name} p.dip"
    assert f"interrupted: checkpoint saved; resume with: {hint}" in err
    assert f"  {hint}" in out  # the summary's Resume section
    assert "  Status:    ● fail" in out
    checkpoint = json.loads((run_dir / "checkpoint.json").read_text())
    assert checkpoint["completed_nodes"] == ["Start", "One"]
    failed = [e for e in activity(run_dir) if e["type"] == "pipeline_failed"]
    assert failed[-1]["message"] == "context cancelled"

    (tmp_path / "go").touch()
    resumed = tracker("-r", run_dir.name, "p.dip", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert marker_lines(tmp_path) == ["One", "Two", "Two", "Three"]


def _fake_run(runs: Path, name: str, checkpoint: bool = True) -> None:
    (runs / name).mkdir(parents=True)
    if checkpoint:
        write(runs / name / "checkpoint.json", json.dumps({"run_id": name, "current_node": ""}))


def test_resume_lookup_errors(tmp_path: Path) -> None:
    write(tmp_path / "p.dip", SLOW)
    runs = tmp_path / ".tracker" / "runs"
    proc = tracker("-r", "abc", "p.dip", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.splitlines()[-1].startswith("error: cannot read runs directory: ")
    _fake_run(runs, "abc111")
    _fake_run(runs, "abc222")
    _fake_run(runs, "def333", checkpoint=False)
    proc = tracker("-r", "abc", "p.dip", cwd=tmp_path)
    assert proc.stderr.splitlines()[-1] == (
        'error: ambiguous run ID "abc" matches 2 runs: abc111, abc222'
    )
    proc = tracker("-r", "zzz", "p.dip", cwd=tmp_path)
    assert proc.stderr.splitlines()[-1] == f'error: no run found matching "zzz" in {runs}'
    proc = tracker("-r", "def", "p.dip", cwd=tmp_path)
    assert proc.stderr.splitlines()[-1].startswith("error: checkpoint not found for run def333: ")
    assert marker_lines(tmp_path) == []


def test_resume_looks_in_artifact_dir_and_exact_name_wins(tmp_path: Path) -> None:
    write(tmp_path / "p.dip", tool_pipeline(("One", "echo One >> marker.txt")))
    proc = tracker("p.dip", "--artifact-dir", "art", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    [run_dir] = list((tmp_path / "art").iterdir())
    _fake_run(tmp_path / "art", run_dir.name + "x")  # a longer name sharing the prefix
    proc = tracker("-r", run_dir.name, "p.dip", "--artifact-dir", "art", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"  Run ID:    {run_dir.name}" in proc.stdout
    assert marker_lines(tmp_path) == ["One"]  # completed before: not run again
