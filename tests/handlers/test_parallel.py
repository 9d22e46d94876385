"""Parallel fan-out and fan-in, run through the real loader and engine (spec/engine.md §4.6)."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tracker.engine.api import Config, build_engine
from tracker.engine.events import PipelineEvent
from tracker.engine.handler import HandlerError, NodeEnv, Outcome, SessionStats
from tracker.engine.result import EngineResult
from tracker.graph.model import GraphNode


@dataclass
class PipelineRun:
    result: EngineResult
    events: list[PipelineEvent]
    seconds: float

    def types(self, node_id: str) -> list[str]:
        return [e.type for e in self.events if e.node_id == node_id]

    def results(self) -> list[dict[str, Any]]:
        return json.loads(self.result.context["parallel.results"])


def run_pipeline(
    tmp_path: Path, text: str, *, handlers: dict[str, Any] | None = None, **config: Any
) -> PipelineRun:
    source = tmp_path / "pipeline.dip"
    source.write_text(text)
    events: list[PipelineEvent] = []
    cfg = Config(
        workdir=config.pop("workdir", tmp_path),
        artifact_dir=tmp_path / "runs",
        event_handler=events.append,
        **config,
    )
    engine = build_engine(source, cfg)
    engine.handlers.update(handlers or {})
    started = time.monotonic()
    result = asyncio.run(engine.run())
    seconds = time.monotonic() - started
    for sink in engine.sinks:
        getattr(sink, "close", lambda: None)()
    return PipelineRun(result, events, seconds)


def fork(branches: dict[str, str], params: str = "", edges: str = "") -> str:
    """Start -> Fork(branches...) -> Join -> Done with one tool node per branch."""
    names = ", ".join(branches)
    tools = "".join(
        f"  tool {name}\n    timeout: 30s\n    command:\n      {cmd}\n\n"
        for name, cmd in branches.items()
    )
    block = f"    params:\n{params}" if params else ""
    return (
        "workflow fanout\n  start: Start\n  exit: Done\n\n"
        "  agent Start\n    label: Start\n\n"
        f"  parallel Fork -> {names}\n{block}\n"
        f"{tools}"
        f"  fan_in Join <- {names}\n\n"
        "  agent Done\n    label: Done\n\n"
        f"  edges\n    Start -> Fork\n    Join -> Done\n{edges}"
    )


def test_a_hundred_tool_branches_run_concurrently_each_under_its_own_id(tmp_path: Path) -> None:
    branches = {f"B{i:03d}": f"sleep 0.1; echo out-{i:03d}" for i in range(100)}

    run = run_pipeline(tmp_path, fork(branches))

    assert run.result.status == "success", run.result.error
    assert run.seconds < 5.0  # run one after another they would take over 10 s
    for name in branches:
        assert run.types(name) == ["stage_started", "stage_completed"]
        started = next(e for e in run.events if e.node_id == name)
        assert started.message == f'parallel branch "{name}" started'
    results = run.results()
    assert [r["node_id"] for r in results] == list(branches)
    assert all(r["status"] == "success" for r in results)
    assert results[7]["context_updates"]["tool_stdout"] == "out-007"
    # branches are not engine steps: no trace entries, not completed, no decisions
    traced = {t.node_id for t in run.result.trace}
    assert traced == {"Start", "Fork", "Join", "Done"}
    assert not set(branches) & set(run.result.completed_nodes)
    fork_events = run.types("Fork")
    assert fork_events[:2] == ["stage_started", "parallel_started"]
    assert fork_events[2:5] == ["parallel_completed", "decision_outcome", "stage_completed"]
    edge = next(e for e in run.events if e.type == "decision_edge" and e.node_id == "Fork")
    assert (edge.edge_to, edge.edge_priority) == ("Join", "suggested")


def test_results_json_and_any_success_rule(tmp_path: Path) -> None:
    run = run_pipeline(tmp_path, fork({"Good": "echo fine", "Bad": "echo broken >&2; exit 3"}))

    assert run.result.status == "success"
    results = run.results()
    assert [(r["node_id"], r["status"]) for r in results] == [("Good", "success"), ("Bad", "fail")]
    assert results[1]["context_updates"]["tool_stderr"] == "broken"
    assert run.types("Bad") == ["stage_started", "stage_failed"]
    assert run.result.context["node.Fork.outcome"] == "success"
    # the join only takes the successful branch's writes
    assert run.result.context["tool_stdout"] == "fine"
    assert run.result.context["node.Join.tool_stdout"] == "fine"


def test_all_branches_failing_fails_the_fork(tmp_path: Path) -> None:
    text = fork(
        {"A": "exit 1", "B": "exit 2"},
        edges="    Fork -> Done  when ctx.outcome = fail\n",
    )
    run = run_pipeline(tmp_path, text)

    assert run.result.context["node.Fork.outcome"] == "fail"
    assert [r["status"] for r in run.results()] == ["fail", "fail"]
    assert "Join" not in run.result.completed_nodes
    assert run.result.status == "success"  # routed to Done by the failure edge


def test_fan_in_merges_in_branch_order_not_finish_order(tmp_path: Path) -> None:
    branches = {
        "First": 'sleep 0.3; echo first; printf "%s" first > first.txt',
        "Second": "sleep 0.1; echo second",
        "Third": "echo third",
    }
    run = run_pipeline(tmp_path, fork(branches))

    assert run.result.status == "success"
    finished = [
        e.node_id for e in run.events if e.type == "stage_completed" and e.node_id in branches
    ]
    assert finished == ["Third", "Second", "First"]
    assert run.result.context["tool_stdout"] == "third"  # later branch in order wins
    assert [r["node_id"] for r in run.results()] == ["First", "Second", "Third"]


def test_branch_timeout_fails_only_the_slow_branch(tmp_path: Path) -> None:
    text = fork(
        {"Quick": "echo quick", "Slow": "sleep 20; echo late"},
        params="      branch_timeout: 300ms\n",
    )
    run = run_pipeline(tmp_path, text)

    assert run.result.status == "success"
    assert run.seconds < 5.0
    slow = run.results()[1]
    assert slow["status"] == "fail"
    assert "timed out after 0.3s" in slow["error"]
    failed = next(e for e in run.events if e.type == "stage_failed" and e.node_id == "Slow")
    assert "timed out" in failed.error


class Gauge:
    """A stand-in tool handler that records how many branches run at once."""

    name = "tool"

    def __init__(self) -> None:
        self.running = 0
        self.peak = 0

    async def execute(self, node: GraphNode, env: NodeEnv) -> Outcome:
        self.running += 1
        self.peak = max(self.peak, self.running)
        await asyncio.sleep(0.05)
        self.running -= 1
        return Outcome(context_updates={"seen": node.id})


def test_max_concurrency_limits_branches_in_flight(tmp_path: Path) -> None:
    gauge = Gauge()
    branches = {f"B{i}": "true" for i in range(6)}
    run = run_pipeline(
        tmp_path, fork(branches, params="      max_concurrency: 2\n"), handlers={"tool": gauge}
    )

    assert run.result.status == "success"
    assert gauge.peak == 2
    assert run.result.context["seen"] == "B5"


class Agent:
    """A stand-in agent: records the attrs each node ran with, reports one session."""

    name = "codergen"

    def __init__(self, fail: set[str] | None = None, crash: set[str] | None = None) -> None:
        self.attrs: dict[str, dict[str, str]] = {}
        self.contexts: dict[str, dict[str, str]] = {}
        self.fail = fail or set()
        self.crash = crash or set()

    async def execute(self, node: GraphNode, env: NodeEnv) -> Outcome:
        self.attrs[node.id] = dict(node.attrs)
        self.contexts[node.id] = env.context.snapshot()
        env.context.set("scribble", node.id)  # a branch's own context copy
        if node.id in self.crash:
            raise HandlerError(f"boom in {node.id}")
        stats = SessionStats(
            turns=1, input_tokens=100, output_tokens=50, total_tokens=150, provider="stub"
        )
        status = "fail" if node.id in self.fail else "success"
        return Outcome(status=status, context_updates={"last_response": node.id}, stats=stats)


BLOCK_FORK = """workflow blocks
  start: Start
  exit: Done

  defaults
    model: base-model

  vars
    topic: tides

  agent Start
    label: Start

  parallel Fork
    branch: A
      model: fast-model
    branch: B
    branch: C

  agent A
    prompt: write about ${params.topic} after ${ctx.note}

  agent B
    prompt: review

  agent C
    prompt: test

  fan_in Join <- A, B, C

  agent Done
    label: Done

  edges
    Start -> Fork
    Join -> Done
