"""A fake OpenAI-compatible Chat Completions API (`POST /v1/chat/completions`).

This is the wire format of OpenRouter, vLLM, Ollama, LM Studio and friends: a
`chat.completion` object, or `chat.completion.chunk` SSE events ending with
``data: [DONE]``, the usage chunk (empty `choices`) only when the request set
`stream_options.include_usage`. Reasoning text, when scripted, travels as
`reasoning_content` (the DeepSeek / vLLM convention). Errors use OpenAI's body
`{"error": {"message", "type", "param", "code"}}`. Point the SDK at it with
``base_url=server.url + "/v1"`` (or ``OPENAI_COMPAT_BASE_URL``).
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from .fake_server import FakeProviderServer, HTTPReply, RecordedRequest, SSEEvent
from .turns import FakeError, FakeTurn

__all__ = ["ERROR_SHAPES", "FakeOpenAICompat"]

#: HTTP status -> (error.type, error.code, default message), as OpenAI-style servers send
ERROR_SHAPES: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "Invalid value for 'messages': expected an array."),
    401: (
        "invalid_request_error",
        "invalid_api_key",
        "Incorrect API key provided: sk-test-****. You can find your API key in your account.",
    ),
    403: ("permission_error", None, "You are not allowed to use this model."),
    404: (
        "invalid_request_error",
        "model_not_found",
        "The model `unknown-model` does not exist or you do not have access to it.",
    ),
    429: ("requests", "rate_limit_exceeded", "Rate limit reached for requests per minute."),
    500: ("server_error", None, "The server had an error while processing your request."),
    529: ("server_error", "overloaded", "The engine is currently overloaded, try again later."),
}


class FakeOpenAICompat(FakeProviderServer):
    provider = "openai-compat"
    env_key = "OPENAI_COMPAT_API_KEY"
    default_model = "gpt-4.1-mini"
    reports_cache_write = True  # as OpenRouter does: prompt_tokens_details.cache_write_tokens
    reports_thinking = True
    reports_reasoning_tokens = True
    path = "/v1/chat/completions"

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self._ids = itertools.count(1)

    # requests -------------------------------------------------------------------------

    @staticmethod
    def is_stream(request: RecordedRequest) -> bool:
        return bool((request.json() or {}).get("stream"))

    def sent_tool_results(self, request: RecordedRequest) -> list[tuple[str, str]]:
        return [
            (m.get("tool_call_id", ""), _content_text(m.get("content")))
            for m in (request.json() or {}).get("messages", [])
            if m.get("role") == "tool"
        ]

    # replies --------------------------------------------------------------------------

    def render_turn(self, turn: FakeTurn, request: RecordedRequest) -> HTTPReply:
        if not request.path.endswith(self.path):  # a gateway may add a prefix
            return self.render_error(FakeError(404, f"Unknown path {request.path}"), request)
        body = request.json() or {}
        model = turn.model or body.get("model") or self.default_model
        n = next(self._ids)
        ids = [c.id or f"call_fake_{n:04d}_{i}" for i, c in enumerate(turn.tool_calls)]
        completion_id = f"chatcmpl-fake{n:04d}"
        if not self.is_stream(request):
            return HTTPReply(json=self._completion(turn, model, completion_id, ids))
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        return HTTPReply(
            events=self._events(turn, model, completion_id, ids, include_usage),
            stall_after=turn.stall_after,
            stall_seconds=turn.stall_seconds,
            drop_after=turn.drop_after,
        )

    def render_error(self, error: FakeError, request: RecordedRequest) -> HTTPReply:
        return HTTPReply(
            status=error.status, json=self.error_body(error), headers=self.error_headers(error)
        )

    @staticmethod
    def error_body(error: FakeError) -> dict[str, Any]:
        kind, code, default = ERROR_SHAPES.get(
            error.status,
            ("server_error" if error.status >= 500 else "invalid_request_error", None, ""),
        )
        return {
            "error": {
                "message": error.message or default,
                "type": kind,
                "param": None,
                "code": error.code or code,
            }
        }

    # wire shapes ----------------------------------------------------------------------

    @staticmethod
    def _usage(turn: FakeTurn) -> dict[str, Any]:
        u = turn.usage
        prompt = u.input_tokens + u.cache_read_tokens + u.cache_write_tokens
        return {
            "prompt_tokens": prompt,
            "completion_tokens": u.output_tokens,
            "total_tokens": prompt + u.output_tokens,
            "prompt_tokens_details": {
                "cached_tokens": u.cache_read_tokens,
                "cache_write_tokens": u.cache_write_tokens,
            },
            "completion_tokens_details": {"reasoning_tokens": u.reasoning_tokens},
        }

    def _completion(
        self, turn: FakeTurn, model: str, completion_id: str, ids: list[str]
    ) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": turn.text or None}
        if turn.thinking:
            message["reasoning_content"] = turn.thinking
        if turn.tool_calls:
            message["tool_calls"] = [
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
                }
                for call, call_id in zip(turn.tool_calls, ids, strict=True)
            ]
        return {
            "id": completion_id,
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": turn.finish_reason,
                    "logprobs": None,
                }
            ],
            "usage": self._usage(turn),
        }

    def _events(
        self,
        turn: FakeTurn,
        model: str,
        completion_id: str,
        ids: list[str],
        include_usage: bool,
    ) -> list[SSEEvent]:
        def chunk(delta: dict[str, Any], finish: str | None = None) -> SSEEvent:
            return SSEEvent(
                {
                    "id": completion_id,
                    "object": "chat.completion.chunk",
                    "created": 1_700_000_000,
                    "model": model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                }
            )

        events = [chunk({"role": "assistant", "content": ""})]
        events += [chunk({"reasoning_content": c}) for c in turn.chunks(turn.thinking)]
        events += [chunk({"content": c}) for c in turn.chunks(turn.text)]
        for index, (call, call_id) in enumerate(zip(turn.tool_calls, ids, strict=True)):
            opening = {
                "index": index,
                "id": call_id,
                "type": "function",
                "function": {"name": call.name, "arguments": ""},
            }
            events.append(chunk({"tool_calls": [opening]}))
            events += [
                chunk({"tool_calls": [{"index": index, "function": {"arguments": c}}]})
                for c in turn.chunks(json.dumps(call.arguments))
            ]
        if turn.stream_error is not None:
            events.append(SSEEvent(self.error_body(turn.stream_error)))
            return events
        events.append(chunk({}, turn.finish_reason))
        if include_usage:
            events.append(
                SSEEvent(
                    {
                        "id": completion_id,
                        "object": "chat.completion.chunk",
                        "created": 1_700_000_000,
                        "model": model,
                        "choices": [],
                        "usage": self._usage(turn),
                    }
                )
            )
        events.append(SSEEvent("[DONE]"))
        return events


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""
