"""Human gates inside real pipeline runs: the engine routes on what the gate answered."""

from __future__ import annotations

import asyncio
import io
import json
import os
from pathlib import Path
from typing import Any

from tracker.engine.config import RunConfig
from tracker.engine.events import PipelineEvent
from tracker.engine.result import EngineResult
from tracker.engine.runner import Engine
from tracker.gates.console import ConsoleInterviewer
from tracker.loader import PipelineSource, load_pipeline

QUESTIONS = (
    '{"questions":[{"text":"Which storage backend?","options":["postgres","sqlite"]},'
    '{"text":"Proceed with the plan?","options":["yes","no"]}]}'
)


def run(
    text: str,
    tmp_path: Path,
    *,
    stdin: str | None = None,
    auto_approve: bool = False,
) -> tuple[EngineResult, list[PipelineEvent], str]:
    loaded = load_pipeline(PipelineSource(name="p.dip", text=text, path=None, format="dip"))
    assert loaded.graph is not None, [d.message for d in loaded.diagnostics]
    events: list[PipelineEvent] = []
    out = io.StringIO()
    interviewer: Any = None
    if stdin is not None:
        r, w = os.pipe()
        os.write(w, stdin.encode())
        os.close(w)
        interviewer = ConsoleInterviewer(input=os.fdopen(r, "r"), output=out)
    engine = Engine(
        loaded.graph,
        config=RunConfig(workdir=tmp_path, auto_approve=auto_approve),
        event_handler=events.append,
        interviewer=interviewer,
    )
    return asyncio.run(engine.run()), events, out.getvalue()


def node_events(events: list[PipelineEvent], node_id: str) -> list[str]:
    return [e.type for e in events if e.node_id == node_id]


HEADER = """workflow gates
  start: Start
  exit: Done

  agent Start
    label: Start

  agent Done
    label: Done

  tool Ship
    label: Ship
    command: echo shipped

  tool Revise
    label: Revise
    command: echo revised
"""


def test_choice_gate_routes_to_the_default_choice_under_auto_approve(tmp_path: Path) -> None:
    text = (
        HEADER
        + """
  human Review
    label: "Review the plan"
    default: revise

  edges
    Start -> Review
    Review -> Ship    label: approve
    Review -> Revise  label: revise
    Ship -> Done
    Revise -> Done
"""
    )
    result, events, _ = run(text, tmp_path, auto_approve=True)
    assert result.status == "success"
    assert "Revise" in result.completed_nodes and "Ship" not in result.completed_nodes
    assert result.context["human_response"] == "revise"
    assert node_events(events, "Review") == [
        "stage_started",
        "gate_opened",
        "gate_resolved",
        "decision_outcome",
        "stage_completed",
        "decision_edge",
    ]
    edge = next(e for e in events if e.type == "decision_edge" and e.edge_from == "Review")
    assert (edge.edge_to, edge.edge_priority) == ("Revise", "label")


def test_choice_gate_answered_on_the_console(tmp_path: Path) -> None:
    text = (
        HEADER
        + """
  human Review
    label: "Review the plan"

  edges
    Start -> Review
    Review -> Ship    label: approve
    Review -> Revise  label: revise
    Ship -> Done
    Revise -> Done
"""
    )
    result, _, out = run(text, tmp_path, stdin="approve\n")
    assert "Ship" in result.completed_nodes and "Revise" not in result.completed_nodes
    assert "  1) approve\n  2) revise\nEnter choice: " in out


def test_choice_keys_route_through_the_engine(tmp_path: Path) -> None:
    text = (
        HEADER
        + """
  human Review
    label: "Review the plan"

  edges
    Start -> Review
    Review -> Ship    label: "Ship it"  choice: ship
    Review -> Revise  label: "Send back"  choice: revise
    Ship -> Done
    Revise -> Done
"""
    )
    result, _, _ = run(text, tmp_path, stdin="2\n")
    assert "Revise" in result.completed_nodes and "Ship" not in result.completed_nodes
    assert result.context["human_response"] == "Send back"


def test_yes_no_gate_routes_on_outcome(tmp_path: Path) -> None:
    text = (
        HEADER
        + """
  human Approve
    label: "Deploy now?"
    mode: yes_no

  edges
    Start -> Approve
    Approve -> Ship    when ctx.outcome = success
    Approve -> Revise  when ctx.outcome = fail
    Ship -> Done
    Revise -> Done
"""
    )
    result, _, _ = run(text, tmp_path, stdin="No\n")
    assert result.status == "success"
    assert "Revise" in result.completed_nodes and "Ship" not in result.completed_nodes
    result, _, _ = run(text, tmp_path, auto_approve=True)
    assert "Ship" in result.completed_nodes and "Revise" not in result.completed_nodes


