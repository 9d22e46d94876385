"""The callback listener of webhook gates (cli-tui.md §5): a small HTTP/1.1 server on
asyncio streams that accepts `POST /gate/<gate_id>` answers and hands each one to the gate
waiting for it.

Checks run in the reference's order, so a misbehaving receiver learns what is wrong:
not under `/gate/` → 404; not POST → 405; empty id → 400; unknown (or already cleaned up)
id → 404; missing/wrong `X-Tracker-Gate-Token` → 401 (before the body is read); body over
64 KiB or not a JSON answer → 400; a second answer while the first awaits delivery → 409;
otherwise 200 `{"status":"ok"}`. Every response closes the connection.

The server lives as long as the event loop that started it: a keeper task holds it open
and closes it when cancelled (which `asyncio.run` does on the way out), so a run that
ends without calling `close()` still releases the port.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import socket
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from tracker.gates.interviewer import GateError

MAX_BODY = 64 * 1024
TOKEN_HEADER = "x-tracker-gate-token"
GATE_PREFIX = "/gate/"
HEADER_TIMEOUT = 10.0  # seconds to send the request line and headers
BODY_TIMEOUT = 30.0  # seconds to send the body
MAX_HEADERS = 100
SHUTDOWN_GRACE = 2.0

_REASONS = {
    100: "Continue",
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    409: "Conflict",
}


class AnswerItem(BaseModel):
    """One interview answer in a callback (`answers` — a tracker extension)."""

    model_config = ConfigDict(extra="ignore")

    id: str
    answer: str = ""
    elaboration: str = ""

    @field_validator("answer", "elaboration", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        return "" if value is None else value


class GateAnswer(BaseModel):
    """The callback body: `{"choice": ..., "freeform": ..., "reasoning": ...}`; unknown
    fields are ignored and `null` reads as empty, as a Go decoder would."""

    model_config = ConfigDict(extra="ignore")

    choice: str = ""
    freeform: str = ""
    reasoning: str = ""
    answers: list[AnswerItem] | None = None

    @field_validator("choice", "freeform", "reasoning", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        return "" if value is None else value


@dataclass
class PendingGate:
    """A gate waiting for its callback: the shared secret and where the answer lands."""

    token: str
    answer: asyncio.Future[GateAnswer] = field(repr=False)


class _Reject(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def split_host_port(addr: str) -> tuple[str, int]:
    """`":8789"` → `("", 8789)`, `"127.0.0.1:0"`, `"[::1]:9000"`; ValueError otherwise."""
    host, sep, port = addr.strip().rpartition(":")
    if not sep:
        raise ValueError("missing port in address")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise ValueError("too many colons in address")
    if not port.isdigit() or int(port) > 65535:
        raise ValueError(f'invalid port "{port}"')
    return host, int(port)


def _wildcard_socket(port: int) -> socket.socket:
    """One socket on every interface (dual-stack when IPv6 is available), like Go's `:port`."""
    try:
        sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("::", port))
        except OSError:
            sock.close()
            raise
    except OSError:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("0.0.0.0", port))
        except OSError:
            sock.close()
            raise
    sock.listen(128)
    sock.setblocking(False)
    return sock


