"""A fake OpenAI Responses API (`POST /v1/responses`).

Non-streaming requests get a `response` object; `stream: true` requests get the SSE
sequence the real API sends: `response.created`, `response.in_progress`, then per output
item `response.output_item.added` … (`response.reasoning_summary_text.delta`,
`response.output_text.delta`, `response.function_call_arguments.delta`/`.done`) …
`response.output_item.done`, and finally `response.completed` (or `response.incomplete`)
carrying usage. Each SSE event names its type in both the `event:` line and the JSON.
A scripted mid-stream error is sent as an `error` event. HTTP errors use OpenAI's body
`{"error": {"message", "type", "param", "code"}}`. Point the SDK at it with
``base_url=server.url + "/v1"`` (or ``OPENAI_BASE_URL=server.url``).
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from .fake_server import FakeProviderServer, HTTPReply, RecordedRequest, SSEEvent
from .turns import FakeError, FakeTurn

__all__ = ["ERROR_SHAPES", "FakeOpenAI"]

#: HTTP status -> (error.type, error.code, default message), as api.openai.com sends them
ERROR_SHAPES: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "Invalid type for 'input': expected a list."),
    401: (
        "invalid_request_error",
        "invalid_api_key",
        "Incorrect API key provided: sk-test-****. You can find your API key at "
        "https://platform.openai.com/account/api-keys.",
    ),
    403: ("permission_error", None, "You are not allowed to sample from this model."),
    404: (
        "invalid_request_error",
        "model_not_found",
        "The model `unknown-model` does not exist or you do not have access to it.",
    ),
    429: (
        "requests",
        "rate_limit_exceeded",
        "Rate limit reached for gpt-5 in organization org-fake on requests per min (RPM).",
    ),
    500: ("server_error", None, "The server had an error while processing your request."),
    529: ("server_error", None, "The engine is currently overloaded, please try again later."),
}

#: normalised finish reason -> (response status, incomplete_details.reason)
_FINISH: dict[str, tuple[str, str | None]] = {
    "stop": ("completed", None),
    "tool_calls": ("completed", None),
    "length": ("incomplete", "max_output_tokens"),
    "content_filter": ("incomplete", "content_filter"),
    "error": ("failed", None),
}


class FakeOpenAI(FakeProviderServer):
    provider = "openai"
    env_key = "OPENAI_API_KEY"
    default_model = "gpt-5.4"
    reports_cache_write = True  # input_tokens_details.cache_write_tokens
    reports_thinking = True  # reasoning items carry summary_text
    reports_reasoning_tokens = True
    path = "/v1/responses"

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self._ids = itertools.count(1)

    # requests -------------------------------------------------------------------------

    @staticmethod
    def is_stream(request: RecordedRequest) -> bool:
        return bool((request.json() or {}).get("stream"))

    def sent_tool_results(self, request: RecordedRequest) -> list[tuple[str, str]]:
        return [
            (item.get("call_id", ""), str(item.get("output", "")))
            for item in (request.json() or {}).get("input", [])
            if isinstance(item, dict) and item.get("type") == "function_call_output"
        ]

    # replies --------------------------------------------------------------------------

    def render_turn(self, turn: FakeTurn, request: RecordedRequest) -> HTTPReply:
        if request.path != self.path:
            return self.render_error(FakeError(404, f"Unknown path {request.path}"), request)
        body = request.json() or {}
        model = turn.model or body.get("model") or self.default_model
        n = next(self._ids)
        built = _Built(turn, model, n)
        if not self.is_stream(request):
            return HTTPReply(json=built.response(body))
        return HTTPReply(
            events=built.events(body, self.error_event),
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
                "message": error.message or default or f"HTTP {error.status}",
                "type": kind,
                "param": None,
                "code": error.code or code,
            }
        }

    @staticmethod
    def error_event(error: FakeError, sequence: int) -> SSEEvent:
        """A mid-stream `error` event (its `code` classifies it, there is no status)."""
        kind, code, default = ERROR_SHAPES.get(
            error.status,
            ("server_error" if error.status >= 500 else "invalid_request_error", None, ""),
        )
        if error.code is None and code is None:
            code = "server_error" if error.status >= 500 else kind
        payload = {
            "type": "error",
            "code": error.code or code,
            "message": error.message or default or f"HTTP {error.status}",
            "param": None,
            "sequence_number": sequence,
        }
        return SSEEvent(payload, event="error")


class _Built:
    """The output items of one scripted turn, as a response object or as SSE events."""

    def __init__(self, turn: FakeTurn, model: str, n: int) -> None:
        self.turn = turn
        self.model = model
        self.response_id = f"resp_fake{n:04d}"
        self.reasoning_id = f"rs_fake{n:04d}"
        self.message_id = f"msg_fake{n:04d}"
        self.calls = [
            (f"fc_fake{n:04d}_{i}", call.id or f"call_fake{n:04d}_{i}", call)
            for i, call in enumerate(turn.tool_calls)
        ]

    # whole objects ------------------------------------------------------------------

    def usage(self) -> dict[str, Any]:
        u = self.turn.usage
        prompt = u.input_tokens + u.cache_read_tokens + u.cache_write_tokens
        return {
            "input_tokens": prompt,
            "input_tokens_details": {
                "cached_tokens": u.cache_read_tokens,
                "cache_write_tokens": u.cache_write_tokens,
            },
            "output_tokens": u.output_tokens,  # OpenAI counts reasoning inside output
            "output_tokens_details": {"reasoning_tokens": u.reasoning_tokens},
            "total_tokens": prompt + u.output_tokens,
        }

    def reasoning_item(self) -> dict[str, Any]:
        return {
            "type": "reasoning",
            "id": self.reasoning_id,
            "summary": [{"type": "summary_text", "text": self.turn.thinking}],
        }

    def message_item(self, status: str = "completed") -> dict[str, Any]:
        content = (
            [{"type": "output_text", "text": self.turn.text, "annotations": []}]
            if status == "completed"
            else []
        )
        return {
            "type": "message",
            "id": self.message_id,
            "status": status,
            "role": "assistant",
            "content": content,
        }

    @staticmethod
    def call_item(item_id: str, call_id: str, name: str, arguments: str, status: str) -> dict:
        return {
            "type": "function_call",
            "id": item_id,
            "call_id": call_id,
            "name": name,
            "arguments": arguments,
            "status": status,
        }

    def output(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        if self.turn.thinking:
            items.append(self.reasoning_item())
        if self.turn.text:
            items.append(self.message_item())
        for item_id, call_id, call in self.calls:
            items.append(
                self.call_item(item_id, call_id, call.name, json.dumps(call.arguments), "completed")
            )
        return items

    def response(self, body: dict[str, Any], *, final: bool = True) -> dict[str, Any]:
        status, incomplete = _FINISH.get(self.turn.finish_reason, ("completed", None))
        return {
            "id": self.response_id,
            "object": "response",
            "created_at": 1_700_000_000,
            "status": status if final else "in_progress",
            "error": None,
            "incomplete_details": {"reason": incomplete} if final and incomplete else None,
            "instructions": body.get("instructions"),
            "max_output_tokens": body.get("max_output_tokens"),
            "model": self.model,
            "output": self.output() if final else [],
            "parallel_tool_calls": True,
            "previous_response_id": None,
            "reasoning": body.get("reasoning") or {"effort": None, "summary": None},
            "store": False,
            "temperature": body.get("temperature", 1.0),
            "text": body.get("text") or {"format": {"type": "text"}},
            "tool_choice": body.get("tool_choice", "auto"),
            "tools": body.get("tools", []),
            "top_p": body.get("top_p", 1.0),
            "truncation": "disabled",
            "usage": self.usage() if final else None,
            "metadata": {},
        }

    # stream ---------------------------------------------------------------------------

    def events(self, body: dict[str, Any], error_event: Any) -> list[SSEEvent]:
        seq = itertools.count()
        events: list[SSEEvent] = []

        def emit(kind: str, **fields: Any) -> None:
            events.append(
                SSEEvent({"type": kind, "sequence_number": next(seq), **fields}, event=kind)
            )

        turn = self.turn
        emit("response.created", response=self.response(body, final=False))
        emit("response.in_progress", response=self.response(body, final=False))
        index = 0
        if turn.thinking:
            rid = self.reasoning_id
            emit(
                "response.output_item.added",
                output_index=index,
                item={"type": "reasoning", "id": rid, "summary": []},
            )
            part = {"type": "summary_text", "text": ""}
            emit(
                "response.reasoning_summary_part.added",
                item_id=rid,
                output_index=index,
                summary_index=0,
                part=part,
            )
            for chunk in turn.chunks(turn.thinking):
                emit(
                    "response.reasoning_summary_text.delta",
                    item_id=rid,
                    output_index=index,
                    summary_index=0,
                    delta=chunk,
                )
            emit(
                "response.reasoning_summary_text.done",
                item_id=rid,
                output_index=index,
                summary_index=0,
                text=turn.thinking,
            )
            emit(
                "response.reasoning_summary_part.done",
                item_id=rid,
                output_index=index,
                summary_index=0,
                part={"type": "summary_text", "text": turn.thinking},
            )
            emit("response.output_item.done", output_index=index, item=self.reasoning_item())
            index += 1
        if turn.text:
            mid = self.message_id
            emit(
                "response.output_item.added",
                output_index=index,
                item=self.message_item("in_progress"),
            )
            emit(
                "response.content_part.added",
                item_id=mid,
                output_index=index,
                content_index=0,
                part={"type": "output_text", "text": "", "annotations": []},
            )
            for chunk in turn.chunks(turn.text):
                emit(
                    "response.output_text.delta",
                    item_id=mid,
                    output_index=index,
                    content_index=0,
                    delta=chunk,
                    logprobs=[],
                )
            emit(
                "response.output_text.done",
                item_id=mid,
                output_index=index,
                content_index=0,
                text=turn.text,
                logprobs=[],
            )
            emit(
                "response.content_part.done",
                item_id=mid,
                output_index=index,
                content_index=0,
                part={"type": "output_text", "text": turn.text, "annotations": []},
            )
            emit("response.output_item.done", output_index=index, item=self.message_item())
            index += 1
        for item_id, call_id, call in self.calls:
            arguments = json.dumps(call.arguments)
            emit(
                "response.output_item.added",
                output_index=index,
                item=self.call_item(item_id, call_id, call.name, "", "in_progress"),
            )
            for chunk in turn.chunks(arguments):
                emit(
                    "response.function_call_arguments.delta",
                    item_id=item_id,
                    output_index=index,
                    delta=chunk,
                )
            emit(
                "response.function_call_arguments.done",
                item_id=item_id,
                output_index=index,
                name=call.name,
                arguments=arguments,
            )
            emit(
                "response.output_item.done",
                output_index=index,
                item=self.call_item(item_id, call_id, call.name, arguments, "completed"),
            )
            index += 1
        if turn.stream_error is not None:
            events.append(error_event(turn.stream_error, next(seq)))
            return events
        final = self.response(body)
        kind = "response.incomplete" if final["status"] == "incomplete" else "response.completed"
        emit(kind, response=final)
        return events
