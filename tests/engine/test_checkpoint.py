"""checkpoint.json content, atomic writes, and resume (spec/engine.md §6, design.md)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from engine_helpers import dip
from tracker.engine.api import Config, run_sync
from tracker.engine.checkpoint import Checkpoint, load_checkpoint, write_atomic

LINEAR = """
  tool A
    command:
      echo A >> marks.txt; printf a

  tool B
    command:
      echo B >> marks.txt; if [ -f slow ]; then sleep 30; fi; printf b

  tool C
    command:
      echo C >> marks.txt; printf c

  edges
    Start -> A
    A -> B
    B -> C
    C -> Done
"""


def test_checkpoint_fields_and_permissions(run_dip) -> None:
    run = run_dip(dip(LINEAR))
    assert run.result.status == "success"
    path = run.run_dir / "checkpoint.json"
    raw = path.read_text()
    cp = json.loads(raw)
    assert list(cp) == [
        "run_id",
        "current_node",
        "completed_nodes",
        "retry_counts",
        "context",
        "timestamp",
        "restart_count",
        "edge_selections",
    ]
    assert raw.startswith('{\n  "run_id": ')
    assert cp["run_id"] == run.result.run_id and len(cp["run_id"]) == 12
    assert cp["completed_nodes"] == ["Start", "A", "B", "C", "Done"]
    assert cp["edge_selections"] == {"Start": "A", "A": "B", "B": "C", "C": "Done"}
    assert cp["context"]["node.B.tool_stdout"] == "b"
    assert not any(k.startswith("_") for k in cp["context"])  # internal keys stay out
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(run.run_dir.stat().st_mode) == 0o700
    assert [p.name for p in run.run_dir.iterdir() if p.name.endswith(".tmp")] == []
    assert "checkpoint_saved" in run.types()


def test_no_artifact_dir_means_no_checkpoint_events(run_dip) -> None:
    run = run_dip(dip(LINEAR), artifacts=False)
    assert run.result.status == "success" and run.run_dir is None
    assert "checkpoint_saved" not in run.types()


def test_atomic_write_keeps_the_old_file_when_a_write_fails(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "cp" / "checkpoint.json"
    write_atomic(path, Checkpoint(run_id="old").to_json())

    def boom(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        write_atomic(path, Checkpoint(run_id="new").to_json())
    assert load_checkpoint(path).run_id == "old"
    assert sorted(p.name for p in path.parent.iterdir()) == ["checkpoint.json"]


def test_corrupt_checkpoint_is_a_clear_error(tmp_path: Path) -> None:
    from tracker.engine.runner import EngineError

    runs = tmp_path / "runs"
    (runs / "abc123abc123").mkdir(parents=True)
    (runs / "abc123abc123" / "checkpoint.json").write_text("{nope")
    source = tmp_path / "p.dip"
    source.write_text(dip(LINEAR))
    with pytest.raises(EngineError, match="corrupt checkpoint at"):
        run_sync(source, Config(workdir=tmp_path, artifact_dir=runs, resume_run_id="abc"))


def _marks(workdir: Path) -> list[str]:
    return (workdir / "marks.txt").read_text().split()


def test_resume_after_sigkill_runs_nothing_twice(tmp_path: Path) -> None:
    source = tmp_path / "pipeline.dip"
    source.write_text(dip(LINEAR))
    work, runs = tmp_path / "work", tmp_path / "runs"
    work.mkdir()
    (work / "slow").write_text("")
    script = textwrap.dedent(
        f"""
        from tracker.engine.api import Config, run_sync
        run_sync({str(source)!r}, Config(workdir={str(work)!r}, artifact_dir={str(runs)!r}))
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            marks = work / "marks.txt"
            if marks.exists() and "B" in marks.read_text().split():
                break
            time.sleep(0.05)
        else:
            pytest.fail("pipeline never reached node B")
    finally:
        proc.kill()  # SIGKILL: no cleanup, no final checkpoint
        proc.wait()
    assert _marks(work) == ["A", "B"]
    (run_dir,) = list(runs.iterdir())
    assert json.loads((run_dir / "checkpoint.json").read_text())["current_node"] == "B"
    lines_before = len((run_dir / "activity.jsonl").read_text().splitlines())

    (work / "slow").unlink()
    resumed = run_sync(
        source, Config(workdir=work, artifact_dir=runs, resume_run_id=run_dir.name[:6])
    )
    assert resumed.status == "success"
    assert resumed.run_id == run_dir.name
    assert _marks(work) == ["A", "B", "B", "C"]  # only the interrupted node ran again

    activity = (run_dir / "activity.jsonl").read_text().splitlines()
    assert len(activity) > lines_before  # appended to the same log
    appended = [json.loads(line) for line in activity[lines_before:]]
    assert appended[0]["type"] == "pipeline_started"
    assert appended[0]["run_id"] == run_dir.name
    assert appended[1]["type"] == "stage_started" and appended[1]["node_id"] == "B"

    # the final context equals an uninterrupted run's
    fresh_work = tmp_path / "fresh"
    fresh_work.mkdir()
    fresh = run_sync(source, Config(workdir=fresh_work, artifact_dir=tmp_path / "fresh-runs"))
    assert fresh.status == "success"
    assert resumed.context == fresh.context


