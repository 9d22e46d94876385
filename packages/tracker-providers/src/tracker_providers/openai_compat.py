"""The OpenAI-compatible adapter: Chat Completions on the official `openai` SDK
(agent-llm.md §2.5), for OpenRouter, vLLM, Ollama, LM Studio and other servers that speak
`POST /v1/chat/completions`.

The SDK is imported on the adapter's first call. SDK retries are off. Usage is normalised
per §1.3: the prompt count includes cached tokens, so they are subtracted. Streams ask
for the usage chunk (`stream_options.include_usage`); a stream that ends without a
finish reason was cut off and surfaces as a retryable stream error. `reasoning_effort`
and `provider_options` are not sent (these servers disagree on them); reasoning text
that a server streams as `reasoning_content` or `reasoning` is kept as thinking.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from tracker.llm.client import ProviderConfig
from tracker.llm.errors import StreamError
from tracker.llm.types import (
    ContentKind,
    ContentPart,
    FinishReason,
    Message,
    Request,
    Response,
    Role,
    StreamEvent,
    StreamEventType,
    ToolCall,
    Usage,
)
from tracker.llm.usage import normalise_usage

from ._common import COMPLETE_TIMEOUT, DEFAULT_MAX_TOKENS, SDKAdapter, broken_stream, positive

PROVIDER = "openai-compat"
DEFAULT_BASE_URL = "https://openrouter.ai/api"

_FINISH = {
    "length": "length",
    "max_tokens": "length",
    "content_filter": "content_filter",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
}


def finish_reason(raw: str | None, has_tool_calls: bool) -> FinishReason:
    """Any tool call forces `tool_calls` (agent-llm.md §1.3)."""
    raw = raw or ""
    if has_tool_calls:
        return FinishReason(reason="tool_calls", raw=raw)
    if raw in ("", "stop"):
        return FinishReason(reason="stop", raw=raw)
    return FinishReason(reason=_FINISH.get(raw, raw.lower()), raw=raw)


def usage_from(data: Any) -> Usage:
    if data is None:
        return Usage()
    prompt_details = getattr(data, "prompt_tokens_details", None)
    completion_details = getattr(data, "completion_tokens_details", None)
    return normalise_usage(
        getattr(data, "prompt_tokens", 0) or 0,
        getattr(data, "completion_tokens", 0) or 0,
        cache_read_tokens=positive(getattr(prompt_details, "cached_tokens", None)),
        cache_write_tokens=positive(getattr(prompt_details, "cache_write_tokens", None)),
        reasoning_tokens=positive(getattr(completion_details, "reasoning_tokens", None)),
    )


def _extra(obj: Any, *names: str) -> str:
    """A non-standard string field (e.g. `reasoning_content`) from an SDK model."""
    extra = getattr(obj, "model_extra", None) or {}
    for name in names:
        value = extra.get(name, getattr(obj, name, None))
        if isinstance(value, str) and value:
            return value
    return ""


# --------------------------------------------------------------------------- request


def _messages(request: Request) -> list[dict[str, Any]]:
    system = "\n".join(
        m.text for m in request.messages if m.role in (Role.SYSTEM, Role.DEVELOPER) and m.text
    )
    wire: list[dict[str, Any]] = [{"role": "system", "content": system}] if system else []
    for message in request.messages:
        if message.role is Role.USER:
            wire.append({"role": "user", "content": message.text})  # images are not sent
        elif message.role is Role.ASSISTANT:
            entry: dict[str, Any] = {"role": "assistant", "content": message.text or None}
            calls = message.tool_calls
            if calls:
                entry["tool_calls"] = [
                    {
                        "id": call.id,
                        "type": "function",
                        "function": {"name": call.name, "arguments": call.arguments or "{}"},
                    }
                    for call in calls
                ]
            elif entry["content"] is None:
                entry["content"] = ""
            wire.append(entry)
        elif message.role is Role.TOOL:
            for part in message.content:
                if part.kind is ContentKind.TOOL_RESULT and part.tool_result is not None:
                    wire.append(
                        {
                            "role": "tool",
                            "tool_call_id": part.tool_result.tool_call_id,
                            "content": part.tool_result.content,
                        }
                    )
    return wire


def _tool_choice(request: Request) -> Any:
    choice = request.tool_choice
    if choice is None:
        return None
    if choice.mode == "named":
        return {"type": "function", "function": {"name": choice.tool_name}}
    return choice.mode  # auto / none / required


def _response_format(request: Request) -> dict[str, Any] | None:
    fmt = request.response_format
    if fmt is None or fmt.type == "text":
        return None
    if fmt.type == "json_object":
        return {"type": "json_object"}
    schema: dict[str, Any] = {"name": "response", "schema": fmt.json_schema or {}}
    if fmt.strict is not None:
        schema["strict"] = fmt.strict
    return {"type": "json_schema", "json_schema": schema}


def build_params(request: Request) -> dict[str, Any]:
    """The keyword arguments of `chat.completions.create` (without `stream`)."""
    params: dict[str, Any] = {
        "model": request.model,
        "messages": _messages(request),
        "max_tokens": request.max_tokens or DEFAULT_MAX_TOKENS,
    }
    if request.tools:
        params["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": t.name,
                    "description": t.description,
                    "parameters": t.parameters,
                },
            }
            for t in request.tools
        ]
        choice = _tool_choice(request)
        if choice is not None:
            params["tool_choice"] = choice
    if request.temperature is not None:
        params["temperature"] = request.temperature
    if request.top_p is not None:
        params["top_p"] = request.top_p
    if request.stop_sequences:
        params["stop"] = list(request.stop_sequences)
    fmt = _response_format(request)
    if fmt is not None:
        params["response_format"] = fmt
    return params


# --------------------------------------------------------------------------- response


def response_from(completion: Any) -> Response:
    choice = completion.choices[0] if completion.choices else None
    message = choice.message if choice is not None else None
    parts: list[ContentPart] = []
    calls: list[ToolCall] = []
    if message is not None:
        reasoning = _extra(message, "reasoning_content", "reasoning")
        if reasoning:
            parts.append(ContentPart.of_thinking(reasoning))
        if message.content:
            parts.append(ContentPart.of_text(message.content))
        for call in message.tool_calls or []:
            function = getattr(call, "function", None)
            if function is None:
                continue
            calls.append(
                ToolCall(id=call.id, name=function.name, arguments=function.arguments or "{}")
            )
    parts += [ContentPart(kind=ContentKind.TOOL_CALL, tool_call=c) for c in calls]
    return Response(
        id=completion.id or "",
        model=completion.model or "",
        provider=PROVIDER,
        message=Message(role=Role.ASSISTANT, content=parts),
        finish_reason=finish_reason(choice.finish_reason if choice else None, bool(calls)),
        usage=usage_from(completion.usage),
        raw=completion.model_dump(mode="json"),
    )


# --------------------------------------------------------------------------- adapter


class OpenAICompatAdapter(SDKAdapter):
    """`complete()` and `stream()` on `AsyncOpenAI.chat.completions.create`."""

    name = PROVIDER
    sdk_module = "openai"
    default_base_url = DEFAULT_BASE_URL
    strip_v1 = True
    base_suffix = "/v1"

    def make_client(self) -> Any:
        return self.sdk.AsyncOpenAI(
            api_key=self._api_key,
            base_url=self.base_url,
            max_retries=0,
            default_headers=self._headers or None,
        )

    async def complete(self, request: Request) -> Response:
        params = build_params(request)
        try:
            completion = await self.client.chat.completions.create(
                **params, timeout=COMPLETE_TIMEOUT
            )
        except Exception as exc:  # noqa: BLE001 - mapped to tracker's error classes
            self.raise_mapped(exc)
        return response_from(completion)

    async def stream(self, request: Request) -> AsyncIterator[StreamEvent]:
        params = build_params(request)
        params["stream_options"] = {"include_usage": True}
        yield StreamEvent(type=StreamEventType.STREAM_START)
        yield StreamEvent(type=StreamEventType.REQUEST_SENT, request_raw={**params, "stream": True})
        state = _StreamState()
        sdk_stream = None
        try:
            sdk_stream = await self.client.chat.completions.create(**params, stream=True)
            async for chunk in sdk_stream:
                for event in state.feed(chunk):
                    yield event
            if state.finish is None:
                raise StreamError(
                    "stream ended without a finish reason (truncated)", provider=PROVIDER
                )
        except Exception as exc:  # noqa: BLE001 - surfaced as a typed error event
            mapped = self.map_error(exc)
            if mapped is None:
                raise
            mapped = broken_stream(mapped, bool(state.id), PROVIDER)
            yield StreamEvent(type=StreamEventType.ERROR, error=mapped)
            return
        finally:
            if sdk_stream is not None:
                await sdk_stream.close()
        for event in state.finish_events():
            yield event


class _StreamState:
    """Turns `chat.completion.chunk`s into tracker stream events."""

    TEXT_ID = "text_0"

    def __init__(self) -> None:
        self.id = ""
        self.model = ""
        self.text_open = False
        self.reasoning_open = False
        self.open_call: int | None = None
        self.calls = 0
        self.finish: str | None = None
        self.usage: Usage | None = None

    def feed(self, chunk: Any) -> list[StreamEvent]:
        self.id = self.id or (chunk.id or "")
        self.model = self.model or (chunk.model or "")
        if getattr(chunk, "usage", None) is not None:
            self.usage = usage_from(chunk.usage)
        events: list[StreamEvent] = []
        for choice in chunk.choices or []:
            if choice.index not in (0, None):
                continue
            delta = choice.delta
            if delta is not None:
                events += self._reasoning(_extra(delta, "reasoning_content", "reasoning"))
                events += self._text(delta.content or "")
                for call in delta.tool_calls or []:
                    events += self._tool_call(call)
            if choice.finish_reason:
                self.finish = choice.finish_reason
        return events

    def _reasoning(self, text: str) -> list[StreamEvent]:
        if not text:
            return []
        events = [] if self.reasoning_open else [StreamEvent(type=StreamEventType.REASONING_START)]
        self.reasoning_open = True
        events.append(StreamEvent(type=StreamEventType.REASONING_DELTA, reasoning_delta=text))
        return events

    def _text(self, text: str) -> list[StreamEvent]:
        if not text:
            return []
        events = (
            []
            if self.text_open
            else [StreamEvent(type=StreamEventType.TEXT_START, text_id=self.TEXT_ID)]
        )
        self.text_open = True
        events.append(
            StreamEvent(type=StreamEventType.TEXT_DELTA, text_id=self.TEXT_ID, delta=text)
        )
        return events

    def _tool_call(self, call: Any) -> list[StreamEvent]:
        index = call.index if call.index is not None else self.calls
        function = getattr(call, "function", None)
        arguments = (function.arguments if function is not None else None) or ""
        events: list[StreamEvent] = []
        if index != self.open_call:
            if self.open_call is not None:
                events.append(StreamEvent(type=StreamEventType.TOOL_CALL_END))
            self.open_call = index
            self.calls += 1
            name = (function.name if function is not None else None) or ""
            tool_call = ToolCall(id=call.id or f"call_{index}", name=name)
            events.append(StreamEvent(type=StreamEventType.TOOL_CALL_START, tool_call=tool_call))
        if arguments:
            events.append(StreamEvent(type=StreamEventType.TOOL_CALL_DELTA, delta=arguments))
        return events

    def finish_events(self) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        if self.reasoning_open:
            events.append(StreamEvent(type=StreamEventType.REASONING_END))
        if self.text_open:
            events.append(StreamEvent(type=StreamEventType.TEXT_END, text_id=self.TEXT_ID))
        if self.open_call is not None:
            events.append(StreamEvent(type=StreamEventType.TOOL_CALL_END))
        finish = finish_reason(self.finish, self.calls > 0)
        usage = self.usage or Usage()
        full = Response(
            id=self.id, model=self.model, provider=PROVIDER, finish_reason=finish, usage=usage
        )
        events.append(
            StreamEvent(
                type=StreamEventType.FINISH, finish_reason=finish, usage=usage, full_response=full
            )
        )
        return events


def create_adapter(config: ProviderConfig) -> OpenAICompatAdapter:
    """The plugin factory."""
    return OpenAICompatAdapter(config)
