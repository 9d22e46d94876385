"""The `gemini` provider on the official google-genai SDK, against a local fake server.

Every test runs the real SDK over HTTP to `tracker.testing.fake_gemini` on 127.0.0.1
(`generateContent` JSON and `streamGenerateContent?alt=sse`), offline.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator

import pytest
from tracker.llm import errors
from tracker.llm.client import Client, ProviderConfig, provider_config
from tracker.llm.stream import collect
from tracker.llm.types import (
    ContentPart,
    Message,
    Request,
    ResponseFormat,
    Role,
    StreamEvent,
    StreamEventType,
    ToolCall,
    ToolChoice,
    ToolDefinition,
)
from tracker.testing.fake_gemini import FakeGemini, signature_for
from tracker.testing.fake_server import HTTPReply, SSEEvent
from tracker.testing.turns import FakeError, FakeToolCall, FakeTurn, FakeUsage
from tracker_providers.gemini import GeminiAdapter

KEY = "gemini-test-xxxxxxxx"


@pytest.fixture
def server() -> Iterator[FakeGemini]:
    with FakeGemini() as fake:
        yield fake


def adapter_for(server: FakeGemini, **env: str) -> GeminiAdapter:
    environ = {"GEMINI_API_KEY": KEY, "GEMINI_BASE_URL": server.url, **env}
    return GeminiAdapter(provider_config("gemini", environ))


def run(coro):  # noqa: ANN001, ANN201 - tiny test helper
    return asyncio.run(coro)


async def _complete(adapter: GeminiAdapter, request: Request):  # noqa: ANN202
    try:
        return await adapter.complete(request)
    finally:
        await adapter.aclose()


async def _events(adapter: GeminiAdapter, request: Request) -> AsyncIterator[StreamEvent]:
    try:
        async for event in adapter.stream(request):
            yield event
    finally:
        await adapter.aclose()


async def _stream(adapter: GeminiAdapter, request: Request) -> list[StreamEvent]:
    return [event async for event in _events(adapter, request)]


def get(server: FakeGemini, request: Request, mode: str):  # noqa: ANN201
    adapter = adapter_for(server)
    if mode == "complete":
        return run(_complete(adapter, request))
    return run(collect(_events(adapter, request)))


def ask(text: str = "hi", model: str = "gemini-2.5-pro", **fields) -> Request:  # noqa: ANN003
    return Request(model=model, messages=[Message.user(text)], **fields)


RICH_TURN = FakeTurn(
    text="Looking at the tree.",
    thinking="I should list files first.",
    tool_calls=[
        FakeToolCall("bash", {"command": "ls -la"}),
        FakeToolCall("read", {"path": "README.md"}),
    ],
    usage=FakeUsage(input_tokens=100, output_tokens=50, cache_read_tokens=30, reasoning_tokens=20),
)


# --------------------------------------------------------------------------- replies


@pytest.mark.parametrize("mode", ["complete", "stream"])
def test_text_thoughts_and_several_function_calls(server: FakeGemini, mode: str) -> None:
    server.add_turn(RICH_TURN)
    response = get(server, ask(), mode)

    assert response.text == "Looking at the tree."
    assert response.reasoning == "I should list files first."
    calls = response.tool_calls
    assert [c.name for c in calls] == ["bash", "read"]
    assert [json.loads(c.arguments) for c in calls] == [
        {"command": "ls -la"},
        {"path": "README.md"},
    ]
    # Gemini has no call ids: tracker invents distinct `call_<16 hex>` ones
    assert all(re.fullmatch(r"call_[0-9a-f]{16}", c.id) for c in calls)
    assert calls[0].id != calls[1].id
    # the first call's thought signature is kept as base64 text
    assert calls[0].thought_signature == signature_for(1)
    assert base64.b64decode(calls[0].thought_signature) == b"fake-thought-signature-1"
    assert calls[1].thought_signature is None
    assert response.finish_reason.reason == "tool_calls"
    assert response.finish_reason.raw == "STOP"


@pytest.mark.parametrize("mode", ["complete", "stream"])
def test_usage_is_normalised(server: FakeGemini, mode: str) -> None:
    server.add_turn(RICH_TURN)
    usage = get(server, ask(), mode).usage
    # the wire said promptTokenCount=130 (cache inside), candidatesTokenCount=30 (thoughts
    # outside, thoughtsTokenCount=20)
    assert usage.input_tokens == 100
    assert usage.cache_read_tokens == 30
    assert usage.output_tokens == 50
    assert usage.reasoning_tokens == 20
    assert usage.cache_write_tokens is None
    assert usage.total_tokens == 150


@pytest.mark.parametrize(
    ("finish", "reason"), [("length", "length"), ("content_filter", "content_filter")]
)
def test_finish_reasons(server: FakeGemini, finish: str, reason: str) -> None:
    server.add_turn(FakeTurn(text="partial", finish=finish))
    server.add_turn(FakeTurn(text="partial", finish=finish))
    assert get(server, ask(), "complete").finish_reason.reason == reason
    assert get(server, ask(), "stream").finish_reason.reason == reason


def test_stream_events(server: FakeGemini) -> None:
    server.add_turn(
        FakeTurn(
            text="All done here.",
            thinking="think",
            tool_calls=[FakeToolCall("bash", {"command": "pwd"})],
            chunk_size=4,
        )
    )
    events = run(_stream(adapter_for(server), ask()))
    kinds = [e.type for e in events]
    assert kinds[:2] == [StreamEventType.REQUEST_SENT, StreamEventType.STREAM_START]
    assert kinds[-1] is StreamEventType.FINISH
    assert kinds.index(StreamEventType.REASONING_START) < kinds.index(StreamEventType.TEXT_START)
    deltas = [e.delta for e in events if e.type is StreamEventType.TEXT_DELTA]
    assert "".join(d or "" for d in deltas) == "All done here." and len(deltas) > 1
    start = next(e for e in events if e.type is StreamEventType.TOOL_CALL_START)
    assert start.tool_call is not None
    assert start.tool_call.name == "bash"
    assert json.loads(start.tool_call.arguments) == {"command": "pwd"}
    assert start.tool_call.thought_signature == signature_for(1)
    assert StreamEventType.TOOL_CALL_END in kinds


def test_blocked_prompt_is_a_content_filter_error(server: FakeGemini) -> None:
    server.enqueue(
        HTTPReply(
            json={
                "promptFeedback": {"blockReason": "PROHIBITED_CONTENT"},
                "usageMetadata": {"promptTokenCount": 4, "totalTokenCount": 4},
            }
        )
    )
    with pytest.raises(errors.ContentFilterError):
        run(_complete(adapter_for(server), ask()))


# --------------------------------------------------------------------------- request


def test_request_follows_the_gemini_mapping(server: FakeGemini) -> None:
    signature = base64.b64encode(b"\x00\x01opaque-signature").decode()
    messages = [
        Message.system("You are a coder."),
        Message(role=Role.DEVELOPER, content=[ContentPart.of_text("Paths are relative.")]),
        Message.user("List and read."),
        Message(
            role=Role.ASSISTANT,
            content=[
                ContentPart.of_thinking("hidden"),
                ContentPart.of_text("On it."),
                ContentPart(
                    kind="tool_call",
                    tool_call=ToolCall(
                        id="call_0123456789abcdef",
                        name="bash",
                        arguments='{"command":"ls"}',
                        thought_signature=signature,
                    ),
                ),
                ContentPart(
                    kind="tool_call",
                    tool_call=ToolCall(
                        id="call_fedcba9876543210", name="read", arguments='{"path":"a"}'
                    ),
                ),
            ],
        ),
        # results without a name: the function name is found from the call id
        Message.tool_result("call_0123456789abcdef", "a\nb"),
        Message.tool_result("call_fedcba9876543210", "missing", is_error=True),
        Message.user("Thanks."),
    ]
    tools = [
        ToolDefinition(
            name="bash",
            description="Run a command",
            parameters={
                "type": "object",
                "properties": {"timeout": {"type": ["integer", "null"]}},
                "additionalProperties": False,
            },
        )
    ]
    server.add_turn("ok")
    request = Request(
        model="gemini-2.5-pro",
        messages=messages,
        tools=tools,
        tool_choice=ToolChoice(mode="named", tool_name="bash"),
    )
    run(_complete(adapter_for(server), request))
    sent = server.last_request
    body = sent.json()

    assert sent.path == "/v1beta/models/gemini-2.5-pro:generateContent"
    assert sent.header("x-goog-api-key") == KEY
    assert body["systemInstruction"]["parts"] == [
        {"text": "You are a coder."},
        {"text": "Paths are relative."},
    ]
    roles = [c["role"] for c in body["contents"]]
    assert roles == ["user", "model", "user"]  # the two results and the text share a turn
    model_parts = body["contents"][1]["parts"]
    assert model_parts[0] == {"text": "On it."}  # thinking is not sent back
    assert model_parts[1]["functionCall"] == {"name": "bash", "args": {"command": "ls"}}
    assert model_parts[1]["thoughtSignature"] == signature  # echoed byte for byte
    assert "thoughtSignature" not in model_parts[2]
    assert "id" not in model_parts[1]["functionCall"]  # synthetic ids stay local
    results = body["contents"][2]["parts"]
    assert results[0]["functionResponse"] == {
        "name": "bash",
        "response": {"content": "a\nb", "error": False},
    }
    assert results[1]["functionResponse"]["response"] == {"content": "missing", "error": True}
    assert results[2] == {"text": "Thanks."}
    assert server.sent_tool_results(sent) == [("bash", "a\nb"), ("read", "missing")]
    declaration = body["tools"][0]["functionDeclarations"][0]
    assert declaration["name"] == "bash"
    assert declaration["description"] == "Run a command"
    schema = declaration.get("parametersJsonSchema") or declaration.get("parameters_json_schema")
    assert schema == tools[0].parameters  # the full JSON Schema, type lists included
    assert body["toolConfig"] == {
        "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["bash"]}
    }
    assert "maxOutputTokens" not in body.get("generationConfig", {})  # Gemini omits it


def test_signature_round_trip_through_a_second_turn(server: FakeGemini) -> None:
    server.add_turn(FakeTurn(tool_calls=[FakeToolCall("bash", {"command": "ls"})]))
    server.add_turn("done")

    async def go() -> None:
        adapter = adapter_for(server)
        try:
            first = await collect(adapter.stream(ask()))
            call = first.tool_calls[0]
            follow = ask().model_copy(
                update={
                    "messages": [
                        Message.user("hi"),
                        first.message,
                        Message.tool_result(call.id, "x"),
                    ]
                }
            )
            await adapter.complete(follow)
        finally:
            await adapter.aclose()

    run(go())
    assert server.sent_signatures(server.last_request) == [signature_for(1)]


def test_generation_config_and_provider_options(server: FakeGemini) -> None:
    server.add_turn("{}")
    request = ask(
        temperature=0.3,
        top_p=0.9,
        max_tokens=1024,
        stop_sequences=["END"],
        response_format=ResponseFormat(type="json_schema", json_schema={"type": "object"}),
        provider_options={"gemini": {"safetySettings": [{"category": "X", "threshold": "Y"}]}},
    )
    run(_complete(adapter_for(server), request))
    body = server.last_request.json()
    config = body["generationConfig"]
    assert config["temperature"] == 0.3
    assert config["topP"] == 0.9
    assert config["maxOutputTokens"] == 1024
    assert config["stopSequences"] == ["END"]
    assert config["responseMimeType"] == "application/json"
    assert config["responseJsonSchema"] == {"type": "object"}
    assert body["safetySettings"] == [{"category": "X", "threshold": "Y"}]


@pytest.mark.parametrize(
    ("model", "level"),
    [
        ("gemini-3-pro-preview", "HIGH"),
        ("models/gemini-3.1-pro-preview", "HIGH"),
        ("gemini-2.5-pro", None),
    ],
)
def test_reasoning_effort_becomes_thinking_level_on_gemini_3(
    server: FakeGemini, model: str, level: str | None
) -> None:
    server.add_turn("ok")
    run(_complete(adapter_for(server), ask(model=model, reasoning_effort="high")))
    thinking = server.last_request.json().get("generationConfig", {}).get("thinkingConfig")
    if level is None:
        assert thinking is None  # 2.x takes a token budget instead: dropped silently
    else:
        assert (thinking.get("thinkingLevel") or thinking.get("thinking_level")) == level


def test_stream_uses_sse_endpoint(server: FakeGemini) -> None:
    server.add_turn("ok")
    run(_stream(adapter_for(server), ask()))
    sent = server.last_request
    assert sent.path == "/v1beta/models/gemini-2.5-pro:streamGenerateContent"
    assert sent.query == {"alt": ["sse"]}


# --------------------------------------------------------------------------- configuration


def test_google_api_key_is_the_fallback(server: FakeGemini) -> None:
    server.add_turn("ok")
    env = {"GOOGLE_API_KEY": "google-fallback-key", "GEMINI_BASE_URL": server.url}
    run(_complete(GeminiAdapter(provider_config("gemini", env)), ask()))
    assert server.last_request.header("x-goog-api-key") == "google-fallback-key"


def test_gateway_url_adds_the_google_ai_studio_suffix(server: FakeGemini) -> None:
    server.enqueue(
        HTTPReply(
            json={"candidates": [{"content": {"parts": [{"text": "gw"}]}, "finishReason": "STOP"}]}
        )
    )
    env = {"GEMINI_API_KEY": KEY, "TRACKER_GATEWAY_URL": server.url}
    response = run(_complete(GeminiAdapter(provider_config("gemini", env)), ask()))
    assert response.text == "gw"
    assert server.last_request.path == (
        "/google-ai-studio/v1beta/models/gemini-2.5-pro:generateContent"
    )


# --------------------------------------------------------------------------- errors

ERROR_CLASSES = {
    400: errors.InvalidRequestError,
    401: errors.AuthenticationError,
    403: errors.AccessDeniedError,
    404: errors.NotFoundError,
    429: errors.RateLimitError,
    500: errors.ServerError,
    503: errors.ServerError,
    529: errors.OverloadedError,
}


@pytest.mark.parametrize("status", sorted(ERROR_CLASSES))
@pytest.mark.parametrize("mode", ["complete", "stream"])
def test_http_errors_map_to_tracker_errors(server: FakeGemini, status: int, mode: str) -> None:
    server.add_error(status)
    with pytest.raises(ERROR_CLASSES[status]) as caught:
        get(server, ask(), mode)
    assert caught.value.provider == "gemini"
    assert caught.value.status_code == status
    assert caught.value.retryable is (status >= 429)
    assert len(server.requests) == 1  # no SDK-level retry, even for 429/5xx


def test_bad_key_reported_as_400_is_an_authentication_error(server: FakeGemini) -> None:
    server.add_error(400, "API key not valid. Please pass a valid API key.")
    with pytest.raises(errors.AuthenticationError) as caught:
        run(_complete(adapter_for(server), ask()))
    message = str(caught.value)
    assert "GEMINI_API_KEY" in message and "tracker setup" in message


def test_rate_limit_retry_after_and_quota(server: FakeGemini) -> None:
    server.add_error(429, retry_after=4)
    with pytest.raises(errors.RateLimitError) as caught:
        run(_complete(adapter_for(server), ask()))
    assert caught.value.retry_after == 4.0

    server.add_error(
        429, "You exceeded your current quota, please check your plan and billing details."
    )
    with pytest.raises(errors.QuotaExceededError):
        run(_complete(adapter_for(server), ask()))


def test_mid_stream_error_chunk(server: FakeGemini) -> None:
    server.add_turn(FakeTurn(text="partial answer", stream_error=FakeError(503)))
    events = run(_stream(adapter_for(server), ask()))
    assert events[-1].type is StreamEventType.ERROR
    assert isinstance(events[-1].error, errors.ServerError)
    text = "".join(e.delta or "" for e in events if e.type is StreamEventType.TEXT_DELTA)
    assert text == "partial answer"


def test_truncated_stream_is_retryable(server: FakeGemini) -> None:
    server.add_turn(FakeTurn(text="a long answer that is cut", drop_after=2))
    events = run(_stream(adapter_for(server), ask()))
    assert events[-1].type is StreamEventType.ERROR
    assert events[-1].error.retryable


def test_stream_without_finish_reason_is_a_stream_error(server: FakeGemini) -> None:
    chunk = {"candidates": [{"content": {"parts": [{"text": "half"}], "role": "model"}}]}
    server.enqueue(HTTPReply(events=[SSEEvent(chunk)]))
    events = run(_stream(adapter_for(server), ask()))
    assert isinstance(events[-1].error, errors.StreamError)


def test_unreachable_server_is_a_network_error() -> None:
    config = ProviderConfig("gemini", KEY, "http://127.0.0.1:9")
    with pytest.raises(errors.NetworkError):
        run(_complete(GeminiAdapter(config), ask()))


def test_client_idle_timeout_stops_a_stalled_stream(server: FakeGemini) -> None:
    server.add_turn(FakeTurn(text="slow answer here", stall_after=1, stall_seconds=5))

    async def go() -> list[StreamEvent]:
        client = Client({"gemini": adapter_for(server)}, stream_idle_timeout=0.3)
        try:
            return [event async for event in client.stream(ask())]
        finally:
            await client.aclose()

    events = run(go())
    assert isinstance(events[-1].error, errors.StreamIdleTimeoutError)


# --------------------------------------------------------------------------- lazy import


def test_importing_and_constructing_the_adapter_does_not_import_the_sdk() -> None:
    code = (
        "import sys\n"
        "from tracker.llm.client import ProviderConfig\n"
        "from tracker_providers.gemini import GeminiAdapter\n"
        "GeminiAdapter(ProviderConfig('gemini', 'k'))\n"
        "print('google.genai' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"
