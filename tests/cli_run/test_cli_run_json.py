"""`--json` (cli-tui.md §6): stdout carries only NDJSON event lines; the banner, summary
and diagnostics go to stderr."""

from __future__ import annotations

from pathlib import Path

from cli_run_support import EXAMPLES, marker_pipeline, ndjson, run_dirs, tracker, write


def test_json_stdout_is_pure_ndjson_with_the_envelope_first(tmp_path: Path) -> None:
    write(tmp_path / "p.dip", marker_pipeline("A", "B"))
    proc = tracker("p.dip", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = ndjson(proc.stdout)  # raises on any non-JSON line
    assert lines, "no events"
    [run_dir] = run_dirs(tmp_path)
    for line in lines:
        assert list(line)[:3] == ["ts", "source", "type"]
        assert line["source"] in ("pipeline", "agent", "llm")
    types = [line["type"] for line in lines]
    assert types[0] == "pipeline_started"
    assert types[-1] == "pipeline_completed"
    started = [line for line in lines if line["type"] == "stage_started"]
    assert [line["node_id"] for line in started] == ["Start", "A", "B", "Done"]
    assert all(line["run_id"] == run_dir.name for line in started)
    assert "Run Complete" in proc.stderr
    assert "Run Complete" not in proc.stdout


def test_json_carries_agent_events_of_scripted_agents(tmp_path: Path) -> None:
    proc = tracker(
        "run",
        str(EXAMPLES / "demo.dip"),
        "--json",
        "--auto-approve",
        "--scripted",
        str(EXAMPLES / "demo.scripted.yaml"),
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    lines = ndjson(proc.stdout)
    agent = [line for line in lines if line["source"] == "agent"]
    assert {line["node_id"] for line in agent} == {"Plan", "Implement"}
    calls = [line for line in agent if line["type"] == "tool_call_end"]
    assert {line["tool_name"] for line in calls} == {"read", "write", "bash"}
    assert lines[-1]["type"] == "pipeline_completed"
