"""The `acp` backend (spec agent-llm.md §7.4): tracker as an ACP client.

One node = one agent subprocess (cwd = the node's working dir, own process group) and one
ACP session: `initialize` → `session/new` → optional `session/set_model` → one
`session/prompt` whose `session/update`s become agent events, while tracker serves the
agent's permission, file and terminal requests. Then stdin is closed, the agent gets 5 s
to exit and is killed. Failures become `BackendError`s the codergen handler routes:
a missing agent, a failed handshake or a crash stops the run (unless the agent's stderr
says rate limit / network, which is retried); a timeout is a routable `fail`; an empty
answer asks for a `retry`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field
from tracker.agent.events import EventType
from tracker.agent.result import SessionResult
from tracker.backends.base import AgentRunConfig, BackendError, Emit
from tracker.backends.claude_code import RETRYABLE_EXITS, classify_exit

from tracker_acp.agents import AgentFinder, AgentNotFound, agent_environment, choose_agent
from tracker_acp.client import ClientMethods
from tracker_acp.rpc import Connection, ConnectionClosed, RpcError
from tracker_acp.terminals import Terminals
from tracker_acp.updates import UpdateCollector
from tracker_acp.usage import priced, reported_usage

log = logging.getLogger("tracker_acp.backend")

NAME = "acp"
PROTOCOL_VERSION = 1
EXIT_GRACE = 5.0
CANCEL_GRACE = 1.0
_LINE_LIMIT = 64 * 1024 * 1024
_STDERR_TAIL = 64 * 1024
#: ACP's "authentication required" error code
AUTH_REQUIRED = -32000


class ACPConfig(BaseModel):
    """What a node sets for the acp backend (`extra` of its AgentRunConfig)."""

    agent: str = ""
    denylist_add: list[str] = Field(default_factory=list)
    bypass_denylist: bool = False

    @classmethod
    def from_extra(cls, extra: Any) -> ACPConfig:
        """From an ACPConfig, or the node's attrs (what core passes plugin backends)."""
        if isinstance(extra, ACPConfig):
            return extra
        if isinstance(extra, Mapping):
            return cls(agent=str(extra.get("acp_agent", "") or ""))
        return cls()


