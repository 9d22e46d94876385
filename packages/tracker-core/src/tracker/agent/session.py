"""The native agent session: the turn loop (spec agent-llm.md §5.2–5.6).

A `Session` talks to the model only through `tracker.llm.client.Client` (or any object
with the ProviderAdapter protocol, which it wraps in a Client without middleware), runs
the model's tool calls in order inside a confined workspace, and sends their results
back in one message per turn. It stops when the model answers without tool calls, after
`max_turns`, when the same tool calls repeat `loop_detection_threshold` times in a row,
or on an LLM error. Every step is reported to the observers as an `AgentEvent`.

    session = Session(client, SessionConfig(working_dir="repo"), on_event=print)
    result = await session.run("Fix the failing test")

`steer(text)` may be called from any thread or task while the session runs: the text
is injected as a user message at the next turn boundary.

Result status: an LLM error → `retry`; loop detected or turn limit → `fail`; a session
whose only turn was empty → `retry`; otherwise `success`, or with `auto_status` the last
`STATUS:` line of the final text (no line → `success`).
"""

from __future__ import annotations

import asyncio
import json
import math
import queue
import secrets
import time
from collections.abc import Callable, Iterable
from typing import Any

from tracker.agent import prompts
from tracker.agent.compaction import compact
from tracker.agent.config import DEFAULT_CONTEXT_WINDOW, SessionConfig
from tracker.agent.confinement import Workspace
from tracker.agent.events import Emitter, EventType, Observer
from tracker.agent.loop_detection import LoopDetector
from tracker.agent.result import SessionResult
from tracker.agent.status import parse_status
from tracker.agent.tools.base import ToolContext
from tracker.agent.tools.profiles import profile_name, registry_for
from tracker.agent.tools.registry import ToolRegistry
from tracker.agent.truncation import limit_for, truncate_output
from tracker.llm.catalog import Catalog
from tracker.llm.client import Client
from tracker.llm.errors import ConfigurationError
from tracker.llm.types import (
    NODE_ID_KEY,
    ContentPart,
    Message,
    Request,
    Response,
    ResponseFormat,
    Role,
    StreamEvent,
    StreamEventType,
    ToolCall,
    Usage,
)

MAX_EMPTY_RETRIES = 2
MAX_REFLECTIONS = 3
EPISODE_ENTRIES = 24
EPISODE_CHARS = 2000
CACHEABLE = frozenset({"read", "glob", "grep_search"})


class Session:
    """One agent run. Create a new Session for each prompt."""

    def __init__(
        self,
        llm: Any,
        config: SessionConfig | None = None,
        *,
        on_event: Observer | Iterable[Observer] | None = None,
        tools: ToolRegistry | None = None,
    ) -> None:
        self.config = config or SessionConfig()
        self.session_id = secrets.token_hex(4)
        self.client = self._as_client(llm)
        self.catalog: Catalog = self.client.catalog
        self.provider = self._provider()
        self.tools = tools if tools is not None else registry_for(self.provider)
        observers = (
            [] if on_event is None else ([on_event] if callable(on_event) else list(on_event))
        )
        self.events = Emitter(self.session_id, self.config.node_id, observers)
        self.workspace = Workspace(self.config.working_dir)
        self.context = ToolContext(
            workspace=self.workspace,
            command_timeout=self.config.command_timeout,
            max_command_timeout=self.config.max_command_timeout,
            denylist_add=list(self.config.denylist_add),
            bypass_denylist=self.config.bypass_denylist,
        )
        self._steering: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._used = False
        self._calls = 0

    # setup ---------------------------------------------------------------------------

    def _as_client(self, llm: Any) -> Client:
        if isinstance(llm, Client):
            return llm
        if not (hasattr(llm, "complete") and hasattr(llm, "stream")):
            raise ConfigurationError(
                "invalid session config: the LLM must be a tracker Client or a provider adapter"
            )
        name = self.config.provider or getattr(llm, "name", "") or "default"
        return Client({name: llm}, middleware=[])

    def _provider(self) -> str:
        """The provider requests go to: configured, else inferred by the client."""
        if self.config.provider:
            return self.config.provider
        return self.client.resolve_provider(Request(model=self.config.model))

    @property
    def profile(self) -> str:
        return profile_name(self.provider)

    def context_limit(self) -> int:
        """The configured window, or the catalog's when left at the default."""
        limit = self.config.context_window_limit
        if limit == DEFAULT_CONTEXT_WINDOW:
            info = self.catalog.get(self.config.model)
            if info is not None and info.context_window > 0:
                return info.context_window
        return limit

    def steer(self, text: str) -> None:
        """Queue a message for the model; injected before the next turn. Thread-safe."""
        self._steering.put(text)

    # the run -------------------------------------------------------------------------

    async def run(self, prompt: str) -> SessionResult:
        if self._used:
            raise ConfigurationError("session already used; create a new Session for each Run call")
        self._used = True
        run = _Run(self, prompt)
        return await run.execute()


