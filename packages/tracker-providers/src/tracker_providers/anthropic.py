"""The Anthropic adapter: tracker's unified request/response on the official `anthropic`
SDK's Messages API (agent-llm.md §2.2).

The SDK is imported on the adapter's first call, never when this module or the plugin
is loaded. SDK retries are off (`max_retries=0`): tracker's retry middleware is the only
retry layer. Usage is reported natively in tracker's normalised form (input excludes
cached tokens), so it passes through; prompt caching places `cache_control` breakpoints
on the last system block, the last tool and the last block of the last user message.
"""

from __future__ import annotations

import base64
import json
import logging
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

from ._common import COMPLETE_TIMEOUT, DEFAULT_MAX_TOKENS, SDKAdapter, broken_stream, positive

log = logging.getLogger("tracker_providers.anthropic")

PROVIDER = "anthropic"
DEFAULT_BASE_URL = "https://api.anthropic.com"
PROMPT_CACHING_BETA = "prompt-caching-2024-07-31"
_EPHEMERAL = {"type": "ephemeral"}

_STOP_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
}
#: provider_options.anthropic keys that steer the adapter instead of going into the body
_ADAPTER_OPTIONS = ("beta_headers", "auto_cache")


def finish_reason(raw: str | None) -> FinishReason:
    raw = raw or ""
    return FinishReason(reason=_STOP_REASONS.get(raw, raw.lower() or "stop"), raw=raw)


def usage_from(data: Any) -> Usage:
    """Anthropic already reports input without cached tokens (agent-llm.md §1.3)."""
    input_tokens = getattr(data, "input_tokens", 0) or 0
    output_tokens = getattr(data, "output_tokens", 0) or 0
    return Usage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        total_tokens=input_tokens + output_tokens,
        cache_read_tokens=positive(getattr(data, "cache_read_input_tokens", None)),
        cache_write_tokens=positive(getattr(data, "cache_creation_input_tokens", None)),
    )


# --------------------------------------------------------------------------- request


def _arguments(call: ToolCall) -> Any:
    try:
        return json.loads(call.arguments or "{}")
    except json.JSONDecodeError:
        return {}  # the API needs an object; the session already reported the bad call


def _image_block(part: ContentPart) -> dict[str, Any] | None:
    image = part.image
    if image is None:
        return None
    if image.data is not None:
        return {
            "type": "image",
            "source": {
                "type": "base64",
                "media_type": image.media_type or "image/png",
                "data": base64.b64encode(image.data).decode(),
            },
        }
    if image.url:
        return {"type": "image", "source": {"type": "url", "url": image.url}}
    return None


def _tool_result_block(part: ContentPart) -> dict[str, Any]:
    result = part.tool_result
    assert result is not None
    content: Any = result.content
    if result.image_data:
        content = [
            {"type": "text", "text": result.content or "(image)"},
            {
                "type": "image",
                "source": {
                    "type": "base64",
                    "media_type": result.image_media_type or "image/png",
                    "data": base64.b64encode(result.image_data).decode(),
                },
            },
        ]
    return {
        "type": "tool_result",
        "tool_use_id": result.tool_call_id,
        "content": content,
        "is_error": result.is_error,
    }


def _block(part: ContentPart) -> dict[str, Any] | None:
    """One unified content part on the wire, or None when it cannot be sent."""
    kind = part.kind
    if kind is ContentKind.TEXT:
        return {"type": "text", "text": part.text} if part.text else None
    if kind is ContentKind.IMAGE:
        return _image_block(part)
    if kind is ContentKind.TOOL_CALL and part.tool_call is not None:
        call = part.tool_call
        return {"type": "tool_use", "id": call.id, "name": call.name, "input": _arguments(call)}
    if kind is ContentKind.TOOL_RESULT:
        return _tool_result_block(part)
    if kind is ContentKind.THINKING and part.thinking is not None:
        if not part.thinking.signature:
            return None  # unsigned thinking is rejected by the API
        return {
            "type": "thinking",
            "thinking": part.thinking.text,
            "signature": part.thinking.signature,
        }
    if kind is ContentKind.REDACTED_THINKING and part.thinking is not None:
        return {"type": "redacted_thinking", "data": part.thinking.signature or ""}
    return None


