"""Run directories, activity logs, sources and built-in workflows through `import tracker`."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import tracker


def _runs(tmp_path: Path, corpus_dir: Path, *names: str) -> Path:
    runs = tmp_path / ".tracker" / "runs"
    for name in names:
        shutil.copytree(corpus_dir / "testdata" / "runs" / name, runs / name)
    return runs


def test_load_activity_log_of_every_reference_run(corpus_dir: Path) -> None:
    for run_dir in sorted((corpus_dir / "testdata" / "runs").iterdir()):
        lines = (run_dir / "activity.jsonl").read_text().splitlines()
        entries = tracker.load_activity_log(run_dir)
        assert len(entries) == len([line for line in lines if line.strip()]), run_dir.name
        assert entries[0].type == "pipeline_started"
        assert all(e.timestamp.tzinfo is not None for e in entries)


def test_reference_failed_run_fields(corpus_dir: Path) -> None:
    entries = tracker.load_activity_log(corpus_dir / "testdata" / "runs" / "failed")
    failed = [e for e in entries if e.type == "stage_failed"]
    assert [(e.node_id, e.error) for e in failed] == [("Build", "exit 127")] * 2
    assert failed[0].timestamp == datetime(2026, 4, 17, 11, 0, 2, tzinfo=UTC)
    ok = tracker.load_activity_log(corpus_dir / "testdata" / "runs" / "ok")
    assert ok[0].run_id == "ok-run"


def test_parse_activity_line_both_timestamp_formats() -> None:
    seconds = tracker.parse_activity_line('{"ts":"2026-04-17T11:00:01Z","type":"a"}')
    millis = tracker.parse_activity_line(
        '{"ts":"2026-04-24T17:30:51.123-04:00","source":"pipeline","type":"b","node_id":"N"}'
    )
    nanos = tracker.parse_activity_line('{"ts":"2026-04-17T11:00:01.123456789Z","type":"c"}')
    assert seconds is not None and seconds.timestamp == datetime(2026, 4, 17, 11, 0, 1, tzinfo=UTC)
    assert millis is not None and millis.node_id == "N"
    assert millis.timestamp.microsecond == 123000
    assert millis.timestamp.utcoffset() == timedelta(hours=-4)
    assert nanos is not None and nanos.timestamp.microsecond == 123456


@pytest.mark.parametrize(
    "line",
    ["", "not json", "[1, 2]", '{"type":"x"}', '{"ts":"yesterday","type":"x"}', '{"ts":"2026-04-17T11:00:01"}'],
)  # fmt: skip
def test_malformed_lines_are_skipped(line: str, tmp_path: Path) -> None:
    assert tracker.parse_activity_line(line) is None
    (tmp_path / "activity.jsonl").write_text(line + '\n{"ts":"2026-04-17T11:00:01Z","type":"ok"}\n')
    assert [e.type for e in tracker.load_activity_log(tmp_path)] == ["ok"]


def test_sort_activity_by_time_is_stable() -> None:
    lines = [
        '{"ts":"2026-04-17T11:00:02Z","type":"late"}',
        '{"ts":"2026-04-17T12:00:01.500+01:00","type":"first"}',
        '{"ts":"2026-04-17T11:00:01.500Z","type":"second"}',
        '{"ts":"2026-04-17T11:00:00Z","type":"earliest"}',
    ]
    entries = [e for e in map(tracker.parse_activity_line, lines) if e is not None]
    ordered = tracker.sort_activity_by_time(entries)
    assert [e.type for e in ordered] == ["earliest", "first", "second", "late"]


def test_missing_activity_log_reads_empty(tmp_path: Path) -> None:
    assert tracker.load_activity_log(tmp_path) == []


def test_resolve_run_dir_and_checkpoint(tmp_path: Path, corpus_dir: Path) -> None:
    runs = _runs(tmp_path, corpus_dir, "ok", "failed", "budget_halted")
    assert tracker.resolve_run_dir(tmp_path, "ok") == runs.resolve() / "ok"
    assert tracker.resolve_run_dir(tmp_path, "fai").is_absolute()
    assert (
        tracker.resolve_checkpoint(tmp_path, "bud")
        == runs.resolve() / "budget_halted" / "checkpoint.json"
    )
    with pytest.raises(tracker.RunLookupError, match='^no run found matching "zz" in '):
        tracker.resolve_run_dir(tmp_path, "zz")
    (runs / "okay").mkdir()
    with pytest.raises(
        tracker.RunLookupError, match=r'^ambiguous run ID "o" matches 2 runs: ok, okay$'
    ):
        tracker.resolve_run_dir(tmp_path, "o")
    with pytest.raises(tracker.RunLookupError, match="^checkpoint not found for run okay: "):
        tracker.resolve_checkpoint(tmp_path, "okay")
    with pytest.raises(tracker.RunLookupError, match="^cannot read runs directory: "):
        tracker.resolve_run_dir(tmp_path / "elsewhere", "ok")


def test_most_recent_run_id_by_checkpoint_timestamp(tmp_path: Path, corpus_dir: Path) -> None:
    with pytest.raises(tracker.RunLookupError, match="^no runs found — run a pipeline first$"):
        tracker.most_recent_run_id(tmp_path)
    runs = _runs(tmp_path, corpus_dir, "ok", "failed")
    newest = json.loads((runs / "failed" / "checkpoint.json").read_text())
    newest["timestamp"] = (datetime.now(timezone(timedelta(hours=2)))).isoformat()
    (runs / "failed" / "checkpoint.json").write_text(json.dumps(newest))
    (runs / "zz-broken").mkdir()
    (runs / "zz-broken" / "checkpoint.json").write_text("{not json")
    assert tracker.most_recent_run_id(tmp_path) == "failed"


def test_most_recent_run_id_without_valid_checkpoints(tmp_path: Path) -> None:
    (tmp_path / ".tracker" / "runs" / "abc").mkdir(parents=True)
    with pytest.raises(tracker.RunLookupError, match="^no runs found with valid checkpoints$"):
        tracker.most_recent_run_id(tmp_path)


def test_resolve_source_order_and_not_found_message(tmp_path: Path) -> None:
    (tmp_path / "mine.dip").write_text("workflow Mine\n")
    (tmp_path / "plain").write_text("workflow Plain\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.dip").write_text("workflow X\n")
    assert tracker.resolve_source("mine", tmp_path) == "workflow Mine\n"
    assert tracker.resolve_source("plain", tmp_path) == "workflow Plain\n"
    assert tracker.resolve_source("sub/x.dip", tmp_path) == "workflow X\n"
    assert tracker.resolve_source("deep_review", tmp_path) == tracker.open_workflow("deep_review")
    (tmp_path / "deep_review.dip").write_text("workflow Shadow\n")
    assert tracker.resolve_source("deep_review", tmp_path) == "workflow Shadow\n"
    with pytest.raises(tracker.SourceNotFoundError) as err:
        tracker.resolve_source("nope", tmp_path)
    names = ", ".join(w.name for w in tracker.workflows())
    assert str(err.value) == (
        'unknown pipeline "nope" (no local file found, not a built-in workflow). '
        f"Available built-in workflows: {names}"
    )
    with pytest.raises(OSError, match="no such file"):
        tracker.resolve_source("missing.dip", tmp_path)


def test_workflows_lookup_and_open() -> None:
    infos = tracker.workflows()
    assert [w.name for w in infos] == sorted(w.name for w in infos)
    deep = tracker.lookup_workflow("deep_review")
    assert deep is not None and deep in infos
    assert deep.file == "deep_review.dip" and deep.display_name == "DeepReview" and deep.goal
    assert tracker.lookup_workflow("nope") is None
    assert "workflow DeepReview" in tracker.open_workflow("deep_review")
    with pytest.raises(tracker.WorkflowNotFoundError) as err:
        tracker.open_workflow("x")
    assert str(err.value) == 'no built-in workflow named "x"'


def test_export_bundle_error_and_provider_base_url(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="not a git repository"):
        tracker.export_bundle(tmp_path, tmp_path / "out.bundle")
    env = {"TRACKER_GATEWAY_URL": "https://gw.example/v1/"}
    assert tracker.resolve_provider_base_url("anthropic", env) == "https://gw.example/v1/anthropic"
    env["OPENAI_BASE_URL"] = "https://direct.example"
    assert tracker.resolve_provider_base_url("openai", env) == "https://direct.example"
    assert tracker.resolve_provider_base_url("openai", {}) == ""
