"""A fake Gemini API (`generateContent` and `streamGenerateContent?alt=sse`, v1beta).

`POST /v1beta/models/{model}:generateContent` gets one `GenerateContentResponse`;
`POST /v1beta/models/{model}:streamGenerateContent?alt=sse` gets the same content split
over `data:` chunks (thought parts, then text, then whole function calls), the last one
carrying `finishReason` and the final `usageMetadata`. Function calls have no ids (as
on the real API, unless a scripted call names one); the first call of a turn carries a
base64 `thoughtSignature`, which Gemini 3 wants echoed back. Scripted thinking comes
back as `{"text": ..., "thought": true}` parts. HTTP errors use Google's body
`{"error": {"code", "message", "status"}}`; a scripted mid-stream error is a `data:`
chunk of that body. Point the SDK at it with ``http_options={"base_url": server.url}``
(or ``GEMINI_BASE_URL=server.url``).
"""

from __future__ import annotations

import base64
import itertools
import re
from typing import Any

from .fake_server import FakeProviderServer, HTTPReply, RecordedRequest, SSEEvent
from .turns import FakeError, FakeTurn

__all__ = ["ERROR_SHAPES", "FakeGemini", "signature_for"]

#: HTTP status -> (google.rpc status, default message), as generativelanguage sends them
ERROR_SHAPES: dict[int, tuple[str, str]] = {
    400: (
        "INVALID_ARGUMENT",
        'Invalid JSON payload received. Unknown name "foo": Cannot find field.',
    ),
    401: (
        "UNAUTHENTICATED",
        "Request had invalid authentication credentials. Expected OAuth 2 access token, "
        "login cookie or other valid authentication credential.",
    ),
    403: ("PERMISSION_DENIED", "The caller does not have permission"),
    404: (
        "NOT_FOUND",
        "models/unknown-model is not found for API version v1beta, or is not supported "
        "for generateContent.",
    ),
    429: ("RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."),
    500: (
        "INTERNAL",
        "An internal error has occurred. Please retry or report in "
        "https://developers.generativeai.google/guide/troubleshooting",
    ),
    503: ("UNAVAILABLE", "The model is overloaded. Please try again later."),
    529: ("UNAVAILABLE", "The model is overloaded. Please try again later."),
}

#: normalised finish reason -> Gemini finishReason
_FINISH = {
    "stop": "STOP",
    "tool_calls": "STOP",  # Gemini says STOP; the function calls make it a tool turn
    "length": "MAX_TOKENS",
    "content_filter": "SAFETY",
}

_PATH = re.compile(
    r"^/v1beta/models/(?P<model>[^/:]+):(?P<method>generateContent|streamGenerateContent)$"
)


def signature_for(turn_number: int) -> str:
    """The base64 thought signature the fake sends on turn `turn_number` (1-based)."""
    return base64.b64encode(f"fake-thought-signature-{turn_number}".encode()).decode()


