"""A fake of the Anthropic Messages API (`POST /v1/messages`), JSON and SSE.

Replies follow the real wire format: a `message` object, or the event sequence
`message_start`, `content_block_start` / `content_block_delta` / `content_block_stop`
per block (with a `ping`), `message_delta` (stop reason, output tokens), `message_stop`.
Errors use Anthropic's body `{"type": "error", "error": {"type", "message"}}` and a
`request-id` header. Point the SDK at it with ``base_url=server.url`` (or
``ANTHROPIC_BASE_URL``).
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from .fake_server import FakeProviderServer, HTTPReply, RecordedRequest, SSEEvent
from .turns import FakeError, FakeTurn

__all__ = ["ERROR_TYPES", "FakeAnthropic"]

#: HTTP status -> Anthropic `error.type`, and a realistic default message
ERROR_TYPES: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "messages: text content blocks must be non-empty"),
    401: ("authentication_error", "invalid x-api-key"),
    403: (
        "permission_error",
        "Your API key does not have permission to use the specified resource.",
    ),
    404: ("not_found_error", "model: claude-unknown"),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
    429: ("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit"),
    500: ("api_error", "Internal server error"),
    529: ("overloaded_error", "Overloaded"),
}

_STOP_REASONS = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}


class FakeAnthropic(FakeProviderServer):
    provider = "anthropic"
    env_key = "ANTHROPIC_API_KEY"
    default_model = "claude-sonnet-4-6"
    reports_cache_write = True
    reports_thinking = True
    reports_reasoning_tokens = False  # thinking is inside output_tokens, not reported apart
    path = "/v1/messages"

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self._ids = itertools.count(1)

    # requests -------------------------------------------------------------------------

    @staticmethod
    def is_stream(request: RecordedRequest) -> bool:
        body = request.json() or {}
        return bool(body.get("stream"))

    def sent_tool_results(self, request: RecordedRequest) -> list[tuple[str, str]]:
        results: list[tuple[str, str]] = []
        for message in (request.json() or {}).get("messages", []):
            content = message.get("content")
            if message.get("role") != "user" or not isinstance(content, list):
                continue
            for block in content:
                if block.get("type") == "tool_result":
                    results.append((block["tool_use_id"], _block_text(block.get("content"))))
        return results

    # replies --------------------------------------------------------------------------

    def render_turn(self, turn: FakeTurn, request: RecordedRequest) -> HTTPReply:
        if not request.path.endswith(self.path):  # a gateway may add a prefix
            return self.render_error(FakeError(404, f"Not found: {request.path}"), request)
        body = request.json() or {}
        model = turn.model or body.get("model") or self.default_model
        n = next(self._ids)
        message_id = f"msg_fake_{n:04d}"
        tool_ids = [c.id or f"toolu_fake_{n:04d}_{i}" for i, c in enumerate(turn.tool_calls)]
        headers = {"request-id": f"req_fake_{n:04d}"}
        if not self.is_stream(request):
            return HTTPReply(json=self._message(turn, model, message_id, tool_ids), headers=headers)
        return HTTPReply(
            events=self._events(turn, model, message_id, tool_ids),
            headers=headers,
            stall_after=turn.stall_after,
            stall_seconds=turn.stall_seconds,
            drop_after=turn.drop_after,
        )

    def render_error(self, error: FakeError, request: RecordedRequest) -> HTTPReply:
        headers = self.error_headers(error)
        headers.setdefault("request-id", "req_fake_error")
        return HTTPReply(status=error.status, json=self.error_body(error), headers=headers)

    @staticmethod
    def error_body(error: FakeError) -> dict[str, Any]:
        kind, default = ERROR_TYPES.get(
            error.status, ("api_error" if error.status >= 500 else "invalid_request_error", "")
        )
        return {
            "type": "error",
            "error": {"type": error.code or kind, "message": error.message or default},
            "request_id": "req_fake_error",
        }

    # wire shapes ----------------------------------------------------------------------

    def _blocks(self, turn: FakeTurn, tool_ids: list[str]) -> list[dict[str, Any]]:
        blocks: list[dict[str, Any]] = []
        if turn.thinking:
            blocks.append(
                {
                    "type": "thinking",
                    "thinking": turn.thinking,
                    "signature": turn.thinking_signature,
                }
            )
        if turn.text:
            blocks.append({"type": "text", "text": turn.text})
        for call, call_id in zip(turn.tool_calls, tool_ids, strict=True):
            blocks.append(
                {"type": "tool_use", "id": call_id, "name": call.name, "input": call.arguments}
            )
        return blocks

    @staticmethod
    def _usage(turn: FakeTurn, output_tokens: int) -> dict[str, Any]:
        return {
            "input_tokens": turn.usage.input_tokens,
            "output_tokens": output_tokens,
            "cache_creation_input_tokens": turn.usage.cache_write_tokens,
            "cache_read_input_tokens": turn.usage.cache_read_tokens,
        }

    def _message(
        self, turn: FakeTurn, model: str, message_id: str, tool_ids: list[str]
    ) -> dict[str, Any]:
        return {
            "id": message_id,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": self._blocks(turn, tool_ids),
            "stop_reason": _STOP_REASONS.get(turn.finish_reason, turn.finish_reason),
            "stop_sequence": None,
            "usage": self._usage(turn, turn.usage.output_tokens),
        }

    def _events(
        self, turn: FakeTurn, model: str, message_id: str, tool_ids: list[str]
    ) -> list[SSEEvent]:
        start = self._message(turn, model, message_id, tool_ids)
        start.update(content=[], stop_reason=None, usage=self._usage(turn, 1))
        events = [
            SSEEvent({"type": "message_start", "message": start}, "message_start"),
            SSEEvent({"type": "ping"}, "ping"),
        ]
        for index, block in enumerate(self._blocks(turn, tool_ids)):
            events += self._block_events(index, block, turn)
        if turn.stream_error is not None:
            events.append(SSEEvent(self.error_body(turn.stream_error), "error"))
            return events
        stop = _STOP_REASONS.get(turn.finish_reason, turn.finish_reason)
        events += [
            SSEEvent(
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": stop, "stop_sequence": None},
                    "usage": {"output_tokens": turn.usage.output_tokens},
                },
                "message_delta",
            ),
            SSEEvent({"type": "message_stop"}, "message_stop"),
        ]
        return events

    @staticmethod
    def _block_events(index: int, block: dict[str, Any], turn: FakeTurn) -> list[SSEEvent]:
        kind = block["type"]
        if kind == "text":
            opening = {"type": "text", "text": ""}
            deltas = [{"type": "text_delta", "text": c} for c in turn.chunks(block["text"])]
        elif kind == "thinking":
            opening = {"type": "thinking", "thinking": "", "signature": ""}
            deltas = [
                {"type": "thinking_delta", "thinking": c} for c in turn.chunks(block["thinking"])
            ]
            deltas.append({"type": "signature_delta", "signature": block["signature"]})
        else:
            opening = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
            arguments = json.dumps(block["input"])
            deltas = [
                {"type": "input_json_delta", "partial_json": c} for c in turn.chunks(arguments)
            ]
        events = [
            SSEEvent(
                {"type": "content_block_start", "index": index, "content_block": opening},
                "content_block_start",
            )
        ]
        events += [
            SSEEvent(
                {"type": "content_block_delta", "index": index, "delta": delta},
                "content_block_delta",
            )
            for delta in deltas
        ]
        events.append(
            SSEEvent({"type": "content_block_stop", "index": index}, "content_block_stop")
        )
        return events


def _block_text(content: Any) -> str:
    """A tool_result's content: a string, or text blocks joined."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(b.get("text", "") for b in content if isinstance(b, dict))
    return ""
