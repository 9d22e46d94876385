"""Webhook gates, one gate at a time (cli-tui.md §5): what tracker POSTs, how the answer
that comes back is read, timeouts, and the errors a user sees. Everything on 127.0.0.1."""

from __future__ import annotations

import asyncio
import re
import threading
from types import SimpleNamespace
from typing import Any

import pytest
from tracker.gates.interviewer import GateError
from tracker.gates.questions import parse_questions
from tracker.gates.webhook import WebhookInterviewer, resolve_choice
from tracker.gates.webhook_server import _base_url, split_host_port
from webhook_receiver import Receiver, free_port

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


def gate(url: str, **options: Any) -> WebhookInterviewer:
    options.setdefault("callback_addr", "127.0.0.1:0")
    return WebhookInterviewer(url, **options)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def reply(body: dict[str, Any]) -> Any:
    return lambda payload: body


# the payload ----------------------------------------------------------------------------


def test_choice_gate_posts_the_payload_and_takes_the_callback_answer() -> None:
    with Receiver(reply({"choice": "right", "reasoning": "safer"})) as hook:
        picked = run(gate(hook.url).ask("Which way?", ["Left", "Right"], "Left"))
    assert picked == "Right"
    (payload,) = hook.gates
    assert list(payload) == [
        "gate_id",
        "prompt",
        "choices",
        "callback_url",
        "timeout_seconds",
        "gate_token",
    ]
    assert payload["prompt"] == "Which way?"
    assert payload["choices"] == [
        {"label": "Left", "value": "Left"},
        {"label": "Right", "value": "Right"},
    ]
    assert payload["timeout_seconds"] == 600

    assert re.fullmatch(UUID, payload["gate_id"])
    assert re.fullmatch(UUID, payload["gate_token"])
    assert payload["gate_token"] != payload["gate_id"]
    assert re.fullmatch(
        rf"http://127\.0\.0\.1:\d+/gate/{payload['gate_id']}", payload["callback_url"]
    )
    assert hook.headers[0]["Content-Type"] == "application/json"
    assert "Authorization" not in hook.headers[0]
    assert hook.callbacks == [(200, '{"status":"ok"}')]


def test_auth_header_and_run_id_are_sent() -> None:
    with Receiver(reply({"choice": "Left"})) as hook:
        run(gate(hook.url, auth_header="Bearer s3cret", run_id="abc123").ask("?", ["Left"]))
    assert hook.headers[0]["Authorization"] == "Bearer s3cret"
    assert hook.gates[0]["run_id"] == "abc123"
    assert "s3cret" not in repr(gate(hook.url, auth_header="Bearer s3cret"))


def test_wildcard_binds_are_advertised_as_loopback() -> None:
    """`:8789` listens on every interface; the callback URL names 127.0.0.1 (no test
    binds a wildcard address, so the listener is stubbed)."""

    def bound(*name: Any) -> Any:
        sock = SimpleNamespace(getsockname=lambda: name)
        return SimpleNamespace(sockets=[sock])

    assert _base_url(bound("0.0.0.0", 8789)) == "http://127.0.0.1:8789"
    assert _base_url(bound("::", 8789, 0, 0)) == "http://127.0.0.1:8789"
    assert _base_url(bound("::1", 9000, 0, 0)) == "http://[::1]:9000"
    assert _base_url(bound("127.0.0.1", 9001)) == "http://127.0.0.1:9001"


# reading answers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply_text", "default", "expected"),
    [
        ("approve", "", "approve"),
        ("APPROVE", "", "approve"),
        ("I would reject this", "", "reject"),
        ("no idea", "reject", "reject"),
        ("no idea", "", "approve"),
        ("", "", "approve"),
    ],
)
def test_choice_matching(reply_text: str, default: str, expected: str) -> None:
    assert resolve_choice(reply_text, ["approve", "reject"], default) == expected


