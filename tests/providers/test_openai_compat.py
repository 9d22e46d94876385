"""The OpenAI-compatible adapter against the fake Chat Completions server: the request
mapping, reasoning text, finish reasons, usage when a server omits it, truncated and
failing streams, base URL normalisation and the gateway rule."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from tracker.llm import (
    ContentPart,
    Message,
    RateLimitError,
    Request,
    Response,
    Role,
    StreamError,
    ToolChoice,
    ToolDefinition,
    collect,
)
from tracker.llm.client import ProviderConfig
from tracker.llm.types import ResponseFormat
from tracker.testing import (
    FakeError,
    FakeOpenAICompat,
    FakeToolCall,
    FakeTurn,
    HTTPReply,
    RecordedRequest,
)
from tracker_providers.openai_compat import OpenAICompatAdapter

MODEL = "gpt-4.1-mini"
KEY = "sk-test-xxxxxxxx"
READ = ToolDefinition(name="read", description="Read a file")


@pytest.fixture
def fake() -> Iterator[FakeOpenAICompat]:
    with FakeOpenAICompat() as server:
        yield server


def adapter_for(fake: FakeOpenAICompat, base: str | None = None, **env: str) -> OpenAICompatAdapter:
    environ = {"OPENAI_COMPAT_API_KEY": KEY, "OPENAI_COMPAT_BASE_URL": base or fake.url, **env}
    return OpenAICompatAdapter(ProviderConfig("openai-compat", env=environ))


def call(adapter: OpenAICompatAdapter, request: Request, mode: str = "complete") -> Response:
    async def main() -> Response:
        try:
            if mode == "stream":
                return await collect(adapter.stream(request), request.model, "openai-compat")
            return await adapter.complete(request)
        finally:
            await adapter.aclose()

    return asyncio.run(main())


def request(*messages: Message, **kwargs: Any) -> Request:
    return Request(model=MODEL, provider="openai-compat", messages=list(messages), **kwargs)


# --------------------------------------------------------------------------- request


def test_request_follows_the_chat_completions_mapping(fake: FakeOpenAICompat) -> None:
    fake.add_turn("ok")
    assistant = Message(
        role=Role.ASSISTANT,
        content=[
            ContentPart.of_thinking("private", signature="s"),
            ContentPart.of_text("Reading."),
            ContentPart.of_tool_call("call_1", "read", {"path": "a"}),
            ContentPart.of_tool_call("call_2", "read", {"path": "b"}),
        ],
    )
    results = Message(
        role=Role.TOOL,
        content=[
            ContentPart.of_tool_result("call_1", "A"),
            ContentPart.of_tool_result("call_2", "B", is_error=True),
        ],
    )
    call(
        adapter_for(fake),
        request(
            Message.system("Be terse."),
            Message(role=Role.DEVELOPER, content="Relative paths."),
            Message.user("Read a and b"),
            assistant,
            results,
            tools=[READ],
            tool_choice=ToolChoice(mode="named", tool_name="read"),
            reasoning_effort="high",
            provider_options={"openai-compat": {"ignored": True}},
        ),
    )
    body = fake.last_request.json()
    assert body["messages"] == [
        {"role": "system", "content": "Be terse.\nRelative paths."},
        {"role": "user", "content": "Read a and b"},
        {
            "role": "assistant",
            "content": "Reading.",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "read", "arguments": '{"path":"a"}'},
                },
                {
                    "id": "call_2",
                    "type": "function",
                    "function": {"name": "read", "arguments": '{"path":"b"}'},
                },
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "A"},
        {"role": "tool", "tool_call_id": "call_2", "content": "B"},
    ]
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "read",
                "description": "Read a file",
                "parameters": {"type": "object", "properties": {}},
            },
        }
    ]
    assert body["tool_choice"] == {"type": "function", "function": {"name": "read"}}
    assert body["max_tokens"] == 16384
    assert "reasoning_effort" not in body and "ignored" not in body
    assert fake.last_request.header("authorization") == f"Bearer {KEY}"


def test_sampling_stop_and_json_schema(fake: FakeOpenAICompat) -> None:
    fake.add_turn('{"ok": true}')
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}}
    call(
        adapter_for(fake),
        request(
            Message.user("json please"),
            temperature=0.1,
            top_p=0.9,
            max_tokens=100,
            stop_sequences=["END"],
            response_format=ResponseFormat(type="json_schema", json_schema=schema, strict=True),
        ),
    )
    body = fake.last_request.json()
    assert (body["temperature"], body["top_p"], body["max_tokens"]) == (0.1, 0.9, 100)
    assert body["stop"] == ["END"]
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "response", "schema": schema, "strict": True},
    }


def test_stream_asks_for_the_usage_chunk(fake: FakeOpenAICompat) -> None:
    fake.add_turn("hi")
    response = call(adapter_for(fake), request(Message.user("hi")), mode="stream")
    body = fake.last_request.json()
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert response.usage.output_tokens == 7


# --------------------------------------------------------------------------- response


@pytest.mark.parametrize("mode", ["complete", "stream"])
def test_reasoning_content_becomes_thinking(fake: FakeOpenAICompat, mode: str) -> None:
    fake.add_turn(
        FakeTurn(
            thinking="Consider both.",
            text="Answer.",
            tool_calls=[FakeToolCall("read", {"path": "x"})],
        )
    )
    response = call(adapter_for(fake), request(Message.user("go"), tools=[READ]), mode)
    assert response.reasoning == "Consider both."
    assert response.text == "Answer."
    assert [c.name for c in response.tool_calls] == ["read"]
    assert response.finish_reason.reason == "tool_calls"


@pytest.mark.parametrize("mode", ["complete", "stream"])
@pytest.mark.parametrize(
    ("raw", "reason"),
    [("length", "length"), ("content_filter", "content_filter"), ("stop", "stop")],
)
def test_finish_reasons(fake: FakeOpenAICompat, mode: str, raw: str, reason: str) -> None:
    fake.add_turn(FakeTurn(text="x", finish=raw))
    response = call(adapter_for(fake), request(Message.user("go")), mode)
    assert (response.finish_reason.reason, response.finish_reason.raw) == (reason, raw)


def test_tool_calls_force_the_tool_calls_reason(fake: FakeOpenAICompat) -> None:
    # some servers answer "stop" even when the message carries tool calls
    fake.add_turn(FakeTurn(tool_calls=[FakeToolCall("read", {})], finish="stop"))
    response = call(adapter_for(fake), request(Message.user("go"), tools=[READ]))
    assert response.finish_reason.reason == "tool_calls"
    assert response.tool_calls[0].arguments == "{}"


def test_stream_without_usage_chunk_reports_zero_usage(fake: FakeOpenAICompat) -> None:
    # a server that ignores stream_options: no usage chunk at all
    def reply(req: RecordedRequest) -> HTTPReply:
        rendered = fake.render_turn(FakeTurn(text="no usage"), req)
        rendered.events = [e for e in rendered.events or [] if "usage" not in str(e.data)]
        return rendered

    fake.enqueue(reply)
    response = call(adapter_for(fake), request(Message.user("go")), mode="stream")
    assert response.text == "no usage"
    assert response.usage.input_tokens == 0 and response.usage.cache_read_tokens is None


# --------------------------------------------------------------------------- stream failures


def test_stream_cut_before_the_finish_is_a_retryable_error(fake: FakeOpenAICompat) -> None:
    def reply(req: RecordedRequest) -> HTTPReply:
        rendered = fake.render_turn(FakeTurn(text="cut short here"), req)
        rendered.events = (rendered.events or [])[:3]  # ends cleanly, but before finish/[DONE]
        return rendered

    fake.enqueue(reply)
    with pytest.raises(StreamError) as caught:
        call(adapter_for(fake), request(Message.user("go")), mode="stream")
    assert caught.value.retryable
    assert "truncated" in str(caught.value)


def test_dropped_connection_mid_stream_is_a_stream_error(fake: FakeOpenAICompat) -> None:
    fake.add_turn(FakeTurn(text="this will break", drop_after=2))
    with pytest.raises(StreamError) as caught:
        call(adapter_for(fake), request(Message.user("go")), mode="stream")
    assert caught.value.retryable


def test_error_chunk_inside_a_stream_is_classified_by_code(fake: FakeOpenAICompat) -> None:
    fake.add_turn(FakeTurn(text="partial", stream_error=FakeError(429)))
    with pytest.raises(RateLimitError) as caught:
        call(adapter_for(fake), request(Message.user("go")), mode="stream")
    assert caught.value.error_code == "rate_limit_exceeded"


# --------------------------------------------------------------------------- configuration


@pytest.mark.parametrize("suffix", ["", "/", "/v1", "/v1/"])
def test_base_url_with_or_without_v1(fake: FakeOpenAICompat, suffix: str) -> None:
    fake.add_turn("ok")
    call(adapter_for(fake, base=f'"{fake.url}{suffix}"'), request(Message.user("hi")))
    assert fake.last_request.path == "/v1/chat/completions"


def test_gateway_url_adds_the_compat_suffix(fake: FakeOpenAICompat) -> None:
    fake.add_turn("via gateway")
    env = {"OPENAI_COMPAT_API_KEY": KEY, "TRACKER_GATEWAY_URL": f"{fake.url}/gw"}
    adapter = OpenAICompatAdapter(ProviderConfig("openai-compat", env=env))
    assert call(adapter, request(Message.user("hi"))).text == "via gateway"
    assert fake.last_request.path == "/gw/compat/v1/chat/completions"


def test_default_base_url_is_openrouter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_COMPAT_BASE_URL", raising=False)
    monkeypatch.delenv("TRACKER_GATEWAY_URL", raising=False)
    adapter = OpenAICompatAdapter(ProviderConfig("openai-compat", api_key=KEY, env={"X": "1"}))
    assert adapter.base_url == "https://openrouter.ai/api/v1"
