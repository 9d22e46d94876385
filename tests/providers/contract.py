"""The provider contract: what every LLM adapter must do, checked against its fake server.

Each adapter runs on its official SDK against a fake that speaks the provider's real wire
format on 127.0.0.1 (`tracker.testing`). One `ProviderCase` per provider (listed in
`conftest.py`) supplies the fake - which also renders the generic `FakeTurn`s into that
provider's wire format - and a factory building the real adapter pointed at it. To add a
provider, append a case to `CASES` in conftest.py; every test below then runs for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from tracker.llm import (
    AccessDeniedError,
    AuthenticationError,
    Client,
    InvalidRequestError,
    Message,
    NetworkError,
    NotFoundError,
    OverloadedError,
    ProviderAdapter,
    ProviderError,
    RateLimitError,
    Request,
    Response,
    RetryMiddleware,
    Role,
    ServerError,
    StreamEvent,
    StreamEventType,
    TokenTracker,
    TokenTrackingMiddleware,
    ToolDefinition,
    collect,
)
from tracker.llm.catalog import default_catalog
from tracker.llm.client import ProviderConfig, base_url_env, provider_config
from tracker.llm.types import ContentPart
from tracker.plugins.manager import get_registry
from tracker.testing import FakeProviderServer, FakeToolCall, FakeTurn, FakeUsage

AdapterFactory = Callable[[FakeProviderServer], ProviderAdapter]


@dataclass(frozen=True)
class ProviderCase:
    """One provider under contract.

    `fake` builds its (not yet started) fake server; `adapter` builds the real adapter
    pointed at a running fake; `model` is a catalog model of the provider, so costs can be
    checked against the catalog's prices.
    """

    name: str
    fake: Callable[[], FakeProviderServer]
    adapter: AdapterFactory
    model: str
    marks: tuple[Any, ...] = field(default=())

    def __str__(self) -> str:
        return self.name


def via_plugin(name: str, api_key: str = "sk-test-xxxxxxxx") -> AdapterFactory:
    """Build the adapter the way tracker does: the registered plugin's factory, configured
    from an environment holding a dummy key and `<NAME>_BASE_URL` = the fake's URL."""

    def build(fake: FakeProviderServer) -> ProviderAdapter:
        spec = get_registry().providers[name]
        assert spec.factory is not None
        env = {fake.env_key: api_key, base_url_env(name): fake.url}
        config: ProviderConfig = provider_config(name, env, spec.env_keys)
        return spec.factory(config)

    return build


# --------------------------------------------------------------------------- helpers


