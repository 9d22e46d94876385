"""A stand-in for the external service behind `--webhook-url`, on 127.0.0.1 only.

It records every gate POSTed to it and, when given a `reply` policy, answers the gate by
POSTing to the gate's `callback_url` from a background thread — the way a Slack bot or an
email relay would, some time after acknowledging the webhook.
"""

from __future__ import annotations

import json
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: direct connections only: a proxy from the environment must never see test traffic
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

Reply = Callable[[dict[str, Any]], dict[str, Any] | None]


def post(url: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, str]:
    """POST and return `(status, body)`, error statuses included."""
    req = urllib.request.Request(url, data=body, headers=headers or {}, method="POST")
    try:
        with _OPENER.open(req, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def answer(payload: dict[str, Any], body: dict[str, Any]) -> tuple[int, str]:
    """Answer a recorded gate with its own token."""
    return post(
        payload["callback_url"],
        json.dumps(body).encode(),
        {"X-Tracker-Gate-Token": payload["gate_token"], "Content-Type": "application/json"},
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Receiver:
    """`with Receiver(reply) as hook:` — `hook.url`, `hook.gates` (payloads), `hook.headers`,
    `hook.callbacks` (status and body of each answer it sent back)."""

    def __init__(self, reply: Reply | None = None, status: int = 200) -> None:
        self.reply = reply
        self.status = status
        self.gates: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.callbacks: list[tuple[int, str]] = []
        self.answered = threading.Event()
        self._threads: list[threading.Thread] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver._record(dict(self.headers), json.loads(raw))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}/hook"

    def _record(self, headers: dict[str, str], payload: dict[str, Any]) -> None:
        self.gates.append(payload)
        self.headers.append(headers)
        if self.status >= 400 or self.reply is None:
            return
        body = self.reply(payload)
        if body is None:
            return
        thread = threading.Thread(target=self._answer, args=(payload, body), daemon=True)
        self._threads.append(thread)
        thread.start()

    def _answer(self, payload: dict[str, Any], body: dict[str, Any]) -> None:
        self.callbacks.append(answer(payload, body))
        self.answered.set()

    def __enter__(self) -> Receiver:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
