"""Token and cost accounting (spec agent-llm.md §1.3, §4.3).

`TokenTracker` accumulates usage per (provider, model) and per pipeline node, and prices
it from the catalog at read time: a provider-reported `estimated_cost` (e.g. claude-code's
`total_cost_usd`) is deliberately not used for totals, so every provider is priced alike.
It is a middleware (records only the successful attempt, since it sits inside retry) and
has a plain `add_usage` API for external backends (`claude-code`, `acp`). A lock guards
every access, so parallel branches on threads or tasks can share one tracker.
"""

from __future__ import annotations

import threading
from collections import defaultdict

from pydantic import BaseModel, Field

from .catalog import Catalog, default_catalog
from .middleware import CallNext
from .types import Request, Response, Usage


def normalise_usage(
    prompt_tokens: int,
    completion_tokens: int,
    *,
    cache_read_tokens: int | None = None,
    cache_write_tokens: int | None = None,
    reasoning_tokens: int | None = None,
    prompt_includes_cache: bool = True,
    output_includes_reasoning: bool = True,
    total_tokens: int | None = None,
    raw: object = None,
) -> Usage:
    """Build a §1.3-normalised Usage from a provider's counters.

    OpenAI / compat / Gemini count cached tokens inside the prompt (subtract them, floor
    0); Gemini leaves thoughts out of its output count (add them back).
    """
    input_tokens = prompt_tokens
    if prompt_includes_cache:
        input_tokens = max(0, prompt_tokens - (cache_read_tokens or 0) - (cache_write_tokens or 0))
    output_tokens = completion_tokens
    if not output_includes_reasoning:
        output_tokens += reasoning_tokens or 0
    return Usage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        total_tokens=total_tokens if total_tokens is not None else input_tokens + output_tokens,
        reasoning_tokens=reasoning_tokens,
        cache_read_tokens=cache_read_tokens,
        cache_write_tokens=cache_write_tokens,
        raw=raw,
    )


class UsageTotals(BaseModel):
    """Totals of one provider or one node (the engine's `provider_totals` entry shape)."""

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    cost_usd: float = 0.0
    reasoning_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    session_count: int = 0
    calls: int = 0
    model: str = ""  # the last model seen
    estimated: bool = False  # heuristic token counts (e.g. ACP)
    priced: bool = True  # False when some usage came from a model missing in the catalog


class UsageSummary(BaseModel):
    total_input_tokens: int = 0
    total_output_tokens: int = 0
    total_tokens: int = 0
    total_cost_usd: float = 0.0
    total_reasoning_tokens: int = 0
    total_cache_read_tokens: int = 0
    total_cache_write_tokens: int = 0
    session_count: int = 0
    provider_totals: dict[str, UsageTotals] = Field(default_factory=dict)
    node_totals: dict[str, UsageTotals] = Field(default_factory=dict)
    estimated: bool = False
    unpriced_models: list[str] = Field(default_factory=list)


class ProviderCost(BaseModel):
    usage: Usage
    model: str
    usd: float


_Key = tuple[str, str]  # (provider, model)