def test_yes_no_gate_gets_yes_or_no() -> None:
    with Receiver(reply({"choice": "no"})) as hook:
        assert run(gate(hook.url).ask("Ship it?", ["Yes", "No"])) == "No"
    assert hook.gates[0]["choices"] == [
        {"label": "Yes", "value": "Yes"},
        {"label": "No", "value": "No"},
    ]


def test_freeform_gate_takes_freeform_else_choice() -> None:
    with Receiver(reply({"freeform": "tighten the tests"})) as hook:
        assert run(gate(hook.url).ask_freeform("Feedback?")) == "tighten the tests"
    assert hook.gates[0]["choices"] is None
    with Receiver(reply({"choice": "fine as is"})) as hook:
        assert run(gate(hook.url).ask_freeform("Feedback?")) == "fine as is"


def test_labeled_freeform_prefers_custom_text_then_resolves_the_choice() -> None:
    labels = ["accept", "revise"]
    with Receiver(reply({"choice": "revise", "freeform": "rename the module"})) as hook:
        assert run(gate(hook.url).ask_freeform_with_labels("?", labels)) == "rename the module"
    with Receiver(reply({"choice": "REVISE"})) as hook:
        assert run(gate(hook.url).ask_freeform_with_labels("?", labels)) == "revise"
    assert hook.gates[0]["choices"] == [
        {"label": "accept", "value": "accept"},
        {"label": "revise", "value": "revise"},
    ]
    with Receiver(reply({"choice": "???"})) as hook:
        assert run(gate(hook.url).ask_freeform_with_labels("?", labels, "revise")) == "revise"


def test_interview_gate_sends_questions_and_reads_answers() -> None:
    questions = parse_questions(
        "1. Which store? (postgres, sqlite)\n2. Do you need SSO?\n3. Describe constraints"
    )
    body = {
        "answers": [
            {"id": "q1", "answer": "SQLite", "elaboration": "small data"},
            {"id": "q2", "answer": "yes"},
        ]
    }
    with Receiver(reply(body)) as hook:
        result = run(gate(hook.url).ask_interview(questions, None))
    payload = hook.gates[0]
    assert payload["choices"] is None
    assert payload["questions"] == [
        {"id": "q1", "text": "Which store?", "options": ["postgres", "sqlite"], "yes_no": False},
        {"id": "q2", "text": "Do you need SSO?", "options": [], "yes_no": True},
        {"id": "q3", "text": "Describe constraints", "options": [], "yes_no": False},
    ]
    assert [(a.id, a.answer, a.elaboration) for a in result.questions] == [
        ("q1", "sqlite", "small data"),
        ("q2", "yes", ""),
        ("q3", "", ""),
    ]
    assert result.incomplete and not result.canceled


# timeouts -------------------------------------------------------------------------------


def test_timeout_with_fail_action_mirrors_the_reference() -> None:
    with Receiver() as hook:  # never answers
        iv = gate(hook.url, timeout=0.2)
        assert run(iv.ask("?", ["approve", "reject"], "reject")) == "reject"
        assert run(iv.ask("?", ["approve", "reject"])) == "approve"
        assert run(iv.ask("?", ["approve", "Fail"])) == "Fail"
        assert run(iv.ask("Ship?", ["Yes", "No"])) == "Yes"
        assert run(iv.ask_freeform("Feedback?")) == "gate timeout"
        assert run(iv.ask_freeform_with_labels("?", ["accept", "fail"])) == "fail"
        questions = parse_questions("1. Which store? (postgres, sqlite)")
        result = run(iv.ask_interview(questions, None))
    assert result.canceled and result.incomplete
    assert hook.gates[0]["timeout_seconds"] == 0


def test_timeout_with_success_action_takes_the_first_option() -> None:
    with Receiver() as hook:
        iv = gate(hook.url, timeout=0.2, timeout_action="success")
        assert run(iv.ask("?", ["approve", "reject"], "reject")) == "approve"
        assert run(iv.ask_freeform("Feedback?")) == "gate timeout"
        questions = parse_questions("1. Which store? (postgres, sqlite)\n2. Do you need SSO?")
        result = run(iv.ask_interview(questions, None))
    assert [a.answer for a in result.questions] == ["postgres", "yes"]
    assert not result.canceled


