"""The inspection library (cli-tui.md §11.1–§11.2): activity parsing, run discovery and
the diagnose / audit rules, on small hand-written run directories."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tracker.inspect import (
    InspectError,
    audit,
    diagnose,
    diagnose_most_recent,
    list_runs,
    load_activity_log,
    most_recent_run_id,
    parse_activity_line,
    resolve_run_dir,
    sort_activity_by_time,
)
from tracker.inspect.activity import MAX_LINE_BYTES


def make_run(
    root: Path,
    name: str,
    *,
    checkpoint: dict[str, Any] | None = None,
    activity: list[dict[str, Any] | str] = (),  # type: ignore[assignment]
    statuses: dict[str, dict[str, Any]] | None = None,
) -> Path:
    run = root / ".tracker" / "runs" / name
    run.mkdir(parents=True)
    cp = {"run_id": name, "completed_nodes": [], "timestamp": "2026-04-17T10:00:00Z"}
    cp.update(checkpoint or {})
    (run / "checkpoint.json").write_text(json.dumps(cp))
    lines = [a if isinstance(a, str) else json.dumps(a) for a in activity]
    (run / "activity.jsonl").write_text("".join(line + "\n" for line in lines))
    for node, status in (statuses or {}).items():
        (run / node).mkdir()
        (run / node / "status.json").write_text(json.dumps(status))
    return run


def ts(seconds: float) -> str:
    stamp = datetime(2026, 4, 17, 11, 0, tzinfo=UTC) + timedelta(seconds=seconds)
    return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def failing(node: str, outcome: str = "fail", stdout: str = "", stderr: str = "") -> dict:
    return {"outcome": outcome, "context_updates": {"tool_stdout": stdout, "tool_stderr": stderr}}


# --------------------------------------------------------------------------- activity log


def test_both_timestamp_spellings_parse():
    nano = parse_activity_line('{"ts":"2026-04-17T11:00:01.123456789-05:00","type":"x"}')
    milli = parse_activity_line('{"ts":"2026-04-17T16:00:01.123Z","type":"y","node_id":"N"}')
    assert nano is not None and milli is not None
    assert nano.timestamp.utcoffset() == timedelta(hours=-5)
    assert nano.timestamp.microsecond == 123456
    assert milli.node_id == "N" and milli.timestamp < nano.timestamp


@pytest.mark.parametrize(
    "line",
    [
        "not json",
        "[1, 2]",
        "null",
        '{"type":"x"}',  # no timestamp
        '{"ts":"yesterday","type":"x"}',
        '{"ts":"2026-04-17 11:00:00Z","type":"x"}',  # not RFC 3339
        '{"ts":"2026-04-17T11:00:00Z","type":5}',  # wrong type
        '{"ts":"2026-02-30T11:00:00Z","type":"x"}',  # no such day
    ],
)
def test_malformed_lines_are_rejected(line):
    assert parse_activity_line(line) is None


def test_load_skips_malformed_lines_and_sorts_by_time(tmp_path):
    run = make_run(
        tmp_path,
        "r",
        activity=[
            {"ts": ts(2), "type": "second"},
            "garbage {",
            "",
            {"ts": ts(1), "type": "first", "error": "boom", "unknown_field": [1]},
            {"ts": ts(2), "type": "third"},
        ],
    )
    entries = load_activity_log(run)
    assert [e.type for e in entries] == ["second", "first", "third"]
    assert [e.type for e in sort_activity_by_time(entries)] == ["first", "second", "third"]
    assert entries[0].error == "boom"
    assert load_activity_log(tmp_path / "missing") == []


def test_overlong_activity_line_fails_the_report(tmp_path):
    run = make_run(tmp_path, "r", activity=[{"ts": ts(0), "type": "pipeline_started"}])
    with (run / "activity.jsonl").open("a") as fh:
        fh.write('{"ts":"' + "x" * (MAX_LINE_BYTES + 1) + '"}\n')
    with pytest.raises(InspectError, match="^load activity log: "):
        audit(run)
    with pytest.raises(InspectError, match="^scan activity log: "):
        diagnose(run)
    log = io.StringIO()
    [summary] = list_runs(tmp_path, log=log)  # the list still shows the run
    assert summary.run_id == "r" and "cannot read activity log" in log.getvalue()


# --------------------------------------------------------------------------- runs


def test_list_runs_newest_first_and_missing_dir_is_empty(tmp_path):
    assert list_runs(tmp_path) == []
    make_run(tmp_path, "older", checkpoint={"timestamp": "2026-04-17T10:00:00Z"})
    make_run(tmp_path, "newer", checkpoint={"timestamp": "2026-04-17T06:00:00-05:00"})
    make_run(tmp_path, "offset", checkpoint={"timestamp": "2026-04-17T12:30:00+02:00"})
    (tmp_path / ".tracker" / "runs" / "not-a-run").mkdir()
    (tmp_path / ".tracker" / "runs" / "stray-file").write_text("x")
    assert [r.run_id for r in list_runs(tmp_path)] == ["newer", "offset", "older"]


def test_most_recent_skips_broken_checkpoints_and_warns(tmp_path):
    make_run(tmp_path, "good", checkpoint={"timestamp": "2026-04-17T10:00:00Z"})
    broken = make_run(tmp_path, "broken")
    (broken / "checkpoint.json").write_text("{not json")
    make_run(tmp_path, "zero", checkpoint={"timestamp": None})
    log = io.StringIO()
    assert most_recent_run_id(tmp_path, log=log) == "good"
    assert log.getvalue().startswith("warning: cannot load checkpoint for run broken: ")
    assert diagnose_most_recent(tmp_path).run_id == "good"


def test_resolve_run_dir_is_absolute_and_validates(tmp_path, monkeypatch):
    make_run(tmp_path, "3f9a1c2b7d4e")
    monkeypatch.chdir(tmp_path)
    found = resolve_run_dir(None, "3f9")
    assert found.is_absolute() and found == tmp_path / ".tracker" / "runs" / "3f9a1c2b7d4e"
    with pytest.raises(InspectError, match="^run ID cannot be empty$"):
        resolve_run_dir(tmp_path, "")
    with pytest.raises(InspectError, match="^cannot read runs directory: open "):
        resolve_run_dir(tmp_path / "elsewhere", "3f9")


# --------------------------------------------------------------------------- diagnose


def test_varying_failures_are_flaky_and_all_kinds_fire(tmp_path):
    run = make_run(
        tmp_path,
        "r",
        checkpoint={"completed_nodes": ["Start"]},
        activity=[
            *(
                e
                for i, err in enumerate(["exit 1", "exit 2", "exit 1"])
                for e in (
                    {"ts": ts(10 * i), "type": "stage_started", "node_id": "Test"},
                    {"ts": ts(10 * i + 2), "type": "stage_failed", "node_id": "Test", "error": err},
                )
            ),
            {"ts": ts(40), "type": "stage_started", "node_id": "Quick"},
            {"ts": ts(40.01), "type": "stage_failed", "node_id": "Quick", "handler": "agent"},
        ],
        statuses={
            "Test": failing(
                "Test", stdout="go test ./...\nFAIL pkg\nESCALATE after 3 fix attempts"
            ),
            "Quick": failing("Quick"),
            "Fine": failing("Fine", outcome="success"),
        },
    )
    report = diagnose(run)
    assert [f.node_id for f in report.failures] == ["Quick", "Test"]
    test = report.failures[1]
    assert (test.retry_count, test.identical_retries) == (3, False)
    assert test.errors == ["exit 1", "exit 2", "exit 1"]
    assert test.duration_ns == 2_000_000_000
    kinds = [(s.node_id, s.kind) for s in report.suggestions]
    assert kinds == [
        ("Quick", "no_output"),
        ("Quick", "suspicious_timing"),
        ("Test", "retry_pattern"),
        ("Test", "escalate_limit"),
        ("Test", "go_test"),
    ]
    messages = {s.kind: s.message for s in report.suggestions}
    assert messages["suspicious_timing"].startswith("Quick: Completed in 10ms — suspiciously")
    assert messages["retry_pattern"] == (
        "Test: Failed 3 times with varying errors — may be a flaky command or environment issue."
    )
    assert messages["no_output"] == (
        "Quick: No error details captured. Check the activity.jsonl for this node's events: "
        'grep "Quick" activity.jsonl | tail -20'
    )


def test_tool_error_stands_in_for_missing_stderr(tmp_path):
    run = make_run(
        tmp_path,
        "r",
        activity=[
            {"ts": ts(0), "type": "stage_started", "node_id": "B"},
            {
                "ts": ts(1),
                "type": "stage_failed",
                "node_id": "B",
                "tool_error": "sh: x: No such file or directory",
            },
        ],
        statuses={"B": {"outcome": "fail"}},
    )
    [failure] = diagnose(run).failures
    assert failure.stderr == "sh: x: No such file or directory"
    assert failure.errors == []


def test_unparseable_status_json_is_skipped_with_a_warning(tmp_path):
    run = make_run(tmp_path, "r", statuses={"A": {"outcome": "fail", "context_updates": {"n": 1}}})
    log = io.StringIO()
    assert diagnose(run, log=log).failures == []
    assert "warning: cannot parse" in log.getvalue()


def test_last_budget_exceeded_wins(tmp_path):
    run = make_run(
        tmp_path,
        "r",
        activity=[
            {"ts": ts(0), "type": "budget_exceeded", "message": "first"},
            {
                "ts": ts(1),
                "type": "budget_exceeded",
                "message": "max_cost exceeded",
                "total_cost_usd": 2,
            },
        ],
    )
    halt = diagnose(run).budget_halt
    assert halt is not None and (halt.message, halt.total_cost_usd) == ("max_cost exceeded", 2.0)


# --------------------------------------------------------------------------- audit


def test_status_classification(tmp_path):
    done = make_run(
        tmp_path,
        "done",
        checkpoint={"current_node": "X"},
        activity=[{"ts": ts(0), "type": "pipeline_completed"}],
    )
    assert audit(done).status == "success"  # the log's last word beats the checkpoint
    stopped = make_run(tmp_path, "stopped", checkpoint={"current_node": "X"})
    assert audit(stopped).status == "fail"
    clean = make_run(tmp_path, "clean")
    assert audit(clean).status == "success"


def test_recommendations_restarts_and_long_runs_sorted(tmp_path):
    run = make_run(
        tmp_path,
        "r",
        checkpoint={"restart_count": 2, "retry_counts": {"B": 3, "A": 1}, "current_node": "B"},
        activity=[
            {"ts": ts(0), "type": "pipeline_started"},
            {"ts": ts(31 * 60), "type": "pipeline_failed", "error": "boom"},
        ],
    )
    report = audit(run)
    assert report.recommendations == [
        "Consider adjusting retry_policy for B (used 3 retries)",
        "Long-running pipeline — consider fidelity=summary:medium for faster resumes",
        "Pipeline failed at B — check error details above",
        "Pipeline restarted 2 times — review loop conditions",
    ]
    assert [(r.node_id, r.attempts) for r in report.retries] == [("A", 1), ("B", 3)]
    assert report.errors[0].node_id == "" and report.errors[0].message == "boom"
    assert report.total_duration_ns == 31 * 60 * 1_000_000_000
    doc = report.model_dump(mode="json")
    assert doc["errors"] == [{"ts": ts(31 * 60).replace(".000", ""), "message": "boom"}]


def test_checkpoint_timestamp_keeps_its_zone(tmp_path):
    run = make_run(tmp_path, "r", checkpoint={"timestamp": "2026-04-24T10:11:12.345600-05:00"})
    report = audit(run)
    assert report.checkpoint_timestamp.utcoffset() == timedelta(hours=-5)
    assert (
        report.model_dump(mode="json")["checkpoint_timestamp"] == "2026-04-24T10:11:12.3456-05:00"
    )
    assert report.checkpoint_timestamp.tzinfo != UTC
