"""Interview question parsing: structured JSON first, markdown heuristics otherwise."""

from __future__ import annotations

import json

from tracker.gates.questions import (
    parse_markdown_questions,
    parse_questions,
    parse_structured_questions,
)

GOLDEN_STUB = (
    '{"questions":[{"text":"Which storage backend?","context":"two candidates found",'
    '"options":["postgres","sqlite"]},{"text":"Proceed with the plan?","options":["yes","no"]}]}'
)


def summary(text: str) -> list[tuple[str, str, list[str], bool]]:
    return [(q.id, q.text, q.options, q.is_yes_no) for q in parse_questions(text)]


def test_golden_stub_questions_parse_as_structured_json() -> None:
    qs = parse_questions(GOLDEN_STUB)
    assert [(q.id, q.text, q.context, q.options, q.is_yes_no) for q in qs] == [
        ("q1", "Which storage backend?", "two candidates found", ["postgres", "sqlite"], False),
        ("q2", "Proceed with the plan?", "", ["yes", "no"], True),
    ]


def test_json_inside_code_fences_and_prose() -> None:
    text = "Here you go:\n```json\n" + GOLDEN_STUB + "\n```\nThanks!"
    assert [q.text for q in parse_questions(text)] == [
        "Which storage backend?",
        "Proceed with the plan?",
    ]


def test_braces_inside_json_strings_do_not_end_the_object() -> None:
    text = json.dumps({"questions": [{"text": "Use {curly} placeholders?"}]}) + " {trailing}"
    assert summary(text) == [("q1", "Use {curly} placeholders?", [], False)]


def test_other_options_are_dropped_from_json() -> None:
    text = json.dumps(
        {
            "questions": [
                {
                    "text": "Pick a store",
                    "options": ["postgres", "Other (please specify)", "other: tell us", "others"],
                }
            ]
        }
    )
    assert summary(text)[0][2] == ["postgres", "others"]


def test_open_question_without_options_and_yes_no_prefix() -> None:
    text = json.dumps({"questions": [{"text": "Describe constraints"}, {"text": "Is it public?"}]})
    assert summary(text) == [
        ("q1", "Describe constraints", [], False),
        ("q2", "Is it public?", [], True),
    ]


def test_invalid_structured_json_is_rejected_with_a_reason() -> None:
    for bad, reason in [
        ("", "empty input"),
        ("no braces here", "no JSON object"),
        ('{"questions": []}', "empty"),
        ('{"questions": [{"text": "  "}]}', "question 1 has empty text"),
        ('{"questions": "nope"}', "invalid JSON"),
    ]:
        try:
            parse_structured_questions(bad)
        except ValueError as exc:
            assert reason in str(exc)
        else:  # pragma: no cover - the assertion message names the case
            raise AssertionError(f"accepted {bad!r}")


def test_empty_questions_json_falls_back_to_markdown_and_finds_none() -> None:
    assert parse_questions('{"questions": []}') == []


def test_markdown_heuristics() -> None:
    text = "\n".join(
        [
            "# Questions for you",
            "We found a few gaps.",
            "1. What **auth** model? (API key, OAuth, none)",
            "2) Do you need SSO?",
            "- Describe your deployment target",
            "* What scale do you expect?",
            "Scale tier? (low,medium,high)",
            "```",
            "3. not a question inside a fence?",
            "```",
            "Just commentary, no question mark.",
            "- a bullet without a question mark",
            "Rate the urgency (1, 2, 3)",
            "Should we keep the API? (yes, no)",
            "Which region? (eu, us, Other)",
        ]
    )
    assert summary(text) == [
        ("q1", "What auth model?", ["API key", "OAuth", "none"], False),
        ("q2", "Do you need SSO?", [], True),
        ("q3", "Describe your deployment target", [], False),
        ("q4", "What scale do you expect?", [], False),
        ("q5", "Scale tier?", ["low", "medium", "high"], False),
        ("q6", "Rate the urgency", ["1", "2", "3"], False),
        ("q7", "Should we keep the API?", ["yes", "no"], True),
        ("q8", "Which region?", ["eu", "us"], False),
    ]


def test_markdown_caps_at_one_hundred_questions() -> None:
    text = "\n".join(f"{i}. Question {i}?" for i in range(1, 150))
    qs = parse_markdown_questions(text)
    assert len(qs) == 100
    assert qs[-1].id == "q100"


def test_nothing_to_parse() -> None:
    assert parse_questions("") == []
    assert parse_questions("All done. Nothing to ask.") == []