class TokenTracker:
    def __init__(self, catalog: Catalog | None = None) -> None:
        self._catalog = catalog
        self._lock = threading.Lock()
        self._usage: dict[_Key, Usage] = {}
        self._calls: dict[_Key, int] = defaultdict(int)
        self._last_model: dict[str, str] = {}
        self._sessions: dict[str, int] = defaultdict(int)
        self._nodes: dict[str, dict[_Key, Usage]] = {}
        self._node_calls: dict[str, int] = defaultdict(int)

    @property
    def catalog(self) -> Catalog:
        return self._catalog or default_catalog()

    # recording -----------------------------------------------------------------------

    def add_usage(self, provider: str, usage: Usage, model: str = "", node_id: str = "") -> None:
        key = (provider, model)
        with self._lock:
            self._usage[key] = self._usage[key].add(usage) if key in self._usage else usage
            self._calls[key] += 1
            if model:
                self._last_model[provider] = model
            if node_id:
                per_node = self._nodes.setdefault(node_id, {})
                per_node[key] = per_node[key].add(usage) if key in per_node else usage
                self._node_calls[node_id] += 1

    def count_session(self, provider: str) -> None:
        """Record that one agent session (of any number of calls) ran on `provider`."""
        with self._lock:
            self._sessions[provider] += 1

    def middleware(self) -> TokenTrackingMiddleware:
        return TokenTrackingMiddleware(self)

    # reading -------------------------------------------------------------------------

    def usage_by_provider(self) -> dict[str, Usage]:
        out: dict[str, Usage] = {}
        with self._lock:
            for (provider, _), usage in self._usage.items():
                out[provider] = out[provider].add(usage) if provider in out else usage
        return out

    def total_usage(self) -> Usage:
        total = Usage()
        for usage in self.usage_by_provider().values():
            total = total.add(usage)
        return total

    def cost_by_provider(self) -> dict[str, ProviderCost]:
        """`{provider: (usage, last model, usd)}`, usd recomputed from tokens (§4.3)."""
        with self._lock:
            items = list(self._usage.items())
            last = dict(self._last_model)
        out: dict[str, ProviderCost] = {}
        for (provider, model), usage in items:
            usd = self.catalog.estimate_cost(model, usage)
            prev = out.get(provider)
            out[provider] = ProviderCost(
                usage=prev.usage.add(usage) if prev else usage,
                model=last.get(provider, model),
                usd=(prev.usd if prev else 0.0) + usd,
            )
        return out

    def total_cost(self) -> float:
        return sum(c.usd for c in self.cost_by_provider().values())

    def summary(self) -> UsageSummary:
        with self._lock:
            items = list(self._usage.items())
            calls = dict(self._calls)
            sessions = dict(self._sessions)
            last = dict(self._last_model)
            nodes = {n: list(per.items()) for n, per in self._nodes.items()}
            node_calls = dict(self._node_calls)

        unpriced: set[str] = set()
        providers: dict[str, UsageTotals] = {}
        for key, usage in items:
            totals = providers.setdefault(key[0], UsageTotals())
            self._accumulate(totals, key, usage, unpriced)
            totals.calls += calls.get(key, 0)
        for provider, totals in providers.items():
            totals.model = last.get(provider, "")
            totals.session_count = sessions.get(provider, 0)
        for provider, count in sessions.items():
            providers.setdefault(provider, UsageTotals(session_count=count))

        node_totals: dict[str, UsageTotals] = {}
        for node_id, per in nodes.items():
            totals = node_totals.setdefault(node_id, UsageTotals())
            for key, usage in per:
                self._accumulate(totals, key, usage, unpriced)
                totals.model = key[1] or totals.model
            totals.calls = node_calls.get(node_id, 0)

        summary = UsageSummary(
            provider_totals=dict(sorted(providers.items())),
            node_totals=node_totals,
            unpriced_models=sorted(unpriced),
        )
        for totals in providers.values():
            summary.total_input_tokens += totals.input_tokens
            summary.total_output_tokens += totals.output_tokens
            summary.total_tokens += totals.total_tokens
            summary.total_cost_usd += totals.cost_usd
            summary.total_reasoning_tokens += totals.reasoning_tokens
            summary.total_cache_read_tokens += totals.cache_read_tokens
            summary.total_cache_write_tokens += totals.cache_write_tokens
            summary.session_count += totals.session_count
            summary.estimated = summary.estimated or totals.estimated
        return summary

    def _accumulate(self, totals: UsageTotals, key: _Key, usage: Usage, unpriced: set[str]) -> None:
        cost = self.catalog.cost(key[1], usage)
        if not cost.priced and usage.has_tokens:
            totals.priced = False
            unpriced.add(key[1])
        totals.input_tokens += usage.input_tokens
        totals.output_tokens += usage.output_tokens
        totals.total_tokens += usage.total_tokens
        totals.reasoning_tokens += usage.reasoning_tokens or 0
        totals.cache_read_tokens += usage.cache_read_tokens or 0
        totals.cache_write_tokens += usage.cache_write_tokens or 0
        totals.cost_usd += cost.usd
        totals.estimated = totals.estimated or usage.estimated


class TokenTrackingMiddleware:
    """Records each successful response's usage under its provider, model and node."""

    def __init__(self, tracker: TokenTracker) -> None:
        self.tracker = tracker

    async def __call__(self, request: Request, call_next: CallNext) -> Response:
        response = await call_next(request)
        self.tracker.add_usage(
            response.provider or request.provider,
            response.usage,
            model=request.model or response.model,
            node_id=request.node_id,
        )
        return response
