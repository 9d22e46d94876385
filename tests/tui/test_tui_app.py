"""The dashboard under textual's pilot: rendering of scripted events, every gate modal
answered by key presses, a real engine run, quitting (cli-tui.md §9)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from tracker.engine.api import Config, build_engine
from tracker.gates.answers import InterviewResult
from tracker.gates.interviewer import GateError
from tracker.gates.questions import Question
from tracker_tui.session import CLOSED, DashboardSession
from tracker_tui.widgets import ActivityLog, HeaderBar, NodeList, StatusBar, Trail
from tui_support import ev

SIZE = (120, 40)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_scripted_events_render_in_every_panel(tiny) -> None:
    graph, _ = tiny
    session = DashboardSession(graph, pipeline="Tiny")
    app = session.build_app()

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            for event in (
                ev("pipeline_started", run_id="r123"),
                ev("stage_started", "Start"),
                ev("stage_completed", "Start"),
                ev("stage_started", "Build"),
                ev(
                    "tool_call_start",
                    "Build",
                    "agent",
                    tool_name="read",
                    content='{"path": "go.mod"}',
                ),
                ev("tool_call_end", "Build", "agent", tool_name="read", content="module x\n"),
                ev("cost_updated", total_tokens=12345, total_cost_usd=0.42),
            ):
                session(event)
            await pilot.pause(0.3)
            screen = app.dashboard
            nodes = screen.query_one(NodeList).shown
            assert "● Start" in nodes and "◉ Build it" in nodes and "○ Done" in nodes
            assert "TRAIL" in screen.query_one(Trail).shown
            log = screen.query_one(ActivityLog).shown
            assert "─── Build" in log and "▸ read go.mod" in log and "  module x" in log
            header = screen.query_one(HeaderBar).shown
            assert header.startswith("Tiny  r123") and "$0.42  12.3kt" in header
            assert " 1/3" in screen.query_one(StatusBar).shown
            await pilot.press("v")
            await pilot.pause(0.2)
            assert "[tools]" in screen.query_one(StatusBar).shown
            await pilot.press("down", "enter")
            await pilot.pause(0.2)
            assert "ACTIVITY LOG [Start]" in screen.query_one(ActivityLog).shown
            await pilot.press("escape")
            session(ev("stage_completed", "Build"))
            session(ev("pipeline_completed"))
            await pilot.pause(0.3)
            assert screen.query_one(StatusBar).shown.startswith("● Completed")

    run(scenario())


def _ask(session: DashboardSession, keys: list[str], ask: Any) -> Any:
    """Start a gate question, answer it with `keys`, return the answer (or the error)."""
    app = session.build_app()

    async def scenario() -> Any:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            task = asyncio.create_task(ask())
            await pilot.pause(0.2)
            for key in keys:
                await pilot.press(key)
            await pilot.pause(0.1)
            try:
                return await asyncio.wait_for(task, 2)
            except GateError as exc:
                return exc

    return run(scenario())


def test_choice_modal(tiny) -> None:
    session = DashboardSession(tiny[0])
    answer = _ask(session, ["down", "enter"], lambda: session.ask("Ship?", ["Yes", "No"], "Yes"))
    assert answer == "No"
    cancelled = _ask(session, ["escape"], lambda: session.ask("Ship?", ["Yes", "No"]))
    assert isinstance(cancelled, GateError) and str(cancelled) == CLOSED


def test_freeform_modal(tiny) -> None:
    session = DashboardSession(tiny[0])
    keys = ["h", "i", "enter", "y", "o", "ctrl+s"]
    assert _ask(session, keys, lambda: session.ask_freeform("Notes?")) == "hi\nyo"
    assert isinstance(_ask(session, ["escape"], lambda: session.ask_freeform("x")), GateError)


def test_hybrid_modal_label_and_other(tiny) -> None:
    session = DashboardSession(tiny[0])
    labels = ["approve", "reject"]
    ask = lambda: session.ask_freeform_with_labels("Review\n\n---\nplan", labels, "reject")  # noqa: E731
    assert _ask(session, ["enter"], ask) == "reject"
    assert _ask(session, ["up", "enter"], ask) == "approve"
    typed = _ask(session, ["down", "enter", "f", "i", "x", "ctrl+s"], ask)
    assert typed == "fix"


def test_interview_form(tiny) -> None:
    session = DashboardSession(tiny[0])
    questions = [
        Question(index=1, text="Use Go?", options=["Yes", "No"], is_yes_no=True),
        Question(index=2, text="Which DB?", options=["postgres", "sqlite"]),
        Question(index=3, text="Name?"),
    ]
    keys = ["y", "down", "enter", "enter", "a", "b", "enter", "ctrl+s"]
    result = _ask(session, keys, lambda: session.ask_interview(questions))
    assert isinstance(result, InterviewResult)
    assert [a.answer for a in result.questions] == ["Yes", "sqlite", "ab"]
    assert not result.incomplete and not result.canceled
    cancelled = _ask(session, ["escape"], lambda: session.ask_interview(questions))
    assert cancelled.canceled and cancelled.incomplete


def test_interview_prefills_previous_answers(tiny) -> None:
    session = DashboardSession(tiny[0])
    questions = [Question(index=1, text="Name?")]
    previous = InterviewResult.model_validate(
        {"questions": [{"id": "q1", "text": "Name?", "answer": "old"}]}
    )
    result = _ask(session, ["ctrl+s"], lambda: session.ask_interview(questions, previous))
    assert result.questions[0].answer == "old"


def _engine(path: Path, tmp_path: Path, session: DashboardSession) -> Any:
    config = Config(workdir=tmp_path, artifact_dir=tmp_path / "runs", sinks=[session])
    return build_engine(path, config)


def test_app_runs_a_real_engine_to_completion(tiny, tmp_path: Path) -> None:
    graph, path = tiny
    session = DashboardSession(graph)
    engine = _engine(path, tmp_path, session)
    app = session.build_app(engine)

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            for _ in range(100):
                if app.engine_task is not None and app.engine_task.done():
                    break
                await pilot.pause(0.05)
        assert app.result is not None and app.result.status == "success"

    run(scenario())
    assert [session.state.nodes[n].status for n in session.state.order] == ["done"] * 3
    assert (tmp_path / "runs" / engine.run_id / "checkpoint.json").is_file()


SLOW = """workflow Slow
  start: Start
  exit: Done

  tool Start
    command: echo start

  tool Wait
    command: sleep 30

  tool Done
    command: echo done

  edges
    Start -> Wait
    Wait -> Done
"""


@pytest.mark.parametrize("key", ["q", "ctrl+c"])
def test_quitting_cancels_the_run(key: str, tmp_path: Path) -> None:
    path = tmp_path / "slow.dip"
    path.write_text(SLOW)
    from tracker.engine.api import load_graph

    session = DashboardSession(load_graph(path)[0])
    engine = _engine(path, tmp_path, session)
    app = session.build_app(engine)

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause(0.5)
            await pilot.press(key)
            await pilot.pause(0.5)

    run(scenario())
    assert app.error is None
    assert app.cancelled
    assert session.state.nodes["Done"].status != "done"


def test_quitting_fails_an_open_gate(tiny) -> None:
    session = DashboardSession(tiny[0])
    assert isinstance(_ask(session, ["ctrl+c"], lambda: session.ask("Ship?", ["a"])), GateError)