class FakeGemini(FakeProviderServer):
    provider = "gemini"
    env_key = "GEMINI_API_KEY"
    default_model = "gemini-2.5-pro"
    reports_cache_write = False  # Gemini reports cached reads only
    reports_thinking = True  # thought parts
    reports_reasoning_tokens = True  # thoughtsTokenCount
    wire_call_ids = False  # a functionResponse names its function, not a call id

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self._ids = itertools.count(1)

    # requests -------------------------------------------------------------------------

    @staticmethod
    def is_stream(request: RecordedRequest) -> bool:
        match = _PATH.match(request.path)
        return bool(match and match["method"] == "streamGenerateContent")

    @staticmethod
    def model_of(request: RecordedRequest) -> str:
        match = _PATH.match(request.path)
        return match["model"] if match else ""

    def sent_tool_results(self, request: RecordedRequest) -> list[tuple[str, str]]:
        """`(function name, content)` of every functionResponse part sent back (Gemini
        has no call ids: the function name links a result to its call)."""
        results: list[tuple[str, str]] = []
        for content in (request.json() or {}).get("contents", []):
            for part in content.get("parts", []):
                response = part.get("functionResponse")
                if response is None:
                    continue
                payload = response.get("response") or {}
                text = payload.get("content", payload.get("output", ""))
                results.append((response.get("name", ""), str(text)))
        return results

    def sent_signatures(self, request: RecordedRequest) -> list[str]:
        """The thoughtSignature values a request echoed back on functionCall parts."""
        return [
            part["thoughtSignature"]
            for content in (request.json() or {}).get("contents", [])
            for part in content.get("parts", [])
            if "functionCall" in part and part.get("thoughtSignature")
        ]

    # replies --------------------------------------------------------------------------

    def render_turn(self, turn: FakeTurn, request: RecordedRequest) -> HTTPReply:
        if not _PATH.match(request.path):
            return self.render_error(FakeError(404, f"Unknown path {request.path}"), request)
        n = next(self._ids)
        model = turn.model or self.model_of(request) or self.default_model
        if not self.is_stream(request):
            return HTTPReply(json=self._response(turn, model, n, self._parts(turn, n)))
        return HTTPReply(
            events=self._events(turn, model, n),
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
        status, default = ERROR_SHAPES.get(
            error.status, ("INTERNAL" if error.status >= 500 else "INVALID_ARGUMENT", "")
        )
        return {
            "error": {
                "code": error.status,
                "message": error.message or default or f"HTTP {error.status}",
                "status": error.code or status,
            }
        }

    # wire shapes ----------------------------------------------------------------------

    @staticmethod
    def _usage(turn: FakeTurn, final: bool = True) -> dict[str, Any]:
        u = turn.usage
        prompt = u.input_tokens + u.cache_read_tokens  # Gemini counts the cache inside
        usage: dict[str, Any] = {"promptTokenCount": prompt}
        if final:
            # Gemini leaves thoughts out of candidatesTokenCount
            usage["candidatesTokenCount"] = max(0, u.output_tokens - u.reasoning_tokens)
            if u.reasoning_tokens:
                usage["thoughtsTokenCount"] = u.reasoning_tokens
            usage["totalTokenCount"] = prompt + u.output_tokens
        else:
            usage["totalTokenCount"] = prompt
        if u.cache_read_tokens:
            usage["cachedContentTokenCount"] = u.cache_read_tokens
        return usage

    @staticmethod
    def _call_part(turn: FakeTurn, n: int, index: int) -> dict[str, Any]:
        call = turn.tool_calls[index]
        function_call: dict[str, Any] = {"name": call.name, "args": dict(call.arguments)}
        if call.id:
            function_call["id"] = call.id
        part: dict[str, Any] = {"functionCall": function_call}
        if index == 0:
            part["thoughtSignature"] = signature_for(n)
        return part

    def _parts(self, turn: FakeTurn, n: int) -> list[dict[str, Any]]:
        parts: list[dict[str, Any]] = []
        if turn.thinking:
            parts.append({"text": turn.thinking, "thought": True})
        if turn.text:
            parts.append({"text": turn.text})
        parts += [self._call_part(turn, n, i) for i in range(len(turn.tool_calls))]
        return parts

    def _response(
        self,
        turn: FakeTurn,
        model: str,
        n: int,
        parts: list[dict[str, Any]],
        *,
        final: bool = True,
    ) -> dict[str, Any]:
        candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}, "index": 0}
        if final:
            candidate["finishReason"] = _FINISH.get(turn.finish_reason, turn.finish_reason.upper())
        return {
            "candidates": [candidate],
            "usageMetadata": self._usage(turn, final),
            "modelVersion": model,
            "responseId": f"fake-gemini-{n:04d}",
        }

    def _events(self, turn: FakeTurn, model: str, n: int) -> list[SSEEvent]:
        pieces: list[list[dict[str, Any]]] = []
        pieces += [[{"text": c, "thought": True}] for c in turn.chunks(turn.thinking)]
        pieces += [[{"text": c}] for c in turn.chunks(turn.text)]
        pieces += [[self._call_part(turn, n, i)] for i in range(len(turn.tool_calls))]
        if not pieces:
            pieces = [[{"text": ""}]]
        if turn.stream_error is not None:
            events = [SSEEvent(self._response(turn, model, n, p, final=False)) for p in pieces]
            events.append(SSEEvent(self.error_body(turn.stream_error)))
            return events
        events = [SSEEvent(self._response(turn, model, n, p, final=False)) for p in pieces[:-1]]
        events.append(SSEEvent(self._response(turn, model, n, pieces[-1])))
        return events
