"""The `wait.human` handler through its public interface: each mode answered on a console
(stdin fed through a pipe) and by auto-approve; timeouts; interview parsing; errors."""

from __future__ import annotations

import asyncio
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from tracker.engine.config import RunConfig
from tracker.engine.context import Context
from tracker.engine.events import PipelineEvent
from tracker.engine.handler import HandlerError, NodeEnv, Outcome
from tracker.gates.console import ConsoleInterviewer
from tracker.gates.interviewer import Interviewer
from tracker.graph.model import Graph
from tracker.handlers.human import HumanHandler
from tracker.loader import PipelineSource, load_pipeline

QUESTIONS_JSON = (
    '{"questions":[{"text":"Which storage backend?","context":"two candidates found",'
    '"options":["postgres","sqlite"]},{"text":"Proceed with the plan?","options":["yes","no"]}]}'
)


def graph_of(gate: str, edges: str, targets: tuple[str, ...] = ("A", "B")) -> Graph:
    """A start → Gate → targets → exit pipeline; `gate` is the human node's body."""
    nodes = "\n".join(f"  agent {t}\n    label: {t}\n" for t in targets)
    text = (
        "workflow t\n  start: S\n  exit: E\n\n  agent S\n    label: S\n\n  agent E\n    label: E\n\n"
        f"  human Gate\n{gate}\n\n{nodes}\n  edges\n    S -> Gate\n{edges}\n"
        + "".join(f"    {t} -> E\n" for t in targets)
    )
    loaded = load_pipeline(PipelineSource(name="t.dip", text=text, path=None, format="dip"))
    assert loaded.graph is not None, [d.message for d in loaded.diagnostics]
    return loaded.graph


CHOICE_EDGES = '    Gate -> A  label: approve\n    Gate -> B  label: "send back"\n'


class Gate:
    """One execution of the gate node: outcome (or error), events, console output."""

    def __init__(self, graph: Graph, tmp_path: Path | None = None) -> None:
        self.graph = graph
        self.tmp_path = tmp_path
        self.events: list[PipelineEvent] = []
        self.output = io.StringIO()

    def env(self, interviewer: Any, context: dict[str, str], auto_approve: bool, cancelled=None):
        return NodeEnv(
            node=self.graph.nodes["Gate"],
            context=Context(context),
            graph=self.graph,
            run_id="0123456789ab",
            run_dir=self.tmp_path / "run" if self.tmp_path else None,
            workdir=self.tmp_path or Path.cwd(),
            config=RunConfig(auto_approve=auto_approve),
            emit=self.events.append,
            interviewer=interviewer,
            cancelled=cancelled,
        )

    def run(
        self,
        *,
        stdin: str | None = None,
        interviewer: Any = None,
        context: dict[str, str] | None = None,
        auto_approve: bool = False,
    ) -> Outcome:
        if stdin is not None:
            r, w = os.pipe()
            os.write(w, stdin.encode())
            os.close(w)
            interviewer = ConsoleInterviewer(input=os.fdopen(r, "r"), output=self.output)
        env = self.env(interviewer, dict(context or {}), auto_approve)
        return asyncio.run(HumanHandler().execute(self.graph.nodes["Gate"], env))

    def types(self) -> list[str]:
        return [e.type for e in self.events]


def routed(outcome: Outcome) -> tuple[str, str, str]:
    return (
        outcome.status,
        outcome.preferred_label,
        outcome.context_updates.get("human_response", ""),
    )


# choice ---------------------------------------------------------------------------------


def test_choice_on_the_console() -> None:
    gate = Gate(graph_of("    label: Ship it?", CHOICE_EDGES))
    out = gate.run(stdin="2\n")
    assert routed(out) == ("success", "send back", "send back")
    assert out.context_updates["response.Gate"] == "send back"
    assert gate.output.getvalue() == "\nShip it?\n  1) approve\n  2) send back\nEnter choice: "
    assert gate.types() == ["gate_opened", "gate_resolved"]
    assert gate.events[1].outcome_status == "success"


def test_choice_auto_approve_takes_the_first_option() -> None:
    gate = Gate(graph_of("    label: Ship it?", CHOICE_EDGES))
    assert routed(gate.run(auto_approve=True)) == ("success", "approve", "approve")


def test_choice_auto_approve_takes_default_choice() -> None:
    gate = Gate(graph_of('    label: Ship it?\n    default: "send back"', CHOICE_EDGES))
    assert routed(gate.run(auto_approve=True)) == ("success", "send back", "send back")


