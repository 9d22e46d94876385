"""Budget checks (spec/engine.md §5): tokens, then cost, then wall time; strictly greater."""

from __future__ import annotations

from dataclasses import dataclass

from tracker.dippin.values import parse_duration
from tracker.engine.config import BudgetLimits
from tracker.llm.usage import UsageSummary


@dataclass(frozen=True)
class BudgetBreach:
    dimension: str  # tokens | cost | wall_time
    message: str


def limits_from_graph(attrs: dict[str, str]) -> BudgetLimits:
    """The workflow's `defaults` budget keys (max_wall_time is a Go duration)."""

    def _int(key: str) -> int:
        try:
            return int(attrs.get(key, "0") or 0)
        except ValueError:
            return 0

    wall: float | None = None
    raw = attrs.get("max_wall_time", "")
    if raw:
        try:
            wall = parse_duration(raw) / 1e9 or None
        except ValueError:
            wall = None
    return BudgetLimits(
        max_total_tokens=_int("max_total_tokens"),
        max_cost_cents=_int("max_cost_cents"),
        max_wall_time=wall,
    )


def check_budget(
    limits: BudgetLimits, usage: UsageSummary | None, elapsed_seconds: float
) -> BudgetBreach | None:
    if limits.max_total_tokens and usage and usage.total_tokens > limits.max_total_tokens:
        return BudgetBreach("tokens", "max_total_tokens exceeded")
    if (
        limits.max_cost_cents
        and usage
        and round(usage.total_cost_usd * 100) > limits.max_cost_cents
    ):
        return BudgetBreach("cost", "max_cost_cents exceeded")
    if limits.max_wall_time and elapsed_seconds > limits.max_wall_time:
        return BudgetBreach("wall_time", "max_wall_time exceeded")
    return None