class CallbackServer:
    """Listens on `addr` once started; gates `register` before posting and `forget` after."""

    def __init__(self, addr: str) -> None:
        self.addr = addr
        self._server: asyncio.Server | None = None
        self._keeper: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: dict[str, PendingGate] = {}
        self._connections: set[asyncio.Task[Any]] = set()
        self.base_url = ""

    # lifecycle ----------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Serving on the current event loop (a server from a finished loop is dead)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return False
        return self._server is not None and self._loop is loop and self._server.is_serving()

    async def start(self) -> None:
        """Bind and serve; a bind failure is a `GateError` naming the address."""
        try:
            host, port = split_host_port(self.addr)
            if not host:
                server = await asyncio.start_server(self._serve, sock=_wildcard_socket(port))
            else:
                server = await asyncio.start_server(self._serve, host=host, port=port)
        except (OSError, ValueError) as exc:
            raise GateError(f"webhook callback server: listen on {self.addr}: {exc}") from None
        self._server = server
        self._loop = asyncio.get_running_loop()
        self.base_url = _base_url(server)
        self._keeper = self._loop.create_task(self._hold(server))

    async def _hold(self, server: asyncio.Server) -> None:
        try:
            await asyncio.Future()
        finally:
            self._shutdown(server)

    def close(self) -> None:
        """Stop listening and release every waiting gate with an error. Idempotent; safe
        from any thread state, including after the loop that started the server closed."""
        server, self._server = self._server, None
        for pending in list(self._pending.values()):
            _fail(pending.answer, GateError("webhook gate canceled"))
        self._pending.clear()
        keeper, self._keeper = self._keeper, None
        if keeper is not None and not keeper.done():
            with contextlib.suppress(RuntimeError):
                keeper.cancel()
        if server is not None:
            self._shutdown(server)

    async def aclose(self) -> None:
        """`close()`, then wait (at most 2 s) for the listener to finish closing."""
        server = self._server
        self.close()
        if server is not None:
            with contextlib.suppress(TimeoutError, RuntimeError):
                await asyncio.wait_for(server.wait_closed(), SHUTDOWN_GRACE)

    def _shutdown(self, server: asyncio.Server) -> None:
        with contextlib.suppress(RuntimeError, OSError):
            server.close()
        for task in list(self._connections):
            with contextlib.suppress(RuntimeError):
                task.cancel()

    # gates --------------------------------------------------------------------------

    def register(self, gate_id: str, token: str) -> PendingGate:
        loop = asyncio.get_running_loop()
        pending = PendingGate(token=token, answer=loop.create_future())
        self._pending[gate_id] = pending
        return pending

    def forget(self, gate_id: str) -> None:
        self._pending.pop(gate_id, None)

    # HTTP ---------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        try:
            try:
                status, body = await self._handle(reader, writer)
            except _Reject as exc:
                status, body = exc.status, exc.message + "\n"
            except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
                status, body = 408, "request timeout or incomplete request\n"
            _respond(writer, status, body)
            with contextlib.suppress(ConnectionError, TimeoutError):
                await asyncio.wait_for(writer.drain(), BODY_TIMEOUT)
        except asyncio.CancelledError:
            pass
        finally:
            writer.close()
            if task is not None:
                self._connections.discard(task)

    async def _handle(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> tuple[int, str]:
        method, target, headers = await asyncio.wait_for(_read_head(reader), HEADER_TIMEOUT)
        path = urlsplit(target).path
        if not path.startswith(GATE_PREFIX):
            raise _Reject(404, "404 page not found")
        if method != "POST":
            raise _Reject(405, "method not allowed")
        gate_id = path[len(GATE_PREFIX) :]
        if not gate_id:
            raise _Reject(400, "missing gate_id")
        pending = self._pending.get(gate_id)
        if pending is None:
            raise _Reject(404, "unknown gate_id")
        token = headers.get(TOKEN_HEADER, "")
        if not hmac.compare_digest(token.encode(), pending.token.encode()):
            raise _Reject(401, "invalid or missing X-Tracker-Gate-Token")
        if headers.get("expect", "").lower() == "100-continue":
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        raw = await asyncio.wait_for(_read_body(reader, headers), BODY_TIMEOUT)
        answer = parse_answer(raw)
        if pending.answer.done() or self._pending.get(gate_id) is not pending:
            raise _Reject(409, "gate already resolved")
        pending.answer.set_result(answer)
        return 200, '{"status":"ok"}'


def parse_answer(raw: bytes) -> GateAnswer:
    """The callback body as a `GateAnswer`; a `_Reject(400)` saying why it is not one."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _Reject(400, f"invalid JSON body: {exc}") from None
    if not isinstance(data, dict):
        raise _Reject(400, "invalid JSON body: expected an object")
    try:
        return GateAnswer.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise _Reject(400, f"invalid JSON body: {where}: {first['msg']}") from None


async def _read_head(reader: asyncio.StreamReader) -> tuple[str, str, dict[str, str]]:
    try:
        line = await reader.readline()
    except (ValueError, asyncio.LimitOverrunError):
        raise _Reject(400, "request line too long") from None
    parts = line.decode("latin-1").strip().split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        raise _Reject(400, "malformed request line")
    headers: dict[str, str] = {}
    for _ in range(MAX_HEADERS + 1):
        try:
            raw = await reader.readline()
        except (ValueError, asyncio.LimitOverrunError):
            raise _Reject(400, "header line too long") from None
        text = raw.decode("latin-1").rstrip("\r\n")
        if not text:
            return parts[0], parts[1], headers
        name, sep, value = text.partition(":")
        if not sep:
            raise _Reject(400, "malformed header line")
        headers[name.strip().lower()] = value.strip()
    raise _Reject(400, "too many headers")


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return await _read_chunked(reader)
    length_text = headers.get("content-length", "0").strip() or "0"
    if not length_text.isdigit():
        raise _Reject(400, "invalid Content-Length")
    length = int(length_text)
    if length > MAX_BODY:
        raise _Reject(400, "invalid JSON body: http: request body too large")
    return await reader.readexactly(length)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = bytearray()
    while True:
        size_line = (await reader.readline()).decode("latin-1").split(";")[0].strip()
        try:
            size = int(size_line, 16)
        except ValueError:
            raise _Reject(400, "malformed chunked body") from None
        if size == 0:
            while (await reader.readline()).strip():  # trailers
                pass
            return bytes(body)
        if len(body) + size > MAX_BODY:
            raise _Reject(400, "invalid JSON body: http: request body too large")
        body += await reader.readexactly(size)
        await reader.readexactly(2)


def _respond(writer: asyncio.StreamWriter, status: int, body: str) -> None:
    payload = body.encode("utf-8")
    kind = "application/json" if status == 200 else "text/plain; charset=utf-8"
    head = (
        f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
        f"Content-Type: {kind}\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        f"Content-Length: {len(payload)}\r\n"
        "Connection: close\r\n\r\n"
    )
    writer.write(head.encode("latin-1") + payload)


def _base_url(server: asyncio.Server) -> str:
    """`http://host:port` of the bound listener; wildcard binds become 127.0.0.1."""
    name = server.sockets[0].getsockname()
    host, port = str(name[0]), int(name[1])
    if host in ("0.0.0.0", "::", "::ffff:0.0.0.0"):
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def _fail(future: asyncio.Future[Any], error: BaseException) -> None:
    if future.done():
        return
    with contextlib.suppress(RuntimeError):
        future.set_exception(error)
