"""The claude-code backend (spec agent-llm.md §7.3): run the `claude` CLI headless and
turn its stream-json output into agent events and a SessionResult.

Why a subprocess and not an SDK: the CLI uses the user's Claude subscription login, so
provider API keys are removed from its environment unless `TRACKER_PASS_API_KEYS=1`.
It runs in its own process group, killed as a whole on cancel or node `timeout`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import shutil
import signal
import subprocess
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field

from tracker.agent.events import AgentEvent, EventType
from tracker.agent.result import SessionResult
from tracker.backends.base import AgentRunConfig, BackendError, BackendUnavailable, Emit
from tracker.backends.settings import NodeSettings, SettingsError
from tracker.llm.types import Usage

log = logging.getLogger("tracker.backends.claude_code")

PROVIDER = "claude-code"
BINARY = "claude"
NOT_FOUND = "claude CLI not found in PATH — install with: npm install -g @anthropic-ai/claude-code"
PERMISSION_MODES = ("plan", "acceptEdits", "bypassPermissions", "default", "dontAsk", "auto")
#: headless runs must never stop at an interactive permission prompt
DEFAULT_PERMISSION_MODE = "bypassPermissions"
STRIPPED_KEYS = (
    "ANTHROPIC_API_KEY",
    "OPENAI_API_KEY",
    "OPENAI_COMPAT_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
)
_LINE_LIMIT = 64 * 1024 * 1024


# --------------------------------------------------------------------------- config


class ClaudeCodeConfig(BaseModel):
    """The CLI options a node can set (attrs `permission_mode`, `allowed_tools`,
    `disallowed_tools`, `max_budget_usd`, `mcp_servers`)."""

    permission_mode: str = DEFAULT_PERMISSION_MODE
    allowed_tools: list[str] = Field(default_factory=list)
    disallowed_tools: list[str] = Field(default_factory=list)
    max_budget_usd: float = 0.0
    mcp_servers: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: NodeSettings) -> ClaudeCodeConfig:
        node_id = settings.node.id
        mode = settings.raw("permission_mode", graph=False) or DEFAULT_PERMISSION_MODE
        if mode not in PERMISSION_MODES:
            raise SettingsError(
                f'node "{node_id}": invalid permission_mode "{mode}" '
                f"(valid: {', '.join(PERMISSION_MODES)})"
            )
        allowed = _tool_list(settings.raw("allowed_tools", graph=False))
        disallowed = _tool_list(settings.raw("disallowed_tools", graph=False))
        if allowed and disallowed:
            raise SettingsError(
                f'node "{node_id}": set allowed_tools or disallowed_tools, not both'
            )
        budget = settings.number("max_budget_usd")
        return cls(
            permission_mode=mode,
            allowed_tools=allowed,
            disallowed_tools=disallowed,
            max_budget_usd=budget if budget > 0 else 0.0,
            mcp_servers=parse_mcp_servers(settings.raw("mcp_servers", graph=False), node_id),
        )


def _tool_list(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def parse_mcp_servers(text: str, node_id: str = "") -> dict[str, dict[str, Any]]:
    """`name=command args...`, one per line → `{name: {command, args}}`."""
    servers: dict[str, dict[str, Any]] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        name, sep, command_line = line.partition("=")
        name = name.strip()
        words = command_line.split()
        if not sep or not name:
            raise SettingsError(f'node "{node_id}": mcp_servers line "{line}" has no server name')
        if not words:
            raise SettingsError(f'node "{node_id}": mcp server "{name}" has no command')
        if name in servers:
            raise SettingsError(f'node "{node_id}": duplicate mcp server "{name}"')
        servers[name] = {"command": words[0], "args": words[1:]}
    return servers


def build_args(cfg: AgentRunConfig, cc: ClaudeCodeConfig) -> list[str]:
    """The CLI arguments, in the reference's order (binary not included)."""
    args = ["--print", "--verbose", "-p", cfg.prompt, "--output-format", "stream-json"]
    if cfg.model.lower().startswith(("claude", "anthropic")):
        args += ["--model", cfg.model]
    if cfg.max_turns > 0:
        args += ["--max-turns", str(cfg.max_turns)]
    if cfg.system_prompt:
        args += ["--system-prompt", cfg.system_prompt]
    if cc.permission_mode:
        args += ["--permission-mode", cc.permission_mode]
    if cc.allowed_tools:
        args += ["--allowedTools", ",".join(cc.allowed_tools)]
    elif cc.disallowed_tools:
        args += ["--disallowedTools", ",".join(cc.disallowed_tools)]
    if cc.max_budget_usd > 0:
        args += ["--budget", f"{cc.max_budget_usd:.2f}"]
    if cc.mcp_servers:
        args += ["--mcpServers", json.dumps(cc.mcp_servers, separators=(",", ":"))]
    return args