"""


def test_branch_overrides_interpolation_context_copies_and_summed_stats(tmp_path: Path) -> None:
    agent = Agent(crash={"C"})
    run = run_pipeline(tmp_path, BLOCK_FORK, handlers={"codergen": agent})

    assert run.result.status == "success", run.result.error
    assert agent.attrs["A"]["llm_model"] == "fast-model"
    assert agent.attrs["A"]["prompt"] == "write about tides after "
    assert agent.attrs["B"].get("llm_model", "") != "fast-model"
    # each branch saw the fork-time snapshot, not another branch's scribbles
    assert all("scribble" not in ctx for ctx in agent.contexts.values())
    assert "scribble" not in run.result.context
    results = run.results()
    assert results[2] == {"node_id": "C", "status": "fail", "error": "boom in C"}
    assert results[0]["stats"]["total_tokens"] == 150
    fork_trace = next(t for t in run.result.trace if t.node_id == "Fork")
    assert fork_trace.stats is not None
    assert (fork_trace.stats.turns, fork_trace.stats.total_tokens) == (2, 300)
    assert run.result.usage is not None and run.result.usage.total_tokens == 300
    assert run.result.context["last_response"] == "B"


def test_fan_in_without_results_is_a_configuration_error(tmp_path: Path) -> None:
    text = """workflow lonely
  start: Start
  exit: Done

  agent Start
    label: Start

  fan_in Join <- Start

  agent Done
    label: Done

  edges
    Join -> Done
