"""Console gate prompts (cli-tui.md §10.2), answered by writing to a real pipe."""

from __future__ import annotations

import asyncio
import io
import os
from typing import TextIO

import pytest
from tracker.gates.answers import InterviewAnswer, InterviewResult
from tracker.gates.console import ConsoleInterviewer, LineReader, prompt_plain
from tracker.gates.interviewer import GateError
from tracker.gates.questions import parse_questions


def piped(text: str, *, close: bool = True) -> tuple[TextIO, int]:
    """A text stream reading from a pipe pre-filled with `text` (closed → EOF after it)."""
    r, w = os.pipe()
    os.write(w, text.encode())
    if close:
        os.close(w)
        w = -1
    return os.fdopen(r, "r"), w


def console(text: str) -> tuple[ConsoleInterviewer, io.StringIO]:
    stdin, _ = piped(text)
    out = io.StringIO()
    return ConsoleInterviewer(input=stdin, output=out), out


def run(coro):
    return asyncio.run(coro)


# choice ---------------------------------------------------------------------------------


def test_choice_prompt_format_and_selection_by_number() -> None:
    ci, out = console("2\n")
    assert run(ci.ask("Review the plan", ["approve", "revise"], "approve")) == "revise"
    assert out.getvalue() == (
        "\nReview the plan\n* 1) approve\n  2) revise\nEnter choice [approve]: "
    )


def test_choice_by_name_ignores_case_and_blank_takes_default() -> None:
    ci, out = console("REVISE\n\n")
    assert run(ci.ask("Q", ["approve", "revise"], "approve")) == "revise"
    assert run(ci.ask("Q", ["approve", "revise"], "approve")) == "approve"
    assert out.getvalue().count("Enter choice [approve]: ") == 2


def test_choice_without_default_prompt() -> None:
    ci, out = console("1\n")
    assert run(ci.ask("Q", ["a", "b"])) == "a"
    assert out.getvalue().endswith("  1) a\n  2) b\nEnter choice: ")


def test_choice_end_of_input_takes_default_or_fails() -> None:
    ci, _ = console("")
    assert run(ci.ask("Q", ["a", "b"], "b")) == "b"
    ci, _ = console("")
    with pytest.raises(GateError, match="no input received"):
        run(ci.ask("Q", ["a", "b"]))


def test_choice_invalid_answer_fails_the_gate() -> None:
    ci, _ = console("maybe\n")
    with pytest.raises(GateError, match='invalid choice: "maybe"'):
        run(ci.ask("Q", ["a", "b"], "a"))
    ci, _ = console("3\n")
    with pytest.raises(GateError, match='invalid choice: "3"'):
        run(ci.ask("Q", ["a", "b"]))


def test_prompt_is_word_wrapped_at_76_columns() -> None:
    words = " ".join(["word"] * 40)  # 199 chars
    wrapped = prompt_plain(words + "\n\n---\nlast response")
    lines = wrapped.split("\n")
    assert all(len(line) <= 76 for line in lines)
    assert lines[-3:] == ["", "---", "last response"]
    assert prompt_plain("   ") == ""


# freeform -------------------------------------------------------------------------------


def test_freeform_prompt_and_answer() -> None:
    ci, out = console("  ship it  \n")
    assert run(ci.ask_freeform("Feedback?")) == "ship it"
    assert out.getvalue() == "\nFeedback?\n> "


def test_freeform_labels_fall_back_to_plain_prompt() -> None:
    ci, out = console("Accept\n")
    assert run(ci.ask_freeform_with_labels("Decide", ["accept", "abandon"], "")) == "Accept"
    assert out.getvalue() == "\nDecide\n> "


def test_freeform_empty_and_end_of_input_fail() -> None:
    ci, _ = console("\n")
    with pytest.raises(GateError, match="empty input"):
        run(ci.ask_freeform("Q"))
    ci, _ = console("")
    with pytest.raises(GateError, match="no input received"):
        run(ci.ask_freeform("Q"))


# interview ------------------------------------------------------------------------------

QUESTIONS = parse_questions(
    "1. Which store? (postgres, sqlite)\n2. Proceed with the plan? (yes, no)\n3. What else?"
)


def test_interview_prompts_and_answers() -> None:
    ci, out = console("2\ny\nnothing more\n")
    res = run(ci.ask_interview(QUESTIONS, None))
    assert [(a.id, a.answer) for a in res.questions] == [
        ("q1", "sqlite"),
        ("q2", "yes"),
        ("q3", "nothing more"),
    ]
    assert not res.canceled and not res.incomplete
    assert out.getvalue() == (
        "\nQ1: Which store?\n  1) postgres\n  2) sqlite\n  3) Other\n"
        "Enter choice (name or number, blank to skip): "
        "\nQ2: Proceed with the plan?\nEnter (y/n, blank to skip): "
        "\nQ3: What else?\n> "
    )


def test_interview_other_by_number_and_free_words() -> None:
    ci, out = console("3\nmysql\n")
    res = run(ci.ask_interview(QUESTIONS[:1], None))
    assert res.questions[0].answer == "mysql"
    assert "Enter your answer: " in out.getvalue()
    ci, _ = console("dynamodb\n")
    assert run(ci.ask_interview(QUESTIONS[:1], None)).questions[0].answer == "dynamodb"


def test_interview_blank_keeps_previous_answers_and_shows_them() -> None:
    previous = InterviewResult(
        questions=[
            InterviewAnswer(id="q1", text="Which store?", answer="postgres"),
            InterviewAnswer(id="q2", text="Proceed with the plan?", answer="no"),
            InterviewAnswer(id="q3", text="What else?", answer="docs"),
        ]
    )
    ci, out = console("\n\n\n")
    res = run(ci.ask_interview(QUESTIONS, previous))
    assert [a.answer for a in res.questions] == ["postgres", "no", "docs"]
    assert out.getvalue().count("Previous: ") == 3


def test_interview_skips_mark_incomplete() -> None:
    ci, _ = console("\nmaybe\n\n")
    res = run(ci.ask_interview(QUESTIONS, None))
    assert [a.answer for a in res.questions] == ["", "", ""]
    assert res.incomplete and not res.canceled


def test_interview_end_of_input_cancels_with_remaining_answers_empty() -> None:
    ci, _ = console("postgres\n")
    res = run(ci.ask_interview(QUESTIONS, None))
    assert res.canceled
    assert [(a.id, a.answer) for a in res.questions] == [
        ("q1", "postgres"),
        ("q2", ""),
        ("q3", ""),
    ]


# reading without blocking the loop ------------------------------------------------------


def test_an_abandoned_read_hands_its_line_to_the_next_question() -> None:
    stdin, w = piped("", close=False)
    reader = LineReader(stdin)

    async def scenario() -> str | None:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(reader.readline(), 0.05)
        os.write(w, b"late answer\n")
        os.close(w)
        return await asyncio.wait_for(reader.readline(), 5)

    assert run(scenario()) == "late answer"


def test_waiting_for_input_does_not_block_the_event_loop() -> None:
    stdin, w = piped("", close=False)
    ci = ConsoleInterviewer(input=stdin, output=io.StringIO())

    async def scenario() -> str:
        answer = asyncio.ensure_future(ci.ask_freeform("Q"))
        ticks = 0
        while ticks < 5:
            await asyncio.sleep(0.01)
            ticks += 1
        assert not answer.done()
        os.write(w, b"done\n")
        os.close(w)
        return await asyncio.wait_for(answer, 5)

    assert run(scenario()) == "done"