def test_choice_default_from_dot_style_default_attr() -> None:
    graph = graph_of("    label: Ship it?", CHOICE_EDGES)
    graph.nodes["Gate"].attrs["default"] = "SEND BACK"
    assert routed(Gate(graph).run(auto_approve=True)) == ("success", "send back", "send back")


def test_console_shows_the_default_and_blank_takes_it() -> None:
    gate = Gate(graph_of('    label: Ship it?\n    default: "send back"', CHOICE_EDGES))
    assert routed(gate.run(stdin="\n"))[1] == "send back"
    assert "* 2) send back\nEnter choice [send back]: " in gate.output.getvalue()


def test_choice_keys_route_on_the_key_and_record_the_label() -> None:
    edges = '    Gate -> A  label: "Ship it"  choice: ship\n    Gate -> B\n'
    gate = Gate(graph_of("    label: Go?", edges))
    out = gate.run(stdin="Ship it\n")
    assert routed(out) == ("success", "ship", "Ship it")
    assert out.suggested_next_nodes == ["A"]
    out = Gate(graph_of("    label: Go?", edges)).run(stdin="2\n")
    assert routed(out) == ("success", "B", "B")  # unlabeled edge: its target id
    assert out.suggested_next_nodes == ["B"]


def test_choice_prompt_expands_variables_and_appends_the_last_response() -> None:
    gate = Gate(
        graph_of('    label: "Ship ${ctx.feature}?"\n    prompt: Check the diff.', CHOICE_EDGES)
    )
    gate.run(stdin="1\n", context={"feature": "login", "last_response": "Plan: do it"})
    assert gate.output.getvalue().startswith(
        "\nShip login?\n\nCheck the diff.\n\n---\nPlan: do it\n"
    )
    assert "Ship login?" in gate.events[0].content


def test_invalid_console_choice_stops_the_run_with_a_clear_error() -> None:
    gate = Gate(graph_of("    label: Ship it?", CHOICE_EDGES))
    with pytest.raises(HandlerError, match='node "Gate": invalid choice: "maybe"'):
        gate.run(stdin="maybe\n")
    assert gate.types() == ["gate_opened", "gate_resolved"]
    assert "invalid choice" in gate.events[1].error


def test_no_interviewer_is_a_clear_error() -> None:
    with pytest.raises(HandlerError, match="no interviewer is configured"):
        Gate(graph_of("    label: Ship it?", CHOICE_EDGES)).run()


# yes / no -------------------------------------------------------------------------------

YES_NO_EDGES = "    Gate -> A  when ctx.outcome = success\n    Gate -> B  when ctx.outcome = fail\n"


def test_yes_no_routes_on_outcome() -> None:
    gate = Gate(graph_of("    label: Deploy?\n    mode: yes_no", YES_NO_EDGES))
    assert routed(gate.run(stdin="no\n")) == ("fail", "No", "No")
    assert gate.output.getvalue().endswith("  1) Yes\n  2) No\nEnter choice: ")
    gate = Gate(graph_of("    label: Deploy?\n    mode: yes_no", YES_NO_EDGES))
    assert routed(gate.run(stdin="1\n")) == ("success", "Yes", "Yes")
    gate = Gate(graph_of("    label: Deploy?\n    mode: yes_no", YES_NO_EDGES))
    assert routed(gate.run(auto_approve=True)) == ("success", "Yes", "Yes")


# freeform -------------------------------------------------------------------------------

HYBRID_EDGES = "    Gate -> A  label: accept\n    Gate -> B  label: abandon\n"


def test_plain_freeform_on_the_console_and_auto_approve() -> None:
    edges = "    Gate -> A\n"
    gate = Gate(graph_of("    label: Notes?\n    mode: freeform", edges, ("A",)))
    assert routed(gate.run(stdin="use sqlite\n")) == ("success", "", "use sqlite")
    gate = Gate(graph_of("    label: Notes?\n    mode: freeform", edges, ("A",)))
    assert routed(gate.run(auto_approve=True)) == ("success", "", "auto-approved")


def test_hybrid_freeform_text_matching_a_label_routes_there_ignoring_case() -> None:
    gate = Gate(graph_of("    label: Decide\n    mode: freeform", HYBRID_EDGES))
    assert routed(gate.run(stdin="  ABANDON \n")) == ("success", "abandon", "ABANDON")
    gate = Gate(graph_of("    label: Decide\n    mode: freeform", HYBRID_EDGES))
    assert routed(gate.run(stdin="please add tests\n")) == ("success", "", "please add tests")


def test_hybrid_freeform_auto_approve_takes_default_else_first_label() -> None:
    gate = Gate(graph_of("    label: Decide\n    mode: freeform", HYBRID_EDGES))
    assert routed(gate.run(auto_approve=True)) == ("success", "accept", "accept")
    gate = Gate(
        graph_of("    label: Decide\n    mode: freeform\n    default: abandon", HYBRID_EDGES)
    )
    assert routed(gate.run(auto_approve=True)) == ("success", "abandon", "abandon")


