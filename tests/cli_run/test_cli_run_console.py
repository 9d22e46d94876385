"""Console runs of real pipelines (cli-tui.md §4.3–§4.6, §4.10): node lines, the summary,
where things are written, `--param` and the plumbing flags."""

from __future__ import annotations

import json
from pathlib import Path

from cli_run_support import (
    marker_lines,
    marker_pipeline,
    run_dirs,
    tool_pipeline,
    tracker,
    write,
)

PARAMS = "  vars\n    who: world\n    mood: calm"


def test_tool_pipeline_runs_with_one_line_per_node_and_a_summary(tmp_path: Path) -> None:
    write(tmp_path / "p.dip", marker_pipeline("Build", "Test"))
    proc = tracker("p.dip", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert marker_lines(tmp_path) == ["Build", "Test"]
    out = proc.stdout.splitlines()
    done = [line for line in out if " stage_completed " in line]
    assert [line.split("node=")[1].split()[0] for line in done] == [
        "Start",
        "Build",
        "Test",
        "Done",
    ]
    assert all(line.startswith("[") and line[9] == "]" for line in done)
    assert not any("checkpoint_saved" in line for line in out)
    [run_dir] = run_dirs(tmp_path)
    text = proc.stdout
    assert "═══ Run Complete ═══" in text
    assert f"  Run ID:    {run_dir.name}" in out
    assert "  Status:    ● success" in out
    assert any(line.startswith("  Duration:  ") for line in out)
    assert "─── Node Execution ───" in text
    build_row = next(line for line in out if line.startswith("  Build "))
    assert "✓ success" in build_row and build_row.rstrip().endswith("tool")
    assert "─── Pipeline ───" in text
    assert "  ✓ Test (" in text
    assert "Resume" not in text  # only failed runs get a resume hint
    assert "Totals" not in text  # no agent turns, no tool calls by agents


def test_failed_run_summary_has_error_line_and_resume_command(tmp_path: Path) -> None:
    write(tmp_path / "p.dip", tool_pipeline(("Break", "echo Break >> marker.txt; exit 3")))
    proc = tracker("run", "p.dip", cwd=tmp_path)
    assert proc.returncode == 1
    [run_dir] = run_dirs(tmp_path)
    assert "  Status:    ● fail" in proc.stdout
    assert "  ERROR: pipeline execution: " in proc.stdout
    assert f"  tracker -r {run_dir.name} p.dip" in proc.stdout
    assert proc.stderr.splitlines()[-1].startswith("error: pipeline execution: ")


def test_no_tui_is_the_same_console_output(tmp_path: Path) -> None:
    write(tmp_path / "p.dip", marker_pipeline("A"))
    proc = tracker("--no-tui", "p.dip", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "node=A" in proc.stdout
    assert "tui" not in proc.stderr.lower()


def test_verbose_shows_every_pipeline_event(tmp_path: Path) -> None:
    write(tmp_path / "p.dip", marker_pipeline("A"))
    proc = tracker("p.dip", "--verbose", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "checkpoint_saved" in proc.stdout
    assert "stage_started          node=A" in proc.stdout
    assert "decision_edge" in proc.stdout


def test_workdir_runs_tools_there_and_keeps_runs_there(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    write(tmp_path / "p.dip", marker_pipeline("A"))
    proc = tracker("p.dip", "-w", "work", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert marker_lines(work) == ["A"]
    assert marker_lines(tmp_path) == []
    assert len(run_dirs(work)) == 1
    proc = tracker("p.dip", "--workdir=missing", cwd=tmp_path)
    assert proc.returncode == 1
    assert "working directory does not exist" in proc.stderr


def test_artifact_dir_holds_the_run_directory(tmp_path: Path) -> None:
    write(tmp_path / "p.dip", marker_pipeline("A"))
    proc = tracker("p.dip", "--artifact-dir", "art", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    [run_dir] = [p for p in (tmp_path / "art").iterdir()]
    assert (run_dir / "checkpoint.json").is_file()
    assert (run_dir / "activity.jsonl").is_file()
    assert not (tmp_path / ".tracker").exists()
    checkpoint = json.loads((run_dir / "checkpoint.json").read_text())
    assert checkpoint["completed_nodes"] == ["Start", "A", "Done"]


def test_param_overrides_a_declared_var_and_is_listed_in_the_summary(tmp_path: Path) -> None:
    write(
        tmp_path / "p.dip",
        tool_pipeline(("Greet", 'echo "${params.who}-${params.mood}" >> marker.txt'), extra=PARAMS),
    )
    proc = tracker("p.dip", "--param", "who=there", "--param=mood=a=b", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert marker_lines(tmp_path) == ["there-a=b"]
    assert "  Params:    mood=a=b, who=there" in proc.stdout.splitlines()
    proc = tracker("p.dip", cwd=tmp_path)
    assert marker_lines(tmp_path) == ["there-a=b", "world-calm"]
    assert "Params:" not in proc.stdout


def test_undeclared_param_stops_before_any_node_runs(tmp_path: Path) -> None:
    write(tmp_path / "p.dip", marker_pipeline("A", extra=PARAMS))
    proc = tracker("p.dip", "--param", "zeta=1", "--param", "alpha=2", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.splitlines()[-1] == (
        'error: apply --param overrides: unknown param "alpha" (declared params: mood, who)'
    )
    assert marker_lines(tmp_path) == []
    assert run_dirs(tmp_path) == []
    write(tmp_path / "q.dip", marker_pipeline("A"))
    proc = tracker("q.dip", "--param", "x=1", cwd=tmp_path)
    assert proc.stderr.splitlines()[-1] == (
        'error: apply --param overrides: unknown param "x" (this workflow declares no params)'
    )


def test_gateway_url_is_exported_to_the_run(tmp_path: Path) -> None:
    write(tmp_path / "p.dip", tool_pipeline(("Gw", 'echo "$TRACKER_GATEWAY_URL" > gw.txt')))
    proc = tracker("p.dip", "--gateway-url", "http://gw.local:9000", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "gw.txt").read_text().strip() == "http://gw.local:9000"


def test_workdir_dotenv_is_loaded_before_the_run(tmp_path: Path) -> None:
    write(tmp_path / ".env", "DEMO_SETTING=from-dotenv\n")
    write(tmp_path / "p.dip", tool_pipeline(("Env", 'echo "$DEMO_SETTING" > env.txt')))
    proc = tracker("p.dip", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "env.txt").read_text().strip() == "from-dotenv"