def cli_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The parent environment minus provider API keys (kept with TRACKER_PASS_API_KEYS=1)."""
    env = dict(environ)
    if env.get("TRACKER_PASS_API_KEYS") == "1":
        return env
    for key in STRIPPED_KEYS:
        env.pop(key, None)
    return env


# --------------------------------------------------------------------------- exit codes

_AUTH = re.compile(r"authentication|unauthorized|invalid api key")
_CREDIT = re.compile(r"credit balance|too low to access")
_RATE = re.compile(r"rate limit|429|(?<!un)throttl")
_BUDGET = re.compile(r"budget exceeded|budget limit|spending limit")
_NETWORK = re.compile(
    r"econnrefused|connection refused|connection reset|network is unreachable|dial tcp"
)


def classify_exit(code: int, stderr: str) -> str:
    """What a non-zero exit means: `auth`, `billing`, `rate_limit`, `budget`, `network`,
    `killed` or `error`. Only `rate_limit` and `network` are worth retrying."""
    text = stderr.lower()
    if _AUTH.search(text):
        return "auth"
    if _CREDIT.search(text):
        return "billing"
    if _RATE.search(text):
        return "rate_limit"
    if _BUDGET.search(text):
        return "budget"
    if _NETWORK.search(text):
        return "network"
    if code == 137:
        return "killed"
    return "error"


RETRYABLE_EXITS = frozenset({"rate_limit", "network"})


# --------------------------------------------------------------------------- stream parsing


class StreamParser:
    """Turns stream-json lines into agent events and, at the end, a SessionResult."""

    def __init__(self, emit: Emit, node_id: str = "", model: str = "") -> None:
        self._emit = emit
        self.node_id = node_id
        self.model = model
        self.session_id = ""
        self.tool_names: dict[str, str] = {}
        self.tool_calls: dict[str, int] = {}
        self.result: dict[str, Any] | None = None
        self.bad_lines = 0
        self.turn = 0

    def event(self, type: EventType, **fields: Any) -> None:
        self._emit(
            AgentEvent(
                type=type,
                session_id=self.session_id,
                node_id=self.node_id,
                provider=PROVIDER,
                model=self.model,
                **fields,
            )
        )

    def feed(self, line: str) -> None:
        line = line.strip()
        if not line:
            return
        try:
            message = json.loads(line)
        except ValueError:
            self.bad_lines += 1
            return
        if not isinstance(message, dict):
            self.bad_lines += 1
            return
        kind = message.get("type")
        if kind == "system":
            self._system(message)
        elif kind == "assistant":
            self._assistant(message)
        elif kind == "user":
            self._user(message)
        elif kind == "result":
            self.result = message
        elif kind != "rate_limit_event":
            log.warning("claude CLI: ignoring stream message of type %r", kind)

    def _system(self, message: dict[str, Any]) -> None:
        if message.get("subtype") != "init":
            return
        self.session_id = str(message.get("session_id") or self.session_id)
        self.turn += 1
        self.event(EventType.LLM_REQUEST_PREPARING, turn=self.turn)
        self.event(EventType.TURN_START, turn=self.turn)

    def _assistant(self, message: dict[str, Any]) -> None:
        for block in _content(message):
            kind = block.get("type")
            if kind == "text" and block.get("text"):
                self.event(EventType.TEXT_DELTA, turn=self.turn, text=str(block["text"]))
            elif kind == "thinking" and block.get("thinking", block.get("text")):
                text = str(block.get("thinking") or block.get("text"))
                self.event(EventType.LLM_REASONING, turn=self.turn, text=text)
            elif kind == "tool_use":
                name = str(block.get("name", ""))
                self.tool_names[str(block.get("id", ""))] = name
                self.tool_calls[name] = self.tool_calls.get(name, 0) + 1
                self.event(
                    EventType.TOOL_CALL_START,
                    turn=self.turn,
                    tool_name=name,
                    tool_input=json.dumps(block.get("input", {}), ensure_ascii=False),
                )

    def _user(self, message: dict[str, Any]) -> None:
        for block in _content(message):
            if block.get("type") != "tool_result":
                continue
            name = self.tool_names.get(str(block.get("tool_use_id", "")), "")
            output = _result_text(block.get("content"))
            failed = bool(block.get("is_error"))
            self.event(
                EventType.TOOL_CALL_END,
                turn=self.turn,
                tool_name=name,
                tool_output=output,
                tool_error="true" if failed else "",
            )

    def session_result(self, duration: float) -> SessionResult:
        data = self.result or {}
        usage_data = data.get("usage") or {}
        inp = _int(usage_data.get("input_tokens"))
        out = _int(usage_data.get("output_tokens"))
        cache_read = _int(usage_data.get("cache_read_input_tokens"))
        cache_write = _int(usage_data.get("cache_creation_input_tokens"))
        usage = Usage(
            input_tokens=inp,
            output_tokens=out,
            total_tokens=inp + out,
            cache_read_tokens=cache_read or None,
            cache_write_tokens=cache_write or None,
            estimated_cost=float(data.get("total_cost_usd") or 0.0),
        )
        turns = _int(data.get("num_turns", data.get("turns")))
        return SessionResult(
            session_id=self.session_id or "claude-code",
            provider=PROVIDER,
            model=self.model,
            duration=duration,
            turns=turns,
            stopped_naturally=True,
            tool_calls=dict(self.tool_calls),
            usage=usage,
        )


def _content(message: dict[str, Any]) -> list[dict[str, Any]]:
    """Blocks of a message: `message.content`, else the top-level `content` (§9.1 #14)."""
    inner = message.get("message")
    content = inner.get("content") if isinstance(inner, dict) else None
    if content is None:
        content = message.get("content")
    if isinstance(content, list):
        return [b for b in content if isinstance(b, dict)]
    return []


def _result_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [
            str(b.get("text", ""))
            for b in content
            if isinstance(b, dict) and b.get("type") == "text"
        ]
        return "\n".join(parts)
    return "" if content is None else json.dumps(content, ensure_ascii=False)


def _int(value: Any) -> int:
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError):
        return 0