class SleepRecorder:
    """Stands in for asyncio.sleep in the retry middleware: records, never waits."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def run_with_adapter(
    case: ProviderCase,
    fake: FakeProviderServer,
    scenario: Callable[[ProviderAdapter], Awaitable[Any]],
) -> Any:
    """Run `scenario(adapter)` in a fresh event loop, closing the adapter afterwards."""

    async def main() -> Any:
        adapter = case.adapter(fake)
        try:
            return await scenario(adapter)
        finally:
            closer = getattr(adapter, "aclose", None)
            if closer is not None:
                await closer()

    return asyncio.run(main())


def make_client(case: ProviderCase, adapter: ProviderAdapter, sleep: SleepRecorder) -> Client:
    return Client(
        {case.name: adapter},
        middleware=[RetryMiddleware(sleep=sleep), TokenTrackingMiddleware(TokenTracker())],
    )


def request_for(case: ProviderCase, *messages: Message, **kwargs: Any) -> Request:
    return Request(
        model=case.model,
        provider=case.name,
        messages=list(messages) or [Message.user("Say hello.")],
        **kwargs,
    )


async def complete_or_stream(adapter: ProviderAdapter, request: Request, mode: str) -> Response:
    if mode == "stream":
        return await collect(adapter.stream(request), request.model, request.provider)
    return await adapter.complete(request)


TOOLS = [
    ToolDefinition(
        name="read",
        description="Read a file",
        parameters={"type": "object", "properties": {"path": {"type": "string"}}},
    ),
    ToolDefinition(
        name="grep",
        description="Search files",
        parameters={
            "type": "object",
            "properties": {"pattern": {"type": "string"}, "path": {"type": "string"}},
        },
    ),
]

#: HTTP status -> the tracker error class it must become, and whether retry may help
ERROR_CASES: list[tuple[int, type[ProviderError], bool]] = [
    (400, InvalidRequestError, False),
    (401, AuthenticationError, False),
    (403, AccessDeniedError, False),
    (404, NotFoundError, False),
    (429, RateLimitError, True),
    (500, ServerError, True),
    (529, OverloadedError, True),
]

MODES = pytest.mark.parametrize("mode", ["complete", "stream"])


# --------------------------------------------------------------------------- the contract


class ProviderContract:
    """Collected through `test_contract.TestProviderContract`; `case` and `fake` come
    from the parametrized fixtures in conftest.py."""

    def test_plain_completion(self, case: ProviderCase, fake: FakeProviderServer) -> None:
        fake.add_turn(FakeTurn(text="Hello from the fake model."))
        response = run_with_adapter(case, fake, lambda a: a.complete(request_for(case)))
        assert response.text == "Hello from the fake model."
        assert response.finish_reason.reason == "stop"
        assert response.tool_calls == []
        assert response.message.role is Role.ASSISTANT
        assert len(fake.requests) == 1

    def test_streamed_text(self, case: ProviderCase, fake: FakeProviderServer) -> None:
        text = "The quick brown fox jumps over the lazy dog."
        fake.add_turn(FakeTurn(text=text, chunk_size=6))

        async def scenario(adapter: ProviderAdapter) -> list[StreamEvent]:
            return [event async for event in adapter.stream(request_for(case))]

        events = run_with_adapter(case, fake, scenario)
        deltas = [e.delta for e in events if e.type is StreamEventType.TEXT_DELTA]
        assert "".join(d or "" for d in deltas) == text
        assert len(deltas) > 1, "text should arrive in several deltas"
        assert not [e for e in events if e.type is StreamEventType.ERROR]
        finish = events[-1]
        assert finish.type is StreamEventType.FINISH
        assert finish.finish_reason is not None and finish.finish_reason.reason == "stop"
        assert finish.usage is not None and finish.usage.output_tokens == 7

    @MODES
    def test_tool_call_round_trip(
        self, case: ProviderCase, fake: FakeProviderServer, mode: str
    ) -> None:
        fake.add_turn(
            FakeTurn(
                text="Let me look.",
                tool_calls=[
                    FakeToolCall("read", {"path": "notes/a.txt"}),
                    FakeToolCall("grep", {"pattern": "TODO", "path": "."}),
                ],
            )
        )
        fake.add_turn(FakeTurn(text="a.txt has 3 TODOs."))

        async def scenario(adapter: ProviderAdapter) -> tuple[Response, Response]:
            first_request = request_for(
                case, Message.system("You are terse."), Message.user("Check a.txt"), tools=TOOLS
            )
            first = await complete_or_stream(adapter, first_request, mode)
            assert len(first.tool_calls) == 2, first
            results = [
                ContentPart.of_tool_result(call.id, content, name=call.name)
                for call, content in zip(
                    first.tool_calls, ["line1\nline2", "3 matches"], strict=True
                )
            ]
            second_request = first_request.model_copy(
                update={
                    "messages": [
                        *first_request.messages,
                        first.message,
                        Message(role=Role.TOOL, content=results),
                    ]
                }
            )
            return first, await complete_or_stream(adapter, second_request, mode)

        first, second = run_with_adapter(case, fake, scenario)
        calls = first.tool_calls
        assert [c.name for c in calls] == ["read", "grep"]
        assert [c.parsed_arguments() for c in calls] == [
            {"path": "notes/a.txt"},
            {"pattern": "TODO", "path": "."},
        ]
        assert all(c.id for c in calls) and calls[0].id != calls[1].id
        assert first.finish_reason.reason == "tool_calls"
        assert first.text == "Let me look."

        assert second.text == "a.txt has 3 TODOs."
        assert second.finish_reason.reason == "stop"
        assert len(fake.requests) == 2
        keys = [c.id if fake.wire_call_ids else c.name for c in calls]
        assert fake.sent_tool_results(fake.requests[1]) == [
            (keys[0], "line1\nline2"),
            (keys[1], "3 matches"),
        ]

    @MODES
    def test_usage_with_cache_tokens_and_cost(
        self, case: ProviderCase, fake: FakeProviderServer, mode: str
    ) -> None:
        usage = FakeUsage(
            input_tokens=1200,
            output_tokens=340,
            cache_read_tokens=800,
            cache_write_tokens=400 if fake.reports_cache_write else 0,
            reasoning_tokens=40 if fake.reports_reasoning_tokens else 0,
        )
        fake.add_turn(FakeTurn(text="Cached answer.", usage=usage))
        sleep = SleepRecorder()

        async def scenario(adapter: ProviderAdapter) -> tuple[Response, TokenTracker]:
            client = make_client(case, adapter, sleep)
            request = request_for(case)
            if mode == "stream":  # an observed call streams under the hood
                request = request.model_copy(update={"trace_observers": [lambda e: None]})
            response = await client.complete(request)
            assert client.token_tracker is not None
            return response, client.token_tracker

        response, tracker = run_with_adapter(case, fake, scenario)
        got = response.usage
        assert got.input_tokens == 1200  # cached tokens excluded (agent-llm.md §1.3)
        assert got.output_tokens == 340  # reasoning included
        assert got.cache_read_tokens == 800
        if fake.reports_cache_write:
            assert got.cache_write_tokens == 400
        if fake.reports_reasoning_tokens:
            assert got.reasoning_tokens == 40
        assert got.total_tokens == 1200 + 340

        info = default_catalog().get(case.model)
        assert info is not None, f"{case.model} must be in the catalog"
        expected = (
            1200 * info.input_cost_per_m
            + 340 * info.output_cost_per_m
            + 800 * info.cache_read_price
            + usage.cache_write_tokens * info.cache_write_price
        ) / 1e6
        costs = tracker.cost_by_provider()
        assert costs[case.name].usd == pytest.approx(expected)
        assert costs[case.name].usd > 0

    @MODES
    @pytest.mark.parametrize(
        ("status", "error_class", "retryable"), ERROR_CASES, ids=[str(s) for s, *_ in ERROR_CASES]
    )
    def test_error_status_maps_to_class(
        self,
        case: ProviderCase,
        fake: FakeProviderServer,
        mode: str,
        status: int,
        error_class: type[ProviderError],
        retryable: bool,
    ) -> None:
        fake.add_error(status)

        async def scenario(adapter: ProviderAdapter) -> None:
            await complete_or_stream(adapter, request_for(case), mode)

        with pytest.raises(error_class) as caught:
            run_with_adapter(case, fake, scenario)
        error = caught.value
        assert error.status_code == status
        assert error.provider == case.name
        assert error.retryable is retryable
        assert len(fake.requests) == 1, "the SDK's own retries must be off"

    @pytest.mark.parametrize("mode", ["complete", "observed"])
    def test_rate_limit_retry_after_is_honoured(
        self, case: ProviderCase, fake: FakeProviderServer, mode: str
    ) -> None:
        fake.add_error(429, retry_after=7)
        fake.add_turn(FakeTurn(text="Recovered."))
        sleep = SleepRecorder()

        async def scenario(adapter: ProviderAdapter) -> Response:
            request = request_for(case)
            if mode == "observed":
                request = request.model_copy(update={"trace_observers": [lambda e: None]})
            return await make_client(case, adapter, sleep).complete(request)

        response = run_with_adapter(case, fake, scenario)
        assert response.text == "Recovered."
        assert sleep.calls == [7.0]
        assert len(fake.requests) == 2

    def test_unauthorised_fails_after_one_request(
        self, case: ProviderCase, fake: FakeProviderServer
    ) -> None:
        fake.add_error(401)
        sleep = SleepRecorder()

        async def scenario(adapter: ProviderAdapter) -> Response:
            return await make_client(case, adapter, sleep).complete(request_for(case))

        with pytest.raises(AuthenticationError) as caught:
            run_with_adapter(case, fake, scenario)
        assert len(fake.requests) == 1
        assert sleep.calls == []
        message = str(caught.value)
        assert fake.env_key in message
        assert "tracker setup" in message

    def test_unreachable_server_is_a_network_error(
        self, case: ProviderCase, fake: FakeProviderServer
    ) -> None:
        async def scenario(adapter: ProviderAdapter) -> None:
            fake.stop()  # nothing listens on the port any more
            await adapter.complete(request_for(case))

        with pytest.raises(NetworkError) as caught:
            run_with_adapter(case, fake, scenario)
        assert caught.value.retryable