def test_resume_reruns_the_node_whose_failure_stopped_the_run(tmp_path: Path) -> None:
    body = """
  tool A
    command:
      echo A >> marks.txt; printf a

  tool Flaky
    command:
      echo F >> marks.txt; test -f ok

  edges
    Start -> A
    A -> Flaky
    Flaky -> Done
"""
    source = tmp_path / "p.dip"
    source.write_text(dip(body))
    runs = tmp_path / "runs"
    first = run_sync(source, Config(workdir=tmp_path, artifact_dir=runs))
    assert first.status == "fail"
    (tmp_path / "ok").write_text("")
    second = run_sync(
        source, Config(workdir=tmp_path, artifact_dir=runs, resume_run_id=first.run_id)
    )
    assert second.status == "success"
    assert _marks(tmp_path) == ["A", "F", "F"]
    assert second.completed_nodes[-2:] == ["Flaky", "Done"]


def test_resume_after_budget_halt_continues_at_the_next_node(tmp_path: Path) -> None:
    from engine_helpers import OutcomeScript, stats
    from tracker.engine.api import build_engine
    from tracker.engine.config import BudgetLimits
    from tracker.engine.handler import Outcome

    body = """
  agent A
    prompt: a

  agent B
    prompt: b

  edges
    Start -> A
    A -> B
    B -> Done
"""
    source = tmp_path / "p.dip"
    source.write_text(dip(body))
    runs = tmp_path / "runs"
    import asyncio

    def run(**kw):
        script = OutcomeScript({n: [Outcome(stats=stats(150))] for n in ("A", "B")})
        engine = build_engine(source, Config(workdir=tmp_path, artifact_dir=runs, **kw))
        engine.handlers["codergen"] = script
        return asyncio.run(engine.run()), script

    halted, _ = run(budget=BudgetLimits(max_total_tokens=100))
    assert halted.status == "budget_exceeded"
    done, script = run(resume_run_id=halted.run_id)
    assert done.status == "success"
    assert script.calls == ["B"]


def test_resume_walk_skips_completed_nodes_along_stored_edges(tmp_path: Path) -> None:
    source = tmp_path / "p.dip"
    source.write_text(dip(LINEAR))
    run_dir = tmp_path / "runs" / "feedfacecafe"
    run_dir.mkdir(parents=True)
    cp = Checkpoint(
        run_id="feedfacecafe",
        current_node="Start",
        completed_nodes=["Start", "A"],
        context={"tool_stdout": "a", "outcome": "success"},
        edge_selections={"Start": "A", "A": "B"},
    )
    (run_dir / "checkpoint.json").write_text(cp.to_json())
    events = []
    result = run_sync(
        source,
        Config(
            workdir=tmp_path,
            artifact_dir=tmp_path / "runs",
            resume_run_id="feed",
            event_handler=events.append,
        ),
    )
    assert result.status == "success"
    assert _marks(tmp_path) == ["B", "C"]
    resumed = [e.node_id for e in events if e.message == "previously completed (resumed)"]
    assert resumed == ["Start", "A"]


@pytest.mark.parametrize(
    ("defaults", "expected_heading"),
    [("", "# Context Summary (fidelity: summary:high)"), ("on_resume: preserve", None)],
)
def test_the_node_a_run_resumes_at_sees_one_fidelity_step_less(
    tmp_path: Path, defaults: str, expected_heading: str | None
) -> None:
    import asyncio

    from engine_helpers import stats
    from tracker.engine.api import build_engine
    from tracker.engine.config import BudgetLimits
    from tracker.engine.handler import Outcome
    from tracker.handlers.codergen import build_prompt

    class PromptRecorder:
        name = "codergen"

        def __init__(self) -> None:
            self.prompts: dict[str, list[str]] = {}

        async def execute(self, node, env) -> Outcome:
            self.prompts.setdefault(node.id, []).append(build_prompt(node, env))
            return Outcome(stats=stats(150))

    body = "\n  agent A\n    prompt: a\n\n  agent B\n    prompt: b\n\n  edges\n"
    body += "    Start -> A\n    A -> B\n    B -> Done\n"
    source = tmp_path / "p.dip"
    source.write_text(dip(body, defaults=defaults))

    def run(**kw):
        recorder = PromptRecorder()
        engine = build_engine(source, Config(workdir=tmp_path, artifact_dir=tmp_path / "r", **kw))
        engine.handlers["codergen"] = recorder
        return asyncio.run(engine.run()), recorder

    halted, first = run(budget=BudgetLimits(max_total_tokens=100))
    assert halted.status == "budget_exceeded" and first.prompts["A"] == ["a"]
    done, resumed = run(resume_run_id=halted.run_id)
    assert done.status == "success"
    prompt = resumed.prompts["B"][0]
    if expected_heading:
        assert prompt.startswith(expected_heading) and prompt.endswith("b")
    else:
        assert prompt == "b"
