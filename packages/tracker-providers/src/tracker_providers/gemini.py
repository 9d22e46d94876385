"""The `gemini` provider: Google's Gemini API (v1beta) through the official `google-genai`
SDK.

Mapping (spec agent-llm.md §2.4): system/developer text becomes `systemInstruction`,
assistant turns are role `model`, tool results travel as `functionResponse` parts named
after the function. Gemini has no tool-call ids, so each call gets a synthetic
`call_<16 hex>` id; its `thoughtSignature` (bytes in the SDK) is kept base64-encoded
on the unified tool call and echoed back, as Gemini 3 requires. Usage is normalised
per §1.3: cached tokens leave the input count, thoughts join the output count.

The SDK is imported on first use only, and it is told to make exactly one attempt per
call: tracker's retry middleware is the only retry layer.
"""

from __future__ import annotations

import base64
import binascii
import importlib.util
import json
import re
import secrets
from collections.abc import AsyncIterator, Mapping
from typing import Any

from tracker.llm.client import ProviderConfig
from tracker.llm.errors import (
    AuthenticationError,
    ConfigurationError,
    ContentFilterError,
    InvalidRequestError,
    NetworkError,
    StreamError,
    TrackerLLMError,
    error_from_status,
    parse_retry_after,
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
    positive,
    resolve_api_key,
    resolve_base_url,
    with_key_hint,
)

PROVIDER = "gemini"
DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com"
API_VERSION = "v1beta"

E = StreamEventType

#: ids we invent for Gemini's id-less function calls; never sent back as ids
_SYNTHETIC_ID = re.compile(r"^call_[0-9a-f]{16}$")

_FINISH = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
}

#: unified reasoning effort -> Gemini 3 thinkingLevel
_THINKING_LEVELS = {
    "minimal": "MINIMAL",
    "low": "LOW",
    "medium": "MEDIUM",
    "high": "HIGH",
    "max": "HIGH",
    "xhigh": "HIGH",
}


class GeminiAdapter:
    """Provider adapter for `gemini` (construct with a `ProviderConfig`)."""

    name = PROVIDER

    def __init__(self, config: ProviderConfig, *, sdk_client: Any = None) -> None:
        if sdk_client is None and importlib.util.find_spec("google.genai") is None:
            raise ConfigurationError(
                "the gemini provider needs the `google-genai` package: pip install 'tracker[all]'"
            )
        self.config = config
        self.api_key = resolve_api_key(config)
        self.base_url = resolve_base_url(config, DEFAULT_BASE_URL)
        self._client = sdk_client

    # SDK ------------------------------------------------------------------------------

    def _sdk(self) -> Any:
        if self._client is None:
            from google import genai
            from google.genai import types

            options = types.HttpOptions(
                base_url=self.base_url,
                api_version=API_VERSION,
                headers=dict(self.config.options.get("headers") or {}) or None,
                # one attempt: with retry options set, the SDK also stops its own
                # implicit reconnect-and-retry on connection errors
                retry_options=types.HttpRetryOptions(attempts=1),
            )
            self._client = genai.Client(api_key=self.api_key, http_options=options)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aio.aclose()
            self._client = None

    # calls ----------------------------------------------------------------------------

    async def complete(self, request: Request) -> Response:
        model, contents, config = build_request(request, timeout_ms=int(COMPLETE_TIMEOUT * 1000))
        try:
            result = await self._sdk().aio.models.generate_content(
                model=model, contents=contents, config=config
            )
        except Exception as exc:  # noqa: BLE001 - every SDK failure becomes a tracker error
            mapped = self.map_error(exc)
            if mapped is exc:
                raise
            raise mapped from exc
        return parse_response(result, request.model)

    async def stream(self, request: Request) -> AsyncIterator[StreamEvent]:
        model, contents, config = build_request(request)
        yield StreamEvent(
            type=E.REQUEST_SENT,
            request_raw=_jsonable({"model": model, "contents": contents, "config": config}),
        )
        translator = _StreamTranslator(request.model)
        try:
            chunks = await self._sdk().aio.models.generate_content_stream(
                model=model, contents=contents, config=config
            )
        except Exception as exc:  # noqa: BLE001 - a stream reports errors as its last event
            yield StreamEvent(type=E.ERROR, error=self.map_error(exc))
            return
        failure: StreamEvent | None = None
        try:
            async for chunk in chunks:
                if failure is not None:
                    continue  # after an error, read to the end so the SDK closes cleanly
                for out in translator.feed(chunk):
                    if out.type is E.ERROR:
                        failure = out
                        break
                    yield out
        except Exception as exc:  # noqa: BLE001 - a broken stream is reported, not raised
            failure = StreamEvent(type=E.ERROR, error=self.map_error(exc))
        finally:
            await _aclose(chunks)
        for out in [failure] if failure is not None else translator.finish():
            yield out

    def map_error(self, exc: BaseException) -> BaseException:
        """An SDK exception as a tracker error (by HTTP status and Google's error body);
        unknown exceptions are returned unchanged (and so never retried)."""
        from google.genai import errors

        if isinstance(exc, TrackerLLMError):
            return exc
        if isinstance(exc, errors.APIError):
            return _api_error(exc)
        if _is_transport_error(exc) or isinstance(exc, OSError):
            return NetworkError(
                f"cannot reach {self.base_url}: {exc}", provider=PROVIDER, cause=exc
            )
        if isinstance(exc, json.JSONDecodeError):
            return InvalidRequestError(
                f"malformed JSON from {PROVIDER}: {exc}", provider=PROVIDER, cause=exc
            )
        return exc


