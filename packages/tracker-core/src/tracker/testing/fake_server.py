"""A scriptable HTTP server on 127.0.0.1 for testing LLM provider adapters offline.

Tests (ours and users') point an official provider SDK at this server instead of the
real API, so request building, streaming, usage and error handling run for real without
a network or a key. The server answers from a queue: each request takes the next scripted
reply (a fixed `HTTPReply` or a function of the request), and every request is recorded
so a test can assert how many were sent and what they carried.

It runs in a background thread, so it works with any event loop (or none). Provider
specific fakes (`fake_anthropic`, `fake_openai_compat`, ...) build on `FakeProviderServer`
and render generic `FakeTurn`s into their wire format.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .turns import FakeError, FakeTurn

__all__ = [
    "FakeProviderServer",
    "FakeServer",
    "HTTPReply",
    "RecordedRequest",
    "Reply",
    "SSEEvent",
]


@dataclass(frozen=True)
class RecordedRequest:
    """One request the server received. Header names are lower-cased."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON (None when empty)."""
        return json.loads(self.body) if self.body else None

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)


@dataclass(frozen=True)
class SSEEvent:
    """One server-sent event; a dict or list `data` is sent as compact JSON."""

    data: Any
    event: str | None = None

    def encode(self) -> bytes:
        payload = self.data if isinstance(self.data, str) else json.dumps(self.data)
        lines = [f"event: {self.event}"] if self.event else []
        lines += [f"data: {line}" for line in payload.split("\n")]
        return ("\n".join(lines) + "\n\n").encode()


@dataclass
class HTTPReply:
    """What the server sends back: a JSON body, raw bytes, or an SSE event stream.

    `stall_after` / `stall_seconds` pause a stream after that many events (to exercise
    idle timeouts); `drop_after` closes the connection after that many events without
    finishing the stream (to exercise truncated streams).
    """

    status: int = 200
    json: Any = None
    body: bytes | None = None
    events: list[SSEEvent] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    stall_after: int | None = None
    stall_seconds: float = 0.0
    drop_after: int | None = None


Reply = HTTPReply | Callable[[RecordedRequest], HTTPReply]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
        """Silent: tests assert on recorded requests, not on a log."""

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        request = RecordedRequest(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        reply = self.server.owner._next_reply(request)
        try:
            self._send(reply)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client went away (e.g. it timed out)

    do_GET = do_POST = do_PUT = do_DELETE = _handle

    def _send(self, reply: HTTPReply) -> None:
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.events is not None:
            self._send_stream(reply)
            return
        if reply.body is not None:
            payload = reply.body
        else:
            payload = json.dumps(reply.json if reply.json is not None else {}).encode()
            if not any(k.lower() == "content-type" for k in reply.headers):
                self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _send_stream(self, reply: HTTPReply) -> None:
        if not any(k.lower() == "content-type" for k in reply.headers):
            self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for index, event in enumerate(reply.events or []):
            if reply.drop_after is not None and index >= reply.drop_after:
                self.close_connection = True
                return  # no terminating chunk: the body ends abruptly
            if reply.stall_after is not None and index == reply.stall_after:
                self.wfile.flush()
                if self.server.owner._stopping.wait(reply.stall_seconds):
                    self.close_connection = True
                    return
            self._chunk(event.encode())
        self._chunk(b"")

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, owner: FakeServer, host: str, port: int) -> None:
        self.owner = owner
        super().__init__((host, port), _Handler)


