"""The scriptable fake server itself: replies in order, records requests, says clearly
when a test sent more requests than it scripted, and streams SSE event by event."""

from __future__ import annotations

import httpx
from tracker.testing import FakeAnthropic, FakeServer, HTTPReply, SSEEvent


def test_replies_in_order_and_records_requests() -> None:
    with FakeServer() as server:
        server.enqueue(HTTPReply(json={"n": 1}), lambda req: HTTPReply(json={"echo": req.json()}))
        first = httpx.post(server.url + "/a?x=1", json={"hello": "world"}, headers={"X-K": "v"})
        second = httpx.post(server.url + "/b", json={"again": True})
        third = httpx.get(server.url + "/c")
        assert first.json() == {"n": 1}
        assert second.json() == {"echo": {"again": True}}
        assert third.status_code == 500 and "no scripted reply" in third.text
        assert server.unscripted == 1 and server.pending == 0
        recorded = server.requests
        assert [r.path for r in recorded] == ["/a", "/b", "/c"]
        assert recorded[0].query == {"x": ["1"]}
        assert recorded[0].header("x-k") == "v"
        assert recorded[0].json() == {"hello": "world"}


def test_a_broken_script_shows_up_as_a_500() -> None:
    def broken(_req: object) -> HTTPReply:
        raise KeyError("missing")

    with FakeServer() as server:
        server.enqueue(broken)
        reply = httpx.post(server.url + "/x")
        assert reply.status_code == 500
        assert "KeyError" in reply.text


def test_sse_stream_is_sent_as_events() -> None:
    events = [SSEEvent({"a": 1}, "first"), SSEEvent("[DONE]")]
    with FakeServer() as server:
        server.enqueue(HTTPReply(events=events))
        reply = httpx.post(server.url + "/s")
        assert reply.headers["content-type"] == "text/event-stream"
        assert reply.text == 'event: first\ndata: {"a": 1}\n\ndata: [DONE]\n\n'


def test_provider_errors_carry_retry_after_and_the_provider_body() -> None:
    with FakeAnthropic() as server:
        server.add_error(429, retry_after=12)
        reply = httpx.post(server.url + "/v1/messages", json={})
        assert reply.status_code == 429
        assert reply.headers["retry-after"] == "12"
        assert reply.json()["error"]["type"] == "rate_limit_error"