def test_hybrid_freeform_routes_on_a_typed_label(tmp_path: Path) -> None:
    text = (
        HEADER
        + """
  human Escalate
    label: "What now?"
    mode: freeform

  edges
    Start -> Escalate
    Escalate -> Ship    label: accept
    Escalate -> Revise  label: abandon
    Ship -> Done
    Revise -> Done
"""
    )
    result, _, _ = run(text, tmp_path, stdin="Abandon\n")
    assert "Revise" in result.completed_nodes and "Ship" not in result.completed_nodes
    assert result.context["human_response"] == "Abandon"


def test_interview_answers_reach_the_next_node(tmp_path: Path) -> None:
    text = f"""workflow interview
  start: Start
  exit: Done

  agent Start
    label: Start

  agent Done
    label: Done

  tool Ask
    label: Ask
    command: echo '{QUESTIONS}'

  human Interview
    label: Interview
    mode: interview
    questions_key: tool_stdout

  tool Use
    label: Use
    command: echo "${{ctx.interview_answers}}" > answers.json

  edges
    Start -> Ask
    Ask -> Interview
    Interview -> Use
    Use -> Done
"""
    result, events, _ = run(text, tmp_path, auto_approve=True)
    assert result.status == "success", result.error
    answers = json.loads(result.context["interview_answers"])
    assert [q["answer"] for q in answers["questions"]] == ["postgres", "yes"]
    assert node_events(events, "Interview")[:3] == ["stage_started", "gate_opened", "gate_resolved"]


def test_cancelled_interview_takes_the_failure_edge(tmp_path: Path) -> None:
    text = f"""workflow interview
  start: Start
  exit: Done

  agent Start
    label: Start

  agent Done
    label: Done

  tool Ask
    label: Ask
    command: echo '{QUESTIONS}'

  human Interview
    label: Interview
    mode: interview
    questions_key: tool_stdout

  tool Completed
    label: Completed
    command: echo ok

  tool Canceled
    label: Canceled
    command: echo canceled

  edges
    Start -> Ask
    Ask -> Interview
    Interview -> Completed  when ctx.outcome = success
    Interview -> Canceled   when ctx.outcome = fail
    Completed -> Done
    Canceled -> Done
"""
    result, _, _ = run(text, tmp_path, stdin="sqlite\n")  # then end of input
    assert "Canceled" in result.completed_nodes and "Completed" not in result.completed_nodes
    assert json.loads(result.context["interview_answers"])["canceled"] is True


def test_golden_interview_fixture_gate_stream(tmp_path: Path) -> None:
    """The conformance fixture `interview.dip`: an agent emits JSON questions, the gate
    (auto-approve) answers them; the gate node's event stream matches the golden trace."""
    import pytest

    pytest.importorskip("tracker.handlers.codergen")
    from tracker.llm.client import Client
    from tracker.llm.scripted import ScriptedProvider

    fixture = (
        Path(__file__).resolve().parents[2].parent
        / "shared/corpus/tracker/cmd/tracker-conformance/testdata/golden"
    )
    if not (fixture / "interview.dip").is_file():
        pytest.skip("reference corpus not available")
    golden = json.loads((fixture / "interview.golden.json").read_text())
    stub_reply = (
        '{"questions":[{"text":"Which storage backend?","context":"two candidates found",'
        '"options":["postgres","sqlite"]},{"text":"Proceed with the plan?","options":["yes","no"]}]}'
    )
    provider = ScriptedProvider(
        default={"text": stub_reply, "usage": {"input_tokens": 100, "output_tokens": 50}}
    )
    loaded = load_pipeline(
        PipelineSource(
            name="interview.dip",
            text=(fixture / "interview.dip").read_text(),
            path=None,
            format="dip",
        )
    )
    events: list[PipelineEvent] = []
    engine = Engine(
        loaded.graph,
        config=RunConfig(workdir=tmp_path, auto_approve=True, model="stub-model", provider="stub"),
        event_handler=events.append,
        llm_client_factory=lambda: Client({"stub": provider}, default_provider="stub"),
    )
    result = asyncio.run(engine.run())
    assert result.status == "success", result.error
    assert node_events(events, "Interview") == golden["node_events"]["Interview"]
    answers = json.loads(result.context["interview_answers"])
    assert [q["answer"] for q in answers["questions"]] == ["postgres", "yes"]
