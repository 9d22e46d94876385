"""Token tracker: per provider, per model, per node, priced from the catalog."""

from __future__ import annotations

import asyncio
import threading

import pytest
from tracker.llm import Request, Response, TokenTracker, Usage
from tracker.llm.catalog import Catalog
from tracker.llm.usage import normalise_usage


@pytest.fixture()
def tracker() -> TokenTracker:
    return TokenTracker(Catalog.builtin())


def test_usage_add_sums_fieldwise_and_keeps_none() -> None:
    a = Usage(input_tokens=10, output_tokens=5, cache_read_tokens=3, estimated_cost=0.5)
    b = Usage(input_tokens=1, output_tokens=2)
    total = a + b
    assert (total.input_tokens, total.output_tokens, total.total_tokens) == (11, 7, 18)
    assert total.cache_read_tokens == 3  # None counts as 0 when the other side is set
    assert total.cache_write_tokens is None  # None + None stays None
    assert total.estimated_cost == 0.5


def test_normalisation_of_inclusive_prompt_counts() -> None:
    # OpenAI style: 1000 prompt tokens of which 800 came from cache
    openai = normalise_usage(1000, 300, cache_read_tokens=800, reasoning_tokens=200)
    assert (openai.input_tokens, openai.output_tokens, openai.cache_read_tokens) == (200, 300, 800)
    # Gemini style: thoughts are outside the candidate count
    gemini = normalise_usage(
        500, 100, cache_read_tokens=600, reasoning_tokens=40, output_includes_reasoning=False
    )
    assert gemini.input_tokens == 0  # floored, never negative
    assert gemini.output_tokens == 140
    assert gemini.reasoning_tokens == 40


def test_totals_per_provider_are_priced_from_tokens(tracker: TokenTracker) -> None:
    tracker.add_usage(
        "anthropic",
        Usage(input_tokens=1_000_000, output_tokens=0, estimated_cost=99.0),
        "claude-sonnet-4-6",
    )
    tracker.add_usage("anthropic", Usage(output_tokens=1_000_000), "claude-haiku-4-5")
    tracker.add_usage("openai", Usage(input_tokens=1_000_000), "gpt-5")
    costs = tracker.cost_by_provider()
    # the provider-reported estimated_cost (99.0) is not used: totals come from tokens
    assert costs["anthropic"].usd == pytest.approx(3.0 + 5.0)
    assert costs["anthropic"].model == "claude-haiku-4-5"  # the provider's last model
    assert costs["anthropic"].usage.total_tokens == 2_000_000
    assert costs["openai"].usd == pytest.approx(1.25)
    assert tracker.total_cost() == pytest.approx(9.25)


def test_summary_by_provider_and_node(tracker: TokenTracker) -> None:
    tracker.add_usage(
        "anthropic", Usage(input_tokens=100, output_tokens=50), "claude-sonnet-4-6", "Plan"
    )
    tracker.add_usage(
        "anthropic",
        Usage(input_tokens=10, output_tokens=5, cache_read_tokens=1000, reasoning_tokens=2),
        "claude-sonnet-4-6",
        "Build",
    )
    tracker.add_usage(
        "anthropic", Usage(input_tokens=1, output_tokens=1), "claude-sonnet-4-6", "Build"
    )
    tracker.count_session("anthropic")
    summary = tracker.summary()
    assert summary.total_input_tokens == 111
    assert summary.total_output_tokens == 56
    assert summary.total_tokens == 167
    assert summary.total_cache_read_tokens == 1000
    assert summary.total_reasoning_tokens == 2
    assert summary.session_count == 1
    anthropic = summary.provider_totals["anthropic"]
    assert anthropic.calls == 3 and anthropic.model == "claude-sonnet-4-6"
    assert summary.node_totals["Build"].calls == 2
    assert summary.node_totals["Build"].input_tokens == 11
    assert summary.node_totals["Plan"].cost_usd == pytest.approx(100 * 3e-6 + 50 * 15e-6)
    assert summary.total_cost_usd == pytest.approx(
        sum(t.cost_usd for t in summary.node_totals.values())
    )
    assert not summary.estimated and summary.unpriced_models == []


def test_estimated_and_unpriced_usage_is_flagged(tracker: TokenTracker) -> None:
    tracker.add_usage(
        "acp", Usage(input_tokens=900, output_tokens=100, estimated=True), "claude-sonnet-4-6"
    )
    tracker.add_usage("stub", Usage(input_tokens=100, output_tokens=50), "stub-model")
    summary = tracker.summary()
    assert summary.estimated and summary.provider_totals["acp"].estimated
    assert summary.provider_totals["stub"].cost_usd == 0
    assert not summary.provider_totals["stub"].priced
    assert summary.unpriced_models == ["stub-model"]


def test_tracker_is_a_middleware_recording_model_and_node(tracker: TokenTracker) -> None:
    async def call_next(request: Request) -> Response:
        return Response(provider="openai", usage=Usage(input_tokens=7, output_tokens=3))

    request = Request(model="gpt-5", provider="openai", metadata={"node_id": "Review"})
    asyncio.run(tracker.middleware()(request, call_next))
    summary = tracker.summary()
    assert summary.provider_totals["openai"].total_tokens == 10
    assert summary.node_totals["Review"].model == "gpt-5"


def test_concurrent_recording_loses_nothing(tracker: TokenTracker) -> None:
    def work() -> None:
        for _ in range(500):
            tracker.add_usage(
                "anthropic", Usage(input_tokens=1, output_tokens=1), "claude-haiku-4-5", "N"
            )

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    summary = tracker.summary()
    assert summary.total_tokens == 8 * 500 * 2
    assert summary.node_totals["N"].calls == 4000
