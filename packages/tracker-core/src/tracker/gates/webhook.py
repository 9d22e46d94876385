"""Headless webhook gates (`--webhook-url`, `Config.webhook_gate`; cli-tui.md §5).

Every human gate becomes an HTTP round-trip: tracker POSTs the gate (prompt, options,
callback URL, a per-gate token) to the webhook URL, then waits until the external service
POSTs the answer to `callback_url` with `X-Tracker-Gate-Token`, the gate timeout passes,
or the run ends. The callback listener (tracker.gates.webhook_server) starts on the first
gate and is shared by every gate of the run, parallel branches included.

Answers are read as in the reference: a choice is matched case-insensitively against the
options, then by "the reply contains the option", else the default, else the first option;
a pure freeform gate takes `freeform`, else `choice`; a labeled freeform gate takes
non-empty `freeform`, else resolves `choice` against the labels. On timeout the answer is
synthesised from `timeout_action` (`success` → the first option; anything else → the
choice `fail`) and then read the same way — so a yes/no gate times out to `Yes` and a
freeform gate to the text `gate timeout`, mirroring the reference (§15 decision 11).

Interview gates are a tracker extension: the payload carries `questions` (with `choices`
null) and the callback answers with `answers: [{"id", "answer", "elaboration"}]`.

httpx is imported only when a gate is actually posted, so `tracker --help` stays light.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel

from tracker.gates.answers import InterviewAnswer, InterviewResult
from tracker.gates.interviewer import ACTOR_HUMAN, GateError, Interviewer, current_gate_node
from tracker.gates.questions import Question
from tracker.gates.webhook_server import CallbackServer, GateAnswer

DEFAULT_CALLBACK_ADDR = ":8789"
DEFAULT_TIMEOUT = 600.0  # seconds (10m)
POST_TIMEOUT = 30.0  # seconds for the outbound POST
TIMEOUT_TEXT = "gate timeout"
TIMEOUT_FIRST_TEXT = "gate timeout — using first choice"

log = logging.getLogger(__name__)


class GateChoice(BaseModel):
    label: str
    value: str


class GateQuestion(BaseModel):
    """An interview question in the outbound payload (extension)."""

    id: str
    text: str
    context: str = ""
    options: list[str] = []
    yes_no: bool = False


class WebhookGatePayload(BaseModel):
    """The JSON POSTed to the webhook URL; `wire()` gives the emitted key order and
    omissions (`run_id`, `node_id`, `context` when empty; `questions` unless interview)."""

    gate_id: str
    run_id: str = ""
    node_id: str = ""
    prompt: str
    context: str = ""
    choices: list[GateChoice] | None = None
    callback_url: str
    timeout_seconds: int
    gate_token: str
    questions: list[GateQuestion] | None = None

    def wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {"gate_id": self.gate_id}
        for key in ("run_id", "node_id"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        out["prompt"] = self.prompt
        if self.context:
            out["context"] = self.context
        out["choices"] = None if self.choices is None else [c.model_dump() for c in self.choices]
        out["callback_url"] = self.callback_url
        out["timeout_seconds"] = self.timeout_seconds
        out["gate_token"] = self.gate_token
        if self.questions is not None:
            out["questions"] = [
                q.model_dump(exclude={"context"} if not q.context else None) for q in self.questions
            ]
        return out


def check_webhook_url(url: str) -> None:
    """ValueError unless `url` is an absolute http(s) URL (caught before the run starts)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f'invalid webhook URL "{url}": expected http://host[:port]/path')


def resolve_choice(reply: str, choices: list[str], default: str = "") -> str:
    """Exact (any case), then "reply contains option", then default, then first option."""
    if not choices:
        return reply
    wanted = reply.strip().lower()
    for option in choices:
        if option.lower() == wanted:
            return option
    for option in choices:
        if option.lower() in wanted:
            return option
    return default or choices[0]


def timeout_answer(action: str, choices: list[str] | None) -> GateAnswer:
    """The answer a timed-out gate gets: `success` → the first option, else `fail`."""
    if action.strip().lower() == "success":
        if choices:
            return GateAnswer(choice=choices[0], freeform=TIMEOUT_FIRST_TEXT)
        return GateAnswer(choice="success", freeform=TIMEOUT_TEXT)
    return GateAnswer(choice="fail", freeform=TIMEOUT_TEXT)


