"""The client: provider routing via plugins, inference from the model, middleware chain,
observed (streamed) calls and the stream idle deadline."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from tracker.llm import (
    Client,
    ConfigurationError,
    Message,
    Request,
    Response,
    RetryMiddleware,
    StreamEvent,
    StreamEventType,
    StreamIdleTimeoutError,
    TokenTracker,
)
from tracker.llm.catalog import Catalog
from tracker.llm.client import ProviderConfig
from tracker.llm.scripted import ScriptedProvider, create_provider
from tracker.plugins import ProviderSpec, hookimpl
from tracker.plugins.manager import build_registry


class EchoAdapter:
    """Answers with the last user message; remembers how it was configured."""

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config

    async def complete(self, request: Request) -> Response:
        return Response(message=Message.assistant(f"echo: {request.messages[-1].text}"))

    async def stream(self, request: Request) -> AsyncIterator[StreamEvent]:
        yield StreamEvent(type=StreamEventType.TEXT_DELTA, text_id="t", delta="echo")
        yield StreamEvent(type=StreamEventType.FINISH)


def broken_factory(config: ProviderConfig) -> EchoAdapter:
    raise RuntimeError("SDK missing")


class TestPlugin:
    @hookimpl
    def register_providers(self, register) -> None:  # noqa: ANN001
        register(ProviderSpec(name="echo", factory=EchoAdapter, env_keys=["ECHO_KEY"]))
        register(ProviderSpec(name="broken", factory=broken_factory, env_keys=["BROKEN_KEY"]))
        register(
            ProviderSpec(name="replay", factory=create_provider, env_keys=["TRACKER_SCRIPTED_FILE"])
        )


@pytest.fixture(scope="module")
def registry():  # noqa: ANN201
    return build_registry(extra_plugins=[("test", TestPlugin())])


class FakeSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def user(text: str, **kw: object) -> Request:
    return Request(messages=[Message.user(text)], **kw)  # type: ignore[arg-type]


def test_routes_to_a_provider_registered_by_a_plugin(registry) -> None:  # noqa: ANN001
    client = Client.from_registry(
        registry, env={"ECHO_KEY": "k-123", "ECHO_BASE_URL": '"http://127.0.0.1:9"'}
    )
    assert client.providers == ["echo"]  # only providers whose key is set are built
    adapter = client.adapter("echo")
    assert isinstance(adapter, EchoAdapter)
    assert (adapter.config.api_key, adapter.config.base_url) == ("k-123", "http://127.0.0.1:9")
    response = asyncio.run(client.complete(user("hi", model="anything", provider="echo")))
    assert response.text == "echo: hi"
    assert response.provider == "echo" and response.model == "anything"
    assert response.latency >= 0


def test_named_providers_and_options_reach_the_factory(registry) -> None:  # noqa: ANN001
    client = Client.from_registry(
        registry, env={}, providers=["replay"], options={"replay": {"script": ["scripted hi"]}}
    )
    # an unknown model goes to the default provider: the only one built
    response = asyncio.run(client.complete(user("x", model="stub-model")))
    assert response.text == "scripted hi" and response.provider == "replay"


def test_failing_factory_and_unknown_names_are_configuration_errors(registry) -> None:  # noqa: ANN001
    with pytest.raises(ConfigurationError, match="failed to create broken adapter: SDK missing"):
        Client.from_registry(registry, env={"BROKEN_KEY": "1"})
    with pytest.raises(ConfigurationError, match="unknown provider: 'nope'"):
        Client.from_registry(registry, env={}, providers=["nope"])
    with pytest.raises(ConfigurationError, match="no providers configured"):
        Client.from_registry(registry, env={})


def test_core_registers_the_scripted_provider_when_wired() -> None:
    registry = build_registry()
    if "scripted" not in registry.providers:
        pytest.skip("core does not register the scripted provider yet")
    client = Client.from_registry(
        registry, env={}, providers=["scripted"], options={"scripted": {"script": ["wired"]}}
    )
    assert asyncio.run(client.complete(user("x", model="m"))).text == "wired"


def two_provider_client(**kw: object) -> Client:
    return Client(
        {
            "anthropic": ScriptedProvider(default="from anthropic"),
            "openai": ScriptedProvider(default="from openai"),
        },
        catalog=Catalog.builtin(),
        **kw,  # type: ignore[arg-type]
    )


def test_provider_follows_from_the_model_when_unset() -> None:
    client = two_provider_client()
    assert asyncio.run(client.complete(user("x", model="gpt-5"))).text == "from openai"
    assert asyncio.run(client.complete(user("x", model="sonnet-4-6"))).text == "from anthropic"
    # unknown model: the default provider (the first configured)
    assert asyncio.run(client.complete(user("x", model="llama-3"))).text == "from anthropic"
    # an explicit provider wins over the model
    request = user("x", model="gpt-5", provider="anthropic")
    assert asyncio.run(client.complete(request)).provider == "anthropic"


def test_model_of_an_unconfigured_provider_says_what_to_set() -> None:
    client = two_provider_client()
    with pytest.raises(ConfigurationError, match="GEMINI_API_KEY or GOOGLE_API_KEY"):
        asyncio.run(client.complete(user("x", model="gemini-2.5-pro")))
    with pytest.raises(ConfigurationError, match='unknown provider: "acme"'):
        asyncio.run(client.complete(user("x", model="m", provider="acme")))


def test_no_adapters_is_an_error() -> None:
    with pytest.raises(ConfigurationError, match="no providers configured"):
        Client({})


def test_retry_then_usage_records_only_the_successful_attempt() -> None:
    sleep = FakeSleep()
    tracker = TokenTracker(Catalog.builtin())
    script = ScriptedProvider(
        [
            {"error": {"type": "server", "message": "502"}, "usage": {"input_tokens": 999}},
            {"text": "ok", "usage": {"input_tokens": 100, "output_tokens": 50}},
        ]
    )
    client = Client(
        {"anthropic": script}, middleware=[RetryMiddleware(sleep=sleep), tracker.middleware()]
    )
    request = user("x", model="claude-sonnet-4-6", metadata={"node_id": "Build"})
    assert asyncio.run(client.complete(request)).text == "ok"
    assert sleep.delays == [2.0]
    summary = tracker.summary()
    assert summary.total_tokens == 150
    assert summary.node_totals["Build"].calls == 1
    assert client.token_tracker is tracker


def test_default_middleware_is_retry_then_token_tracker() -> None:
    client = Client({"anthropic": ScriptedProvider(default="x")})
    assert [type(m).__name__ for m in client.middleware] == [
        "RetryMiddleware",
        "TokenTrackingMiddleware",
    ]


def test_first_added_middleware_is_outermost() -> None:
    order: list[str] = []

    def recorder(name: str):  # noqa: ANN202
        async def layer(request: Request, call_next):  # noqa: ANN001, ANN202
            order.append(f"{name} in")
            response = await call_next(request)
            order.append(f"{name} out")
            return response

        return layer

    client = Client({"anthropic": ScriptedProvider(default="x")}, middleware=[recorder("a")])
    client.use(recorder("b"))
    asyncio.run(client.complete(user("x", model="m")))
    assert order == ["a in", "b in", "b out", "a out"]


def test_observed_calls_stream_and_feed_every_event_to_observers() -> None:
    seen: list[StreamEvent] = []
    script = ScriptedProvider([{"text": "streamed reply", "tool_calls": [{"name": "bash"}]}])
    client = Client({"anthropic": script}, middleware=[])
    request = user("x", model="m", trace_observers=[seen.append])
    response = asyncio.run(client.complete(request))
    assert response.text == "streamed reply"
    assert response.tool_calls[0].id == "call_1"
    assert response.provider == "anthropic"
    assert seen[0].type is StreamEventType.STREAM_START
    assert seen[-1].type is StreamEventType.FINISH


class StallsOnce:
    """First stream goes silent after one event; the second answers."""

    def __init__(self) -> None:
        self.calls = 0

    async def complete(self, request: Request) -> Response:  # pragma: no cover - unused
        raise AssertionError("observed calls must stream")

    async def stream(self, request: Request) -> AsyncIterator[StreamEvent]:
        self.calls += 1
        yield StreamEvent(type=StreamEventType.STREAM_START)
        if self.calls == 1:
            await asyncio.sleep(30)
        yield StreamEvent(type=StreamEventType.TEXT_DELTA, text_id="t", delta="recovered")
        yield StreamEvent(type=StreamEventType.FINISH)


def test_stream_idle_deadline_is_retryable_in_complete() -> None:
    sleep = FakeSleep()
    adapter = StallsOnce()
    client = Client(
        {"anthropic": adapter},
        middleware=[RetryMiddleware(sleep=sleep)],
        stream_idle_timeout=0.05,
    )
    request = user("x", model="m", trace_observers=[lambda event: None])
    assert asyncio.run(client.complete(request)).text == "recovered"
    assert adapter.calls == 2 and sleep.delays == [2.0]


def test_stream_bypasses_middleware_and_applies_the_idle_deadline() -> None:
    tracker = TokenTracker(Catalog.builtin())
    client = Client(
        {"anthropic": StallsOnce()}, middleware=[tracker.middleware()], stream_idle_timeout=0.05
    )

    async def gather() -> list[StreamEvent]:
        return [e async for e in client.stream(user("x", model="m"))]

    events = asyncio.run(gather())
    assert events[-1].type is StreamEventType.ERROR
    assert isinstance(events[-1].error, StreamIdleTimeoutError)
    assert tracker.summary().provider_totals == {}
