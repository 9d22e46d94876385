"""Subgraph nodes: a child pipeline run as one node, through the real loader and engine
(spec/engine.md §4.8)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tracker.engine.api import Config, build_engine
from tracker.engine.events import PipelineEvent
from tracker.engine.handler import NodeEnv, Outcome, SessionStats
from tracker.engine.result import EngineResult
from tracker.graph.model import GraphNode

CHILD = """workflow child
  start: CStart
  exit: CDone

  vars
    greeting: hello
    who: world

  agent CStart
    label: CStart

  conditional Check
    label: Check

  tool Say
    timeout: 10s
    command:
      echo "${params.greeting}, ${params.who}"

  tool Refuse
    timeout: 10s
    command:
      echo "no ready signal"; exit 1

  agent CDone
    label: CDone

  edges
    CStart -> Check
    Check -> Say  when ctx.tool_stdout = ready
    Check -> Refuse
    Say -> CDone
    Refuse -> CDone
"""

PARENT = """workflow parent
  start: Start
  exit: Done

  agent Start
    label: Start

  tool Prep
    timeout: 10s
    command:
      echo {signal}

  subgraph Child
    ref: child.dip
{params}
  tool Recover
    timeout: 10s
    command:
      echo recovered

  agent Done
    label: Done

  edges
    Start -> Prep
    Prep -> Child
    Child -> Done  when ctx.outcome = success
    Child -> Recover  when ctx.outcome = fail
    Recover -> Done
"""


@dataclass
class PipelineRun:
    result: EngineResult
    events: list[PipelineEvent]

    def types(self, node_id: str) -> list[str]:
        return [e.type for e in self.events if e.node_id == node_id]


def run_pipeline(
    tmp_path: Path,
    text: str,
    child: str = CHILD,
    handlers: dict[str, Any] | None = None,
) -> PipelineRun:
    (tmp_path / "child.dip").write_text(child)
    source = tmp_path / "pipeline.dip"
    source.write_text(text)
    events: list[PipelineEvent] = []
    cfg = Config(workdir=tmp_path, artifact_dir=tmp_path / "runs", event_handler=events.append)
    engine = build_engine(source, cfg)
    engine.handlers.update(handlers or {})
    result = asyncio.run(engine.run())
    for sink in engine.sinks:
        getattr(sink, "close", lambda: None)()
    return PipelineRun(result, events)


def parent(signal: str = "ready", params: dict[str, str] | None = None) -> str:
    block = ""
    if params:
        block = "    params:\n" + "".join(f"      {k}: {v}\n" for k, v in params.items())
    return PARENT.format(signal=signal, params=block)


def test_params_events_and_context_flow_through_the_child(tmp_path: Path) -> None:
    run = run_pipeline(tmp_path, parent(params={"greeting": "hi"}))

    assert run.result.status == "success", run.result.error
    ctx = run.result.context
    # override wins, the child's declared var is the default for the rest; the child saw
    # the parent's context (its Check routed on the parent's tool output)
    assert ctx["tool_stdout"] == "hi, world"
    assert ctx["node.Say.tool_stdout"] == "hi, world"
    assert ctx["node.Child.outcome"] == "success"
    # the parent's own graph params are not clobbered by the child's
    assert "graph.params.greeting" not in ctx
    # child events arrive under Child/…, its pipeline_* events do not arrive at all
    assert run.types("Child/Say") == [
        "stage_started",
        "decision_outcome",
        "stage_completed",
        "decision_edge",
    ]
    assert "Child/CStart" in {e.node_id for e in run.events}
    assert [e.type for e in run.events if e.type.startswith("pipeline_")] == [
        "pipeline_started",
        "pipeline_completed",
    ]
    assert run.types("Child") == [
        "stage_started",
        "decision_outcome",
        "stage_completed",
        "decision_condition",
        "decision_edge",
    ]
    assert run.result.completed_nodes == ["Start", "Prep", "Child", "Done"]


def test_declared_defaults_apply_without_params(tmp_path: Path) -> None:
    run = run_pipeline(tmp_path, parent())

    assert run.result.context["tool_stdout"] == "hello, world"


def test_a_failed_child_is_a_routable_failure(tmp_path: Path) -> None:
    run = run_pipeline(tmp_path, parent(signal="not-yet"))

    assert run.result.status == "success", run.result.error
    assert run.result.context["node.Child.outcome"] == "fail"
    assert run.result.context["node.Refuse.tool_stdout"] == "no ready signal"
    assert "Recover" in run.result.completed_nodes
    child_trace = next(t for t in run.result.trace if t.node_id == "Child")
    assert child_trace.status == "fail"
    assert child_trace.edge_to == "Recover"


class Agent:
    name = "codergen"

    async def execute(self, node: GraphNode, env: NodeEnv) -> Outcome:
        stats = SessionStats(
            turns=1, input_tokens=70, output_tokens=30, total_tokens=100, provider="stub"
        )
        return Outcome(context_updates={"last_response": f"done {node.id}"}, stats=stats)


AGENT_CHILD = """workflow agentchild
  start: S
  exit: E

  agent S
    label: S

  agent Work
    prompt: work

  agent E
    label: E

  edges
    S -> Work
    Work -> E
"""


def test_child_usage_rolls_up_into_the_parent(tmp_path: Path) -> None:
    run = run_pipeline(tmp_path, parent(), child=AGENT_CHILD, handlers={"codergen": Agent()})

    assert run.result.status == "success", run.result.error
    child_trace = next(t for t in run.result.trace if t.node_id == "Child")
    assert child_trace.child_usage is not None
    assert child_trace.child_usage.total_tokens == 100
    assert run.result.usage is not None and run.result.usage.total_tokens == 100
    assert run.result.context["last_response"] == "done Work"
    costs = [e for e in run.events if e.type == "cost_updated" and e.node_id == "Child"]
    assert costs and costs[0].total_tokens == 100


def test_a_missing_subgraph_file_stops_the_run_before_anything_runs(tmp_path: Path) -> None:
    source = tmp_path / "pipeline.dip"
    source.write_text(parent().replace("ref: child.dip", "ref: nowhere.dip"))
    with pytest.raises(Exception, match="nowhere.dip"):
        build_engine(source, Config(workdir=tmp_path, artifact_dir=tmp_path / "runs"))
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