def test_zero_timeout_means_the_default_ten_minutes() -> None:
    assert gate("http://127.0.0.1:9/hook", timeout=0).timeout == 600


# errors ---------------------------------------------------------------------------------


def test_unreachable_webhook_is_one_clear_gate_error() -> None:
    port = free_port()
    iv = gate(f"http://127.0.0.1:{port}/hooks/T000/secret-path")
    with pytest.raises(GateError) as err:
        run(iv.ask("?", ["a"]))
    message = str(err.value)
    assert message.startswith(f"webhook post failed: cannot reach http://127.0.0.1:{port}: ")
    assert "secret-path" not in message


def test_webhook_error_status_fails_the_gate() -> None:
    with Receiver(status=500) as hook, pytest.raises(GateError) as err:
        run(gate(hook.url).ask("?", ["a"]))
    assert str(err.value) == "webhook post failed: webhook returned HTTP 500"


def test_callback_port_in_use_names_the_address() -> None:
    with Receiver(reply({"choice": "a"})) as hook:
        busy = hook.url.split("/")[2]  # the receiver's own host:port
        with pytest.raises(GateError) as err:
            run(gate(hook.url, callback_addr=busy).ask("?", ["a"]))
    assert str(err.value).startswith(f"webhook callback server: listen on {busy}: ")
    assert hook.gates == []


@pytest.mark.parametrize(
    ("addr", "expected"),
    [(":8789", ("", 8789)), ("127.0.0.1:0", ("127.0.0.1", 0)), ("[::1]:9000", ("::1", 9000))],
)
def test_callback_addresses(addr: str, expected: tuple[str, int]) -> None:
    assert split_host_port(addr) == expected


@pytest.mark.parametrize("addr", ["8789", "::1:80", "host:http", "host:70000"])
def test_bad_callback_addresses_fail_the_gate(addr: str) -> None:
    with pytest.raises(ValueError):
        split_host_port(addr)
    with pytest.raises(GateError, match=f"webhook callback server: listen on {addr}: "):
        run(gate("http://127.0.0.1:9/hook", callback_addr=addr).ask("?", ["a"]))


def test_invalid_webhook_url_is_refused_up_front() -> None:
    with pytest.raises(ValueError, match='invalid webhook URL "hooks.example"'):
        WebhookInterviewer("hooks.example")


# several gates, one listener ------------------------------------------------------------


def test_parallel_gates_share_the_listener_with_their_own_ids_and_tokens() -> None:
    both_posted = threading.Barrier(2, timeout=10)

    def answer_after_both(payload: dict[str, Any]) -> dict[str, Any]:
        both_posted.wait()
        return {"choice": "b" if "second" in payload["prompt"] else "a"}

    async def two_gates(iv: WebhookInterviewer) -> list[str]:
        return list(await asyncio.gather(iv.ask("first", ["a", "b"]), iv.ask("second", ["a", "b"])))

    with Receiver(answer_after_both) as hook:
        assert run(two_gates(gate(hook.url))) == ["a", "b"]
    ids = {p["gate_id"] for p in hook.gates}
    tokens = {p["gate_token"] for p in hook.gates}
    ports = {p["callback_url"].split("/")[2] for p in hook.gates}
    assert len(ids) == 2 and len(tokens) == 2 and len(ports) == 1


def test_close_releases_a_waiting_gate() -> None:
    async def ask_then_close(iv: WebhookInterviewer, hook: Receiver) -> None:
        task = asyncio.ensure_future(iv.ask("?", ["a"]))
        while not hook.gates:
            await asyncio.sleep(0.01)
        iv.close()
        with pytest.raises(GateError, match="webhook gate canceled"):
            await task

    with Receiver() as hook:
        run(ask_then_close(gate(hook.url), hook))
