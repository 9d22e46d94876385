"""Token usage of an ACP session.

ACP agents do not meter tokens to the client (a prompt response may carry an unstable
`usage` object; when it does, those numbers are used as reported). Otherwise usage is
estimated so budgets and the cost summary still see the node: tokens = ceil(characters
/ 4); input = prompt + system prompt + tool results; output = message text + thoughts +
tool-call arguments; reasoning = thoughts. `TRACKER_ACP_CACHE_READ_RATIO` in (0, 1]
moves that share of input to cache reads. The usage is marked `estimated`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tracker.llm.types import Usage

log = logging.getLogger("tracker_acp.usage")

CACHE_RATIO_ENV = "TRACKER_ACP_CACHE_READ_RATIO"
CHARS_PER_TOKEN = 4
#: what summaries look for to print "(estimated)" (agent-llm.md §4.3)
ESTIMATE_MARKER = {
    "estimated": True,
    "source": "acp-chars-heuristic",
    "chars_per_token": CHARS_PER_TOKEN,
}
_warned_ratio = False


def tokens(chars: int) -> int:
    return math.ceil(chars / CHARS_PER_TOKEN) if chars > 0 else 0


def cache_read_ratio(environ: Mapping[str, str]) -> float:
    """The configured ratio, or 0 (an invalid value is reported once per process)."""
    global _warned_ratio
    raw = environ.get(CACHE_RATIO_ENV, "").strip()
    if not raw:
        return 0.0
    try:
        ratio = float(raw)
    except ValueError:
        ratio = -1.0
    if 0.0 < ratio <= 1.0:
        return ratio
    if not _warned_ratio:
        _warned_ratio = True
        log.warning("%s=%r is not a number in (0, 1]; ignored", CACHE_RATIO_ENV, raw)
    return 0.0


@dataclass
class UsageCounter:
    """Characters seen per category during one session."""

    input_chars: int = 0
    output_chars: int = 0
    thought_chars: int = 0

    def add_input(self, text: str) -> None:
        self.input_chars += len(text)

    def add_output(self, text: str) -> None:
        self.output_chars += len(text)

    def add_thought(self, text: str) -> None:
        self.thought_chars += len(text)

    def estimate(self, environ: Mapping[str, str]) -> Usage:
        inp = tokens(self.input_chars)
        thought = tokens(self.thought_chars)
        out = tokens(self.output_chars) + thought
        cache_read = 0
        ratio = cache_read_ratio(environ)
        if ratio:
            cache_read = int(inp * ratio)
            inp -= cache_read
        return Usage(
            input_tokens=inp,
            output_tokens=out,
            total_tokens=inp + out,
            reasoning_tokens=thought or None,
            cache_read_tokens=cache_read or None,
            estimated=True,
            raw=dict(ESTIMATE_MARKER),
        )


def _count(data: Mapping[str, Any], key: str) -> int:
    value = data.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def reported_usage(data: Any) -> Usage | None:
    """The prompt response's own `usage`, when the agent sends one with token counts."""
    if not isinstance(data, dict):
        return None
    inp, out = _count(data, "inputTokens"), _count(data, "outputTokens")
    if not inp and not out:
        return None
    return Usage(
        input_tokens=inp,
        output_tokens=out,
        total_tokens=_count(data, "totalTokens") or inp + out,
        reasoning_tokens=_count(data, "thoughtTokens") or None,
        cache_read_tokens=_count(data, "cachedReadTokens") or None,
        cache_write_tokens=_count(data, "cachedWriteTokens") or None,
    )


def priced(usage: Usage, model: str) -> Usage:
    """`usage` with its cost from the catalog for the node's model (0 when unknown)."""
    from tracker.llm.catalog import estimate_cost

    try:
        cost = estimate_cost(model, usage) if model else 0.0
    except Exception:  # an unpriced model must not fail the node
        cost = 0.0
    return usage.model_copy(update={"estimated_cost": cost})