class _Stderr:
    """Keeps the tail of the agent's stderr (for error messages)."""

    def __init__(self, stream: asyncio.StreamReader | None) -> None:
        self._buf = bytearray()
        self._task = asyncio.ensure_future(self._read(stream)) if stream else None

    async def _read(self, stream: asyncio.StreamReader) -> None:
        while chunk := await stream.read(65536):
            self._buf += chunk
            if len(self._buf) > _STDERR_TAIL:
                del self._buf[: len(self._buf) - _STDERR_TAIL]

    async def text(self) -> str:
        if self._task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(self._task), 1.0)
        return bytes(self._buf).decode("utf-8", errors="replace").strip()

    def cancel(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()


def _kill_group(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)


def pick_model(models: Any, wanted: str) -> str:
    """The agent's model id for `wanted`: an id equal to it (any case), else the first
    id (other than `default`) that the wanted name contains; "" when none fits."""
    if not wanted or not isinstance(models, dict):
        return ""
    ids = [
        str(m["modelId"])
        for m in models.get("availableModels") or []
        if isinstance(m, dict) and m.get("modelId")
    ]
    low = wanted.lower()
    for model_id in ids:
        if model_id.lower() == low:
            return model_id
    for model_id in ids:
        if model_id.lower() != "default" and model_id.lower() in low:
            return model_id
    return ""


class _Session:
    """One node's run against one agent process."""

    def __init__(
        self,
        cfg: AgentRunConfig,
        emit: Emit,
        acp: ACPConfig,
        label: str,
        argv: list[str],
        env: dict[str, str],
    ) -> None:
        self.cfg = cfg
        self.label = label
        self.argv = argv
        self.env = env
        self.root = Path(cfg.working_dir).resolve()
        self.collector = UpdateCollector(
            emit=emit, provider=f"{NAME}:{label}", model=cfg.model, node_id=cfg.node_id
        )
        self.terminals = Terminals(self.root, env, acp.denylist_add, acp.bypass_denylist)
        self.client = ClientMethods(self.root, self.terminals)
        self.session_id = ""
        self.stop_reason = ""
        self.reported: Any = None
        self.started = 0.0
        self.proc: asyncio.subprocess.Process | None = None
        self.conn: Connection | None = None
        self.stderr: _Stderr | None = None
        #: after a timeout or cancel the agent gets only CANCEL_GRACE to stop by itself
        self.cancelled = False

    # -- the run -----------------------------------------------------------------------

    async def run(self) -> SessionResult:
        loop = asyncio.get_running_loop()
        self.started = loop.time()
        self.collector.usage.add_input(self.cfg.prompt)
        self.collector.usage.add_input(self.cfg.system_prompt)
        self.collector.event(EventType.LLM_REQUEST_PREPARING)
        try:
            self.proc = await asyncio.create_subprocess_exec(
                *self.argv,
                cwd=str(self.root),
                env=self.env,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,
                limit=_LINE_LIMIT,
            )
        except OSError as exc:
            raise BackendError(f"acp: cannot start {self.label}: {exc}") from None
        assert self.proc.stdout is not None and self.proc.stdin is not None
        self.stderr = _Stderr(self.proc.stderr)
        self.conn = Connection(
            self.proc.stdout, self.proc.stdin, self.client, self._on_notification
        )
        self.conn.start()
        try:
            await asyncio.wait_for(self._converse(), self.cfg.timeout)
        except TimeoutError:
            await self._cancel_turn()
            raise BackendError(
                f"acp: {self.label} timed out after {self.cfg.timeout:g}s",
                status="fail",
                result=self.result(),
            ) from None
        except asyncio.CancelledError:
            await self._cancel_turn()
            raise
        finally:
            await self._shutdown()
        return self._finish()

    def _on_notification(self, method: str, params: Any) -> None:
        if method == "session/update":
            self.collector.handle(params)

    async def _converse(self) -> None:
        assert self.conn is not None
        init = await self._call(
            "initialize",
            {
                "protocolVersion": PROTOCOL_VERSION,
                "clientCapabilities": {
                    "fs": {"readTextFile": True, "writeTextFile": True},
                    "terminal": True,
                },
                "clientInfo": {"name": "tracker", "title": "tracker", "version": _version()},
            },
            f"acp: initialize failed for {self.label}",
        )
        version = init.get("protocolVersion") if isinstance(init, dict) else None
        if version != PROTOCOL_VERSION:
            log.warning(
                "acp: %s speaks protocol version %r (tracker speaks %d)",
                self.label,
                version,
                PROTOCOL_VERSION,
            )
        new = await self._call(
            "session/new",
            {"cwd": str(self.root), "mcpServers": []},
            f"acp: session/new failed for {self.label}",
        )
        if not isinstance(new, dict) or not new.get("sessionId"):
            raise self._broken(f"acp: session/new failed for {self.label}: no sessionId")
        self.session_id = self.collector.session_id = str(new["sessionId"])
        await self._select_model(new.get("models"))
        self.collector.event(EventType.TURN_START, turn=1)
        blocks = []
        if self.cfg.system_prompt:
            blocks.append({"type": "text", "text": f"System: {self.cfg.system_prompt}"})
        blocks.append({"type": "text", "text": self.cfg.prompt})
        reply = await self._call(
            "session/prompt",
            {"sessionId": self.session_id, "prompt": blocks},
            f"acp: {self.label} prompt failed",
            prompt=True,
        )
        reply = reply if isinstance(reply, dict) else {}
        self.stop_reason = str(reply.get("stopReason", ""))
        self.reported = reply.get("usage")

    async def _call(self, method: str, params: Any, failure: str, prompt: bool = False) -> Any:
        assert self.conn is not None
        try:
            return await self.conn.request(method, params)
        except ConnectionClosed:
            raise await self._crashed(method) from None
        except RpcError as exc:
            detail = f"{failure}: {exc.message} (code {exc.code})"
            if not prompt:
                raise self._broken(detail) from None
            outcome = classify_exit(1, exc.message)
            fatal = exc.code == AUTH_REQUIRED or outcome in ("auth", "billing", "budget")
            status: Literal["retry"] | None = None if fatal else "retry"
            raise BackendError(detail, status=status, result=self.result()) from None

    def _broken(self, message: str) -> BackendError:
        return BackendError(message, result=self.result())

    async def _crashed(self, method: str) -> BackendError:
        """The agent closed its output mid-conversation: say how it ended."""
        assert self.proc is not None and self.stderr is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.proc.wait(), EXIT_GRACE)
        code = self.proc.returncode
        stderr = await self.stderr.text()
        how = f"exit {code}" if code is not None else "closed its output"
        message = f"acp: {self.label} exited unexpectedly during {method} ({how})"
        if stderr:
            message += f": {stderr[-2000:]}"
        outcome = classify_exit(code if code is not None else 1, stderr)
        status: Literal["retry"] | None = "retry" if outcome in RETRYABLE_EXITS else None
        return BackendError(message, status=status, result=self.result())

    async def _select_model(self, models: Any) -> None:
        model_id = pick_model(models, self.cfg.model)
        if not model_id or (isinstance(models, dict) and models.get("currentModelId") == model_id):
            return
        assert self.conn is not None
        try:
            await self.conn.request(
                "session/set_model", {"sessionId": self.session_id, "modelId": model_id}
            )
        except ConnectionClosed:
            raise await self._crashed("session/set_model") from None
        except RpcError as exc:
            log.warning("acp: %s could not switch to model %s: %s", self.label, model_id, exc)

    async def _cancel_turn(self) -> None:
        """Best effort: tell the agent to stop the turn before it is killed."""
        self.client.cancelling = True
        self.cancelled = True
        if self.conn is None or not self.session_id or self.conn.closed.is_set():
            return
        with contextlib.suppress(Exception):
            await asyncio.wait_for(
                self.conn.notify("session/cancel", {"sessionId": self.session_id}), CANCEL_GRACE
            )

    async def _shutdown(self) -> None:
        """Close stdin, give the agent EXIT_GRACE seconds (CANCEL_GRACE after a cancel),
        then kill its process group."""
        proc = self.proc
        with contextlib.suppress(Exception):
            await self.terminals.close()
        if proc is None:
            return
        if proc.stdin is not None:
            with contextlib.suppress(Exception):
                proc.stdin.close()
        grace = CANCEL_GRACE if self.cancelled else EXIT_GRACE
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(proc.wait()), grace)
        _kill_group(proc)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(proc.wait()), EXIT_GRACE)
        if self.conn is not None:
            await self.conn.aclose()
            if self.conn.bad_lines:
                log.warning(
                    "acp: skipped %d non-JSON line(s) from %s", self.conn.bad_lines, self.label
                )
        if self.stderr is not None:
            self.stderr.cancel()

    # -- the result --------------------------------------------------------------------

    def result(self) -> SessionResult:
        c = self.collector
        usage = reported_usage(self.reported) or c.usage.estimate(self.env)
        produced = c.text_chunks > 0 or c.total_tool_calls > 0
        loop = asyncio.get_running_loop()
        return SessionResult(
            session_id=self.session_id or f"{NAME}:{self.label}",
            provider=NAME,
            model=self.cfg.model,
            duration=loop.time() - self.started,
            turns=max(c.turns, 1) if produced else c.turns,
            max_turns_used=self.stop_reason == "max_turn_requests",
            stopped_naturally=self.stop_reason == "end_turn",
            tool_calls=dict(c.tool_calls),
            files_modified=list(self.client.files_modified),
            files_created=list(self.client.files_created),
            usage=priced(usage, self.cfg.model),
        )

    def _finish(self) -> SessionResult:
        result = self.result()
        c = self.collector
        if self.stop_reason == "refusal":
            raise BackendError(
                f"acp: {self.label} refused the prompt", status="fail", result=result
            )
        if self.stop_reason == "cancelled":
            raise BackendError(
                f"acp: {self.label} cancelled the turn", status="fail", result=result
            )
        if c.text_chunks == 0 and c.total_tool_calls == 0:
            raise BackendError(
                f"acp: {self.label} returned empty response (0 text, 0 tool calls)",
                status="retry",
                result=result,
            )
        return result


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tracker-acp")
    except PackageNotFoundError:
        return "0"


class AcpBackend:
    """Runs agent nodes on ACP agents. One instance serves every node of a run; each
    node starts its own agent process."""

    name = NAME

    def __init__(
        self, environ: Mapping[str, str] | None = None, finder: AgentFinder | None = None
    ) -> None:
        self._environ = environ
        self._finder = finder or AgentFinder()

    async def run(self, cfg: AgentRunConfig, emit: Emit) -> SessionResult:
        acp = ACPConfig.from_extra(cfg.extra)
        if cfg.tool_access.strip():
            raise BackendError(
                f'tool_access "{cfg.tool_access}" cannot be enforced by the acp backend '
                "(the agent runs its own tools); remove it or use the native backend"
            )
        environ = os.environ if self._environ is None else self._environ
        name, args = choose_agent(acp.agent, cfg.provider, cfg.model)
        try:
            binary = await asyncio.to_thread(self._finder.find, name, environ)
        except AgentNotFound as exc:
            raise BackendError(str(exc)) from None
        label = os.path.basename(name)
        session = _Session(cfg, emit, acp, label, [binary, *args], agent_environment(environ))
        return await session.run()


def create(env: Any = None) -> AcpBackend:
    """`BackendSpec.factory`: agents are looked up per node, when they run."""
    return AcpBackend()
