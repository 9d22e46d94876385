"""Unified types: JSON shapes of the spec, helpers, and the stream accumulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from pydantic import ValidationError
from tracker.llm import (
    ContentPart,
    Message,
    Request,
    Response,
    ServerError,
    StreamAccumulator,
    StreamEvent,
    StreamEventType,
    ToolCall,
    Usage,
    collect,
)
from tracker.llm.errors import StreamIdleTimeoutError
from tracker.llm.stream import with_idle_timeout

E = StreamEventType


def test_request_json_matches_the_spec_example() -> None:
    request = Request.model_validate(
        {
            "model": "claude-sonnet-4-6",
            "provider": "anthropic",
            "messages": [
                {"role": "system", "content": [{"kind": "text", "text": "Use relative paths."}]},
                {"role": "user", "content": [{"kind": "text", "text": "Implement SPEC.md"}]},
            ],
            "tools": [
                {"name": "apply_patch", "description": "...", "parameters": {"type": "object"}}
            ],
            "reasoning_effort": "high",
        }
    )
    assert request.system_text == "Use relative paths."
    assert request.messages[1].text == "Implement SPEC.md"
    again = Request.model_validate_json(request.model_dump_json())
    assert again == request


def test_system_keyword_becomes_the_leading_system_message() -> None:
    request = Request(model="m", system="be brief", messages=[Message.user("hi")])
    assert [m.role for m in request.messages] == ["system", "user"]
    assert request.system_text == "be brief"


def test_message_helpers() -> None:
    message = Message(
        role="assistant",
        content=[
            ContentPart.of_thinking("hmm", signature="sig"),
            ContentPart.of_text("a"),
            ContentPart.of_tool_call("call_1", "bash", {"command": "ls"}),
            ContentPart.of_text("b"),
        ],
    )
    assert message.text == "ab"  # concatenated without separator
    assert message.reasoning == "hmm"
    assert [c.name for c in message.tool_calls] == ["bash"]
    assert message.tool_calls[0].parsed_arguments() == {"command": "ls"}
    result = Message.tool_result("call_1", "ok", is_error=True)
    assert result.role == "tool" and result.content[0].tool_result.is_error  # type: ignore[union-attr]


def test_content_part_needs_its_payload() -> None:
    with pytest.raises(ValidationError, match="tool_call"):
        ContentPart(kind="tool_call")
    redacted = ContentPart.of_redacted_thinking("opaque")
    assert redacted.thinking.redacted and redacted.thinking.signature == "opaque"  # type: ignore[union-attr]


def test_images_round_trip_as_base64_json() -> None:
    part = ContentPart(kind="image", image={"data": b"\x89PNG", "media_type": "image/png"})
    dumped = part.model_dump_json()
    assert "iVBORw" in dumped
    assert ContentPart.model_validate_json(dumped).image.data == b"\x89PNG"  # type: ignore[union-attr]


def test_tool_call_arguments_are_raw_json_text() -> None:
    assert ToolCall(id="1", name="x", arguments="").arguments == "{}"
    assert ToolCall(id="1", name="x", arguments={"a": 1}).arguments == '{"a":1}'
    with pytest.raises(ValueError):
        ToolCall(id="1", name="x", arguments="[1]").parsed_arguments()


def test_usage_total_defaults_to_input_plus_output() -> None:
    assert Usage(input_tokens=3, output_tokens=4).total_tokens == 7
    assert Usage(input_tokens=3, output_tokens=4, total_tokens=10).total_tokens == 10


def events(*items: StreamEvent) -> AsyncIterator[StreamEvent]:
    async def gen() -> AsyncIterator[StreamEvent]:
        for item in items:
            yield item

    return gen()


def test_accumulator_orders_parts_and_closes_tool_calls() -> None:
    acc = StreamAccumulator(model="m", provider="p")
    for event in [
        StreamEvent(type=E.STREAM_START),
        StreamEvent(type=E.TEXT_START, text_id="t1"),
        StreamEvent(type=E.TEXT_DELTA, text_id="t1", delta="Hel"),
        StreamEvent(type=E.REASONING_DELTA, reasoning_delta="think "),
        StreamEvent(type=E.REASONING_DELTA, reasoning_delta="more"),
        StreamEvent(type=E.REASONING_SIGNATURE, reasoning_signature="s1"),
        StreamEvent(type=E.TEXT_DELTA, text_id="t1", delta="lo"),
        StreamEvent(type=E.TOOL_CALL_START, tool_call=ToolCall(id="a", name="read")),
        StreamEvent(type=E.TOOL_CALL_DELTA, delta='{"path":'),
        StreamEvent(type=E.TOOL_CALL_DELTA, delta='"x"}'),
        # a new start closes the open call even without an end event
        StreamEvent(type=E.TOOL_CALL_START, tool_call=ToolCall(id="b", name="glob")),
        StreamEvent(type=E.REDACTED_THINKING, reasoning_signature="blob"),
        StreamEvent(
            type=E.FINISH,
            finish_reason={"reason": "stop", "raw": "completed"},
            usage=Usage(input_tokens=5, output_tokens=6),
        ),
    ]:
        acc.feed(event)
    response = acc.response()
    kinds = [p.kind.value for p in response.message.content]
    assert kinds == ["thinking", "redacted_thinking", "text", "tool_call", "tool_call"]
    assert response.reasoning == "think more"
    assert response.message.content[0].thinking.signature == "s1"  # type: ignore[union-attr]
    assert response.text == "Hello"
    assert [(c.id, c.arguments) for c in response.tool_calls] == [
        ("a", '{"path":"x"}'),
        ("b", "{}"),
    ]
    assert response.finish_reason.reason == "tool_calls"  # any tool call forces it
    assert response.usage.total_tokens == 11
    assert (response.model, response.provider) == ("m", "p")


def test_collect_raises_the_error_event() -> None:
    stream = events(
        StreamEvent(type=E.TEXT_DELTA, text_id="t", delta="partial"),
        StreamEvent(type=E.ERROR, error=ServerError("overloaded", status_code=529)),
    )
    with pytest.raises(ServerError, match="overloaded"):
        asyncio.run(collect(stream))


def test_idle_deadline_ends_a_silent_stream_with_a_retryable_error() -> None:
    async def stalls() -> AsyncIterator[StreamEvent]:
        yield StreamEvent(type=E.STREAM_START)
        await asyncio.sleep(30)
        yield StreamEvent(type=E.FINISH)  # pragma: no cover - never reached

    async def scenario() -> list[StreamEvent]:
        return [e async for e in with_idle_timeout(stalls(), 0.05, provider="anthropic")]

    seen = asyncio.run(scenario())
    assert [e.type for e in seen] == [E.STREAM_START, E.ERROR]
    error = seen[-1].error
    assert isinstance(error, StreamIdleTimeoutError) and error.retryable
    assert "stream idle timeout" in str(error) and error.provider == "anthropic"


def test_response_helpers() -> None:
    response = Response(message=Message.assistant("done"))
    assert response.text == "done" and response.tool_calls == []
