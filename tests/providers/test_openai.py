"""The `openai` provider (Responses API) on the official SDK, against a local fake server.

Every test runs the real `openai` SDK over HTTP to `tracker.testing.fake_openai` on
127.0.0.1: request building, SSE parsing, usage normalisation and error mapping are
exercised for real, offline.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator

import pytest
from tracker.llm import errors
from tracker.llm.client import Client, ProviderConfig, provider_config
from tracker.llm.retry import RetryMiddleware
from tracker.llm.stream import collect
from tracker.llm.types import (
    ContentPart,
    Message,
    Request,
    ResponseFormat,
    Role,
    StreamEventType,
    ToolCall,
    ToolChoice,
    ToolDefinition,
)
from tracker.testing.fake_openai import FakeOpenAI
from tracker.testing.fake_server import HTTPReply
from tracker.testing.turns import FakeError, FakeToolCall, FakeTurn, FakeUsage
from tracker_providers.openai_responses import OpenAIResponsesAdapter

KEY = "sk-test-xxxxxxxx"


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


def adapter_for(server: FakeOpenAI, **env: str) -> OpenAIResponsesAdapter:
    environ = {"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": server.url, **env}
    return OpenAIResponsesAdapter(provider_config("openai", environ))


def run(coro):  # noqa: ANN001, ANN201 - tiny test helper
    return asyncio.run(coro)


async def _complete(adapter: OpenAIResponsesAdapter, request: Request):  # noqa: ANN202
    try:
        return await adapter.complete(request)
    finally:
        await adapter.aclose()


async def _stream(adapter: OpenAIResponsesAdapter, request: Request):  # noqa: ANN202
    try:
        return [event async for event in adapter.stream(request)]
    finally:
        await adapter.aclose()


def ask(text: str = "hi", **fields) -> Request:  # noqa: ANN003
    return Request(model="gpt-5.4", messages=[Message.user(text)], **fields)


RICH_TURN = FakeTurn(
    text="Looking at the tree.",
    thinking="I should list files first.",
    tool_calls=[
        FakeToolCall("bash", {"command": "ls -la"}),
        FakeToolCall("read", {"path": "README.md"}),
    ],
    usage=FakeUsage(
        input_tokens=100,
        output_tokens=50,
        cache_read_tokens=30,
        cache_write_tokens=5,
        reasoning_tokens=20,
    ),
)


# --------------------------------------------------------------------------- replies


@pytest.mark.parametrize("mode", ["complete", "stream"])
def test_text_reasoning_and_several_tool_calls_in_one_turn(server: FakeOpenAI, mode: str) -> None:
    server.add_turn(RICH_TURN)
    adapter = adapter_for(server)
    if mode == "complete":
        response = run(_complete(adapter, ask()))
    else:
        response = run(collect(aiter_closing(adapter, ask())))

    assert response.text == "Looking at the tree."
    assert response.reasoning == "I should list files first."
    calls = response.tool_calls
    assert [c.name for c in calls] == ["bash", "read"]
    assert [json.loads(c.arguments) for c in calls] == [
        {"command": "ls -la"},
        {"path": "README.md"},
    ]
    assert all(c.id.startswith("call_") for c in calls)
    assert len({c.id for c in calls}) == 2
    assert response.finish_reason.reason == "tool_calls"
    assert response.id.startswith("resp_")


async def aiter_closing(adapter: OpenAIResponsesAdapter, request: Request):  # noqa: ANN201
    try:
        async for event in adapter.stream(request):
            yield event
    finally:
        await adapter.aclose()


@pytest.mark.parametrize("mode", ["complete", "stream"])
def test_usage_is_normalised_cached_tokens_leave_the_input(server: FakeOpenAI, mode: str) -> None:
    server.add_turn(RICH_TURN)
    adapter = adapter_for(server)
    if mode == "complete":
        response = run(_complete(adapter, ask()))
    else:
        response = run(collect(aiter_closing(adapter, ask())))
    usage = response.usage
    # the wire said input_tokens=135 (cache included), output_tokens=50 (reasoning included)
    assert usage.input_tokens == 100
    assert usage.cache_read_tokens == 30
    assert usage.cache_write_tokens == 5
    assert usage.output_tokens == 50
    assert usage.reasoning_tokens == 20


def test_plain_text_turn_without_cache_reports_no_optional_counters(server: FakeOpenAI) -> None:
    server.add_turn(FakeTurn(text="Hello!", usage=FakeUsage(input_tokens=9, output_tokens=2)))
    response = run(_complete(adapter_for(server), ask()))
    assert response.text == "Hello!"
    assert response.finish_reason.reason == "stop"
    assert response.usage.input_tokens == 9
    assert response.usage.output_tokens == 2
    assert response.usage.cache_read_tokens is None
    assert response.usage.reasoning_tokens is None


def test_stream_events_arrive_in_protocol_order(server: FakeOpenAI) -> None:
    server.add_turn(
        FakeTurn(text="ok", tool_calls=[FakeToolCall("bash", {"command": "pwd"})], chunk_size=3)
    )
    events = run(_stream(adapter_for(server), ask()))
    kinds = [e.type for e in events]
    assert kinds[0] is StreamEventType.REQUEST_SENT
    assert kinds[1] is StreamEventType.STREAM_START
    assert kinds[-1] is StreamEventType.FINISH
    start = kinds.index(StreamEventType.TOOL_CALL_START)
    end = kinds.index(StreamEventType.TOOL_CALL_END)
    deltas = [e.delta for e in events[start:end] if e.type is StreamEventType.TOOL_CALL_DELTA]
    assert "".join(deltas) == '{"command": "pwd"}'
    assert len(deltas) > 1  # the arguments were streamed in fragments
    assert events[start].tool_call is not None and events[start].tool_call.name == "bash"
    text = "".join(e.delta or "" for e in events if e.type is StreamEventType.TEXT_DELTA)
    assert text == "ok"
    assert events[-1].usage is not None and events[-1].usage.output_tokens == 7


def test_length_limit_is_reported_as_length(server: FakeOpenAI) -> None:
    server.add_turn(FakeTurn(text="cut sh", finish="length"))
    server.add_turn(FakeTurn(text="cut sh", finish="length"))
    assert run(_complete(adapter_for(server), ask())).finish_reason.reason == "length"
    streamed = run(collect(aiter_closing(adapter_for(server), ask())))
    assert streamed.finish_reason.reason == "length"
    assert streamed.text == "cut sh"


# --------------------------------------------------------------------------- request


def conversation() -> list[Message]:
    return [
        Message.system("You are a coder."),
        Message(role=Role.DEVELOPER, content=[ContentPart.of_text("Paths are relative.")]),
        Message.user("List the files."),
        Message(
            role=Role.ASSISTANT,
            content=[
                ContentPart.of_thinking("hidden reasoning"),
                ContentPart.of_text("Listing."),
                ContentPart(kind="tool_call", tool_call=ToolCall(id="call_a", name="bash")),
                ContentPart(
                    kind="tool_call",
                    tool_call=ToolCall(id="call_b", name="read", arguments='{"path":"x"}'),
                ),
            ],
        ),
        Message.tool_result("call_a", "a.txt\nb.txt"),
        Message.tool_result("call_b", "no such file", is_error=True),
    ]


def test_request_body_follows_the_responses_mapping(server: FakeOpenAI) -> None:
    server.add_turn("done")
    tools = [ToolDefinition(name="bash", description="Run a command")]
    request = Request(
        model="gpt-5.4",
        messages=conversation(),
        tools=tools,
        tool_choice=ToolChoice(mode="named", tool_name="bash"),
        reasoning_effort="high",
        temperature=0.2,
    )
    run(_complete(adapter_for(server), request))
    sent = server.last_request
    body = sent.json()

    assert sent.path == "/v1/responses"
    assert sent.header("authorization") == f"Bearer {KEY}"
    assert body["model"] == "gpt-5.4"
    assert body["instructions"] == "You are a coder.\nPaths are relative."
    assert body["input"] == [
        {"role": "user", "content": "List the files."},
        {"role": "assistant", "content": "Listing."},
        {"type": "function_call", "call_id": "call_a", "name": "bash", "arguments": "{}"},
        {
            "type": "function_call",
            "call_id": "call_b",
            "name": "read",
            "arguments": '{"path":"x"}',
        },
        {"type": "function_call_output", "call_id": "call_a", "output": "a.txt\nb.txt"},
        {"type": "function_call_output", "call_id": "call_b", "output": "no such file"},
    ]
    assert server.sent_tool_results(sent) == [
        ("call_a", "a.txt\nb.txt"),
        ("call_b", "no such file"),
    ]
    assert body["tools"] == [
        {
            "type": "function",
            "name": "bash",
            "description": "Run a command",
            "parameters": {"type": "object", "properties": {}},
            "strict": False,
        }
    ]
    assert body["tool_choice"] == {"type": "function", "name": "bash"}
    assert body["reasoning"] == {"effort": "high"}
    assert body["max_output_tokens"] == 16384
    assert body["temperature"] == 0.2
    assert "previous_response_id" not in body and "store" not in body


@pytest.mark.parametrize(
    ("mode", "wire"), [("auto", "auto"), ("none", "none"), ("required", "required")]
)
def test_tool_choice_modes(server: FakeOpenAI, mode: str, wire: str) -> None:
    server.add_turn("ok")
    run(_complete(adapter_for(server), ask(tool_choice=ToolChoice(mode=mode))))
    assert server.last_request.json()["tool_choice"] == wire


def test_options_effort_format_and_stop_sequences(server: FakeOpenAI) -> None:
    server.add_turn("{}")
    request = ask(
        max_tokens=512,
        stop_sequences=["END"],
        response_format=ResponseFormat(
            type="json_schema", json_schema={"type": "object"}, strict=True
        ),
        provider_options={"openai": {"reasoning_effort": "low", "service_tier": "flex"}},
    )
    run(_complete(adapter_for(server), request))
    body = server.last_request.json()
    assert body["max_output_tokens"] == 512
    assert body["stop"] == ["END"]
    assert body["reasoning"] == {"effort": "low"}  # from provider_options when unset
    assert body["service_tier"] == "flex"  # other provider options merge into the body
    assert "reasoning_effort" not in body
    assert body["text"] == {
        "format": {
            "type": "json_schema",
            "name": "response",
            "schema": {"type": "object"},
            "strict": True,
        }
    }


def test_stream_request_asks_for_sse(server: FakeOpenAI) -> None:
    server.add_turn("ok")
    run(_stream(adapter_for(server), ask()))
    assert server.last_request.json()["stream"] is True


# --------------------------------------------------------------------------- base URL


def test_base_url_with_v1_suffix_is_normalised(server: FakeOpenAI) -> None:
    server.add_turn("ok")
    adapter = adapter_for(server, OPENAI_BASE_URL=f'"{server.url}/v1/"')
    assert run(_complete(adapter, ask())).text == "ok"
    assert server.last_request.path == "/v1/responses"


def test_gateway_url_adds_the_openai_suffix(server: FakeOpenAI) -> None:
    server.enqueue(HTTPReply(json={"id": "resp_gw", "status": "completed", "output": []}))
    env = {"OPENAI_API_KEY": KEY, "TRACKER_GATEWAY_URL": server.url + "/"}
    adapter = OpenAIResponsesAdapter(provider_config("openai", env))
    run(_complete(adapter, ask()))
    assert server.last_request.path == "/openai/v1/responses"


def test_provider_base_url_wins_over_the_gateway(server: FakeOpenAI) -> None:
    server.add_turn("ok")
    adapter = adapter_for(server, TRACKER_GATEWAY_URL="http://127.0.0.1:9/unused")
    run(_complete(adapter, ask()))
    assert server.last_request.path == "/v1/responses"


# --------------------------------------------------------------------------- errors

ERROR_CLASSES = {
    400: errors.InvalidRequestError,
    401: errors.AuthenticationError,
    403: errors.AccessDeniedError,
    404: errors.NotFoundError,
    429: errors.RateLimitError,
    500: errors.ServerError,
    529: errors.ServerError,
}


@pytest.mark.parametrize("status", sorted(ERROR_CLASSES))
@pytest.mark.parametrize("mode", ["complete", "stream"])
def test_http_errors_map_to_tracker_errors(server: FakeOpenAI, status: int, mode: str) -> None:
    server.add_error(status)
    adapter = adapter_for(server)
    with pytest.raises(ERROR_CLASSES[status]) as caught:
        if mode == "complete":
            run(_complete(adapter, ask()))
        else:
            run(collect(aiter_closing(adapter, ask())))
    error = caught.value
    assert error.provider == "openai"
    assert error.status_code == status
    assert error.retryable is (status in (429, 500, 529))
    # the SDK's own retries are off: exactly one request reached the server
    assert len(server.requests) == 1


def test_auth_failure_names_the_key_variable_and_setup(server: FakeOpenAI) -> None:
    server.add_error(401)
    with pytest.raises(errors.AuthenticationError) as caught:
        run(_complete(adapter_for(server), ask()))
    assert "OPENAI_API_KEY" in str(caught.value)
    assert "tracker setup" in str(caught.value)


def test_rate_limit_carries_retry_after(server: FakeOpenAI) -> None:
    server.add_error(429, retry_after=7)
    with pytest.raises(errors.RateLimitError) as caught:
        run(_complete(adapter_for(server), ask()))
    assert caught.value.retry_after == 7.0


def test_insufficient_quota_is_a_billing_error_not_retried(server: FakeOpenAI) -> None:
    server.add_error(
        429,
        "You exceeded your current quota, please check your plan and billing details.",
        code="insufficient_quota",
    )
    with pytest.raises(errors.QuotaExceededError) as caught:
        run(_complete(adapter_for(server), ask()))
    assert not caught.value.retryable


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (429, None, errors.RateLimitError),
        (500, None, errors.ServerError),
        (401, None, errors.AuthenticationError),
        (400, "context_length_exceeded", errors.ContextLengthError),
    ],
)
def test_mid_stream_error_event_is_classified_by_code(
    server: FakeOpenAI, status: int, code: str | None, expected: type
) -> None:
    server.add_turn(FakeTurn(text="partial", stream_error=FakeError(status, code=code)))
    events = run(_stream(adapter_for(server), ask()))
    assert events[-1].type is StreamEventType.ERROR
    assert isinstance(events[-1].error, expected)
    text = "".join(e.delta or "" for e in events if e.type is StreamEventType.TEXT_DELTA)
    assert text == "partial"  # what arrived before the error was delivered


def test_truncated_stream_is_a_retryable_error(server: FakeOpenAI) -> None:
    server.add_turn(FakeTurn(text="a long answer that never ends", drop_after=4))
    events = run(_stream(adapter_for(server), ask()))
    assert events[-1].type is StreamEventType.ERROR
    assert events[-1].error.retryable


def test_unreachable_server_is_a_network_error() -> None:
    config = ProviderConfig("openai", KEY, "http://127.0.0.1:9")
    with pytest.raises(errors.NetworkError):
        run(_complete(OpenAIResponsesAdapter(config), ask()))


# --------------------------------------------------------------------------- with the client


def test_client_retries_a_rate_limit_then_succeeds(server: FakeOpenAI) -> None:
    server.add_error(429, retry_after=3)
    server.add_turn("second time lucky")
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    async def go() -> str:
        client = Client(
            {"openai": adapter_for(server)}, middleware=[RetryMiddleware(sleep=fake_sleep)]
        )
        try:
            return (await client.complete(ask())).text
        finally:
            await client.aclose()

    assert run(go()) == "second time lucky"
    assert slept == [3.0]
    assert len(server.requests) == 2


def test_client_idle_timeout_stops_a_stalled_stream(server: FakeOpenAI) -> None:
    server.add_turn(FakeTurn(text="slow answer", stall_after=3, stall_seconds=5))

    async def go() -> list:
        client = Client({"openai": adapter_for(server)}, stream_idle_timeout=0.3)
        try:
            return [event async for event in client.stream(ask())]
        finally:
            await client.aclose()

    events = run(go())
    assert events[-1].type is StreamEventType.ERROR
    assert isinstance(events[-1].error, errors.StreamIdleTimeoutError)


# --------------------------------------------------------------------------- lazy import


def test_importing_and_constructing_the_adapter_does_not_import_the_sdk() -> None:
    code = (
        "import sys\n"
        "from tracker.llm.client import ProviderConfig\n"
        "from tracker_providers.openai_responses import OpenAIResponsesAdapter\n"
        "OpenAIResponsesAdapter(ProviderConfig('openai', 'sk-test-xxxxxxxx'))\n"
        "print('openai' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"
