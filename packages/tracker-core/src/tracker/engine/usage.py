"""The run's aggregate usage (engine.md §2.8): summed from each trace entry's SessionStats
(one session each; provider "unknown" when a stats block names none) and child-run usage."""

from __future__ import annotations

from typing import Any

from tracker.engine.handler import SessionStats
from tracker.llm.usage import UsageSummary, UsageTotals

_TOTAL_FIELDS = (
    "input_tokens",
    "output_tokens",
    "total_tokens",
    "cost_usd",
    "reasoning_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "session_count",
)


def _recompute_totals(summary: UsageSummary) -> None:
    totals = summary.provider_totals.values()
    summary.total_input_tokens = sum(t.input_tokens for t in totals)
    summary.total_output_tokens = sum(t.output_tokens for t in totals)
    summary.total_tokens = sum(t.total_tokens for t in totals)
    summary.total_cost_usd = sum(t.cost_usd for t in totals)
    summary.total_reasoning_tokens = sum(t.reasoning_tokens for t in totals)
    summary.total_cache_read_tokens = sum(t.cache_read_tokens for t in totals)
    summary.total_cache_write_tokens = sum(t.cache_write_tokens for t in totals)
    summary.session_count = sum(t.session_count for t in totals)


def add_stats(summary: UsageSummary | None, stats: SessionStats) -> UsageSummary:
    """A copy of `summary` with one more session."""
    out = summary.model_copy(deep=True) if summary else UsageSummary()
    provider = stats.provider or "unknown"
    totals = out.provider_totals.setdefault(provider, UsageTotals())
    totals.input_tokens += stats.input_tokens
    totals.output_tokens += stats.output_tokens
    totals.total_tokens += stats.total_tokens
    totals.cost_usd += stats.cost_usd
    totals.reasoning_tokens += stats.reasoning_tokens
    totals.cache_read_tokens += stats.cache_read_tokens
    totals.cache_write_tokens += stats.cache_write_tokens
    totals.session_count += 1
    _recompute_totals(out)
    return out


def add_summary(summary: UsageSummary | None, other: UsageSummary | None) -> UsageSummary | None:
    """`summary + other` (child usage rolled up, baselines for budget checks)."""
    if other is None:
        return summary.model_copy(deep=True) if summary else None
    out = summary.model_copy(deep=True) if summary else UsageSummary()
    for provider, theirs in other.provider_totals.items():
        mine = out.provider_totals.setdefault(provider, UsageTotals())
        for name in _TOTAL_FIELDS:
            setattr(mine, name, getattr(mine, name) + getattr(theirs, name))
        mine.estimated = mine.estimated or theirs.estimated
    out.estimated = out.estimated or other.estimated
    _recompute_totals(out)
    return out


def _num(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def provider_totals_json(summary: UsageSummary) -> dict[str, dict[str, Any]]:
    """`provider_totals` as the reference serialises it (events, golden traces)."""
    out: dict[str, dict[str, Any]] = {}
    for provider, t in summary.provider_totals.items():
        out[provider] = {
            "input_tokens": t.input_tokens,
            "output_tokens": t.output_tokens,
            "total_tokens": t.total_tokens,
            "cost_usd": _num(t.cost_usd),
            "reasoning_tokens": t.reasoning_tokens,
            "cache_read_tokens": t.cache_read_tokens,
            "cache_write_tokens": t.cache_write_tokens,
            "session_count": t.session_count,
        }
    return out


def summary_json(summary: UsageSummary | None) -> dict[str, Any] | None:
    """The reference's UsageSummary JSON (golden `usage`)."""
    if summary is None:
        return None
    return {
        "total_input_tokens": summary.total_input_tokens,
        "total_output_tokens": summary.total_output_tokens,
        "total_tokens": summary.total_tokens,
        "total_cost_usd": _num(summary.total_cost_usd),
        "total_reasoning_tokens": summary.total_reasoning_tokens,
        "total_cache_read_tokens": summary.total_cache_read_tokens,
        "total_cache_write_tokens": summary.total_cache_write_tokens,
        "session_count": summary.session_count,
        "provider_totals": provider_totals_json(summary),
    }
