"""`--autopilot`: an LLM judge answers gates; run against the scripted provider."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from tracker.gates.autopilot import AutopilotInterviewer, match_option, parse_persona
from tracker.gates.interviewer import GateError
from tracker.gates.questions import parse_questions
from tracker.llm.client import Client
from tracker.llm.scripted import ScriptedProvider


def judge(*turns, persona: str = "mid") -> tuple[AutopilotInterviewer, ScriptedProvider]:
    provider = ScriptedProvider(list(turns))
    client = Client({"scripted": provider}, default_provider="scripted")
    return AutopilotInterviewer(client, persona, model="judge-model"), provider


def decision(choice: str, reasoning: str = "because") -> str:
    return json.dumps({"choice": choice, "reasoning": reasoning})


def run(coro):
    return asyncio.run(coro)


def test_choice_matches_reply_and_sends_persona_and_options() -> None:
    ap, provider = judge(decision("Approve"), persona="HARD ")
    assert run(ap.ask("Review the plan", ["approve", "revise"], "revise")) == "approve"
    request = provider.requests[0]
    assert request.model == "judge-model"
    assert request.temperature == 0.1 and request.max_tokens == 1024
    assert "high bar" in request.system_text
    user = request.messages[-1].text
    assert "Review the plan" in user and '* 2. "revise"' in user and '  1. "approve"' in user


def test_reply_containing_an_option_picks_the_longest_one() -> None:
    assert match_option("I would abandon this", ["a", "abandon"]) == "abandon"
    assert match_option("nothing matches", ["x", "y"]) == ""
    ap, _ = judge("```json\n" + decision("definitely revise it") + "\n```")
    assert run(ap.ask("Q", ["approve", "revise"])) == "revise"


def test_unmatched_choice_falls_back_to_default_then_first(caplog) -> None:
    ap, _ = judge(decision("ship to mars"), decision("ship to mars"))
    with caplog.at_level(logging.WARNING, logger="tracker.gates.autopilot"):
        assert run(ap.ask("Q", ["approve", "revise"], "revise")) == "revise"
        assert run(ap.ask("Q", ["approve", "revise"])) == "approve"
    assert "matches no option" in caplog.text


def test_non_json_reply_is_asked_once_more_then_fails() -> None:
    ap, provider = judge("sure, approve", decision("approve"))
    assert run(ap.ask("Q", ["approve", "revise"])) == "approve"
    assert len(provider.requests) == 2
    ap, _ = judge("nope", "still nope")
    with pytest.raises(GateError, match="autopilot gate decision failed"):
        run(ap.ask("Q", ["approve", "revise"]))


def test_provider_errors_fail_the_gate_without_fallback() -> None:
    ap, provider = judge({"error": {"type": "authentication", "message": "bad key"}})
    with pytest.raises(GateError, match="bad key"):
        run(ap.ask("Q", ["approve", "revise"], "approve"))
    assert len(provider.requests) == 1


def test_freeform_gets_reasoning_or_choice() -> None:
    ap, _ = judge(decision("ok", "Looks good; add tests."), decision("just this", ""))
    assert run(ap.ask_freeform("Feedback?")) == "Looks good; add tests."
    assert run(ap.ask_freeform("Feedback?")) == "just this"


def test_interview_answers_in_one_call() -> None:
    questions = parse_questions(
        "1. Which store? (postgres, sqlite)\n2. Proceed? (yes, no)\n3. Anything else?"
    )
    reply = json.dumps(
        {
            "answers": [
                {"id": "q1", "answer": "SQLite", "elaboration": "small data"},
                {"id": "q2", "answer": "Y"},
            ]
        }
    )
    ap, provider = judge(reply)
    res = run(ap.ask_interview(questions, None))
    assert [(a.id, a.answer, a.elaboration) for a in res.questions] == [
        ("q1", "sqlite", "small data"),
        ("q2", "yes", ""),
        ("q3", "", ""),
    ]
    assert res.incomplete
    assert len(provider.requests) == 1
    assert provider.requests[0].max_tokens == 2048


def test_personas() -> None:
    assert parse_persona("") == "mid"
    assert parse_persona(" Mentor ") == "mentor"
    with pytest.raises(ValueError, match="unknown autopilot persona 'boss'"):
        parse_persona("boss")


def test_default_model_follows_the_clients_default_provider() -> None:
    provider = ScriptedProvider([decision("approve")])
    client = Client({"scripted": provider}, default_provider="scripted")
    ap = AutopilotInterviewer(client)
    assert run(ap.ask("Q", ["approve"])) == "approve"
    assert provider.requests[0].provider == "scripted"
