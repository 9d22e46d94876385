"""Tool output truncation (spec agent-llm.md §6.3): keep the tail, where errors usually
are, and say how much was cut. The marker text is compared by golden traces, so it must
match the reference exactly."""

from __future__ import annotations

from collections.abc import Mapping

#: per-tool character limits; any other tool gets DEFAULT_LIMIT
TOOL_OUTPUT_LIMITS: dict[str, int] = {
    "read": 50_000,
    "bash": 30_000,
    "grep_search": 20_000,
    "edit": 10_000,
    "apply_patch": 10_000,
    "write": 1_000,
}
DEFAULT_LIMIT = 8_000


def limit_for(tool: str, overrides: Mapping[str, int] | None = None) -> int:
    if overrides and overrides.get(tool, 0) > 0:
        return overrides[tool]
    return TOOL_OUTPUT_LIMITS.get(tool, DEFAULT_LIMIT)


def truncate_output(text: str, limit: int) -> str:
    """`text` if within `limit`, else its last `limit // 2` characters behind a marker
    naming how many characters were removed."""
    if len(text) <= limit:
        return text
    keep = limit // 2
    removed = len(text) - keep
    tail = text[-keep:] if keep else ""
    return f"[... truncated {removed} characters ...]\n{tail}"