def _jsonable(value: Any) -> Any:
    """`value` with bytes (thought signatures, inline images) as base64 text, for traces."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


async def _aclose(iterator: Any) -> None:
    closer = getattr(iterator, "aclose", None)
    if closer is not None:
        await closer()


def _is_transport_error(exc: BaseException) -> bool:
    """A connection-level failure of whichever HTTP stack the SDK uses (httpx, httpx2 or
    aiohttp), checked by module so none of them has to be imported here."""
    for cls in type(exc).__mro__:
        root = cls.__module__.split(".")[0]
        if root == "aiohttp" and cls.__name__ == "ClientError":
            return True
        if root in ("httpx", "httpx2") and cls.__name__ in ("TransportError", "TimeoutException"):
            return True
    return False


def _api_error(exc: Any) -> TrackerLLMError:
    status = int(exc.code or 0)
    message = str(exc.message or exc)
    code = exc.status or None
    details = exc.details
    body = json.dumps(details) if isinstance(details, dict | list) else str(details or "")
    headers = getattr(getattr(exc, "response", None), "headers", None)
    if status == 400 and ("API_KEY_INVALID" in body or "API key not valid" in message):
        # Gemini answers a bad key with 400 INVALID_ARGUMENT, not 401
        error: TrackerLLMError = AuthenticationError(
            message, provider=PROVIDER, status_code=status, error_code=code, raw_body=body
        )
    elif status < 400:
        # an error chunk inside a stream without an HTTP status
        error = StreamError(message, provider=PROVIDER, error_code=code, raw_body=body, cause=exc)
    else:
        error = error_from_status(
            status,
            message,
            provider=PROVIDER,
            body=body,
            error_code=code,
            retry_after=parse_retry_after(headers.get("retry-after")) if headers else None,
            cause=exc,
        )
    if isinstance(error, AuthenticationError):
        with_key_hint(error, PROVIDER)
    return error


# --------------------------------------------------------------------------- request


def build_request(
    request: Request, *, timeout_ms: int | None = None
) -> tuple[str, list[dict[str, Any]], dict[str, Any]]:
    """`(model, contents, config)` for `generate_content[_stream]` (pure: no SDK needed;
    the SDK validates these snake_case dicts into its own types)."""
    system: list[dict[str, Any]] = []
    contents: list[dict[str, Any]] = []
    call_names: dict[str, str] = {}
    for message in request.messages:
        if message.role in (Role.SYSTEM, Role.DEVELOPER):
            system += [
                {"text": p.text} for p in message.content if p.kind is ContentKind.TEXT and p.text
            ]
            continue
        for call in message.tool_calls:
            call_names[call.id] = call.name
        parts = [_part(p, call_names) for p in message.content]
        parts = [p for p in parts if p is not None]
        if not parts:
            continue
        role = "model" if message.role is Role.ASSISTANT else "user"
        if contents and contents[-1]["role"] == role:
            # one turn per role: the results of parallel calls must share one content
            contents[-1]["parts"].extend(parts)
        else:
            contents.append({"role": role, "parts": parts})

    config: dict[str, Any] = {}
    if system:
        config["system_instruction"] = {"parts": system}
    if request.tools:
        config["tools"] = [
            {
                "function_declarations": [
                    {
                        "name": tool.name,
                        "description": tool.description,
                        # full JSON Schema (the legacy `parameters` field takes only an
                        # OpenAPI subset and rejects e.g. type lists)
                        "parameters_json_schema": tool.parameters,
                    }
                    for tool in request.tools
                ]
            }
        ]
    if request.tool_choice is not None:
        choice = request.tool_choice
        mode = {"auto": "AUTO", "none": "NONE", "required": "ANY", "named": "ANY"}[choice.mode]
        calling: dict[str, Any] = {"mode": mode}
        if choice.mode == "named":
            calling["allowed_function_names"] = [choice.tool_name]
        config["tool_config"] = {"function_calling_config": calling}
    if request.temperature is not None:
        config["temperature"] = request.temperature
    if request.top_p is not None:
        config["top_p"] = request.top_p
    if request.max_tokens is not None:
        config["max_output_tokens"] = request.max_tokens
    if request.stop_sequences:
        config["stop_sequences"] = list(request.stop_sequences)
    fmt = request.response_format
    if fmt is not None and fmt.type in ("json_object", "json_schema"):
        config["response_mime_type"] = "application/json"
        if fmt.type == "json_schema" and fmt.json_schema:
            config["response_json_schema"] = fmt.json_schema
    level = thinking_level(request.model, request.reasoning_effort)
    if level:
        config["thinking_config"] = {"thinking_level": level, "include_thoughts": True}
    http: dict[str, Any] = {}
    extra = request.provider_options.get(PROVIDER)
    if extra:
        http["extra_body"] = dict(extra)
    if timeout_ms is not None:
        http["timeout"] = timeout_ms
    if http:
        config["http_options"] = http
    return request.model, contents, config


def _part(part: ContentPart, call_names: Mapping[str, str]) -> dict[str, Any] | None:
    if part.kind is ContentKind.TEXT:
        return {"text": part.text} if part.text else None
    if part.kind is ContentKind.IMAGE and part.image is not None:
        if part.image.data is not None:
            return {
                "inline_data": {
                    "mime_type": part.image.media_type or "image/png",
                    "data": part.image.data,
                }
            }
        if part.image.url:
            return {"file_data": {"file_uri": part.image.url, "mime_type": part.image.media_type}}
        return None
    if part.kind is ContentKind.TOOL_CALL and part.tool_call is not None:
        call = part.tool_call
        function_call: dict[str, Any] = {"name": call.name, "args": _arguments(call)}
        if call.id and not _SYNTHETIC_ID.match(call.id):
            function_call["id"] = call.id
        out: dict[str, Any] = {"function_call": function_call}
        signature = _signature_bytes(call.thought_signature)
        if signature is not None:
            out["thought_signature"] = signature
        return out
    if part.kind is ContentKind.TOOL_RESULT and part.tool_result is not None:
        result = part.tool_result
        call_id = result.tool_call_id
        function_response: dict[str, Any] = {
            # Gemini links a result to its call by function name
            "name": result.name or call_names.get(call_id) or call_id,
            "response": {"content": result.content, "error": result.is_error},
        }
        if call_id and not _SYNTHETIC_ID.match(call_id):
            function_response["id"] = call_id
        return {"function_response": function_response}
    # thinking is not sent back: Gemini keeps its reasoning state in thought signatures
    return None


def _arguments(call: ToolCall) -> dict[str, Any]:
    try:
        parsed = json.loads(call.arguments or "{}")
    except json.JSONDecodeError:
        return {"_raw": call.arguments}
    return parsed if isinstance(parsed, dict) else {"value": parsed}


def _signature_bytes(signature: str | None) -> bytes | None:
    if not signature:
        return None
    try:
        return base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return signature.encode()


def thinking_level(model: str, effort: str) -> str | None:
    """Gemini's `thinkingLevel` for a reasoning effort, only for Gemini 3 and later
    (older models take a token budget instead; there the effort is dropped)."""
    if not effort:
        return None
    name = model.removeprefix("models/").removeprefix("gemini-")
    match = re.match(r"(\d+)", name)
    if match is None or int(match.group(1)) < 3:
        return None
    return _THINKING_LEVELS.get(effort.lower())


# --------------------------------------------------------------------------- response


def _synthetic_id() -> str:
    return "call_" + secrets.token_hex(8)


def _tool_call(function_call: Any, signature: Any) -> ToolCall:
    args = getattr(function_call, "args", None) or {}
    encoded = base64.b64encode(signature).decode() if isinstance(signature, bytes) else None
    return ToolCall(
        id=getattr(function_call, "id", None) or _synthetic_id(),
        name=getattr(function_call, "name", None) or "",
        arguments=json.dumps(args),
        thought_signature=encoded,
    )


def _candidate_parts(result: Any) -> tuple[Any, list[Any]]:
    candidates = getattr(result, "candidates", None) or []
    if not candidates:
        return None, []
    candidate = candidates[0]
    content = getattr(candidate, "content", None)
    return candidate, list(getattr(content, "parts", None) or [])


def blocked_prompt(result: Any) -> ContentFilterError | None:
    """The error for a prompt Gemini refused outright (no candidates, a block reason)."""
    if getattr(result, "candidates", None):
        return None
    feedback = getattr(result, "prompt_feedback", None)
    reason = getattr(feedback, "block_reason", None) if feedback is not None else None
    if reason is None:
        return None
    raw = str(getattr(reason, "value", reason))
    detail = getattr(feedback, "block_reason_message", None) or raw
    return ContentFilterError(
        f"the prompt was blocked: {detail}", provider=PROVIDER, error_code=raw
    )


def parse_response(result: Any, model: str = "") -> Response:
    """A `GenerateContentResponse` (first candidate only) as a unified Response; a
    blocked prompt raises `ContentFilterError`."""
    blocked = blocked_prompt(result)
    if blocked is not None:
        raise blocked
    candidate, parts = _candidate_parts(result)
    thoughts: list[str] = []
    texts: list[str] = []
    calls: list[ToolCall] = []
    for part in parts:
        if getattr(part, "function_call", None) is not None:
            calls.append(_tool_call(part.function_call, part.thought_signature))
        elif part.text and part.thought:
            thoughts.append(part.text)
        elif part.text:
            texts.append(part.text)
    content: list[ContentPart] = []
    if thoughts:
        content.append(ContentPart(kind="thinking", thinking=Thinking(text="".join(thoughts))))
    if texts:
        content.append(ContentPart.of_text("".join(texts)))
    content += [ContentPart(kind="tool_call", tool_call=call) for call in calls]
    raw_finish = _finish_raw(candidate)
    return Response(
        id=getattr(result, "response_id", None) or "",
        model=getattr(result, "model_version", None) or model,
        provider=PROVIDER,
        message=Message(role=Role.ASSISTANT, content=content),
        finish_reason=finish_reason(raw_finish, has_calls=bool(calls)),
        usage=parse_usage(getattr(result, "usage_metadata", None)),
        raw=_dump(result),
    )


def _finish_raw(candidate: Any) -> str:
    value = getattr(candidate, "finish_reason", None) if candidate is not None else None
    if value is None:
        return ""
    return str(getattr(value, "value", value))


def finish_reason(raw: str, *, has_calls: bool) -> FinishReason:
    if has_calls:
        return FinishReason(reason="tool_calls", raw=raw)
    if not raw:
        return FinishReason(reason="stop", raw=raw)
    return FinishReason(reason=_FINISH.get(raw, raw.lower()), raw=raw)


def parse_usage(metadata: Any) -> Usage:
    """Gemini usage, normalised: cached tokens leave the input count, thoughts join the
    output count (§1.3)."""
    if metadata is None:
        return Usage()
    thoughts = getattr(metadata, "thoughts_token_count", None)
    return normalise_usage(
        int(getattr(metadata, "prompt_token_count", None) or 0),
        int(getattr(metadata, "candidates_token_count", None) or 0),
        cache_read_tokens=positive(getattr(metadata, "cached_content_token_count", None)),
        reasoning_tokens=positive(thoughts),
        prompt_includes_cache=True,
        output_includes_reasoning=False,
        raw=_dump(metadata),
    )


def _dump(obj: Any) -> Any:
    dump = getattr(obj, "model_dump", None)
    if dump is None:
        return obj
    try:
        return dump(mode="json", exclude_none=True)
    except Exception:  # noqa: BLE001 - raw is informational only
        return None


# --------------------------------------------------------------------------- streaming


class _StreamTranslator:
    """Turns `GenerateContentResponse` chunks into unified stream events."""

    def __init__(self, model: str) -> None:
        self.model = model
        self._started = False
        self._in_reasoning = False
        self._in_text = False
        self._calls = 0
        self._finish_raw = ""
        self._usage: Any = None
        self._id = ""
        self._model_version = ""

    def feed(self, chunk: Any) -> list[StreamEvent]:
        out: list[StreamEvent] = []
        if not self._started:
            self._started = True
            out.append(StreamEvent(type=E.STREAM_START))
        self._id = getattr(chunk, "response_id", None) or self._id
        self._model_version = getattr(chunk, "model_version", None) or self._model_version
        if getattr(chunk, "usage_metadata", None) is not None:
            self._usage = chunk.usage_metadata
        blocked = blocked_prompt(chunk)
        if blocked is not None:
            return [*out, StreamEvent(type=E.ERROR, error=blocked)]
        candidate, parts = _candidate_parts(chunk)
        for part in parts:
            out += self._part(part)
        self._finish_raw = _finish_raw(candidate) or self._finish_raw
        return out

    def _part(self, part: Any) -> list[StreamEvent]:
        out: list[StreamEvent] = []
        if getattr(part, "function_call", None) is not None:
            out += self._close_reasoning() + self._close_text()
            call = _tool_call(part.function_call, part.thought_signature)
            self._calls += 1
            out.append(StreamEvent(type=E.TOOL_CALL_START, tool_call=call))
            out.append(StreamEvent(type=E.TOOL_CALL_END, tool_call=call))
        elif part.text and part.thought:
            if not self._in_reasoning:
                self._in_reasoning = True
                out.append(StreamEvent(type=E.REASONING_START))
            out.append(StreamEvent(type=E.REASONING_DELTA, reasoning_delta=part.text))
        elif part.text:
            out += self._close_reasoning()
            if not self._in_text:
                self._in_text = True
                out.append(StreamEvent(type=E.TEXT_START, text_id="text_0"))
            out.append(StreamEvent(type=E.TEXT_DELTA, text_id="text_0", delta=part.text))
        return out

    def _close_reasoning(self) -> list[StreamEvent]:
        if not self._in_reasoning:
            return []
        self._in_reasoning = False
        return [StreamEvent(type=E.REASONING_END)]

    def _close_text(self) -> list[StreamEvent]:
        if not self._in_text:
            return []
        self._in_text = False
        return [StreamEvent(type=E.TEXT_END, text_id="text_0")]

    def finish(self) -> list[StreamEvent]:
        out = self._close_reasoning() + self._close_text()
        if not self._finish_raw:
            # Gemini's last chunk always carries finishReason: without it, data was lost
            error = StreamError("the stream ended before its finish reason", provider=PROVIDER)
            return [*out, StreamEvent(type=E.ERROR, error=error)]
        reason = finish_reason(self._finish_raw, has_calls=self._calls > 0)
        usage = parse_usage(self._usage)
        summary = Response(
            id=self._id,
            model=self._model_version or self.model,
            provider=PROVIDER,
            finish_reason=reason,
            usage=usage,
        )
        out.append(
            StreamEvent(type=E.FINISH, finish_reason=reason, usage=usage, full_response=summary)
        )
        return out


__all__ = ["GeminiAdapter", "build_request", "parse_response", "parse_usage", "thinking_level"]