def _messages(messages: list[Message]) -> list[dict[str, Any]]:
    """Wire messages: tool results travel as `user`, and consecutive messages with the
    same wire role merge (the API needs strict user/assistant alternation)."""
    wire: list[dict[str, Any]] = []
    for message in messages:
        if message.role in (Role.SYSTEM, Role.DEVELOPER):
            continue
        role = "assistant" if message.role is Role.ASSISTANT else "user"
        blocks = [b for b in (_block(p) for p in message.content) if b is not None]
        if not blocks:
            continue
        if wire and wire[-1]["role"] == role:
            wire[-1]["content"].extend(blocks)
        else:
            wire.append({"role": role, "content": blocks})
    return wire


def _system(request: Request) -> list[dict[str, Any]]:
    blocks = [
        {"type": "text", "text": part.text}
        for m in request.messages
        if m.role in (Role.SYSTEM, Role.DEVELOPER)
        for part in m.content
        if part.kind is ContentKind.TEXT and part.text
    ]
    fmt = request.response_format
    if fmt is not None and fmt.type == "json_object":
        blocks.append({"type": "text", "text": "Respond with valid JSON."})
    elif fmt is not None and fmt.type == "json_schema":
        schema = json.dumps(fmt.json_schema or {})
        blocks.append(
            {"type": "text", "text": f"Respond with valid JSON conforming to this schema: {schema}"}
        )
    return blocks


def _tool_choice(request: Request) -> dict[str, Any] | None:
    choice = request.tool_choice
    if choice is None or choice.mode == "none":
        return None
    if choice.mode == "required":
        return {"type": "any"}
    if choice.mode == "named":
        return {"type": "tool", "name": choice.tool_name}
    return {"type": "auto"}


def _mark_cache_breakpoints(
    system: list[dict[str, Any]], tools: list[dict[str, Any]], messages: list[dict[str, Any]]
) -> None:
    """`cache_control` on the last system block, the last tool, and the last block of the
    last user-role message (tool results count: they travel as user)."""
    for blocks in (system, tools):
        if blocks:
            blocks[-1]["cache_control"] = dict(_EPHEMERAL)
    for message in reversed(messages):
        if message["role"] == "user" and message["content"]:
            message["content"][-1]["cache_control"] = dict(_EPHEMERAL)
            break


def build_params(request: Request) -> dict[str, Any]:
    """The keyword arguments of `messages.create` for `request` (without `stream`)."""
    system = _system(request)
    messages = _messages(request.messages)
    mode = request.tool_choice.mode if request.tool_choice else "auto"
    tools = (
        [
            {"name": t.name, "description": t.description, "input_schema": t.parameters}
            for t in request.tools
        ]
        if mode != "none"
        else []
    )
    options = dict(request.provider_options.get(PROVIDER, {}))
    auto_cache = bool(options.get("auto_cache", request.prompt_caching))
    if auto_cache:
        _mark_cache_breakpoints(system, tools, messages)

    params: dict[str, Any] = {
        "model": request.model,
        "max_tokens": request.max_tokens or DEFAULT_MAX_TOKENS,
        "messages": messages,
    }
    if system:
        params["system"] = system
    if tools:
        params["tools"] = tools
    choice = _tool_choice(request)
    if choice is not None and tools:
        params["tool_choice"] = choice
    # sampling fields are not typed parameters of the current SDK: they go in the body
    sampling = {"temperature": request.temperature, "top_p": request.top_p}
    extra = {k: v for k, v in sampling.items() if v is not None}
    if request.stop_sequences:
        params["stop_sequences"] = list(request.stop_sequences)
    if request.reasoning_effort:
        params["output_config"] = {"effort": request.reasoning_effort}

    betas = [PROMPT_CACHING_BETA] if auto_cache else []
    user_betas = options.get("beta_headers") or []
    betas += [user_betas] if isinstance(user_betas, str) else list(user_betas)
    if betas:
        params["extra_headers"] = {"anthropic-beta": ",".join(dict.fromkeys(betas))}
    # provider options (e.g. a `thinking` budget) are merged into the body as given
    extra.update({k: v for k, v in options.items() if k not in _ADAPTER_OPTIONS})
    if extra:
        params["extra_body"] = extra
    return params


