"""Interview answers: the stored JSON shape, pre-fill parsing and the markdown summary."""

from __future__ import annotations

import json

from tracker.gates.answers import InterviewAnswer, InterviewResult, markdown_summary


def result(**kw) -> InterviewResult:
    return InterviewResult(
        questions=[
            InterviewAnswer(id="q1", text="Which store?", options=["pg", "sqlite"], answer="pg"),
            InterviewAnswer(id="q2", text="Why?", answer="speed", elaboration="benchmarks"),
            InterviewAnswer(id="q3", text="Anything else?", answer=""),
        ],
        **kw,
    )


def test_json_is_compact_in_reference_key_order_with_empty_fields_omitted() -> None:
    text = result(incomplete=True).to_json()
    assert text == (
        '{"questions":[{"id":"q1","text":"Which store?","options":["pg","sqlite"],"answer":"pg"},'
        '{"id":"q2","text":"Why?","answer":"speed","elaboration":"benchmarks"},'
        '{"id":"q3","text":"Anything else?","answer":""}],"incomplete":true,"canceled":false}'
    )
    assert InterviewResult.from_json(text) == result(incomplete=True)


def test_unreadable_previous_answers_mean_no_prefill() -> None:
    assert InterviewResult.from_json("") is None
    assert InterviewResult.from_json("free text the user typed") is None
    assert InterviewResult.from_json('{"questions": 3}') is None


def test_markdown_summary() -> None:
    assert markdown_summary(result(canceled=True)) == "\n".join(
        [
            "## Interview Answers",
            "",
            "**Q1: Which store?**",
            "pg",
            "",
            "**Q2: Why?**",
            "speed — benchmarks",
            "",
            "**Q3: Anything else?**",
            "(skipped)",
            "",
            "---",
            "*2 of 3 questions answered*",
            "*Interview was canceled.*",
        ]
    )


def test_answers_object_for_declared_writes() -> None:
    obj = result().answers_object()
    assert obj == {"q1": "pg", "which_store": "pg", "q2": "speed", "why": "speed"}
    assert json.loads(json.dumps(obj)) == obj