class _Run:
    """The mutable state of one session run (kept off `Session` so it stays small)."""

    def __init__(self, session: Session, prompt: str) -> None:
        self.s = session
        self.cfg = session.config
        self.emit = session.events.emit
        self.prompt = prompt
        self.result = SessionResult(
            session_id=session.session_id, provider=session.provider, model=self.cfg.model
        )
        self.messages: list[Message] = []
        self.texts: list[str] = []
        self.loops = LoopDetector(self.cfg.loop_detection_threshold)
        self.limit = session.context_limit()
        self.warned = False
        self.reflections = 0
        self.empty = 0
        self.cache: dict[tuple[str, str], str] = {}
        self.episode: list[str] = []
        self.checkpoints_fired: set[int] = set()
        self.tool_definitions = session.tools.definitions()
        self.response_format = _response_format(self.cfg)
        self.metadata = {NODE_ID_KEY: self.cfg.node_id} if self.cfg.node_id else {}
        self.turn_hits = 0
        self.turn_misses = 0

    async def execute(self) -> SessionResult:
        started = time.monotonic()
        await self.emit(EventType.SESSION_START)
        try:
            await self._setup()
            if self.result.error is None:
                await self._loop()
        except asyncio.CancelledError:
            self.result.error = "session cancelled"
            await self.emit(EventType.ERROR, text="session cancelled")
            raise
        finally:
            self._finish(time.monotonic() - started)
            await self.emit(EventType.SESSION_END)
        return self.result

    # conversation setup ----------------------------------------------------------------

    async def _setup(self) -> None:
        cfg = self.cfg
        system = prompts.system_prompt(
            cfg.working_dir, cfg.model, cfg.system_prompt, cfg.auto_status
        )
        self.messages.append(Message.system(system))
        if cfg.prior_episode_summaries:
            self.messages.append(Message.user(prompts.prior_attempts(cfg.prior_episode_summaries)))
        self.messages.append(Message.user(self.prompt))
        if cfg.plan_before_execute:
            await self._plan()

    async def _plan(self) -> None:
        self.messages.append(Message.user(prompts.PLAN_REQUEST))
        response = await self._call(0, tools=False)
        if response is None:
            return
        if response.tool_calls:
            self._fail("planning turn returned tool calls; expected text-only plan")
            return
        self.messages.append(response.message)
        self.messages.append(Message.user(prompts.EXECUTE_PLAN))

    # the loop --------------------------------------------------------------------------

    async def _loop(self) -> None:
        for turn in range(1, self.cfg.max_turns + 1):
            self.result.turns = turn
            turn_started = time.monotonic()
            self.turn_hits = self.turn_misses = 0
            await self._inject(turn)
            await self.emit(EventType.TURN_START, turn=turn)
            response = await self._call(turn, tools=True)
            if response is None:
                await self._end_turn(turn, turn_started, None)
                return
            done = await self._handle(turn, response)
            await self._end_turn(turn, turn_started, response)
            if done:
                return
        self.result.max_turns_used = True

    async def _inject(self, turn: int) -> None:
        while True:
            try:
                text = self.s._steering.get_nowait()
            except queue.Empty:
                break
            self.messages.append(Message.user(prompts.STEERING_PREFIX + text))
            await self.emit(EventType.STEERING_INJECTED, turn=turn, text=text)
        for i, checkpoint in enumerate(self.cfg.checkpoints):
            if i in self.checkpoints_fired:
                continue
            due = max(1, math.ceil(checkpoint.fraction * self.cfg.max_turns))
            if due == turn:
                self.checkpoints_fired.add(i)
                self.messages.append(Message.user(checkpoint.message))
                await self.emit(EventType.CHECKPOINT, turn=turn, text=checkpoint.message)
                break

    async def _call(self, turn: int, *, tools: bool) -> Response | None:
        """One LLM call with the whole conversation; None after an error (recorded)."""
        cfg, s = self.cfg, self.s
        await self.emit(
            EventType.LLM_REQUEST_PREPARING, turn=turn, provider=s.provider, model=cfg.model
        )
        observers = [self._tracer(turn)] if s.events.active else []
        request = Request.model_construct(
            model=cfg.model,
            messages=list(self.messages),
            provider=cfg.provider,
            tools=self.tool_definitions if tools else [],
            tool_choice=None,
            response_format=self.response_format,
            temperature=None,
            top_p=None,
            max_tokens=None,
            stop_sequences=[],
            reasoning_effort=cfg.reasoning_effort,
            prompt_caching=True,
            metadata=self.metadata,
            provider_options={},
            trace_observers=observers,
        )
        try:
            response = await s.client.complete(request)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - every LLM failure ends the session
            self.result.exception = exc
            self._fail(str(exc) or type(exc).__name__)
            await self.emit(EventType.ERROR, turn=turn, err=exc, text=str(exc))
            return None
        await self._account(turn, response)
        return response

    def _tracer(self, turn: int) -> Callable[[StreamEvent], None]:
        """Re-emit the provider stream as coarse llm_* events (spec §1.6)."""
        s = self.s
        s._calls += 1
        call_id = f"{s.session_id}-{s._calls}"
        base = {"turn": turn, "provider": s.provider, "model": self.cfg.model, "call_id": call_id}
        emit = s.events.emit_nowait
        E = StreamEventType

        def observe(event: StreamEvent) -> None:
            kind = event.type
            if kind is E.TEXT_DELTA and event.delta:
                emit(EventType.LLM_TEXT, text=event.delta, **base)
            elif kind is E.REASONING_DELTA and event.reasoning_delta:
                emit(EventType.LLM_REASONING, text=event.reasoning_delta, **base)
            elif kind is E.TOOL_CALL_START and event.tool_call is not None:
                emit(EventType.LLM_TOOL_PREPARE, tool_name=event.tool_call.name, **base)
            elif kind is E.STREAM_START:
                emit(EventType.LLM_REQUEST_START, **base)
            elif kind is E.FINISH:
                reason = event.finish_reason.reason if event.finish_reason else ""
                emit(EventType.LLM_FINISH, finish_reason=reason, usage=event.usage, **base)
            elif kind is E.PROVIDER_EVENT:
                emit(EventType.LLM_PROVIDER_RAW, provider_event=event.raw, **base)

        return observe

    async def _account(self, turn: int, response: Response) -> None:
        """Usage (priced from the catalog when the provider gave no cost), context
        utilisation, the one-time warning and compaction."""
        usage = response.usage
        if usage.estimated_cost == 0 and usage.has_tokens:
            model = response.model or self.cfg.model
            info = self.s.catalog.get(model) or self.s.catalog.get(self.cfg.model)
            if info is not None:
                cost = self.s.catalog.estimate_cost(info.id, usage)
                usage = usage.model_copy(update={"estimated_cost": cost})
        response.usage = usage
        self.result.usage = self.result.usage + usage
        used = usage.input_tokens + (usage.cache_read_tokens or 0) + (usage.cache_write_tokens or 0)
        utilization = used / self.limit
        self.result.context_utilization = utilization
        if utilization >= self.cfg.context_window_warning_threshold and not self.warned:
            self.warned = True
            await self.emit(
                EventType.CONTEXT_WINDOW_WARNING, turn=turn, context_utilization=utilization
            )
        threshold = self.cfg.compaction_threshold
        if self.cfg.context_compaction == "auto" and threshold and utilization >= threshold:
            compacted, saved = compact(self.messages)
            if saved > 0:
                self.messages = compacted
                self.result.compactions_applied += 1
                await self.emit(
                    EventType.CONTEXT_COMPACTION, turn=turn, context_utilization=utilization
                )

    async def _handle(self, turn: int, response: Response) -> bool:
        """Act on one response; True when the session is over."""
        message = response.message
        calls = message.tool_calls
        truncated = response.finish_reason.is_length
        if not calls:
            return await self._handle_text(turn, response, truncated)
        self.messages.append(message)
        self.empty = 0
        if truncated:
            await self.emit(
                EventType.ERROR,
                turn=turn,
                text=f"response hit the output token limit; {len(calls)} tool call(s) not executed",
            )
            self.messages.append(
                _tool_message(calls, [(prompts.TRUNCATED_CALL, True)] * len(calls))
            )
            return False
        if self.loops.observe(calls):
            self.result.loop_detected = True
            await self.emit(
                EventType.ERROR,
                turn=turn,
                text=f"loop detected: same tool calls repeated {self.loops.count} times",
            )
            return True
        results = [await self._run_tool(turn, call) for call in calls]
        self.messages.append(_tool_message(calls, results))
        if any(is_error for _, is_error in results):
            if self.cfg.reflect_on_error and self.reflections < MAX_REFLECTIONS:
                self.reflections += 1
                self.messages.append(Message.user(prompts.REFLECT))
        else:
            self.reflections = 0
        return False

    async def _handle_text(self, turn: int, response: Response, truncated: bool) -> bool:
        message = response.message
        text = message.text
        self.reflections = 0
        if truncated:
            self.messages.append(message)
            if text:
                self.texts.append(text)
                await self.emit(EventType.TEXT_DELTA, turn=turn, text=text)
            self.messages.append(Message.user(prompts.CONTINUE_AFTER_LENGTH))
            return False
        no_tools_yet = not self.result.tool_calls
        if no_tools_yet and not message.content and response.usage.output_tokens == 0:
            self.empty += 1
            if self.empty > MAX_EMPTY_RETRIES:
                self._fail(f"agent session failed: {self.empty} consecutive empty API responses")
                await self.emit(EventType.ERROR, turn=turn, text=self.result.error or "")
                return True
            await self.emit(
                EventType.ERROR,
                turn=turn,
                text=(
                    f"empty response from {self.s.provider}/{self.cfg.model} "
                    f"(finish: {response.finish_reason.raw or response.finish_reason.reason}); "
                    f"asking again ({self.empty}/{MAX_EMPTY_RETRIES})"
                ),
            )
            self.messages.append(Message.user(prompts.EMPTY_RESPONSE))
            return False
        self.messages.append(message)
        if text:
            self.texts.append(text)
            await self.emit(EventType.TEXT_DELTA, turn=turn, text=text)
        self.result.stopped_naturally = True
        return True

    async def _run_tool(self, turn: int, call: ToolCall) -> tuple[str, bool]:
        name, args = call.name, call.arguments
        await self.emit(EventType.TOOL_CALL_START, turn=turn, tool_name=name, tool_input=args)
        tool = self.s.tools.get(name)
        key = (name, _compact(args))
        cacheable = self.cfg.cache_tool_results and name in CACHEABLE
        started = time.perf_counter()
        if cacheable and key in self.cache:
            text, is_error = self.cache[key], False
            self.result.tool_cache_hits += 1
            self.turn_hits += 1
            await self.emit(EventType.TOOL_CACHE_HIT, turn=turn, tool_name=name, tool_input=args)
        else:
            if cacheable:
                self.result.tool_cache_misses += 1
                self.turn_misses += 1
            text, is_error = await self.s.tools.execute(name, args, self.s.context)
            if not is_error:
                text = truncate_output(text, limit_for(name, self.cfg.tool_output_limits))
            if tool is None or tool.kind != "read_only":
                self.cache.clear()  # a mutating or unknown tool may change anything
            elif cacheable and not is_error:
                self.cache[key] = text
        duration = time.perf_counter() - started
        counts, timings = self.result.tool_calls, self.result.tool_timings
        counts[name] = counts.get(name, 0) + 1
        timings[name] = timings.get(name, 0.0) + duration
        self.episode.append(_episode_line(name, args, text, is_error))
        await self.emit(
            EventType.TOOL_CALL_END,
            turn=turn,
            tool_name=name,
            tool_input=args,
            tool_output=text,
            tool_error="true" if is_error else "",
            tool_duration=duration,
        )
        return text, is_error

    async def _end_turn(self, turn: int, started: float, response: Response | None) -> None:
        duration = time.monotonic() - started
        self.result.longest_turn = max(self.result.longest_turn, duration)
        if response is not None:
            u = response.usage
            await self.emit(
                EventType.TURN_METRICS,
                turn=turn,
                provider=self.s.provider,
                model=self.cfg.model,
                usage=u,
                metrics={
                    "input_tokens": u.input_tokens,
                    "output_tokens": u.output_tokens,
                    "cache_read_tokens": u.cache_read_tokens or 0,
                    "cache_write_tokens": u.cache_write_tokens or 0,
                    "context_utilization": self.result.context_utilization,
                    "tool_cache_hits": self.turn_hits,
                    "tool_cache_misses": self.turn_misses,
                    "turn_duration": duration,
                    "estimated_cost": u.estimated_cost,
                },
            )
        await self.emit(EventType.TURN_END, turn=turn)

    # ending ----------------------------------------------------------------------------

    def _fail(self, text: str) -> None:
        if self.result.error is None:
            self.result.error = text

    def _finish(self, duration: float) -> None:
        r = self.result
        r.duration = duration
        r.files_created = list(self.s.workspace.files_created)
        r.files_modified = list(self.s.workspace.files_modified)
        r.final_text = "".join(self.texts)
        r.episode_summary = _episode_summary(self.episode)
        if r.error is not None:
            r.status = "retry"
        elif r.loop_detected or r.max_turns_used:
            r.status = "fail"
        elif not r.tool_calls and r.usage.output_tokens == 0 and not r.final_text:
            r.status = "retry"  # the provider returned nothing useful
        else:
            parsed = parse_status(r.final_text) if self.cfg.auto_status else None
            r.status_line_found = parsed is not None
            r.status = parsed or "success"