# --------------------------------------------------------------------------- the backend


class ClaudeCodeBackend:
    name = PROVIDER

    def __init__(self, binary: str, environ: Mapping[str, str] | None = None) -> None:
        self.binary = binary
        self._environ = environ

    async def run(self, cfg: AgentRunConfig, emit: Emit) -> SessionResult:
        cc = cfg.extra if isinstance(cfg.extra, ClaudeCodeConfig) else ClaudeCodeConfig()
        parser = StreamParser(emit, cfg.node_id, cfg.model)
        loop = asyncio.get_running_loop()
        started = loop.time()
        proc = await asyncio.create_subprocess_exec(
            self.binary,
            *build_args(cfg, cc),
            cwd=cfg.working_dir,
            env=cli_environment(os.environ if self._environ is None else self._environ),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
            limit=_LINE_LIMIT,
        )
        try:
            stderr = await asyncio.wait_for(self._communicate(proc, parser), cfg.timeout)
        except TimeoutError:
            _kill_group(proc)
            await proc.wait()
            raise BackendError(
                f"claude CLI timed out after {cfg.timeout:g}s",
                status="fail",
                result=parser.session_result(loop.time() - started),
            ) from None
        except BaseException:
            _kill_group(proc)
            with contextlib.suppress(Exception):
                await asyncio.shield(proc.wait())
            raise
        result = parser.session_result(loop.time() - started)
        if parser.bad_lines:
            log.warning("claude CLI: skipped %d undecodable output line(s)", parser.bad_lines)
        code = proc.returncode or 0
        if code != 0:
            outcome = classify_exit(code, stderr)
            if outcome == "billing":
                log.warning(
                    "claude CLI reports a credit problem: it is probably using an API key "
                    "instead of your subscription login"
                )
            raise BackendError(
                f"claude CLI failed (exit {code}, outcome={outcome}): {stderr.strip()}",
                status="retry" if outcome in RETRYABLE_EXITS else None,
                result=result,
            )
        if parser.result is None:
            raise BackendError(
                "claude CLI exited successfully but produced no result message",
                status="retry",
                result=result,
            )
        return result

    async def _communicate(self, proc: asyncio.subprocess.Process, parser: StreamParser) -> str:
        assert proc.stdout is not None and proc.stderr is not None
        errors = asyncio.ensure_future(proc.stderr.read())
        try:
            while True:
                line = await proc.stdout.readline()
                if not line:
                    break
                parser.feed(line.decode("utf-8", errors="replace"))
            await proc.wait()
            return (await errors).decode("utf-8", errors="replace")
        finally:
            if not errors.done():
                errors.cancel()


def _kill_group(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def find_claude(environ: Mapping[str, str] | None = None) -> str:
    """The `claude` binary on PATH, checked with `claude --version`."""
    env = os.environ if environ is None else environ
    path = shutil.which(BINARY, path=env.get("PATH"))
    if path is None:
        raise BackendUnavailable(NOT_FOUND)
    try:
        subprocess.run(
            [path, "--version"],
            capture_output=True,
            timeout=15,
            check=True,
            env=dict(env),
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise BackendUnavailable(f"claude CLI at {path} does not run (`--version`): {exc}") from exc
    return path


def create(env: Any = None) -> ClaudeCodeBackend:
    """`BackendSpec.factory`: the CLI found on PATH (BackendUnavailable otherwise)."""
    return ClaudeCodeBackend(find_claude())
