"""The Anthropic adapter against the fake Messages API: what goes on the wire (system
placement, merged roles, cache breakpoints, beta header, effort, options), what comes back
(thinking with signatures, finish reasons), in-stream errors, truncation, idle timeouts,
base URL and gateway resolution, and key handling."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from contract import SleepRecorder
from tracker.llm import (
    Client,
    ConfigurationError,
    ContentPart,
    Message,
    NotFoundError,
    OverloadedError,
    Request,
    Response,
    RetryMiddleware,
    Role,
    StreamError,
    StreamIdleTimeoutError,
    ToolChoice,
    ToolDefinition,
    collect,
)
from tracker.llm.client import ProviderConfig
from tracker.llm.types import ResponseFormat
from tracker.testing import FakeAnthropic, FakeError, FakeToolCall, FakeTurn
from tracker_providers.anthropic import AnthropicAdapter

MODEL = "claude-sonnet-4-6"
KEY = "sk-ant-test-xxxxxxxx"
READ = ToolDefinition(name="read", description="Read a file")
GREP = ToolDefinition(name="grep", description="Search")


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as server:
        yield server


def adapter_for(fake: FakeAnthropic, **env: str) -> AnthropicAdapter:
    environ = {"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": fake.url, **env}
    return AnthropicAdapter(ProviderConfig("anthropic", env=environ))


def call(adapter: AnthropicAdapter, request: Request, mode: str = "complete") -> Response:
    async def main() -> Response:
        try:
            if mode == "stream":
                return await collect(adapter.stream(request), request.model, "anthropic")
            return await adapter.complete(request)
        finally:
            await adapter.aclose()

    return asyncio.run(main())


def request(*messages: Message, **kwargs: Any) -> Request:
    return Request(model=MODEL, provider="anthropic", messages=list(messages), **kwargs)


# --------------------------------------------------------------------------- request


def test_system_and_developer_are_hoisted_and_roles_merged(fake: FakeAnthropic) -> None:
    fake.add_turn("ok")
    assistant = Message(
        role=Role.ASSISTANT,
        content=[
            ContentPart.of_thinking("I should read both.", signature="sig-1"),
            ContentPart.of_text("Reading."),
            ContentPart.of_tool_call("toolu_1", "read", {"path": "a"}),
            ContentPart.of_tool_call("toolu_2", "read", {"path": "b"}),
        ],
    )
    call(
        adapter_for(fake),
        request(
            Message.system("Be terse."),
            Message(role=Role.DEVELOPER, content="Use relative paths."),
            Message.user("Read a and b"),
            assistant,
            Message.tool_result("toolu_1", "A"),
            Message.tool_result("toolu_2", "B", is_error=True),
            Message.user("Then summarise."),
            prompt_caching=False,
        ),
    )
    body = fake.last_request.json()
    assert body["system"] == [
        {"type": "text", "text": "Be terse."},
        {"type": "text", "text": "Use relative paths."},
    ]
    roles = [m["role"] for m in body["messages"]]
    assert roles == ["user", "assistant", "user"]  # two tool results + text merged
    assert body["messages"][1]["content"] == [
        {"type": "thinking", "thinking": "I should read both.", "signature": "sig-1"},
        {"type": "text", "text": "Reading."},
        {"type": "tool_use", "id": "toolu_1", "name": "read", "input": {"path": "a"}},
        {"type": "tool_use", "id": "toolu_2", "name": "read", "input": {"path": "b"}},
    ]
    assert body["messages"][2]["content"] == [
        {"type": "tool_result", "tool_use_id": "toolu_1", "content": "A", "is_error": False},
        {"type": "tool_result", "tool_use_id": "toolu_2", "content": "B", "is_error": True},
        {"type": "text", "text": "Then summarise."},
    ]
    assert body["max_tokens"] == 16384
    assert "anthropic-beta" not in fake.last_request.headers


def test_prompt_caching_marks_three_breakpoints_and_sends_the_beta(fake: FakeAnthropic) -> None:
    fake.add_turn("ok")
    call(
        adapter_for(fake),
        request(
            Message.system("one"),
            Message.system("two"),
            Message.user("first"),
            Message.assistant("reply"),
            Message.user("second"),
            tools=[READ, GREP],
            provider_options={"anthropic": {"beta_headers": ["files-api-2025-04-14"]}},
        ),
    )
    body = fake.last_request.json()
    ephemeral = {"type": "ephemeral"}
    assert [b.get("cache_control") for b in body["system"]] == [None, ephemeral]
    assert [t.get("cache_control") for t in body["tools"]] == [None, ephemeral]
    assert body["messages"][0]["content"][-1].get("cache_control") is None
    assert body["messages"][-1]["content"][-1]["cache_control"] == ephemeral
    beta = fake.last_request.header("anthropic-beta")
    assert beta == "prompt-caching-2024-07-31,files-api-2025-04-14"
    assert "beta_headers" not in body


def test_tool_results_are_the_last_user_breakpoint(fake: FakeAnthropic) -> None:
    fake.add_turn("ok")
    call(
        adapter_for(fake),
        request(
            Message.user("go"),
            Message(role=Role.ASSISTANT, content=[ContentPart.of_tool_call("t1", "read")]),
            Message.tool_result("t1", "contents"),
        ),
    )
    last = fake.last_request.json()["messages"][-1]
    assert last["role"] == "user"
    assert last["content"][-1]["type"] == "tool_result"
    assert last["content"][-1]["cache_control"] == {"type": "ephemeral"}


@pytest.mark.parametrize(
    ("choice", "expected_choice", "tools_sent"),
    [
        (ToolChoice(mode="auto"), {"type": "auto"}, True),
        (ToolChoice(mode="required"), {"type": "any"}, True),
        (ToolChoice(mode="named", tool_name="grep"), {"type": "tool", "name": "grep"}, True),
        (ToolChoice(mode="none"), None, False),
    ],
    ids=["auto", "required", "named", "none"],
)
def test_tool_choice(
    fake: FakeAnthropic, choice: ToolChoice, expected_choice: Any, tools_sent: bool
) -> None:
    fake.add_turn("ok")
    call(adapter_for(fake), request(Message.user("hi"), tools=[READ, GREP], tool_choice=choice))
    body = fake.last_request.json()
    assert body.get("tool_choice") == expected_choice
    assert ("tools" in body) is tools_sent
    if tools_sent:
        assert body["tools"][0]["name"] == "read"
        assert body["tools"][0]["input_schema"] == {"type": "object", "properties": {}}


def test_effort_sampling_options_and_passthrough(fake: FakeAnthropic) -> None:
    fake.add_turn("ok")
    call(
        adapter_for(fake),
        request(
            Message.user("think"),
            reasoning_effort="high",
            max_tokens=2048,
            temperature=0.2,
            stop_sequences=["END"],
            response_format=ResponseFormat(type="json_object"),
            provider_options={
                "anthropic": {"thinking": {"type": "enabled", "budget_tokens": 1024}},
            },
        ),
    )
    body = fake.last_request.json()
    assert body["output_config"] == {"effort": "high"}
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 1024}
    assert body["max_tokens"] == 2048
    assert body["temperature"] == 0.2
    assert body["stop_sequences"] == ["END"]
    assert body["system"][-1]["text"] == "Respond with valid JSON."
    assert "auto_cache" not in body


def test_auto_cache_option_turns_caching_off(fake: FakeAnthropic) -> None:
    fake.add_turn("ok")
    call(
        adapter_for(fake),
        request(
            Message.system("s"),
            Message.user("hi"),
            provider_options={"anthropic": {"auto_cache": False}},
        ),
    )
    body = json.dumps(fake.last_request.json())
    assert "cache_control" not in body
    assert fake.last_request.header("anthropic-beta") is None


def test_stream_request_asks_for_sse(fake: FakeAnthropic) -> None:
    fake.add_turn("streamed")
    response = call(adapter_for(fake), request(Message.user("hi")), mode="stream")
    assert response.text == "streamed"
    assert fake.last_request.json()["stream"] is True
    assert fake.last_request.path == "/v1/messages"


# --------------------------------------------------------------------------- response


@pytest.mark.parametrize("mode", ["complete", "stream"])
def test_thinking_with_signature_and_several_tool_calls(fake: FakeAnthropic, mode: str) -> None:
    fake.add_turn(
        FakeTurn(
            thinking="Two files to read.",
            thinking_signature="EqQBCgIYAhIM",
            text="Reading both.",
            tool_calls=[
                FakeToolCall("read", {"path": "a"}, id="toolu_a"),
                FakeToolCall("read", {"path": "b"}, id="toolu_b"),
            ],
        )
    )
    response = call(adapter_for(fake), request(Message.user("go"), tools=[READ]), mode)
    kinds = [p.kind.value for p in response.message.content]
    assert kinds == ["thinking", "text", "tool_call", "tool_call"]
    thinking = response.message.content[0].thinking
    assert thinking is not None
    assert (thinking.text, thinking.signature) == ("Two files to read.", "EqQBCgIYAhIM")
    assert [c.id for c in response.tool_calls] == ["toolu_a", "toolu_b"]
    assert response.finish_reason.reason == "tool_calls"
    assert response.finish_reason.raw == "tool_use"


@pytest.mark.parametrize("mode", ["complete", "stream"])
def test_max_tokens_is_a_length_finish(fake: FakeAnthropic, mode: str) -> None:
    fake.add_turn(FakeTurn(text="cut", finish="length"))
    response = call(adapter_for(fake), request(Message.user("go")), mode)
    assert (response.finish_reason.reason, response.finish_reason.raw) == ("length", "max_tokens")


def test_empty_reply_gets_a_warning(fake: FakeAnthropic) -> None:
    from tracker.testing import FakeUsage

    fake.add_turn(FakeTurn(usage=FakeUsage(input_tokens=5, output_tokens=0)))
    response = call(adapter_for(fake), request(Message.user("go")))
    assert response.warnings and "0 output tokens" in response.warnings[0]
    assert "req_fake_" in response.warnings[0]


# --------------------------------------------------------------------------- stream failures


def test_error_event_inside_a_stream_is_classified(fake: FakeAnthropic) -> None:
    fake.add_turn(FakeTurn(text="partial answer", stream_error=FakeError(529)))
    with pytest.raises(OverloadedError) as caught:
        call(adapter_for(fake), request(Message.user("go")), mode="stream")
    assert caught.value.retryable
    assert caught.value.status_code == 529
    assert caught.value.error_code == "overloaded_error"


def test_truncated_stream_is_a_retryable_stream_error(fake: FakeAnthropic) -> None:
    fake.add_turn(FakeTurn(text="this stream is cut short", drop_after=4))
    with pytest.raises(StreamError) as caught:
        call(adapter_for(fake), request(Message.user("go")), mode="stream")
    assert caught.value.retryable


def test_client_idle_timeout_stops_a_stalled_stream(fake: FakeAnthropic) -> None:
    fake.add_turn(FakeTurn(text="slow", stall_after=2, stall_seconds=5))

    async def main() -> Response:
        adapter = adapter_for(fake)
        client = Client(
            {"anthropic": adapter},
            middleware=[RetryMiddleware(sleep=SleepRecorder())],
            stream_idle_timeout=0.2,
        )
        try:
            return await collect(client.stream(request(Message.user("go"))))
        finally:
            await adapter.aclose()

    with pytest.raises(StreamIdleTimeoutError):
        asyncio.run(main())


# --------------------------------------------------------------------------- configuration


def test_gateway_url_adds_the_anthropic_suffix(fake: FakeAnthropic) -> None:
    fake.add_turn("via gateway")
    env = {"ANTHROPIC_API_KEY": KEY, "TRACKER_GATEWAY_URL": f'"{fake.url}/gw/"'}
    adapter = AnthropicAdapter(ProviderConfig("anthropic", env=env))
    assert call(adapter, request(Message.user("hi"))).text == "via gateway"
    assert fake.last_request.path == "/gw/anthropic/v1/messages"


def test_provider_base_url_wins_over_the_gateway(fake: FakeAnthropic) -> None:
    fake.add_turn("direct")
    adapter = adapter_for(fake, TRACKER_GATEWAY_URL="http://127.0.0.1:9/never")
    assert call(adapter, request(Message.user("hi"))).text == "direct"
    assert fake.last_request.path == "/v1/messages"


def test_the_key_is_sent_to_the_server(fake: FakeAnthropic) -> None:
    fake.add_turn("ok")
    call(adapter_for(fake), request(Message.user("hi")))
    sent = fake.last_request.headers
    assert KEY in (sent.get("x-api-key", "") + sent.get("authorization", ""))
    assert "anthropic-version" in sent


def test_missing_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(ConfigurationError) as caught:
        AnthropicAdapter(ProviderConfig("anthropic", env={"HOME": "/tmp"}))
    assert "ANTHROPIC_API_KEY" in str(caught.value)
    assert "tracker setup" in str(caught.value)


def test_not_found_model_is_reported(fake: FakeAnthropic) -> None:
    fake.add_error(404, "model: claude-nonexistent")
    with pytest.raises(NotFoundError) as caught:
        call(adapter_for(fake), request(Message.user("hi")))
    assert "claude-nonexistent" in str(caught.value)
