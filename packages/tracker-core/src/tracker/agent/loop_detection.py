"""Tool-loop detection (spec agent-llm.md §5.3 step 7): a model repeating the exact same
tool calls turn after turn is stuck; stop it after `threshold` identical tool turns."""

from __future__ import annotations

import json
from collections.abc import Sequence

from tracker.llm.types import ToolCall


def _compact(arguments: str) -> str:
    try:
        return json.dumps(json.loads(arguments or "{}"), separators=(",", ":"))
    except ValueError:
        return arguments


def turn_signature(calls: Sequence[ToolCall]) -> str:
    """`name:compact-json-args` per call, joined by commas (order matters)."""
    return ",".join(f"{call.name}:{_compact(call.arguments)}" for call in calls)


class LoopDetector:
    """Counts consecutive tool turns with the same signature."""

    def __init__(self, threshold: int = 4) -> None:
        self.threshold = threshold
        self._last: str | None = None
        self.count = 0

    def observe(self, calls: Sequence[ToolCall]) -> bool:
        """Record one tool turn; True when the repetition reached the threshold."""
        signature = turn_signature(calls)
        self.count = self.count + 1 if signature == self._last else 1
        self._last = signature
        return self.count >= self.threshold
