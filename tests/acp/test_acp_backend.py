"""The acp backend against a fake ACP agent (tests/acp/fake_acp_agent.py) speaking the
real protocol over stdio: what lands in the working dir, in the events and the result."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from tracker.agent.events import AgentEvent, EventType
from tracker.agent.result import SessionResult
from tracker.backends.base import AgentRunConfig, BackendError
from tracker_acp.agents import agent_environment, choose_agent
from tracker_acp.backend import AcpBackend, pick_model
from tracker_acp.client import choose_permission
from tracker_acp.fs import write_text_file
from tracker_acp.rpc import RpcError

FAKE = Path(__file__).with_name("fake_acp_agent.py")


@pytest.fixture
def agent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An executable `fake-acp` on PATH that runs the fake agent; its log file and the
    forbidden outside path are passed through the environment."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    exe = bin_dir / "fake-acp"
    exe.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE}" "$@"\n')
    exe.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_ACP_LOG", str(tmp_path / "agent.log"))
    monkeypatch.setenv("FAKE_ACP_OUTSIDE", str(tmp_path / "outside.txt"))
    return exe


class Run:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.work = tmp_path / "work"
        self.work.mkdir(exist_ok=True)
        self.events: list[AgentEvent] = []

    def __call__(self, acp_agent: str, **cfg: Any) -> SessionResult:
        values: dict[str, Any] = {
            "prompt": "Write the result file.",
            "working_dir": str(self.work),
            "model": "claude-sonnet-4-6",
            "node_id": "Build",
            "extra": {"acp_agent": acp_agent},
        }
        values.update(cfg)
        return asyncio.run(AcpBackend().run(AgentRunConfig(**values), self.events.append))

    def log(self) -> list[dict[str, Any]]:
        path = self.tmp_path / "agent.log"
        return [json.loads(line) for line in path.read_text().splitlines()]

    def replies(self, method: str) -> list[dict[str, Any]]:
        return [
            e["data"]["reply"]
            for e in self.log()
            if e["kind"] == "reply" and e["data"]["method"] == method
        ]

    def received(self, method: str) -> list[dict[str, Any]]:
        return [
            e["data"]
            for e in self.log()
            if e["kind"] == "received" and e["data"].get("method") == method
        ]

    def types(self) -> list[str]:
        return [e.type.value for e in self.events]


@pytest.fixture
def run(tmp_path: Path, agent: Path) -> Run:
    return Run(tmp_path)


def test_a_turn_writes_inside_the_working_dir_and_reports_text_and_usage(run: Run) -> None:
    result = run("fake-acp", system_prompt="Be brief.")

    assert (run.work / "out" / "result.txt").read_text() == "line 1\nline 2\nline 3\n"
    assert result.final_text == "" and result.status == "success"
    texts = [e.text for e in run.events if e.type is EventType.TEXT_DELTA]
    assert "".join(texts) == "Hello world."
    assert result.provider == "acp" and result.model == "claude-sonnet-4-6"
    assert result.session_id == "sess-1"
    assert result.turns == 1 and result.tool_calls == {"edit": 1}
    assert result.files_created == ["out/result.txt"]
    assert result.stopped_naturally
    # usage is estimated from characters (ceil(chars / 4)) and priced from the catalog
    usage = result.usage
    assert usage.estimated and usage.input_tokens > 0 and usage.output_tokens > 0
    assert usage.reasoning_tokens == 6  # "Thinking about the task." = 24 chars
    assert usage.estimated_cost > 0


def test_the_agent_sees_the_prompt_and_a_confined_file_system(run: Run) -> None:
    run("fake-acp", system_prompt="Be brief.")

    init = run.received("initialize")[0]["params"]
    assert init["protocolVersion"] == 1
    assert init["clientCapabilities"]["fs"] == {"readTextFile": True, "writeTextFile": True}
    new = run.received("session/new")[0]["params"]
    assert new == {"cwd": str(run.work.resolve()), "mcpServers": []}
    assert run.received("session/set_model")[0]["params"]["modelId"] == "claude-sonnet-4-6"
    prompt = run.received("session/prompt")[0]["params"]["prompt"]
    assert prompt == [
        {"type": "text", "text": "System: Be brief."},
        {"type": "text", "text": "Write the result file."},
    ]
    # permission: the first allow option
    assert run.replies("session/request_permission")[0]["result"] == {
        "outcome": {"outcome": "selected", "optionId": "yes"}
    }
    inside, outside, relative, dotdot = run.replies("fs/write_text_file")
    assert "error" not in inside
    assert outside["error"]["code"] == -32602
    assert "outside the working directory" in outside["error"]["message"]
    assert relative["error"]["code"] == -32602 and "absolute" in relative["error"]["message"]
    assert dotdot["error"]["code"] == -32602 and ".." in dotdot["error"]["message"]
    assert not (run.tmp_path / "outside.txt").exists()
    assert not (run.tmp_path / "up.txt").exists()
    assert run.replies("fs/read_text_file")[0]["result"] == {"content": "line 2\n"}


def test_events_follow_the_session(run: Run) -> None:
    run("fake-acp")

    types = run.types()
    assert types[:2] == ["llm_request_preparing", "turn_start"]
    assert run.events[0].provider == "acp:fake-acp"
    assert "llm_reasoning" in types
    start = next(e for e in run.events if e.type is EventType.TOOL_CALL_START)
    assert start.tool_name == "Write out/result.txt"
    assert json.loads(start.tool_input) == {"path": str(run.work / "out" / "result.txt")}
    end = next(e for e in run.events if e.type is EventType.TOOL_CALL_END)
    assert end.tool_output == "wrote 3 lines" and end.tool_error == ""
    assert all(e.node_id == "Build" for e in run.events)


def test_usage_reported_by_the_agent_is_used_as_is(run: Run) -> None:
    result = run("fake-acp usage")
    assert (result.usage.input_tokens, result.usage.output_tokens) == (1200, 300)
    assert not result.usage.estimated


def test_cache_read_ratio_moves_input_to_cache_reads(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = run("fake-acp").usage
    monkeypatch.setenv("TRACKER_ACP_CACHE_READ_RATIO", "0.5")
    cached = run("fake-acp").usage
    assert cached.cache_read_tokens == plain.input_tokens // 2
    assert cached.input_tokens == plain.input_tokens - plain.input_tokens // 2


def test_a_crashing_agent_is_a_clear_backend_error(run: Run) -> None:
    with pytest.raises(BackendError) as caught:
        run("fake-acp crash")
    message = str(caught.value)
    assert "acp: fake-acp exited unexpectedly during session/prompt (exit 3)" in message
    assert "boom: the agent fell over" in message
    assert caught.value.status is None  # stops the run with the message
    assert caught.value.result is not None and caught.value.result.provider == "acp"


def test_a_failed_handshake_names_the_agent(run: Run) -> None:
    with pytest.raises(BackendError, match="acp: initialize failed for fake-acp: no"):
        run("fake-acp initfail")


def test_an_empty_answer_asks_for_a_retry(run: Run) -> None:
    with pytest.raises(BackendError) as caught:
        run("fake-acp empty")
    assert str(caught.value) == "acp: fake-acp returned empty response (0 text, 0 tool calls)"
    assert caught.value.status == "retry"


def test_a_hanging_agent_times_out_as_a_routable_failure(run: Run) -> None:
    with pytest.raises(BackendError) as caught:
        run("fake-acp hang", timeout=1.0)
    assert str(caught.value) == "acp: fake-acp timed out after 1s"
    assert caught.value.status == "fail"
    assert run.received("session/cancel")[0]["params"] == {"sessionId": "sess-1"}


def test_terminals_run_in_the_working_dir_behind_the_denylist(run: Run) -> None:
    result = run("fake-acp terminal")
    texts = "".join(e.text for e in run.events if e.type is EventType.TEXT_DELTA)
    assert texts == "terminal said: hi from terminal; denied: True"
    assert result.status == "success"
    created = run.replies("terminal/create")
    assert created[0]["result"]["terminalId"].startswith("term-")
    assert "error" in created[1]


def test_a_missing_agent_says_how_to_install_it(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    run = Run(tmp_path)
    with pytest.raises(BackendError) as caught:
        run("")  # no acp_agent: anthropic's default agent
    assert str(caught.value) == (
        'acp agent "claude-agent-acp" not found in PATH — '
        "install with: npm install -g @zed-industries/claude-agent-acp"
    )
    with pytest.raises(BackendError, match='acp agent "my-agent" not found in PATH'):
        run("my-agent")


def test_tool_access_cannot_be_enforced(run: Run) -> None:
    with pytest.raises(BackendError, match="tool_access"):
        run("fake-acp", tool_access="read-only")


def test_agent_choice_by_attr_then_provider() -> None:
    assert choose_agent("", "openai") == ("codex-acp", [])
    assert choose_agent("", "gemini") == ("gemini", ["--acp"])
    assert choose_agent("", "anthropic") == ("claude-agent-acp", [])
    assert choose_agent("", "") == ("claude-agent-acp", [])
    assert choose_agent("gemini --experimental-acp", "") == ("gemini", ["--experimental-acp"])
    assert choose_agent("/opt/bin/my agent", "openai") == ("/opt/bin/my", ["agent"])


def test_model_choice_prefers_exact_then_contained_ids() -> None:
    models = {
        "availableModels": [{"modelId": "default"}, {"modelId": "opus"}, {"modelId": "Sonnet"}]
    }
    assert pick_model(models, "sonnet") == "Sonnet"
    assert pick_model(models, "claude-opus-4-1") == "opus"
    assert pick_model(models, "gpt-5") == ""
    assert pick_model(None, "sonnet") == ""


def test_keys_are_stripped_only_when_asked() -> None:
    env = {
        "ANTHROPIC_API_KEY": "k",
        "OPENAI_BASE_URL": "u",
        "OPENROUTER_API_KEY": "o",
        "HOME": "/h",
    }
    assert agent_environment(env) == env
    stripped = agent_environment({**env, "TRACKER_STRIP_ACP_KEYS": "1"})
    assert stripped == {"HOME": "/h", "TRACKER_STRIP_ACP_KEYS": "1"}


def test_cancelling_the_run_cancels_the_turn_and_stops_the_agent(run: Run) -> None:
    async def scenario() -> None:
        cfg = AgentRunConfig(
            prompt="Wait.",
            working_dir=str(run.work),
            node_id="Build",
            extra={"acp_agent": "fake-acp hang"},
        )
        task = asyncio.ensure_future(AcpBackend().run(cfg, run.events.append))
        while "turn_start" not in run.types():
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(asyncio.wait_for(scenario(), 10))
    assert run.received("session/cancel")[0]["params"] == {"sessionId": "sess-1"}


def test_permissions_for_paths_outside_the_working_dir_are_rejected(tmp_path: Path) -> None:
    options = [
        {"optionId": "always", "kind": "allow_always"},
        {"optionId": "once", "kind": "allow_once"},
        {"optionId": "no", "kind": "reject_once"},
    ]

    def choose(path: str) -> str:
        params = {"options": options, "toolCall": {"locations": [{"path": path}]}}
        return choose_permission(params, tmp_path.resolve())["outcome"]["optionId"]

    assert choose(str(tmp_path / "a.txt")) == "always"  # the first allow option offered
    assert choose("/etc/passwd") == "no"
    with pytest.raises(RpcError):
        choose_permission({"options": []}, tmp_path)


def test_symlinks_cannot_lead_writes_out_of_the_working_dir(tmp_path: Path) -> None:
    root = tmp_path / "work"
    (root / "sub").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    (root / "link").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(RpcError) as caught:
        write_text_file({"path": str(root / "link" / "new" / "f.txt"), "content": "x"}, root)
    assert caught.value.code == -32602
    assert not (tmp_path / "elsewhere" / "new").exists()
    path, existed = write_text_file({"path": str(root / "sub" / "f.txt"), "content": "x"}, root)
    assert path == (root / "sub" / "f.txt").resolve() and not existed