# --------------------------------------------------------------------------- response


def _part(block: Any) -> ContentPart | None:
    kind = getattr(block, "type", "")
    if kind == "text":
        return ContentPart.of_text(block.text)
    if kind == "tool_use":
        return ContentPart.of_tool_call(block.id, block.name, block.input or {})
    if kind == "thinking":
        return ContentPart.of_thinking(block.thinking, block.signature or None)
    if kind == "redacted_thinking":
        return ContentPart.of_redacted_thinking(block.data)
    return None


def response_from(message: Any, request_id: str | None = None) -> Response:
    parts = [p for p in (_part(b) for b in message.content) if p is not None]
    response = Response(
        id=message.id,
        model=message.model,
        provider=PROVIDER,
        message=Message(role=Role.ASSISTANT, content=parts),
        finish_reason=finish_reason(message.stop_reason),
        usage=usage_from(message.usage),
        raw=message.model_dump(mode="json"),
    )
    _warn_if_empty(response, request_id)
    return response


def _warn_if_empty(response: Response, request_id: str | None) -> None:
    if response.usage.output_tokens or response.text or response.tool_calls:
        return
    note = (
        f"empty reply from anthropic: 0 output tokens, no text, no tool calls "
        f"(stop reason {response.finish_reason.raw or 'none'}, model {response.model}, "
        f"request-id {request_id or 'unknown'})"
    )
    log.warning(note)
    response.warnings.append(note)


# --------------------------------------------------------------------------- adapter


class AnthropicAdapter(SDKAdapter):
    """`complete()` and `stream()` on `AsyncAnthropic.messages.create`."""

    name = PROVIDER
    sdk_module = "anthropic"
    default_base_url = DEFAULT_BASE_URL

    def make_client(self) -> Any:
        return self.sdk.AsyncAnthropic(
            api_key=self._api_key,
            base_url=self.base_url,
            max_retries=0,
            default_headers=self._headers or None,
        )

    async def complete(self, request: Request) -> Response:
        params = build_params(request)
        try:
            message = await self.client.messages.create(**params, timeout=COMPLETE_TIMEOUT)
        except Exception as exc:  # noqa: BLE001 - mapped to tracker's error classes
            self.raise_mapped(exc)
        return response_from(message, getattr(message, "_request_id", None))

    async def stream(self, request: Request) -> AsyncIterator[StreamEvent]:
        params = build_params(request)
        yield StreamEvent(type=StreamEventType.STREAM_START)
        yield StreamEvent(type=StreamEventType.REQUEST_SENT, request_raw=_wire_body(params))
        state = _StreamState()
        sdk_stream = None
        try:
            sdk_stream = await self.client.messages.create(**params, stream=True)
            async for event in sdk_stream:
                for out in state.feed(event):
                    yield out
            if not state.stopped:
                raise StreamError("stream ended before message_stop", provider=PROVIDER)
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
        yield state.finish_event()


def _wire_body(params: dict[str, Any]) -> dict[str, Any]:
    """The JSON body as sent (for tracing): params plus `extra_body`, without transport
    options."""
    body = {k: v for k, v in params.items() if k not in ("extra_headers", "extra_body")}
    body.update(params.get("extra_body") or {})
    body["stream"] = True
    return body


