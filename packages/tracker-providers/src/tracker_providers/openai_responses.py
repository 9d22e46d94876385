"""The `openai` provider: OpenAI's Responses API through the official `openai` SDK.

Mapping (spec agent-llm.md §2.3): system/developer text becomes `instructions`, every
call resends the whole conversation (no `previous_response_id`), tool calls travel as
`function_call` / `function_call_output` items. Usage is normalised per §1.3: OpenAI
counts cached prompt tokens inside `input_tokens`, so they are subtracted here.

The SDK is imported on first use only (plugin loading must stay cheap) and its own
retries are off: tracker's retry middleware is the only retry layer.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

from tracker.llm.client import ProviderConfig
from tracker.llm.errors import (
    ConfigurationError,
    InvalidRequestError,
    StreamError,
    error_from_code,
)
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
    Thinking,
    ToolCall,
    Usage,
)
from tracker.llm.usage import normalise_usage

from ._common import (
    COMPLETE_TIMEOUT,
    DEFAULT_MAX_TOKENS,
    map_sdk_error,
    positive,
    resolve_api_key,
    resolve_base_url,
    with_key_hint,
)

PROVIDER = "openai"
DEFAULT_BASE_URL = "https://api.openai.com"
#: streams have no total deadline (the client's idle guard stops a silent one), but a
#: connection that cannot even be opened should fail fast
CONNECT_TIMEOUT = 30.0

E = StreamEventType


class OpenAIResponsesAdapter:
    """Provider adapter for `openai` (construct with a `ProviderConfig`)."""

    name = PROVIDER

    def __init__(self, config: ProviderConfig, *, sdk_client: Any = None) -> None:
        if sdk_client is None and importlib.util.find_spec("openai") is None:
            raise ConfigurationError(
                "the openai provider needs the `openai` package: pip install 'tracker[all]'"
            )
        self.config = config
        self.api_key = resolve_api_key(config)
        self.base_url = resolve_base_url(config, DEFAULT_BASE_URL, strip_v1=True) + "/v1"
        self._client = sdk_client

    # SDK ------------------------------------------------------------------------------

    def _sdk(self) -> Any:
        if self._client is None:
            import openai

            headers = dict(self.config.options.get("headers") or {})
            self._client = openai.AsyncOpenAI(
                api_key=self.api_key,
                base_url=self.base_url,
                max_retries=0,
                default_headers=headers or None,
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    # calls ----------------------------------------------------------------------------

    async def complete(self, request: Request) -> Response:
        body = build_body(request)
        try:
            result = await self._sdk().responses.create(
                **_sdk_kwargs(body), timeout=COMPLETE_TIMEOUT
            )
        except Exception as exc:  # noqa: BLE001 - every SDK failure becomes a tracker error
            mapped = self.map_error(exc)
            if mapped is exc:
                raise
            raise mapped from exc
        return parse_response(_as_dict(result), request.model)

    async def stream(self, request: Request) -> AsyncIterator[StreamEvent]:
        import openai

        body = build_body(request)
        yield StreamEvent(type=E.REQUEST_SENT, request_raw=body)
        translator = _StreamTranslator(request.model)
        try:
            sdk_stream = await self._sdk().responses.create(
                **_sdk_kwargs(body),
                stream=True,
                timeout=openai.Timeout(None, connect=CONNECT_TIMEOUT),
            )
        except Exception as exc:  # noqa: BLE001 - a stream reports errors as its last event
            yield StreamEvent(type=E.ERROR, error=self.map_error(exc))
            return
        failure: StreamEvent | None = None
        try:
            async for event in sdk_stream:
                if failure is not None:
                    continue  # an error event ends the stream: read to its end, cleanly
                for out in translator.feed(_as_dict(event)):
                    if out.type is E.ERROR:
                        failure = out
                        break
                    yield out
        except Exception as exc:  # noqa: BLE001 - a broken stream is reported, not raised
            failure = failure or StreamEvent(type=E.ERROR, error=self.map_error(exc))
        finally:
            await sdk_stream.close()
        for out in [failure] if failure is not None else translator.finish():
            yield out

    def map_error(self, exc: BaseException) -> BaseException:
        """An SDK exception as a tracker error (by HTTP status, then by error code);
        unknown exceptions are returned unchanged (and so never retried)."""
        import openai

        mapped = map_sdk_error(exc, openai, PROVIDER, self.base_url)
        if mapped is not None:
            return mapped
        if isinstance(exc, json.JSONDecodeError):
            return InvalidRequestError(
                f"malformed JSON from {PROVIDER}: {exc}", provider=PROVIDER, cause=exc
            )
        return exc


# --------------------------------------------------------------------------- request


def build_body(request: Request) -> dict[str, Any]:
    """The Responses API body for `request` (pure: no SDK needed)."""
    instructions: list[str] = []
    items: list[dict[str, Any]] = []
    for message in request.messages:
        if message.role in (Role.SYSTEM, Role.DEVELOPER):
            instructions += [
                p.text for p in message.content if p.kind is ContentKind.TEXT and p.text
            ]
            continue
        items += _message_items(message)

    body: dict[str, Any] = {"model": request.model, "input": items}
    if instructions:
        body["instructions"] = "\n".join(instructions)
    if request.tools:
        body["tools"] = [
            {
                "type": "function",
                "name": tool.name,
                "description": tool.description,
                "parameters": tool.parameters,
                # tracker's tool schemas have optional fields, which strict mode rejects
                "strict": False,
            }
            for tool in request.tools
        ]
    if request.tool_choice is not None:
        choice = request.tool_choice
        body["tool_choice"] = (
            {"type": "function", "name": choice.tool_name}
            if choice.mode == "named"
            else choice.mode
        )
    body["max_output_tokens"] = request.max_tokens or DEFAULT_MAX_TOKENS
    options = dict(request.provider_options.get(PROVIDER, {}))
    effort = request.reasoning_effort or options.get("reasoning_effort")
    options.pop("reasoning_effort", None)
    if effort:
        body["reasoning"] = {"effort": effort}
    fmt = request.response_format
    if fmt is not None and fmt.type == "json_object":
        body["text"] = {"format": {"type": "json_object"}}
    elif fmt is not None and fmt.type == "json_schema":
        schema_format: dict[str, Any] = {
            "type": "json_schema",
            "name": "response",
            "schema": fmt.json_schema or {},
        }
        if fmt.strict is not None:
            schema_format["strict"] = fmt.strict
        body["text"] = {"format": schema_format}
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.top_p is not None:
        body["top_p"] = request.top_p
    if request.stop_sequences:
        body["stop"] = list(request.stop_sequences)
    body.update(options)
    return body


def _message_items(message: Message) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    if message.role is Role.ASSISTANT:
        if message.text:
            items.append({"role": "assistant", "content": message.text})
        for call in message.tool_calls:
            items.append(
                {
                    "type": "function_call",
                    "call_id": call.id,
                    "name": call.name,
                    "arguments": call.arguments or "{}",
                }
            )
        return items
    # user and tool messages: tool results become function_call_output items
    for part in message.content:
        if part.tool_result is not None:
            items.append(
                {
                    "type": "function_call_output",
                    "call_id": part.tool_result.tool_call_id or "call_unknown",
                    "output": part.tool_result.content,
                }
            )
    if message.text:
        items.insert(0, {"role": "user", "content": message.text})
    return items


#: body keys the SDK's `responses.create` takes as keyword arguments; others ride in
#: `extra_body` (provider options, `stop`)
_SDK_PARAMS = frozenset(
    {
        "model",
        "input",
        "instructions",
        "tools",
        "tool_choice",
        "max_output_tokens",
        "reasoning",
        "text",
        "temperature",
        "top_p",
    }
)


def _sdk_kwargs(body: Mapping[str, Any]) -> dict[str, Any]:
    kwargs = {k: v for k, v in body.items() if k in _SDK_PARAMS}
    extra = {k: v for k, v in body.items() if k not in _SDK_PARAMS}
    if extra:
        kwargs["extra_body"] = extra
    return kwargs


# --------------------------------------------------------------------------- response


def parse_response(data: Mapping[str, Any], model: str = "") -> Response:
    """A Responses API `response` object (as a dict) as a unified Response."""
    reasoning: list[str] = []
    texts: list[str] = []
    calls: list[ToolCall] = []
    for item in data.get("output") or []:
        kind = item.get("type")
        if kind == "message":
            for block in item.get("content") or []:
                if block.get("type") == "output_text":
                    texts.append(block.get("text") or "")
                elif block.get("type") == "refusal":
                    texts.append(block.get("refusal") or "")
        elif kind == "function_call":
            calls.append(_tool_call(item))
        elif kind == "reasoning":
            reasoning += _reasoning_texts(item)
    parts: list[ContentPart] = []
    if reasoning:
        parts.append(ContentPart(kind="thinking", thinking=Thinking(text="\n\n".join(reasoning))))
    if texts:
        parts.append(ContentPart.of_text("".join(texts)))
    parts += [ContentPart(kind="tool_call", tool_call=call) for call in calls]
    return Response(
        id=data.get("id") or "",
        model=data.get("model") or model,
        provider=PROVIDER,
        message=Message(role=Role.ASSISTANT, content=parts),
        finish_reason=finish_reason(data, has_calls=bool(calls)),
        usage=parse_usage(data.get("usage")),
        raw=dict(data),
    )


def _tool_call(item: Mapping[str, Any]) -> ToolCall:
    return ToolCall(
        id=item.get("call_id") or item.get("id") or "",
        name=item.get("name") or "",
        arguments=item.get("arguments") or "{}",
    )


def _reasoning_texts(item: Mapping[str, Any]) -> list[str]:
    texts = [s.get("text") or "" for s in item.get("summary") or [] if s.get("text")]
    if not texts:  # open-weight models send the raw reasoning as content
        texts = [c.get("text") or "" for c in item.get("content") or [] if c.get("text")]
    return texts


def finish_reason(data: Mapping[str, Any], *, has_calls: bool) -> FinishReason:
    status = str(data.get("status") or "")
    if has_calls:
        return FinishReason(reason="tool_calls", raw=status)
    if status == "completed":
        return FinishReason(reason="stop", raw=status)
    if status == "incomplete":
        why = str((data.get("incomplete_details") or {}).get("reason") or "")
        reason = "length" if why in ("max_output_tokens", "") else why.lower()
        return FinishReason(reason=reason, raw=why or status)
    if status == "failed":
        return FinishReason(reason="error", raw=status)
    return FinishReason(reason=status.lower() or "stop", raw=status)


def parse_usage(data: Mapping[str, Any] | None) -> Usage:
    """OpenAI usage, normalised: cached reads/writes leave `input_tokens` (§1.3)."""
    if not data:
        return Usage()
    in_details = data.get("input_tokens_details") or {}
    out_details = data.get("output_tokens_details") or {}
    return normalise_usage(
        int(data.get("input_tokens") or 0),
        int(data.get("output_tokens") or 0),
        cache_read_tokens=positive(in_details.get("cached_tokens")),
        cache_write_tokens=positive(in_details.get("cache_write_tokens")),
        reasoning_tokens=positive(out_details.get("reasoning_tokens")),
        prompt_includes_cache=True,
        output_includes_reasoning=True,
        raw=dict(data),
    )


# --------------------------------------------------------------------------- streaming


class _StreamTranslator:
    """Turns Responses API stream events (dicts) into unified stream events."""

    def __init__(self, model: str) -> None:
        self.model = model
        self._started = False
        self._finished = False
        self._open_calls: dict[str, bool] = {}  # item id → argument deltas seen
        self._reasoning_parts = 0

    def feed(self, event: Mapping[str, Any]) -> list[StreamEvent]:
        kind = event.get("type") or ""
        out: list[StreamEvent] = []
        if not self._started:
            self._started = True
            out.append(StreamEvent(type=E.STREAM_START))
        handler = getattr(self, "_on_" + kind.replace(".", "_"), None)
        if handler is None:
            out.append(StreamEvent(type=E.PROVIDER_EVENT, raw=dict(event)))
        else:
            out += handler(event)
        return out

    def finish(self) -> list[StreamEvent]:
        if self._finished:
            return []
        error = StreamError("stream ended before response.completed", provider=PROVIDER)
        return [StreamEvent(type=E.ERROR, error=error)]

    # event handlers ---------------------------------------------------------------

    def _on_response_created(self, event: Mapping[str, Any]) -> list[StreamEvent]:
        return []

    _on_response_in_progress = _on_response_created

    def _on_response_output_item_added(self, event: Mapping[str, Any]) -> list[StreamEvent]:
        item = event.get("item") or {}
        kind = item.get("type")
        if kind == "function_call":
            self._open_calls[item.get("id") or ""] = False
            call = _tool_call(item)
            return [StreamEvent(type=E.TOOL_CALL_START, tool_call=call)]
        if kind == "message":
            return [StreamEvent(type=E.TEXT_START, text_id=item.get("id") or "")]
        if kind == "reasoning":
            self._reasoning_parts = 0
            return [StreamEvent(type=E.REASONING_START)]
        return [StreamEvent(type=E.PROVIDER_EVENT, raw=dict(event))]

    def _on_response_output_text_delta(self, event: Mapping[str, Any]) -> list[StreamEvent]:
        return [
            StreamEvent(
                type=E.TEXT_DELTA,
                text_id=event.get("item_id") or "",
                delta=event.get("delta") or "",
            )
        ]

    def _on_response_refusal_delta(self, event: Mapping[str, Any]) -> list[StreamEvent]:
        return self._on_response_output_text_delta(event)

    def _on_response_reasoning_summary_part_added(
        self, event: Mapping[str, Any]
    ) -> list[StreamEvent]:
        self._reasoning_parts += 1
        if self._reasoning_parts > 1:
            return [StreamEvent(type=E.REASONING_DELTA, reasoning_delta="\n\n")]
        return []

    def _on_response_reasoning_summary_text_delta(
        self, event: Mapping[str, Any]
    ) -> list[StreamEvent]:
        return [StreamEvent(type=E.REASONING_DELTA, reasoning_delta=event.get("delta") or "")]

    _on_response_reasoning_text_delta = _on_response_reasoning_summary_text_delta

    def _on_response_function_call_arguments_delta(
        self, event: Mapping[str, Any]
    ) -> list[StreamEvent]:
        self._open_calls[event.get("item_id") or ""] = True
        return [StreamEvent(type=E.TOOL_CALL_DELTA, delta=event.get("delta") or "")]

    def _on_response_function_call_arguments_done(
        self, event: Mapping[str, Any]
    ) -> list[StreamEvent]:
        item_id = event.get("item_id") or ""
        if not self._open_calls.get(item_id, True) and event.get("arguments"):
            # no deltas were streamed: the full arguments arrive only here
            self._open_calls[item_id] = True
            return [StreamEvent(type=E.TOOL_CALL_DELTA, delta=event["arguments"])]
        return []

    def _on_response_output_item_done(self, event: Mapping[str, Any]) -> list[StreamEvent]:
        item = event.get("item") or {}
        kind = item.get("type")
        if kind == "function_call":
            out: list[StreamEvent] = []
            item_id = item.get("id") or ""
            if not self._open_calls.pop(item_id, True) and item.get("arguments"):
                out.append(StreamEvent(type=E.TOOL_CALL_DELTA, delta=item["arguments"]))
            out.append(StreamEvent(type=E.TOOL_CALL_END, tool_call=_tool_call(item)))
            return out
        if kind == "message":
            return [StreamEvent(type=E.TEXT_END, text_id=item.get("id") or "")]
        if kind == "reasoning":
            return [StreamEvent(type=E.REASONING_END)]
        return []

    def _on_response_completed(self, event: Mapping[str, Any]) -> list[StreamEvent]:
        self._finished = True
        response = parse_response(event.get("response") or {}, self.model)
        return [
            StreamEvent(
                type=E.FINISH,
                finish_reason=response.finish_reason,
                usage=response.usage,
                full_response=response,
            )
        ]

    _on_response_incomplete = _on_response_completed

    def _on_response_failed(self, event: Mapping[str, Any]) -> list[StreamEvent]:
        self._finished = True
        error = (event.get("response") or {}).get("error") or {}
        exc = with_key_hint(
            error_from_code(
                str(error.get("code") or ""),
                str(error.get("message") or "the response failed"),
                provider=PROVIDER,
            ),
            PROVIDER,
        )
        return [StreamEvent(type=E.ERROR, error=exc, raw=dict(event))]

    def _on_error(self, event: Mapping[str, Any]) -> list[StreamEvent]:
        self._finished = True
        detail = event.get("error") if isinstance(event.get("error"), Mapping) else event
        exc = with_key_hint(
            error_from_code(
                str(detail.get("code") or detail.get("type") or ""),
                str(detail.get("message") or "stream error"),
                provider=PROVIDER,
            ),
            PROVIDER,
        )
        return [StreamEvent(type=E.ERROR, error=exc, raw=dict(event))]


# --------------------------------------------------------------------------- errors


def _as_dict(obj: Any) -> dict[str, Any]:
    if isinstance(obj, Mapping):
        return dict(obj)
    to_dict = getattr(obj, "to_dict", None)
    if to_dict is not None:
        return to_dict(mode="json")
    return obj.model_dump(mode="json")


__all__ = ["OpenAIResponsesAdapter", "build_body", "parse_response", "parse_usage"]
