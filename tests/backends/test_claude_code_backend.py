"""The claude-code backend against a fake `claude` executable placed first on PATH: the
arguments and environment it is started with, stream-json parsing, exit classification,
and agent nodes using it inside a real pipeline run."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
from tracker.backends.base import AgentRunConfig
from tracker.backends.claude_code import (
    ClaudeCodeConfig,
    StreamParser,
    build_args,
    classify_exit,
    cli_environment,
    parse_mcp_servers,
)
from tracker.backends.settings import SettingsError
from tracker.engine.api import Config, run_sync

FAKE_CLAUDE = r'''#!{python}
"""A stand-in for the Claude Code CLI: prints a canned stream-json run."""
import json, os, sys
from pathlib import Path

if sys.argv[1:] == ["--version"]:
    print("9.9.9 (Claude Code)")
    sys.exit(0)
state = Path(os.environ["FAKE_CLAUDE_DIR"])
calls = sorted(state.glob("call-*.json"))
record = {{"argv": sys.argv[1:], "cwd": os.getcwd(),
          "has_anthropic_key": "ANTHROPIC_API_KEY" in os.environ}}
(state / f"call-{{len(calls) + 1}}.json").write_text(json.dumps(record))
modes = os.environ.get("FAKE_CLAUDE_MODES", "ok").split(",")
mode = modes[min(len(calls), len(modes) - 1)]

def out(obj):
    print(json.dumps(obj), flush=True)

if mode == "auth":
    sys.stderr.write("Error: Invalid API key · Please run /login (authentication failed)\n")
    sys.exit(1)
if mode == "ratelimit":
    sys.stderr.write("API Error: 429 rate limit reached\n")
    sys.exit(1)
if mode == "noresult":
    out({{"type": "system", "subtype": "init", "session_id": "s0"}})
    sys.exit(0)
if mode == "hang":
    import time
    out({{"type": "system", "subtype": "init", "session_id": "s0"}})
    time.sleep(30)
out({{"type": "system", "subtype": "init", "session_id": "s1", "model": "claude-sonnet-4-6"}})
print("not json at all", flush=True)
out({{"type": "assistant", "message": {{"content": [
    {{"type": "thinking", "thinking": "look first"}},
    {{"type": "text", "text": "Reading the spec. "}},
    {{"type": "tool_use", "id": "tu_1", "name": "Read", "input": {{"file_path": "SPEC.md"}}}}]}}}})
out({{"type": "user", "message": {{"content": [
    {{"type": "tool_result", "tool_use_id": "tu_1", "content": [{{"type": "text", "text": "# Spec"}}]}}]}}}})
out({{"type": "rate_limit_event"}})
out({{"type": "assistant", "message": {{"content": [{{"type": "text", "text": "Done.\nSTATUS: success"}}]}}}})
out({{"type": "result", "subtype": "success", "num_turns": 2, "total_cost_usd": 0.012,
     "usage": {{"input_tokens": 200, "output_tokens": 100, "cache_read_input_tokens": 8000,
               "cache_creation_input_tokens": 500}}}})
'''

PIPELINE = """workflow cc
  start: Start
  exit: Done

  agent Start
    label: Start

  agent Work
    backend: claude-code
    model: claude-sonnet-4-6
    prompt: Read the spec.
    auto_status: true
    max_turns: 7
    max_retries: 1
{extra}
  agent Done
    label: Done

  edges
    Start -> Work
    Work -> Done  when ctx.outcome = success
    Work -> Done  when ctx.outcome = fail
