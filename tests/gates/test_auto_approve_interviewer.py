"""`--auto-approve` answers: deterministic, no LLM, no human."""

from __future__ import annotations

import asyncio

import pytest
from tracker.gates.auto_approve import AutoApproveInterviewer
from tracker.gates.interviewer import GateError
from tracker.gates.questions import parse_questions

AUTO = AutoApproveInterviewer()


def run(coro):
    return asyncio.run(coro)


def test_choice_takes_default_else_first() -> None:
    assert run(AUTO.ask("Ship?", ["approve", "reject"], "reject")) == "reject"
    assert run(AUTO.ask("Ship?", ["approve", "reject"])) == "approve"
    assert run(AUTO.ask("Ready?", ["Yes", "No"])) == "Yes"
    with pytest.raises(GateError, match="no choices available"):
        run(AUTO.ask("?", []))


def test_freeform_and_labeled_freeform() -> None:
    assert run(AUTO.ask_freeform("Feedback?")) == "auto-approved"
    assert run(AUTO.ask_freeform_with_labels("?", ["accept", "abandon"], "abandon")) == "abandon"
    assert run(AUTO.ask_freeform_with_labels("?", ["accept", "abandon"])) == "accept"
    assert run(AUTO.ask_freeform_with_labels("?", [])) == "auto-approved"


def test_interview_answers_per_field() -> None:
    questions = parse_questions(
        "1. Which store? (postgres, sqlite)\n2. Proceed? (yes, no)\n3. Do you need SSO?\n"
        "4. Describe constraints"
    )
    res = run(AUTO.ask_interview(questions, None))
    assert [(a.id, a.answer) for a in res.questions] == [
        ("q1", "postgres"),
        ("q2", "yes"),
        ("q3", "yes"),
        ("q4", "auto-approved"),
    ]
    assert not res.canceled and not res.incomplete
