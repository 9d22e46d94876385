"""Retry policies and backoff (spec/engine.md §2.5)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from tracker.dippin.values import parse_duration
from tracker.graph.model import Graph, GraphNode

MAX_DELAY = 60.0


@dataclass(frozen=True)
class RetryPolicy:
    name: str
    max_retries: int
    base_delay: float  # seconds
    linear: bool = False

    def delay(self, attempt: int, jitter: Callable[[], float] = random.random) -> float:
        """Backoff before retry `attempt` (0-based), capped at 60s, jittered ×[0.75,1.25)."""
        raw = self.base_delay * (attempt + 1) if self.linear else self.base_delay * 2**attempt
        raw = min(raw, MAX_DELAY)
        return min(raw * (0.75 + 0.5 * jitter()), MAX_DELAY)


POLICIES: dict[str, RetryPolicy] = {
    "none": RetryPolicy("none", 0, 0.0),
    "standard": RetryPolicy("standard", 2, 2.0),
    "aggressive": RetryPolicy("aggressive", 5, 0.5),
    "patient": RetryPolicy("patient", 3, 10.0),
    "linear": RetryPolicy("linear", 3, 2.0, linear=True),
}


def _int_attr(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None


def resolve_policy(node: GraphNode, graph: Graph) -> RetryPolicy:
    """Node `retry_policy` → graph `default_retry_policy` → standard, then the node's
    `max_retries` (else graph `default_max_retry`) and `base_delay` overrides."""
    name = node.attrs.get("retry_policy") or graph.attrs.get("default_retry_policy") or "standard"
    base = POLICIES.get(name, POLICIES["standard"])
    max_retries = base.max_retries
    for raw in (node.attrs.get("max_retries", ""), graph.attrs.get("default_max_retry", "")):
        value = _int_attr(raw) if raw else None
        if value is not None:
            max_retries = max(value, 0)
            break
    base_delay = base.base_delay
    if node.attrs.get("base_delay"):
        try:
            base_delay = parse_duration(node.attrs["base_delay"]) / 1e9
        except ValueError:
            pass
    return RetryPolicy(base.name, max_retries, base_delay, base.linear)


def goal_gate_max_retries(node: GraphNode, graph: Graph) -> int:
    """Goal-gate retries: node `max_retries` → graph `default_max_retry` → 3."""
    for raw in (node.attrs.get("max_retries", ""), graph.attrs.get("default_max_retry", "")):
        value = _int_attr(raw) if raw else None
        if value is not None:
            return max(value, 0)
    return 3