class WebhookInterviewer(Interviewer):
    """Answers gates through an external service over HTTP (see the module docstring)."""

    name = "webhook"
    actor = ACTOR_HUMAN

    def __init__(
        self,
        url: str,
        callback_addr: str = DEFAULT_CALLBACK_ADDR,
        timeout: float = DEFAULT_TIMEOUT,
        timeout_action: str = "fail",
        auth_header: str = "",
        run_id: str = "",
        post_timeout: float = POST_TIMEOUT,
    ) -> None:
        check_webhook_url(url)
        self.url = url.strip()
        self.callback_addr = callback_addr or DEFAULT_CALLBACK_ADDR
        self.timeout = timeout if timeout and timeout > 0 else DEFAULT_TIMEOUT
        self.timeout_action = timeout_action or "fail"
        self._auth = auth_header
        self.run_id = run_id
        self.post_timeout = post_timeout
        self._server: CallbackServer | None = None
        self._start_lock: Any = None
        self._lock_loop: Any = None

    def __repr__(self) -> str:  # never show the auth header
        return (
            f"WebhookInterviewer(url={_origin(self.url)!r}, callback_addr={self.callback_addr!r})"
        )

    # the four gate shapes -------------------------------------------------------------

    async def ask(self, prompt: str, choices: list[str], default: str = "") -> str:
        answer, timed_out = await self._round_trip(prompt, list(choices))
        selected = resolve_choice(answer.choice, choices, default)
        if timed_out:
            log.info(
                "webhook gate timed out (action=%s), answering %r", self.timeout_action, selected
            )
        return selected

    async def ask_freeform(self, prompt: str) -> str:
        answer, timed_out = await self._round_trip(prompt, None)
        if timed_out:
            return answer.freeform
        return answer.freeform or answer.choice

    async def ask_freeform_with_labels(
        self, prompt: str, labels: list[str], default: str = ""
    ) -> str:
        answer, timed_out = await self._round_trip(prompt, list(labels))
        if answer.freeform and not timed_out:
            return answer.freeform
        return resolve_choice(answer.choice, labels, default)

    async def ask_interview(
        self, questions: list[Question], previous: InterviewResult | None = None
    ) -> InterviewResult:
        form = [
            GateQuestion(
                id=q.id, text=q.text, context=q.context, options=q.options, yes_no=q.is_yes_no
            )
            for q in questions
        ]
        prompt = "Please answer the following questions."
        answer, timed_out = await self._round_trip(prompt, None, form)
        if timed_out:
            return self._timed_out_interview(questions)
        given = {a.id: a for a in answer.answers or []}
        out: list[InterviewAnswer] = []
        for q in questions:
            item = given.get(q.id)
            text = _match_option(item.answer.strip(), q.options) if item else ""
            out.append(InterviewAnswer.for_question(q, text, item.elaboration if item else ""))
        return InterviewResult(questions=out, incomplete=any(not a.answer.strip() for a in out))

    def _timed_out_interview(self, questions: list[Question]) -> InterviewResult:
        """`success` → first option / `yes` per question; otherwise a canceled form (fail)."""
        if self.timeout_action.strip().lower() != "success":
            return InterviewResult(
                questions=[InterviewAnswer.for_question(q) for q in questions],
                incomplete=True,
                canceled=True,
            )
        out = [
            InterviewAnswer.for_question(
                q, "yes" if q.is_yes_no else (q.options[0] if q.options else "")
            )
            for q in questions
        ]
        return InterviewResult(questions=out, incomplete=any(not a.answer for a in out))

    # lifecycle ------------------------------------------------------------------------

    def cancel(self) -> None:
        """A node-level timeout or cancellation abandons one gate; its own task cleans up,
        and the listener stays up for the run's other gates."""

    def close(self) -> None:
        """Shut the callback listener down and fail every gate still waiting."""
        server, self._server = self._server, None
        if server is not None:
            server.close()

    async def aclose(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            await server.aclose()

    # the round trip -------------------------------------------------------------------

    async def _listener(self) -> CallbackServer:
        """The run's callback server, started on first use (once, even for parallel gates)."""
        import asyncio

        loop = asyncio.get_running_loop()
        if self._lock_loop is not loop:
            self._start_lock, self._lock_loop = asyncio.Lock(), loop
        async with self._start_lock:
            if self._server is None or not self._server.running:
                server = CallbackServer(self.callback_addr)
                await server.start()
                self._server = server
            return self._server

    async def _round_trip(
        self,
        prompt: str,
        choices: list[str] | None,
        questions: list[GateQuestion] | None = None,
    ) -> tuple[GateAnswer, bool]:
        """POST the gate and wait: `(answer, timed_out)`; GateError when it cannot."""
        import asyncio

        server = await self._listener()
        gate_id, token = str(uuid.uuid4()), str(uuid.uuid4())
        pending = server.register(gate_id, token)
        try:
            payload = WebhookGatePayload(
                gate_id=gate_id,
                run_id=self.run_id,
                node_id=current_gate_node.get(),
                prompt=prompt,
                choices=None
                if choices is None
                else [GateChoice(label=c, value=c) for c in choices],
                callback_url=f"{server.base_url}/gate/{gate_id}",
                timeout_seconds=int(self.timeout),
                gate_token=token,
                questions=questions,
            )
            await self._post(payload)
            try:
                answer = await asyncio.wait_for(asyncio.shield(pending.answer), self.timeout)
            except TimeoutError:
                return timeout_answer(self.timeout_action, choices), True
            return answer, False
        finally:
            server.forget(gate_id)
            if not pending.answer.done():
                pending.answer.cancel()

    async def _post(self, payload: WebhookGatePayload) -> None:
        import httpx

        headers = {"Content-Type": "application/json"}
        if self._auth:
            headers["Authorization"] = self._auth
        body = json.dumps(payload.wire(), ensure_ascii=False).encode("utf-8")
        try:
            async with httpx.AsyncClient(timeout=self.post_timeout) as client:
                response = await client.post(self.url, content=body, headers=headers)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise GateError(
                f"webhook post failed: cannot reach {_origin(self.url)}: {_describe(exc)}"
            ) from None
        if response.status_code >= 400:
            raise GateError(f"webhook post failed: webhook returned HTTP {response.status_code}")


def _match_option(answer: str, options: list[str]) -> str:
    """An interview answer naming an option (any case) becomes that option's spelling."""
    for option in options:
        if option.lower() == answer.lower():
            return option
    return answer


def _origin(url: str) -> str:
    """scheme://host[:port] — webhook paths often embed secrets, so errors show no more."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{host}{port}"


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    name = type(exc).__name__
    if not text:
        return name
    return f"{name}: {text}"
