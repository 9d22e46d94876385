"""The scripted provider: deterministic LLM replies for offline tests and pipeline dry runs.

It implements the same adapter protocol as the real providers (`complete` and `stream`),
so a pipeline runs the real engine, session loop and tools without network or key.
Select it with `provider: scripted` on a node (or as the run's provider) and point
`TRACKER_SCRIPTED_FILE` at a script, or build it in Python::

    ScriptedProvider(["hello", {"tool_calls": [{"name": "bash", "arguments": {"command": "ls"}}]}])

Script file format (YAML, or JSON with the same shape)
-----------------------------------------------------

A script is either a list of turns, consumed in order by every request, or a mapping::

    turns:                 # the shared queue, for requests whose node has no queue below
      - text: "Plan ready."
    nodes:                 # per-node queues, picked by the request's node id
      Implement:
        - thinking: "Let me look at the tree first."
          tool_calls:
            - name: bash
              arguments: {command: "ls -la"}     # a mapping or a JSON string
          usage: {input_tokens: 1200, output_tokens: 80}
        - error: {type: rate_limit, message: "slow down", retry_after: 2}
        - text: "Done."
          expect: ["ls -la"]                     # the request must contain these strings
    default: {text: "OK"}  # optional: answers every request once its queue is empty

A turn is a mapping with any of these keys (a bare string is shorthand for `{text: ...}`):

- `text` — the reply text.
- `thinking` — reasoning text, or `{text, signature, redacted}`.
- `tool_calls` — list of `{name, arguments, id}`; ids default to `call_1`, `call_2`, ...
  numbered across the whole script run.
- `content` — instead of the three above, explicit content parts in the unified JSON
  shape (`{kind: text, text: ...}`, `{kind: tool_call, tool_call: {...}}`, ...).
- `finish_reason` — default `tool_calls` when the turn has tool calls, else `stop`.
- `usage` — `{input_tokens, output_tokens, total_tokens, reasoning_tokens,
  cache_read_tokens, cache_write_tokens}`; default all zero.
- `error` — raise instead of replying: `{type, message, status_code, retry_after}` with
  `type` one of rate_limit, server, overloaded, timeout, network, stream, stream_idle,
  authentication, access_denied, quota, not_found, invalid_request, context_length,
  content_filter (or only `status_code`, classified like an HTTP error). Retryable
  errors are retried by the client like real ones, consuming the next turn.
- `expect` — a string or list of strings that must all occur in the request's text
  (system prompt, messages, tool results); otherwise the call fails naming the turn.

A request carrying a node id (`metadata["node_id"]`) with a queue under `nodes` consumes
from that queue; any other request consumes from `turns`. When the queue is empty the
`default` turn answers; without one the call fails with the script's name, the node and
how many replies were used. Malformed scripts fail on load, naming the file and the path
of the bad entry (e.g. `nodes.Implement[0].tool_calls[0].name: Field required`).
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .client import ProviderConfig
from .errors import (
    AccessDeniedError,
    AuthenticationError,
    ConfigurationError,
    ContentFilterError,
    ContextLengthError,
    InvalidRequestError,
    NetworkError,
    NotFoundError,
    OverloadedError,
    ProviderError,
    QuotaExceededError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
    StreamError,
    StreamIdleTimeoutError,
    error_from_status,
)
from .types import (
    ContentKind,
    ContentPart,
    FinishReason,
    Message,
    Request,
    Response,
    Role,
    StreamEvent,
    StreamEventType,
    Thinking,
    ToolCall,
    Usage,
)

PROVIDER_NAME = "scripted"
SCRIPT_ENV = "TRACKER_SCRIPTED_FILE"

ERROR_TYPES: dict[str, type[ProviderError]] = {
    "rate_limit": RateLimitError,
    "server": ServerError,
    "overloaded": OverloadedError,
    "timeout": RequestTimeoutError,
    "network": NetworkError,
    "stream": StreamError,
    "stream_idle": StreamIdleTimeoutError,
    "authentication": AuthenticationError,
    "auth": AuthenticationError,
    "access_denied": AccessDeniedError,
    "quota": QuotaExceededError,
    "billing": QuotaExceededError,
    "not_found": NotFoundError,
    "invalid_request": InvalidRequestError,
    "context_length": ContextLengthError,
    "content_filter": ContentFilterError,
}


class ScriptError(ConfigurationError):
    """A problem with the script itself (never retried)."""


class ScriptFormatError(ScriptError):
    pass


class ScriptExhaustedError(ScriptError):
    pass


class ScriptExpectationError(ScriptError):
    pass


# --------------------------------------------------------------------------- script schema


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScriptedToolCall(_Strict):
    name: str
    arguments: dict[str, Any] | str = Field(default_factory=dict)
    id: str | None = None


class ScriptedError(_Strict):
    type: str = ""
    message: str = "scripted error"
    status_code: int | None = None
    retry_after: float | None = None

    def build(self) -> ProviderError:
        if self.type:
            cls = ERROR_TYPES.get(self.type)
            if cls is None:
                raise ValueError(
                    f"unknown error type {self.type!r} (one of: {', '.join(ERROR_TYPES)})"
                )
            return cls(
                self.message,
                provider=PROVIDER_NAME,
                status_code=self.status_code,
                retry_after=self.retry_after,
            )
        if self.status_code is None:
            raise ValueError("an error needs a 'type' or a 'status_code'")
        return error_from_status(
            self.status_code, self.message, provider=PROVIDER_NAME, retry_after=self.retry_after
        )


class ScriptedTurn(_Strict):
    text: str | None = None
    thinking: str | Thinking | None = None
    tool_calls: list[ScriptedToolCall] = Field(default_factory=list)
    content: list[ContentPart] | None = None
    finish_reason: str | None = None
    usage: Usage | None = None
    error: ScriptedError | None = None
    expect: list[str] | str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ScriptedTurn:
        if self.content is not None and (self.text or self.thinking or self.tool_calls):
            raise ValueError("use either 'content' or text/thinking/tool_calls, not both")
        if self.error is not None:
            self.error.build()  # validate the type now, not at call time
        return self

    @property
    def expectations(self) -> list[str]:
        if self.expect is None:
            return []
        return [self.expect] if isinstance(self.expect, str) else list(self.expect)


#: what a Python script may hold: turn mappings, strings, turns, Responses or exceptions
ScriptItem = ScriptedTurn | Response | BaseException


def _describe(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _turn(item: Any, where: str, source: str) -> ScriptItem:
    if isinstance(item, ScriptedTurn | Response | BaseException):
        return item
    if isinstance(item, str):
        item = {"text": item}
    if not isinstance(item, Mapping):
        raise ScriptFormatError(
            f"{source}: {where}: a turn must be a mapping or a string, not {type(item).__name__}"
        )
    try:
        return ScriptedTurn.model_validate(item)
    except ValidationError as exc:
        err = exc.errors()[0]
        inner = _describe(tuple(err["loc"]))
        path = f"{where}.{inner}" if inner else where
        message = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown key"
        raise ScriptFormatError(f"{source}: {path}: {message}") from exc


def _queue(items: Any, where: str, source: str) -> deque[ScriptItem]:
    if items is None:
        return deque()
    if isinstance(items, str | Mapping | ScriptedTurn | Response | BaseException):
        items = [items]
    if not isinstance(items, list | tuple):
        raise ScriptFormatError(f"{source}: {where}: expected a list of turns")
    return deque(_turn(item, f"{where}[{i}]", source) for i, item in enumerate(items))


# --------------------------------------------------------------------------- provider


class ScriptedProvider:
    """A provider adapter answering from a script (see the module docstring)."""

    name = PROVIDER_NAME

    def __init__(
        self,
        turns: Any = None,
        *,
        nodes: Mapping[str, Any] | None = None,
        default: Any = None,
        source: str = "<script>",
    ) -> None:
        self.source = source
        self._turns = _queue(turns, "turns", source)
        self._nodes = {
            str(node): _queue(items, f"nodes.{node}", source)
            for node, items in (nodes or {}).items()
        }
        self._default = None if default is None else _turn(default, "default", source)
        self._lock = threading.Lock()
        self._call_ids = 0
        self._replies = 0
        self._used: dict[str, int] = {}
        #: every request received, in order (for assertions in tests)
        self.requests: list[Request] = []

    # loading -------------------------------------------------------------------------

    @classmethod
    def from_data(cls, data: Any, source: str = "<script>") -> ScriptedProvider:
        if isinstance(data, list):
            return cls(data, source=source)
        if not isinstance(data, Mapping):
            raise ScriptFormatError(
                f"{source}: a script is a list of turns or a mapping with "
                f"'turns', 'nodes' and 'default', not {type(data).__name__}"
            )
        unknown = sorted(set(data) - {"turns", "nodes", "default"})
        if unknown:
            raise ScriptFormatError(
                f"{source}: unknown key {unknown[0]!r} (expected 'turns', 'nodes', 'default')"
            )
        nodes = data.get("nodes") or {}
        if not isinstance(nodes, Mapping):
            raise ScriptFormatError(f"{source}: nodes: expected a mapping of node id to turns")
        return cls(data.get("turns"), nodes=nodes, default=data.get("default"), source=source)

    @classmethod
    def from_file(cls, path: str | Path) -> ScriptedProvider:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ScriptFormatError(f"{path}: cannot read script: {exc.strerror or exc}") from exc
        if path.suffix.lower() == ".json":
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ScriptFormatError(
                    f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}"
                ) from exc
        else:
            import yaml  # only needed when a YAML script is loaded

            try:
                data = yaml.safe_load(text)
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
                problem = getattr(exc, "problem", None) or str(exc)
                raise ScriptFormatError(f"{where}: invalid YAML: {problem}") from exc
        if data is None:
            raise ScriptFormatError(f"{path}: the script is empty")
        return cls.from_data(data, str(path))

    # state ---------------------------------------------------------------------------

    def remaining(self, node_id: str = "") -> int:
        """Replies left for `node_id` (or the shared queue)."""
        queue = self._nodes.get(node_id) if node_id else None
        return len(queue if queue is not None else self._turns)

    def _next(self, request: Request) -> tuple[ScriptItem, str]:
        node = request.node_id
        with self._lock:
            self.requests.append(request)
            self._replies += 1
            if node and node in self._nodes:
                queue, label = self._nodes[node], f"node {node!r}"
            else:
                queue, label = self._turns, "the shared 'turns' queue"
            used = self._used.get(label, 0)
            if queue:
                self._used[label] = used + 1
                item = queue.popleft()
                return item, f"{label}, reply {used + 1}"
            if self._default is not None:
                return self._default, "default"
        asked = f" (request from node {node!r})" if node and node not in self._nodes else ""
        raise ScriptExhaustedError(
            f"{self.source}: scripted provider ran out of replies for {label}{asked}: "
            f"{used} used, request #{self._replies} has none; add turns or a 'default'"
        )

    def _new_call_id(self) -> str:
        with self._lock:
            self._call_ids += 1
            return f"call_{self._call_ids}"

    # building replies ----------------------------------------------------------------

    def _respond(self, request: Request) -> Response:
        item, label = self._next(request)
        if isinstance(item, BaseException):
            raise item
        if isinstance(item, Response):
            return item.model_copy(
                update={"provider": PROVIDER_NAME, "model": item.model or request.model}
            )
        self._check_expectations(item, request, label)
        if item.error is not None:
            raise item.error.build()
        parts = self._parts(item)
        has_calls = any(p.kind is ContentKind.TOOL_CALL for p in parts)
        reason = item.finish_reason or ("tool_calls" if has_calls else "stop")
        return Response(
            id=f"scripted-{self._replies}",
            model=request.model,
            provider=PROVIDER_NAME,
            message=Message(role=Role.ASSISTANT, content=parts),
            finish_reason=FinishReason(reason=reason, raw=reason),
            usage=item.usage or Usage(),
        )

    def _parts(self, turn: ScriptedTurn) -> list[ContentPart]:
        if turn.content is not None:
            return [p.model_copy(deep=True) for p in turn.content]
        parts: list[ContentPart] = []
        if turn.thinking is not None:
            thinking = (
                Thinking(text=turn.thinking) if isinstance(turn.thinking, str) else turn.thinking
            )
            kind = ContentKind.REDACTED_THINKING if thinking.redacted else ContentKind.THINKING
            parts.append(ContentPart(kind=kind, thinking=thinking))
        if turn.text:
            parts.append(ContentPart.of_text(turn.text))
        for call in turn.tool_calls:
            parts.append(
                ContentPart.of_tool_call(call.id or self._new_call_id(), call.name, call.arguments)
            )
        return parts

    def _check_expectations(self, turn: ScriptedTurn, request: Request, label: str) -> None:
        wanted = turn.expectations
        if not wanted:
            return
        haystack = _request_text(request)
        missing = [s for s in wanted if s not in haystack]
        if missing:
            raise ScriptExpectationError(
                f"{self.source}: {label} expects the request to contain {missing[0]!r}, "
                f"but it does not"
            )

    # the adapter protocol ------------------------------------------------------------

    async def complete(self, request: Request) -> Response:
        return self._respond(request)

    async def stream(self, request: Request) -> AsyncIterator[StreamEvent]:
        """The events a real provider would send for the same reply."""
        try:
            response = self._respond(request)
        except Exception as exc:  # noqa: BLE001 - a stream reports errors as its last event
            yield StreamEvent(type=StreamEventType.ERROR, error=exc)
            return
        for event in response_events(response):
            yield event

    async def aclose(self) -> None:
        return None


def _request_text(request: Request) -> str:
    chunks: list[str] = []
    for message in request.messages:
        for part in message.content:
            if part.text:
                chunks.append(part.text)
            if part.tool_result is not None:
                chunks.append(part.tool_result.content)
            if part.tool_call is not None:
                chunks.append(part.tool_call.arguments)
    return "\n".join(chunks)


def _chunks(text: str, size: int = 32) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def response_events(response: Response) -> list[StreamEvent]:
    """A Response as the stream a provider would produce for it (spec §1.4)."""
    E = StreamEventType
    events = [StreamEvent(type=E.STREAM_START)]
    text_index = 0
    for part in response.message.content:
        if part.kind is ContentKind.THINKING and part.thinking is not None:
            events.append(StreamEvent(type=E.REASONING_START))
            events += [
                StreamEvent(type=E.REASONING_DELTA, reasoning_delta=chunk)
                for chunk in _chunks(part.thinking.text)
            ]
            if part.thinking.signature:
                events.append(
                    StreamEvent(
                        type=E.REASONING_SIGNATURE, reasoning_signature=part.thinking.signature
                    )
                )
            events.append(StreamEvent(type=E.REASONING_END))
        elif part.kind is ContentKind.REDACTED_THINKING and part.thinking is not None:
            events.append(
                StreamEvent(type=E.REDACTED_THINKING, reasoning_signature=part.thinking.signature)
            )
        elif part.kind is ContentKind.TEXT:
            text_id = f"text_{text_index}"
            text_index += 1
            events.append(StreamEvent(type=E.TEXT_START, text_id=text_id))
            events += [
                StreamEvent(type=E.TEXT_DELTA, text_id=text_id, delta=chunk)
                for chunk in _chunks(part.text or "")
            ]
            events.append(StreamEvent(type=E.TEXT_END, text_id=text_id))
        elif part.kind is ContentKind.TOOL_CALL and part.tool_call is not None:
            call = part.tool_call
            start = ToolCall(id=call.id, name=call.name, thought_signature=call.thought_signature)
            events.append(StreamEvent(type=E.TOOL_CALL_START, tool_call=start))
            if call.arguments != "{}":
                events += [
                    StreamEvent(type=E.TOOL_CALL_DELTA, delta=chunk)
                    for chunk in _chunks(call.arguments)
                ]
            events.append(StreamEvent(type=E.TOOL_CALL_END, tool_call=start))
    events.append(
        StreamEvent(
            type=E.FINISH,
            finish_reason=response.finish_reason,
            usage=response.usage,
            full_response=response,
        )
    )
    return events


def create_provider(config: ProviderConfig | None = None) -> ScriptedProvider:
    """`ProviderSpec.factory` of the scripted provider: the script comes from
    `config.options["script"]` (a path, or the script data itself), else from the file
    named by `TRACKER_SCRIPTED_FILE`."""
    options = config.options if config else {}
    script = options.get("script")
    if script is None and config is not None:
        script = config.env.get(SCRIPT_ENV) or None
    if script is None:
        raise ConfigurationError(
            f"the scripted provider needs a script: set {SCRIPT_ENV} to a YAML or JSON "
            "file of replies (format: see tracker.llm.scripted)"
        )
    if isinstance(script, ScriptedProvider):
        return script
    if isinstance(script, str | Path):
        return ScriptedProvider.from_file(Path(script).expanduser())
    return ScriptedProvider.from_data(script)
