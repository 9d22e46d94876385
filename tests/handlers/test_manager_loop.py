"""`stack.manager_loop`: a supervised child pipeline, through the real loader and engine
(spec/engine.md §4.9)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

from tracker.engine.api import Config, build_engine
from tracker.engine.events import PipelineEvent
from tracker.engine.result import EngineResult

QUICK_CHILD = """workflow quick
  start: S
  exit: E

  agent S
    label: S

  tool Work
    timeout: 10s
    command:
      echo worked

  agent E
    label: E

  edges
    S -> Work
    Work -> E
"""

SLOW_CHILD = """workflow slow
  start: S
  exit: E

  agent S
    label: S

  tool Work
    timeout: 60s
    command:
      sleep 30

  agent E
    label: E

  edges
    S -> Work
    Work -> E
"""

STEERED_CHILD = """workflow steered
  start: S
  exit: E

  agent S
    label: S

  tool Wait
    timeout: 10s
    command:
      sleep 0.5

  conditional Route
    label: Route

  tool Fast
    timeout: 10s
    command:
      echo fast

  tool Slow
    timeout: 10s
    command:
      echo slow

  agent E
    label: E

  edges
    S -> Wait
    Wait -> Route
    Route -> Fast  when ctx.mode = fast
    Route -> Slow
    Fast -> E
    Slow -> E
"""

PARENT = """workflow supervisor
  start: Start
  exit: Done

  agent Start
    label: Start

  manager_loop Boss
    subgraph_ref: child.dip
{fields}
  tool Fallback
    timeout: 10s
    command:
      echo fell back

  agent Done
    label: Done

  edges
    Start -> Boss
    Boss -> Done  when ctx.outcome = success
    Boss -> Fallback  when ctx.outcome = fail
    Fallback -> Done
"""


@dataclass
class PipelineRun:
    result: EngineResult
    events: list[PipelineEvent]
    seconds: float

    def types(self, node_id: str) -> list[str]:
        return [e.type for e in self.events if e.node_id == node_id]


def run_pipeline(tmp_path: Path, child: str, **fields: str) -> PipelineRun:
    (tmp_path / "child.dip").write_text(child)
    body = "".join(f"    {k}: {v}\n" for k, v in fields.items())
    source = tmp_path / "pipeline.dip"
    source.write_text(PARENT.format(fields=body))
    events: list[PipelineEvent] = []
    cfg = Config(workdir=tmp_path, artifact_dir=tmp_path / "runs", event_handler=events.append)
    engine = build_engine(source, cfg)
    started = time.monotonic()
    result = asyncio.run(engine.run())
    seconds = time.monotonic() - started
    for sink in engine.sinks:
        getattr(sink, "close", lambda: None)()
    return PipelineRun(result, events, seconds)


def test_a_child_that_finishes_before_the_first_poll_succeeds(tmp_path: Path) -> None:
    run = run_pipeline(tmp_path, QUICK_CHILD, poll_interval="30s", max_cycles="5")

    assert run.result.status == "success", run.result.error
    assert run.types("Boss") == [
        "stage_started",
        "stage_started",
        "stage_completed",
        "decision_outcome",
        "stage_completed",
        "decision_condition",
        "decision_edge",
    ]
    assert run.types("Boss/Work")[:2] == ["stage_started", "decision_outcome"]
    ctx = run.result.context
    assert ctx["stack.child.status"] == "success"
    assert ctx["stack.child.cycles"] == "0"
    assert ctx["tool_stdout"] == "worked"  # the child's final context flows back
    assert run.seconds < 10


def test_stop_condition_stops_a_running_child(tmp_path: Path) -> None:
    run = run_pipeline(
        tmp_path,
        SLOW_CHILD,
        poll_interval="50ms",
        max_cycles="100",
        stop_condition="ctx.stack.child.cycles >= 3",
    )

    assert run.result.status == "success", run.result.error
    assert run.seconds < 10  # the 30 s child command was killed
    assert run.types("Boss").count("manager_cycle_tick") == 3
    assert run.result.context["stack.child.status"] == "stop_condition_met"
    assert run.result.context["node.Boss.outcome"] == "success"
    assert "Fallback" not in run.result.completed_nodes


def test_max_cycles_without_stop_fails_and_routes(tmp_path: Path) -> None:
    run = run_pipeline(tmp_path, SLOW_CHILD, poll_interval="50ms", max_cycles="3")

    assert run.seconds < 10
    assert run.types("Boss").count("manager_cycle_tick") == 3
    assert run.result.context["stack.child.status"] == "max_cycles_exceeded"
    assert run.result.context["node.Boss.outcome"] == "fail"
    assert run.result.context["node.Fallback.tool_stdout"] == "fell back"
    assert run.result.status == "success"
    failed = [e for e in run.events if e.type == "stage_failed" and e.node_id == "Boss"]
    assert any("max_cycles 3 reached" in e.message for e in failed)


def test_steering_pushes_context_into_the_running_child(tmp_path: Path) -> None:
    run = run_pipeline(
        tmp_path,
        STEERED_CHILD,
        poll_interval="50ms",
        max_cycles="200",
        steer_condition="ctx.stack.child.cycles >= 1",
        steer_context="mode=fast, note=x=50%",
    )

    assert run.result.status == "success", run.result.error
    ctx = run.result.context
    assert ctx["tool_stdout"] == "fast"  # the child routed on the steered key
    assert ctx["mode"] == "fast" and ctx["note"] == "x=50%"
    steered = [e for e in run.events if e.message.startswith("manager_loop: steered")]
    assert steered and steered[0].node_id == "Boss"
    assert "Boss/Fast" in {e.node_id for e in run.events}


def test_a_failing_child_fails_the_manager(tmp_path: Path) -> None:
    failing = QUICK_CHILD.replace("echo worked", "echo nope; exit 1")
    run = run_pipeline(tmp_path, failing, poll_interval="30s")

    ctx = run.result.context
    assert ctx["stack.child.status"] == "failed"
    assert ctx["stack.child.exit_status"] == "fail"
    assert ctx["node.Boss.outcome"] == "fail"
    assert "Fallback" in run.result.completed_nodes


def test_an_invalid_stop_condition_fails_before_the_child_starts(tmp_path: Path) -> None:
    run = run_pipeline(
        tmp_path, QUICK_CHILD, poll_interval="50ms", stop_condition="ctx.x = (unbalanced"
    )

    assert run.result.status == "fail"
    assert "stop_condition" in run.result.error
    assert not any(e.node_id.startswith("Boss/") for e in run.events)
