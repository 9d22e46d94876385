"""The turn loop, driven by the scripted provider against real tools in a temp repo."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from agent_support import call, run_session
from tracker.agent import Session, SessionConfig
from tracker.llm import ConfigurationError, Usage
from tracker.llm.catalog import default_catalog
from tracker.llm.scripted import ScriptedProvider

BUGGY = "def add(a, b):\n    return a - b\n"
TEST = "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"


@pytest.fixture
def repo(workdir: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(workdir)], check=True)
    (workdir / "calc.py").write_text(BUGGY)
    (workdir / "test_calc.py").write_text(TEST)
    return workdir


def test_multi_turn_fix_in_a_git_repo(repo: Path) -> None:
    pytest_cmd = f"{sys.executable} -m pytest -q -p no:cacheprovider test_calc.py"
    turns = [
        {
            "text": "Reading the module.",
            "tool_calls": [call("read", path="calc.py")],
            "usage": {"input_tokens": 1000, "output_tokens": 50, "cache_read_tokens": 200},
        },
        {
            "tool_calls": [
                call("edit", path="calc.py", old_string="return a - b", new_string="return a + b")
            ],
            "usage": {"input_tokens": 1200, "output_tokens": 60},
            "expect": ["return a - b"],  # the file content came back to the model
        },
        {
            "tool_calls": [call("bash", command=pytest_cmd, timeout=120)],
            "usage": {"input_tokens": 1300, "output_tokens": 40},
            "expect": ["edited calc.py"],
        },
        {
            "text": "Fixed add(); the test passes.",
            "usage": {"input_tokens": 1500, "output_tokens": 20},
            "expect": ["1 passed"],
        },
    ]
    run = run_session(turns, repo, prompt="Fix the failing test in this repo")
    result = run.result

    assert (repo / "calc.py").read_text() == "def add(a, b):\n    return a + b\n"
    bash_output = run.tool_results(3)[0][0]
    assert "1 passed" in bash_output and "exit code" not in bash_output
    check = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_calc.py"],
        cwd=repo,
        capture_output=True,
    )
    assert check.returncode == 0

    assert result.error is None
    assert result.turns == 4
    assert result.stopped_naturally and result.status == "success"
    assert result.tool_calls == {"read": 1, "edit": 1, "bash": 1}
    assert result.total_tool_calls == 3
    assert result.files_modified == ["calc.py"] and result.files_created == []
    assert result.final_text == "Fixed add(); the test passes."  # text next to calls excluded
    usage = result.usage
    assert (usage.input_tokens, usage.output_tokens) == (5000, 170)
    assert usage.total_tokens == 5170 and usage.cache_read_tokens == 200
    expected_cost = sum(
        default_catalog().estimate_cost("claude-sonnet-4-6", Usage(**t["usage"])) for t in turns
    )
    assert usage.estimated_cost == pytest.approx(expected_cost)
    assert "Turns: 4 | Tool calls: 3 (bash: 1, edit: 1, read: 1)" in result.summary()

    # events: every turn framed, every call started and ended, usage per turn
    assert [e.turn for e in run.of("turn_start")] == [1, 2, 3, 4]
    assert [e.turn for e in run.of("turn_end")] == [1, 2, 3, 4]
    assert [e.tool_name for e in run.of("tool_call_end")] == ["read", "edit", "bash"]
    assert all(e.tool_error == "" for e in run.of("tool_call_end"))
    metrics = run.of("turn_metrics")
    assert [m.metrics["input_tokens"] for m in metrics] == [1000, 1200, 1300, 1500]
    assert "".join(e.text for e in run.of("llm_text")).startswith("Reading the module.")
    assert run.events[0].type.value == "session_start"
    assert run.events[-1].type.value == "session_end"

    # the system prompt carries the environment and the path rules
    system = run.provider.requests[0].messages[0].text
    assert f"Working directory: {repo}" in system and "Git repository: yes" in system
    assert "RELATIVE" in system
    # tools are offered sorted by name, with edit for non-OpenAI providers
    names = [t.name for t in run.provider.requests[0].tools]
    assert names == ["apply_patch", "bash", "edit", "glob", "grep_search", "read", "write"]


def test_several_calls_in_one_turn_are_answered_in_one_message(workdir: Path) -> None:
    (workdir / "a.txt").write_text("alpha\n")
    (workdir / "b.txt").write_text("beta\n")
    turns = [
        {
            "tool_calls": [
                call("read", path="a.txt"),
                call("write", path="c.txt", content="gamma\n"),
                call("read", path="b.txt"),
            ]
        },
        "done",
    ]
    run = run_session(turns, workdir)
    second = run.provider.requests[1]
    assert [m.role.value for m in second.messages[-2:]] == ["assistant", "tool"]
    tool_message = second.messages[-1]
    ids = [p.tool_result.tool_call_id for p in tool_message.content]
    assert ids == [c.id for c in second.messages[-2].tool_calls]
    assert [p.tool_result.content for p in tool_message.content] == [
        "alpha\n",
        "wrote 6 bytes to c.txt",
        "beta\n",
    ]
    assert [e.tool_name for e in run.of("tool_call_start")] == ["read", "write", "read"]
    assert run.result.turns == 2 and run.result.tool_calls == {"read": 2, "write": 1}
    assert run.result.files_created == ["c.txt"]


def test_loop_detection_stops_after_four_identical_tool_turns(workdir: Path) -> None:
    (workdir / "a.txt").write_text("x\n")
    same = {"tool_calls": [call("read", path="a.txt")]}
    run = run_session([same] * 6, workdir)
    result = run.result
    assert result.loop_detected and result.status == "fail"
    assert result.turns == 4 and len(run.provider.requests) == 4
    assert result.tool_calls == {"read": 3}  # the 4th repetition is not executed
    errors = [e.text for e in run.of("error")]
    assert "loop detected: same tool calls repeated 4 times" in errors


def test_loop_counter_resets_when_calls_change(workdir: Path) -> None:
    (workdir / "a.txt").write_text("x\n")
    a = {"tool_calls": [call("read", path="a.txt")]}
    b = {"tool_calls": [call("read", path="a.txt", offset=1)]}
    run = run_session([a, a, a, b, a, a, a, "done"], workdir)
    assert not run.result.loop_detected and run.result.status == "success"
    assert run.result.turns == 8


def test_max_turns_ends_the_session(workdir: Path) -> None:
    turns = [{"tool_calls": [call("bash", command=f"echo {n}")]} for n in range(10)]
    run = run_session(turns, workdir, max_turns=3)
    result = run.result
    assert result.max_turns_used and result.status == "fail"
    assert result.turns == 3 and len(run.provider.requests) == 3
    assert result.tool_calls == {"bash": 3}
    assert result.error is None


@pytest.mark.parametrize(
    ("final", "status", "found"),
    [
        ("All done.\nSTATUS: success", "success", True),
        ("Tests still fail.\nSTATUS: fail", "fail", True),
        ("Flaky network.\n**STATUS: retry**", "retry", True),
        ("STATUS: fail\nI reconsidered.\nSTATUS: success", "success", True),
        ("Done.\n```\nSTATUS: fail\n```", "success", False),
        ("No status line here.", "success", False),
    ],
)
def test_auto_status_is_parsed_from_the_final_text(
    workdir: Path, final: str, status: str, found: bool
) -> None:
    run = run_session([final], workdir, auto_status=True)
    assert run.result.status == status
    assert run.result.status_line_found is found
    assert "STATUS: success" in run.provider.requests[0].messages[0].text  # instruction


def test_status_lines_are_ignored_without_auto_status(workdir: Path) -> None:
    run = run_session(["Oops.\nSTATUS: fail"], workdir)
    assert run.result.status == "success"


def test_steering_is_injected_at_the_next_turn(workdir: Path) -> None:
    provider = ScriptedProvider([{"tool_calls": [call("bash", command="echo 1")]}, "ok"])
    events = []

    def observer(event):
        events.append(event)
        if event.type.value == "tool_call_end":
            threading.Thread(target=session.steer, args=("use python 3.12",)).start()

    session = Session(
        provider,
        SessionConfig(working_dir=str(workdir), provider="scripted"),
        on_event=observer,
    )
    asyncio.run(session.run("go"))
    last = provider.requests[1].messages[-1]
    assert last.role.value == "user" and last.text == "[STEERING] use python 3.12"
    assert [e.text for e in events if e.type.value == "steering_injected"] == ["use python 3.12"]


def test_llm_error_ends_the_session_with_the_error(workdir: Path) -> None:
    turns = [
        {"tool_calls": [call("bash", command="echo hi")]},
        {"error": {"type": "authentication", "message": "bad key"}},
    ]
    run = run_session(turns, workdir)
    assert run.result.error and "bad key" in run.result.error
    assert run.result.status == "retry" and run.result.turns == 2
    assert type(run.result.exception).__name__ == "AuthenticationError"
    assert run.of("error")[0].err is run.result.exception
    assert run.events[-1].type.value == "session_end"


def test_truncated_tool_turn_is_not_executed(workdir: Path) -> None:
    turns = [
        {"tool_calls": [call("write", path="big.txt", content="...")], "finish_reason": "length"},
        "done",
    ]
    run = run_session(turns, workdir)
    assert not (workdir / "big.txt").exists()
    [(text, is_error)] = run.tool_results(1)
    assert is_error and "NOT executed" in text
    assert run.result.tool_calls == {}


def test_empty_responses_are_retried_then_fail(workdir: Path) -> None:
    run = run_session([{"content": []}] * 3, workdir)
    assert run.result.error == "agent session failed: 3 consecutive empty API responses"
    assert len(run.provider.requests) == 3
    ok = run_session([{"content": []}, "here it is"], workdir)
    assert ok.result.status == "success" and ok.result.final_text == "here it is"


def test_tool_errors_ask_the_model_to_reflect(workdir: Path) -> None:
    run = run_session([{"tool_calls": [call("read", path="missing.txt")]}, "ok"], workdir)
    [(text, is_error)] = run.tool_results(1)
    assert is_error and text.startswith("Tool error (read): open missing.txt: no such file")
    assert "what went wrong" in run.provider.requests[1].messages[-1].text
    assert run.of("tool_call_end")[0].tool_error == "true"


def test_unknown_tool_and_bad_json_are_error_results(workdir: Path) -> None:
    turns = [
        {
            "content": [
                {
                    "kind": "tool_call",
                    "tool_call": {"id": "c1", "name": "list_dir", "arguments": "{}"},
                },
                {
                    "kind": "tool_call",
                    "tool_call": {"id": "c2", "name": "read", "arguments": "{oops"},
                },
                {"kind": "tool_call", "tool_call": {"id": "c3", "name": "read", "arguments": "{}"}},
            ]
        },
        "ok",
    ]
    run = run_session(turns, workdir)
    results = run.tool_results(1)
    assert results[0] == ('error: unknown tool "list_dir"', True)
    assert results[1][0].startswith("Tool error (read): invalid input:")
    assert results[2] == ("Tool error (read): path is required", True)


def test_openai_profile_has_no_edit(workdir: Path) -> None:
    provider = ScriptedProvider(["ok"])
    session = Session(provider, SessionConfig(working_dir=str(workdir), provider="openai"))
    assert "edit" not in session.tools.names() and "apply_patch" in session.tools.names()


def test_context_warning_and_compaction(workdir: Path) -> None:
    (workdir / "big.txt").write_text("line\n" * 400)
    reads = [
        {"tool_calls": [call("read", path="big.txt", offset=n)], "usage": {"input_tokens": 1000}}
        for n in range(1, 8)
    ]
    reads.append({"text": "done", "usage": {"input_tokens": 85_000}})
    reads.insert(
        7, {"tool_calls": [call("bash", command="true")], "usage": {"input_tokens": 85_000}}
    )
    run = run_session(
        reads,
        workdir,
        context_window_limit=100_000,
        context_compaction="auto",
        compaction_threshold=0.6,
    )
    assert [e.turn for e in run.of("context_window_warning")] == [8]
    assert run.result.compactions_applied >= 1
    last = run.provider.requests[-1]
    first_tool = next(m for m in last.messages if m.role.value == "tool")
    assert first_tool.content[0].tool_result.content == (
        "[previously read: 400 lines. Re-read with read if needed.]"
    )


def test_catalog_context_window_is_used_when_left_at_default(workdir: Path) -> None:
    session = Session(
        ScriptedProvider(["ok"]),
        SessionConfig(working_dir=str(workdir), provider="scripted", model="claude-haiku-4-5"),
    )
    assert session.context_limit() == default_catalog().get("claude-haiku-4-5").context_window
    fixed = Session(
        ScriptedProvider(["ok"]),
        SessionConfig(working_dir=str(workdir), provider="scripted", context_window_limit=5000),
    )
    assert fixed.context_limit() == 5000


def test_a_session_runs_once(workdir: Path) -> None:
    session = Session(
        ScriptedProvider(["a", "b"]), SessionConfig(working_dir=str(workdir), provider="scripted")
    )
    asyncio.run(session.run("x"))
    with pytest.raises(ConfigurationError, match="session already used"):
        asyncio.run(session.run("y"))


def test_invalid_config_is_reported_before_running() -> None:
    with pytest.raises(ConfigurationError, match="invalid session config: max_turns"):
        SessionConfig.build(max_turns=0)
    with pytest.raises(ConfigurationError, match="compaction_threshold"):
        SessionConfig.build(context_compaction="auto")


def test_tool_result_cache(workdir: Path) -> None:
    (workdir / "a.txt").write_text("one\n")
    read = {"tool_calls": [call("read", path="a.txt")]}
    turns = [
        read,
        {"tool_calls": [call("read", path="a.txt"), call("glob", pattern="*.txt")]},
        {"tool_calls": [call("write", path="a.txt", content="two\n")]},
        read,
        "done",
    ]
    run = run_session(turns, workdir, cache_tool_results=True)
    assert run.result.tool_cache_hits == 1
    assert run.result.tool_cache_misses == 3
    assert [e.turn for e in run.of("tool_cache_hit")] == [2]
    assert run.tool_results(4) == [("two\n", False)]  # the write cleared the cache


def test_plan_before_execute(workdir: Path) -> None:
    run = run_session(["1. look\n2. fix", "done"], workdir, plan_before_execute=True)
    first, second = run.provider.requests
    assert first.tools == [] and "plan" in first.messages[-1].text
    assert second.messages[-2].text == "1. look\n2. fix"
    assert second.messages[-1].text == "Now carry out the plan, using the tools."
    assert run.result.turns == 1 and run.result.final_text == "done"
    refused = run_session(
        [{"tool_calls": [call("bash", command="ls")]}], workdir, plan_before_execute=True
    )
    assert refused.result.error == "planning turn returned tool calls; expected text-only plan"
    assert refused.result.tool_calls == {}


def test_checkpoint_message_is_injected_at_its_turn(workdir: Path) -> None:
    turns = [{"tool_calls": [call("bash", command=f"echo {n}")]} for n in range(3)] + ["done"]
    run = run_session(
        turns, workdir, max_turns=4, checkpoints=[{"fraction": 0.5, "message": "Halfway: wrap up."}]
    )
    assert [(e.turn, e.text) for e in run.of("checkpoint")] == [(2, "Halfway: wrap up.")]
    assert run.provider.requests[1].messages[-1].text == "Halfway: wrap up."