"""


@pytest.fixture
def claude(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Puts the fake `claude` first on PATH; returns the directory recording its calls."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "claude"
    script.write_text(FAKE_CLAUDE.format(python=sys.executable))
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    state = tmp_path / "claude-calls"
    state.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("FAKE_CLAUDE_DIR", str(state))
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-xxxxxxxx")
    monkeypatch.delenv("TRACKER_PASS_API_KEYS", raising=False)
    monkeypatch.delenv("TRACKER_SCRIPTED_FILE", raising=False)
    return state


def calls(state: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(state.glob("call-*.json"))]


def run(tmp_path: Path, extra: str = "", **config: Any):
    source = tmp_path / "cc.dip"
    source.write_text(PIPELINE.format(extra=extra))
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return run_sync(source, Config(workdir=work, artifact_dir=tmp_path / "runs", **config))


# --------------------------------------------------------------------------- pipelines


def test_agent_node_runs_on_the_claude_cli(tmp_path: Path, claude: Path) -> None:
    result = run(tmp_path)

    assert result.status == "success", result.error
    assert result.context["last_response"] == "Reading the spec. Done.\nSTATUS: success"
    (work,) = [t for t in result.trace if t.node_id == "Work"]
    assert work.stats is not None
    stats = work.stats
    assert stats.provider == "claude-code"
    assert stats.turns == 2
    assert stats.tool_calls == {"Read": 1}
    assert (stats.input_tokens, stats.output_tokens, stats.total_tokens) == (200, 100, 300)
    assert (stats.cache_read_tokens, stats.cache_write_tokens) == (8000, 500)
    assert stats.cost_usd == pytest.approx(0.012)
    assert result.usage is not None and "claude-code" in result.usage.provider_totals

    (call,) = calls(claude)
    assert call["cwd"] == str((tmp_path / "work").resolve())
    assert call["has_anthropic_key"] is False  # the CLI uses the subscription login
    argv = call["argv"]
    assert argv[:6] == [
        "--print",
        "--verbose",
        "-p",
        "Read the spec.",
        "--output-format",
        "stream-json",
    ]
    assert argv[argv.index("--model") + 1] == "claude-sonnet-4-6"
    assert argv[argv.index("--max-turns") + 1] == "7"
    assert argv[argv.index("--permission-mode") + 1] == "bypassPermissions"
    assert "STATUS: success" in argv[argv.index("--system-prompt") + 1]

    response = (Path(result.artifact_run_dir) / "Work" / "response.md").read_text()
    assert "TOOL CALL: Read" in response and "OUTPUT: # Spec" in response


def test_run_default_backend_applies_to_nodes_without_one(tmp_path: Path, claude: Path) -> None:
    source = tmp_path / "cc.dip"
    source.write_text(PIPELINE.format(extra="").replace("    backend: claude-code\n", ""))
    (tmp_path / "work").mkdir()
    result = run_sync(source, Config(workdir=tmp_path / "work", backend="claude-code"))
    assert result.status == "success", result.error
    assert len(calls(claude)) == 1


def test_cli_authentication_failure_stops_the_run(
    tmp_path: Path, claude: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_CLAUDE_MODES", "auth")
    result = run(tmp_path)
    assert result.status == "fail"
    assert "claude CLI failed (exit 1, outcome=auth)" in result.error
    assert len(calls(claude)) == 1


def test_cli_rate_limit_is_retried(
    tmp_path: Path, claude: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_CLAUDE_MODES", "ratelimit,ok")
    result = run(tmp_path)
    assert result.status == "success", result.error
    assert [t.status for t in result.trace if t.node_id == "Work"] == ["retry", "success"]
    assert len(calls(claude)) == 2


def test_cli_without_result_message_is_retried(
    tmp_path: Path, claude: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_CLAUDE_MODES", "noresult,noresult")
    result = run(tmp_path)
    assert result.status == "fail"
    assert "produced no result message" in result.context["node.Work.last_response"]
    assert len(calls(claude)) == 2


def test_node_timeout_kills_the_cli_and_fails_the_node(
    tmp_path: Path, claude: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_CLAUDE_MODES", "hang")
    result = run(tmp_path, extra="    params:\n      timeout: 500ms\n")
    assert result.status == "success"  # the failure edge routes to Done
    assert result.context["node.Work.outcome"] == "fail"
    assert "timed out after 0.5s" in result.context["node.Work.last_response"]


def test_missing_cli_names_the_install_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    result = run(tmp_path)
    assert result.status == "fail"
    assert "claude CLI not found in PATH" in result.error
    assert "npm install -g @anthropic-ai/claude-code" in result.error


def test_invalid_permission_mode_is_a_configuration_error(tmp_path: Path, claude: Path) -> None:
    result = run(tmp_path, extra="    params:\n      permission_mode: yolo\n")
    assert result.status == "fail"
    assert 'invalid permission_mode "yolo"' in result.error
    assert calls(claude) == []


# --------------------------------------------------------------------------- units


def test_non_claude_models_are_not_passed_to_the_cli() -> None:
    cfg = AgentRunConfig(prompt="p", model="gpt-5.4", max_turns=0)
    args = build_args(cfg, ClaudeCodeConfig(permission_mode=""))
    assert args == ["--print", "--verbose", "-p", "p", "--output-format", "stream-json"]


def test_tool_lists_budget_and_mcp_servers_become_flags() -> None:
    cc = ClaudeCodeConfig(
        allowed_tools=["Read", "Grep"],
        max_budget_usd=1.5,
        mcp_servers=parse_mcp_servers("fs=npx -y server-fs /tmp\n"),
    )
    args = build_args(AgentRunConfig(prompt="p", model="Claude-Opus"), cc)
    assert args[args.index("--allowedTools") + 1] == "Read,Grep"
    assert args[args.index("--budget") + 1] == "1.50"
    servers = json.loads(args[args.index("--mcpServers") + 1])
    assert servers == {"fs": {"command": "npx", "args": ["-y", "server-fs", "/tmp"]}}
    assert "--model" in args


def test_mcp_server_lines_are_validated() -> None:
    with pytest.raises(SettingsError, match="duplicate mcp server"):
        parse_mcp_servers("a=x\na=y")
    with pytest.raises(SettingsError, match="no server name"):
        parse_mcp_servers("=x")


@pytest.mark.parametrize(
    ("code", "stderr", "outcome"),
    [
        (1, "Unauthorized: invalid api key", "auth"),
        (1, "Your credit balance is too low to access the API", "billing"),
        (1, "429 Too Many Requests", "rate_limit"),
        (1, "request was throttled", "rate_limit"),
        (1, "request was unthrottled", "error"),
        (1, "spending limit reached", "budget"),
        (1, "dial tcp 1.2.3.4:443: connect: connection refused", "network"),
        (137, "", "killed"),
        (2, "boom", "error"),
    ],
)
def test_exit_classification(code: int, stderr: str, outcome: str) -> None:
    assert classify_exit(code, stderr) == outcome


def test_api_keys_are_kept_only_when_asked() -> None:
    environ = {"ANTHROPIC_API_KEY": "k", "GOOGLE_API_KEY": "g", "HOME": "/h"}
    assert cli_environment(environ) == {"HOME": "/h"}
    kept = cli_environment({**environ, "TRACKER_PASS_API_KEYS": "1"})
    assert kept["ANTHROPIC_API_KEY"] == "k"


def test_user_messages_with_top_level_content_are_read() -> None:
    seen: list[Any] = []
    parser = StreamParser(seen.append)
    parser.feed(
        json.dumps(
            {
                "type": "assistant",
                "content": [
                    {"type": "tool_use", "id": "t", "name": "Bash", "input": {"command": "ls"}}
                ],
            }
        )
    )
    parser.feed(
        json.dumps(
            {
                "type": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "t", "content": "a\nb", "is_error": True}
                ],
            }
        )
    )
    end = seen[-1]
    assert (end.type.value, end.tool_name, end.tool_output, end.tool_error) == (
        "tool_call_end",
        "Bash",
        "a\nb",
        "true",
    )