class FakeServer:
    """A threaded HTTP server with a queue of scripted replies.

    Use as a context manager (or call `start()` / `stop()`); `url` is its root, e.g.
    ``http://127.0.0.1:54321``. When the queue is empty a request gets a 500 whose body
    says so, and is counted in `unscripted`.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._host = host
        self._port = port
        self._lock = threading.Lock()
        self._queue: deque[Reply] = deque()
        self._requests: list[RecordedRequest] = []
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.unscripted = 0

    # lifecycle ------------------------------------------------------------------------

    def start(self) -> FakeServer:
        if self._server is None:
            self._stopping.clear()
            self._server = _Server(self, self._host, self._port)
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.02},
                name="tracker-fake-server",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("fake server is not running: call start() first")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # scripting ------------------------------------------------------------------------

    def enqueue(self, *replies: Reply) -> None:
        """Append replies; each request consumes the next one, in order."""
        with self._lock:
            self._queue.extend(replies)

    def clear(self) -> None:
        """Forget pending replies and recorded requests."""
        with self._lock:
            self._queue.clear()
            self._requests.clear()
            self.unscripted = 0

    @property
    def pending(self) -> int:
        """Replies not yet consumed."""
        with self._lock:
            return len(self._queue)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first (a copy)."""
        with self._lock:
            return list(self._requests)

    @property
    def last_request(self) -> RecordedRequest:
        with self._lock:
            if not self._requests:
                raise AssertionError("the fake server has received no request")
            return self._requests[-1]

    def _next_reply(self, request: RecordedRequest) -> HTTPReply:
        with self._lock:
            self._requests.append(request)
            reply = self._queue.popleft() if self._queue else None
            if reply is None:
                self.unscripted += 1
        if reply is None:
            return self.unscripted_reply(request)
        try:
            return reply(request) if callable(reply) else reply
        except Exception as exc:  # noqa: BLE001 - a broken script must show up in the test
            return HTTPReply(
                status=HTTPStatus.INTERNAL_SERVER_ERROR,
                json={"error": f"fake server script failed: {type(exc).__name__}: {exc}"},
            )

    def unscripted_reply(self, request: RecordedRequest) -> HTTPReply:
        return HTTPReply(
            status=HTTPStatus.INTERNAL_SERVER_ERROR,
            json={
                "error": f"fake server: no scripted reply left for {request.method} {request.path}"
            },
        )


class FakeProviderServer(FakeServer):
    """A fake of one provider's API: renders generic turns and errors in its wire format.

    Subclasses set `provider`, `env_key` and `default_model`, and implement
    `render_turn`, `render_error` and `sent_tool_results`.
    """

    provider: str = ""
    env_key: str = ""
    default_model: str = ""
    #: the wire format reports cache writes (prompt-cache creation) separately
    reports_cache_write: bool = True
    #: the wire format carries reasoning text back to the client
    reports_thinking: bool = True
    #: the wire format reports reasoning tokens (as a subset of output tokens)
    reports_reasoning_tokens: bool = False
    #: tool results name their call by id on the wire (Gemini matches by tool name)
    wire_call_ids: bool = True

    def add_turn(self, turn: FakeTurn | str) -> FakeProviderServer:
        """Queue one model turn (a plain string is a text-only turn). The reply is JSON or
        SSE depending on whether the request asked to stream."""
        scripted = FakeTurn(text=turn) if isinstance(turn, str) else turn
        self.enqueue(lambda request: self.render_turn(scripted, request))
        return self

    def add_turns(self, turns: Iterable[FakeTurn | str]) -> FakeProviderServer:
        for turn in turns:
            self.add_turn(turn)
        return self

    def add_error(
        self,
        status: int,
        message: str | None = None,
        *,
        retry_after: str | float | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> FakeProviderServer:
        """Queue an HTTP error in the provider's own error body shape."""
        error = FakeError(
            status=status,
            message=message,
            retry_after=retry_after,
            code=code,
            headers=dict(headers or {}),
        )
        self.enqueue(lambda request: self.render_error(error, request))
        return self

    # to implement --------------------------------------------------------------------

    def render_turn(self, turn: FakeTurn, request: RecordedRequest) -> HTTPReply:
        raise NotImplementedError

    def render_error(self, error: FakeError, request: RecordedRequest) -> HTTPReply:
        raise NotImplementedError

    def sent_tool_results(self, request: RecordedRequest) -> list[tuple[str, str]]:
        """The `(call key, content)` pairs of the tool results a request sent back, in
        order; the key is the call id, or the tool name when `wire_call_ids` is False."""
        raise NotImplementedError

    # shared helpers --------------------------------------------------------------------

    @staticmethod
    def error_headers(error: FakeError) -> dict[str, str]:
        headers = dict(error.headers)
        if error.retry_after is not None:
            value = error.retry_after
            headers["Retry-After"] = f"{value:g}" if isinstance(value, int | float) else str(value)
        return headers