class _ChoiceOnly:
    actor = "human"

    async def ask(self, prompt: str, choices: list[str], default: str = "") -> str:
        return choices[0]


def test_interviewer_without_freeform_support() -> None:
    gate = Gate(graph_of("    label: Notes?\n    mode: freeform", "    Gate -> A\n", ("A",)))
    with pytest.raises(
        HandlerError, match="mode=freeform but interviewer does not support freeform"
    ):
        gate.run(interviewer=_ChoiceOnly())


# interview ------------------------------------------------------------------------------

INTERVIEW = "    label: Interview\n    mode: interview"


def test_interview_auto_approve_from_last_response() -> None:
    gate = Gate(graph_of(INTERVIEW, "    Gate -> A\n", ("A",)))
    out = gate.run(auto_approve=True, context={"last_response": QUESTIONS_JSON})
    assert out.status == "success"
    answers = json.loads(out.context_updates["interview_answers"])
    assert [(q["id"], q["answer"]) for q in answers["questions"]] == [
        ("q1", "postgres"),
        ("q2", "yes"),
    ]
    assert answers["canceled"] is False
    assert out.context_updates["human_response"].startswith("## Interview Answers\n\n**Q1: Which")
    assert out.context_updates["response.Gate"] == out.context_updates["human_response"]


def test_interview_on_the_console_with_custom_keys() -> None:
    gate = Gate(
        graph_of(
            INTERVIEW + "\n    questions_key: scope_questions\n    answers_key: scope_answers",
            "    Gate -> A\n",
            ("A",),
        )
    )
    out = gate.run(
        stdin="sqlite\nn\n",
        context={"scope_questions": QUESTIONS_JSON, "last_response": "ignored: 1. Other?"},
    )
    answers = json.loads(out.context_updates["scope_answers"])
    assert [q["answer"] for q in answers["questions"]] == ["sqlite", "no"]
    assert "interview_answers" not in out.context_updates
    assert "Q1: Which storage backend?" in gate.output.getvalue()


def test_interview_prefills_previous_answers() -> None:
    previous = json.dumps(
        {"questions": [{"id": "q1", "text": "Which storage backend?", "answer": "postgres"}]}
    )
    gate = Gate(graph_of(INTERVIEW, "    Gate -> A\n", ("A",)))
    out = gate.run(
        stdin="\ny\n",
        context={"interview_questions": QUESTIONS_JSON, "interview_answers": previous},
    )
    answers = json.loads(out.context_updates["interview_answers"])
    assert [q["answer"] for q in answers["questions"]] == ["postgres", "yes"]
    assert "Previous: postgres" in gate.output.getvalue()


def test_cancelled_interview_fails_the_node() -> None:
    gate = Gate(graph_of(INTERVIEW, "    Gate -> A\n", ("A",)))
    out = gate.run(stdin="postgres\n", context={"interview_questions": QUESTIONS_JSON})
    assert out.status == "fail"
    answers = json.loads(out.context_updates["interview_answers"])
    assert answers["canceled"] is True
    assert "*Interview was canceled.*" in out.context_updates["human_response"]


def test_interview_with_no_questions_falls_back_to_freeform() -> None:
    gate = Gate(
        graph_of(INTERVIEW + "\n    prompt: Describe what you need.", "    Gate -> A\n", ("A",))
    )
    out = gate.run(stdin="a fast API\n", context={"last_response": "All clear, nothing to ask."})
    assert routed(out) == ("success", "", "a fast API")
    assert out.context_updates["interview_answers"] == "a fast API"
    assert gate.output.getvalue() == (
        "\nDescribe what you need.\n\n---\nAll clear, nothing to ask.\n> "
    )


def test_interview_declared_writes() -> None:
    graph = graph_of(INTERVIEW, "    Gate -> A\n", ("A",))
    graph.nodes["Gate"].attrs["writes"] = "q1,proceed_with_the_plan"
    out = Gate(graph).run(auto_approve=True, context={"last_response": QUESTIONS_JSON})
    assert out.status == "success"
    assert out.context_updates["q1"] == "postgres"
    assert out.context_updates["proceed_with_the_plan"] == "yes"
    graph.nodes["Gate"].attrs["writes"] = "budget"
    out = Gate(graph).run(auto_approve=True, context={"last_response": QUESTIONS_JSON})
    assert out.status == "fail" and "budget" in out.context_updates["writes_error"]


# timeouts -------------------------------------------------------------------------------


