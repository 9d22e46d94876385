"""JSON-RPC 2.0 over an ACP agent's stdio: one JSON object per line, both directions.

Why a small hand-written connection rather than the `agent-client-protocol` package:
tracker uses a handful of methods, the package's API still changes between 0.x
releases, and owning the loop lets the backend decide exactly what happens when the
agent dies mid-turn (every pending call fails with `ConnectionClosed`).

Notifications are handled in arrival order on the reader task (the agent sends a turn's
`session/update`s before its `session/prompt` response, so they are all seen before the
response resolves). Requests from the agent run as their own tasks, so a permission
prompt can be answered while `session/prompt` is still awaited.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger("tracker_acp.rpc")

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603

#: serves one request from the agent: returns the result or raises RpcError
RequestHandler = Callable[[str, Any], Awaitable[Any]]
#: sees one notification from the agent
NotificationHandler = Callable[[str, Any], None]


class RpcError(Exception):
    """A JSON-RPC error: raised by handlers to answer with it, and for error replies."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def to_json(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


class ConnectionClosed(Exception):
    """The agent closed its stdout (it exited or crashed) before answering."""


class Connection:
    """A JSON-RPC peer on a pair of asyncio streams."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        on_request: RequestHandler,
        on_notification: NotificationHandler,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._on_request = on_request
        self._on_notification = on_notification
        self._next_id = 0
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._write_lock = asyncio.Lock()
        self._reader_task: asyncio.Task[None] | None = None
        self.closed = asyncio.Event()
        self.bad_lines = 0

    def start(self) -> None:
        self._reader_task = asyncio.ensure_future(self._read_loop())

    # -- outgoing ----------------------------------------------------------------------

    async def request(self, method: str, params: Any) -> Any:
        """Call `method` on the agent and wait for its result."""
        if self.closed.is_set():
            raise ConnectionClosed(f"agent closed the connection before {method}")
        self._next_id += 1
        msg_id = self._next_id
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[msg_id] = future
        try:
            await self._send({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
            return await future
        finally:
            self._pending.pop(msg_id, None)

    async def notify(self, method: str, params: Any) -> None:
        await self._send({"jsonrpc": "2.0", "method": method, "params": params})

    async def _send(self, message: dict[str, Any]) -> None:
        data = json.dumps(message, ensure_ascii=False, separators=(",", ":")) + "\n"
        async with self._write_lock:
            try:
                self._writer.write(data.encode("utf-8"))
                await self._writer.drain()
            except (ConnectionError, RuntimeError) as exc:
                raise ConnectionClosed(f"cannot write to the agent: {exc}") from exc

    # -- incoming ----------------------------------------------------------------------

    async def _read_loop(self) -> None:
        try:
            while True:
                try:
                    line = await self._reader.readline()
                except (ValueError, asyncio.LimitOverrunError, ConnectionError) as exc:
                    log.warning("acp: unreadable output from the agent: %s", exc)
                    break
                if not line:
                    break
                self._dispatch(line)
        finally:
            self._close_pending()

    def _dispatch(self, line: bytes) -> None:
        text = line.decode("utf-8", errors="replace").strip()
        if not text:
            return
        try:
            message = json.loads(text)
        except ValueError:
            self.bad_lines += 1  # agents sometimes log to stdout; skip such lines
            return
        if not isinstance(message, dict):
            self.bad_lines += 1
            return
        method = message.get("method")
        if isinstance(method, str):
            if "id" in message and message["id"] is not None:
                self._spawn(self._serve(message["id"], method, message.get("params")))
            else:
                try:
                    self._on_notification(method, message.get("params"))
                except Exception:  # an observer bug must not kill the connection
                    log.exception("acp: handling %s failed", method)
            return
        self._resolve(message)

    def _resolve(self, message: dict[str, Any]) -> None:
        future = self._pending.get(message.get("id"))  # type: ignore[arg-type]
        if future is None or future.done():
            return
        error = message.get("error")
        if isinstance(error, dict):
            future.set_exception(
                RpcError(
                    int(error.get("code", INTERNAL_ERROR)),
                    str(error.get("message", "")),
                    error.get("data"),
                )
            )
        else:
            future.set_result(message.get("result"))

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, msg_id: Any, method: str, params: Any) -> None:
        reply: dict[str, Any] = {"jsonrpc": "2.0", "id": msg_id}
        try:
            reply["result"] = await self._on_request(method, params)
        except RpcError as exc:
            reply["error"] = exc.to_json()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("acp: serving %s failed", method)
            reply["error"] = RpcError(INTERNAL_ERROR, str(exc) or type(exc).__name__).to_json()
        with contextlib.suppress(ConnectionClosed):
            await self._send(reply)

    def _close_pending(self) -> None:
        self.closed.set()
        for future in self._pending.values():
            if not future.done():
                future.set_exception(ConnectionClosed("the agent closed its output"))

    async def aclose(self) -> None:
        """Stop serving: cancel request handlers and the reader."""
        for task in list(self._tasks):
            task.cancel()
        if self._reader_task is not None:
            self._reader_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader_task
        self._close_pending()