# --------------------------------------------------------------------------- helpers


def _tool_message(calls: list[ToolCall], results: list[tuple[str, bool]]) -> Message:
    """All results of one turn in ONE tool message, in call order."""
    parts = [
        ContentPart.of_tool_result(call.id, text, is_error, name=call.name)
        for call, (text, is_error) in zip(calls, results, strict=True)
    ]
    return Message.model_construct(role=Role.TOOL, content=parts, name=None, tool_call_id=None)


def _compact(arguments: str) -> str:
    try:
        return json.dumps(json.loads(arguments or "{}"), separators=(",", ":"), sort_keys=True)
    except ValueError:
        return arguments


def _response_format(cfg: SessionConfig) -> ResponseFormat | None:
    if cfg.response_format == "json_object":
        return ResponseFormat(type="json_object")
    if cfg.response_format == "json_schema":
        try:
            schema = json.loads(cfg.response_schema)
        except ValueError as exc:
            raise ConfigurationError(f"invalid session config: response_schema: {exc}") from exc
        return ResponseFormat(type="json_schema", json_schema=schema, strict=True)
    return None


def _episode_line(name: str, args: str, text: str, is_error: bool) -> str:
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    mark = "ERROR" if is_error else "ok"
    return f"- {name} {args[:200]} -> {mark}: {first[:160]}"


def _episode_summary(entries: list[str]) -> str:
    text = "\n".join(entries[-EPISODE_ENTRIES:])
    return text[-EPISODE_CHARS:]


__all__ = ["Session", "SessionResult", "Usage"]