"""
    run = run_pipeline(tmp_path, text, lint_errors_fatal=False)

    assert run.result.status == "fail"
    assert "parallel.results" in run.result.error


AGENT_FORK = """workflow agents
  start: Start
  exit: Done

  agent Start
    label: Start

  parallel Fork -> Draft, Review

  agent Draft
    prompt: draft it

  agent Review
    prompt: review it

  fan_in Join <- Draft, Review

  agent Done
    label: Done

  edges
    Start -> Fork
    Join -> Done
"""


def test_agent_branches_run_real_sessions_with_their_own_artifacts(tmp_path: Path) -> None:
    from tracker.llm.client import Client
    from tracker.llm.scripted import ScriptedProvider

    usage = {"input_tokens": 40, "output_tokens": 10, "total_tokens": 50}
    provider = ScriptedProvider(
        nodes={
            "Draft": [{"text": "the draft", "usage": usage}],
            "Review": [{"text": "the review", "usage": usage}],
        },
        source="branches",
    )
    client = Client({"scripted": provider}, default_provider="scripted")
    run = run_pipeline(
        tmp_path, AGENT_FORK, llm_client=client, provider="scripted", model="script-model"
    )

    assert run.result.status == "success", run.result.error
    updates = {r["node_id"]: r["context_updates"] for r in run.results()}
    assert updates["Draft"]["last_response"] == "the draft"
    assert updates["Review"]["last_response"] == "the review"
    assert run.result.context["response.Draft"] == "the draft"  # merged by the join
    run_dir = tmp_path / "runs" / run.result.run_id
    assert "draft it" in (run_dir / "Draft" / "prompt.md").read_text()
    assert (run_dir / "Review" / "response.md").is_file()
    assert run.result.usage is not None and run.result.usage.total_tokens == 100