class _Silent(Interviewer):
    """Never answers; records that the gate told it to stop."""

    actor = "human"

    def __init__(self) -> None:
        self.cancelled = 0

    async def ask(self, prompt: str, choices: list[str], default: str = "") -> str:
        await asyncio.sleep(3600)
        return ""

    async def ask_freeform(self, prompt: str) -> str:
        return await self.ask(prompt, [])

    async def ask_interview(self, questions, previous=None):
        await asyncio.sleep(3600)

    def cancel(self) -> None:
        self.cancelled += 1


def test_timeout_with_fail_action() -> None:
    silent = _Silent()
    gate = Gate(
        graph_of("    label: Ship?\n    timeout: 50ms\n    timeout_action: fail", CHOICE_EDGES)
    )
    out = gate.run(interviewer=silent)
    assert routed(out) == ("fail", "", "timed out")
    assert silent.cancelled == 1
    assert gate.types() == ["gate_opened", "gate_resolved"]
    assert "timed out" in gate.events[1].message


def test_timeout_takes_the_default_choice() -> None:
    gate = Gate(
        graph_of('    label: Ship?\n    timeout: 50ms\n    default: "send back"', CHOICE_EDGES)
    )
    out = gate.run(interviewer=_Silent())
    assert routed(out) == ("success", "send back", "send back")
    assert out.context_updates["response.Gate"] == "send back"


def test_timeout_without_a_default_fails() -> None:
    gate = Gate(
        graph_of("    label: Ship?\n    timeout: 50ms\n    timeout_action: default", CHOICE_EDGES)
    )
    assert routed(gate.run(interviewer=_Silent())) == ("fail", "", "timed out (no default)")


def test_timeout_on_yes_no_default_no_routes_as_fail() -> None:
    gate = Gate(
        graph_of(
            "    label: Deploy?\n    mode: yes_no\n    timeout: 50ms\n    default: No", YES_NO_EDGES
        )
    )
    assert routed(gate.run(interviewer=_Silent())) == ("fail", "No", "No")


def test_timeout_applies_to_interviews_and_console_reads() -> None:
    gate = Gate(
        graph_of(
            INTERVIEW + "\n    timeout: 50ms\n    timeout_action: fail", "    Gate -> A\n", ("A",)
        )
    )
    out = gate.run(interviewer=_Silent(), context={"last_response": QUESTIONS_JSON})
    assert routed(out) == ("fail", "", "timed out")
    # a console waiting on a pipe nobody writes to
    graph = graph_of(
        "    label: Notes?\n    mode: freeform\n    timeout: 50ms\n    timeout_action: fail",
        "    Gate -> A\n",
        ("A",),
    )
    r, w = os.pipe()
    try:
        console = ConsoleInterviewer(input=os.fdopen(r, "r"), output=io.StringIO())
        assert routed(Gate(graph).run(interviewer=console)) == ("fail", "", "timed out")
    finally:
        os.close(w)


def test_run_cancellation_releases_a_waiting_gate() -> None:
    gate = Gate(graph_of("    label: Ship?", CHOICE_EDGES))

    async def scenario() -> None:
        cancelled = asyncio.Event()
        env = gate.env(_Silent(), {}, False, cancelled)
        task = asyncio.ensure_future(HumanHandler().execute(gate.graph.nodes["Gate"], env))
        await asyncio.sleep(0.05)
        cancelled.set()
        await task

    with pytest.raises(HandlerError, match="cancelled"):
        asyncio.run(scenario())


# artifacts ------------------------------------------------------------------------------


def test_status_json_is_written(tmp_path: Path) -> None:
    gate = Gate(graph_of("    label: Ship?", CHOICE_EDGES), tmp_path)
    gate.run(auto_approve=True)
    status = json.loads((tmp_path / "run" / "Gate" / "status.json").read_text())
    assert status["outcome"] == "success"
    assert status["preferred_next_label"] == "approve"
    assert status["context_updates"]["human_response"] == "approve"


def test_choice_keys_are_the_options_when_edges_have_no_label() -> None:
    edges = "    Gate -> A  choice: ship\n    Gate -> B  choice: hold\n"
    gate = Gate(graph_of("    label: Ship it?\n    default: hold", edges))
    out = gate.run(stdin="\n")
    assert "1) ship\n" in gate.output.getvalue()
    assert "Enter choice [hold]: " in gate.output.getvalue()
    assert out.preferred_label == "hold"


def test_auto_approved_gate_says_so() -> None:
    gate = Gate(graph_of("    label: Ship it?", CHOICE_EDGES))
    gate.run(auto_approve=True)
    assert "answered by auto-approve" in gate.events[-1].message