class _StreamState:
    """Turns SDK stream events into tracker stream events, remembering usage."""

    def __init__(self) -> None:
        self.kinds: dict[int, str] = {}
        self.id = ""
        self.model = ""
        self.usage = Usage()
        self.stop_reason: str | None = None
        self.stopped = False

    def feed(self, event: Any) -> list[StreamEvent]:
        kind = getattr(event, "type", "")
        if kind == "message_start":
            self.id, self.model = event.message.id, event.message.model
            self.usage = usage_from(event.message.usage)
        elif kind == "content_block_start":
            return self._start(event.index, event.content_block)
        elif kind == "content_block_delta":
            return self._delta(event.index, event.delta)
        elif kind == "content_block_stop":
            return self._stop(event.index)
        elif kind == "message_delta":
            self.stop_reason = event.delta.stop_reason or self.stop_reason
            self._update_usage(event.usage)
        elif kind == "message_stop":
            self.stopped = True
        return []

    def _update_usage(self, data: Any) -> None:
        """`message_delta` carries the final output count (and, in newer API versions,
        the input and cache counts too)."""
        if data is None:
            return
        fields = {
            "input_tokens": getattr(data, "input_tokens", None),
            "output_tokens": getattr(data, "output_tokens", None),
            "cache_read_tokens": positive(getattr(data, "cache_read_input_tokens", None)),
            "cache_write_tokens": positive(getattr(data, "cache_creation_input_tokens", None)),
        }
        update = {k: v for k, v in fields.items() if v is not None}
        usage = self.usage.model_copy(update=update)
        usage.total_tokens = usage.input_tokens + usage.output_tokens
        self.usage = usage

    def _start(self, index: int, block: Any) -> list[StreamEvent]:
        kind = block.type
        self.kinds[index] = kind
        if kind == "text":
            events = [StreamEvent(type=StreamEventType.TEXT_START, text_id=f"text_{index}")]
            if block.text:
                events.append(
                    StreamEvent(
                        type=StreamEventType.TEXT_DELTA, text_id=f"text_{index}", delta=block.text
                    )
                )
            return events
        if kind == "thinking":
            return [StreamEvent(type=StreamEventType.REASONING_START)]
        if kind == "redacted_thinking":
            return [
                StreamEvent(type=StreamEventType.REDACTED_THINKING, reasoning_signature=block.data)
            ]
        if kind == "tool_use":
            initial = json.dumps(block.input) if block.input else "{}"
            call = ToolCall(id=block.id, name=block.name, arguments=initial)
            return [StreamEvent(type=StreamEventType.TOOL_CALL_START, tool_call=call)]
        return []

    def _delta(self, index: int, delta: Any) -> list[StreamEvent]:
        kind = delta.type
        if kind == "text_delta":
            return [
                StreamEvent(
                    type=StreamEventType.TEXT_DELTA, text_id=f"text_{index}", delta=delta.text
                )
            ]
        if kind == "input_json_delta":
            if not delta.partial_json:
                return []
            return [StreamEvent(type=StreamEventType.TOOL_CALL_DELTA, delta=delta.partial_json)]
        if kind == "thinking_delta":
            return [
                StreamEvent(type=StreamEventType.REASONING_DELTA, reasoning_delta=delta.thinking)
            ]
        if kind == "signature_delta":
            return [
                StreamEvent(
                    type=StreamEventType.REASONING_SIGNATURE, reasoning_signature=delta.signature
                )
            ]
        return []

    def _stop(self, index: int) -> list[StreamEvent]:
        kind = self.kinds.get(index)
        if kind == "text":
            return [StreamEvent(type=StreamEventType.TEXT_END, text_id=f"text_{index}")]
        if kind == "thinking":
            return [StreamEvent(type=StreamEventType.REASONING_END)]
        if kind == "tool_use":
            return [StreamEvent(type=StreamEventType.TOOL_CALL_END)]
        return []

    def finish_event(self) -> StreamEvent:
        finish = finish_reason(self.stop_reason)
        full = Response(
            id=self.id, model=self.model, provider=PROVIDER, finish_reason=finish, usage=self.usage
        )
        return StreamEvent(
            type=StreamEventType.FINISH, finish_reason=finish, usage=self.usage, full_response=full
        )


def create_adapter(config: ProviderConfig) -> AnthropicAdapter:
    """The plugin factory."""
    return AnthropicAdapter(config)
