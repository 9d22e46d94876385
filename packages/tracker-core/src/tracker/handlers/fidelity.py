"""Context fidelity (spec engine.md §3.6): how much of the run's context an agent prompt
carries.

`full` (the default) relies on `${ctx.*}` in the prompt. Every other level prepends a
`# Context Summary (fidelity: <level>)` section built from a compacted copy of the
context, so a long run does not flood later prompts. `reads:` keys are pinned: kept
whole at every level. On resume the engine degrades the current node's level one step
(`degrade`) and compacts the restored context (`compact_context`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

FULL = "full"
SUMMARY_HIGH = "summary:high"
SUMMARY_MEDIUM = "summary:medium"
SUMMARY_LOW = "summary:low"
COMPACT = "compact"
TRUNCATE = "truncate"
LEVELS = (FULL, SUMMARY_HIGH, SUMMARY_MEDIUM, SUMMARY_LOW, COMPACT, TRUNCATE)

_DEGRADE = {
    FULL: SUMMARY_HIGH,
    SUMMARY_HIGH: SUMMARY_MEDIUM,
    SUMMARY_MEDIUM: SUMMARY_LOW,
    SUMMARY_LOW: COMPACT,
    COMPACT: TRUNCATE,
    TRUNCATE: TRUNCATE,
}

GOAL_KEY = "graph.goal"
#: the keys summary:medium and truncate keep (decisions, not history)
MEDIUM_KEYS = (
    "outcome",
    "last_response",
    "human_response",
    "preferred_label",
    "tool_stdout",
    "tool_stderr",
    GOAL_KEY,
)
TRUNCATE_LIMIT = 500
RESPONSE_EXCERPT = 2000


def resolve(node_attrs: Mapping[str, str], graph_attrs: Mapping[str, str]) -> str:
    """Node `fidelity`, else graph `default_fidelity`, else `full` (unknown values skip)."""
    for value in (node_attrs.get("fidelity", ""), graph_attrs.get("default_fidelity", "")):
        value = value.strip()
        if value in LEVELS:
            return value
    return FULL


def degrade(level: str) -> str:
    """One step down the chain; `truncate` is the floor, unknown levels land there."""
    return _DEGRADE.get(level, TRUNCATE)


def completed_nodes(values: Mapping[str, str]) -> list[str]:
    """Nodes that ran, in first-run order, from the engine's `node.<id>.outcome` keys."""
    found: list[str] = []
    for key in values:
        if key.startswith("node.") and key.endswith(".outcome"):
            node_id = key[len("node.") : -len(".outcome")]
            if node_id and node_id not in found:
                found.append(node_id)
    return found


def cut_at_word(text: str, limit: int = TRUNCATE_LIMIT) -> str:
    """At most about `limit` characters, cut at the last whitespace, `...` appended."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    cut = max(head.rfind(" "), head.rfind("\n"), head.rfind("\t"))
    return (head[:cut] if cut > 0 else head) + "..."


def compact_context(
    values: Mapping[str, str],
    level: str,
    *,
    pinned: Iterable[str] = (),
    run_dir: Path | None = None,
) -> dict[str, str]:
    """The context as the given level shows it."""
    if level == SUMMARY_HIGH:
        out = dict(values)
        for node_id in completed_nodes(values):
            excerpt = _response_excerpt(run_dir, node_id)
            if excerpt:
                out[f"summary.{node_id}"] = excerpt
        return out
    if level in (SUMMARY_MEDIUM, TRUNCATE):
        out = {}
        for key in dict.fromkeys([*MEDIUM_KEYS, *pinned]):
            if key in values:
                value = values[key]
                if level == TRUNCATE and key not in pinned:
                    value = cut_at_word(value)
                out[key] = value
        return out
    if level == SUMMARY_LOW:
        out = _pinned(values, [GOAL_KEY, *pinned])
        lines = [
            f"{n}: {values.get(f'node.{n}.outcome') or 'completed'}"
            for n in completed_nodes(values)
        ]
        out["completed_summary"] = "\n".join(lines)
        return out
    if level == COMPACT:
        return _pinned(values, [GOAL_KEY, "outcome", *pinned])
    return dict(values)


def _pinned(values: Mapping[str, str], keys: Iterable[str]) -> dict[str, str]:
    return {k: values[k] for k in dict.fromkeys(keys) if k in values}


def _response_excerpt(run_dir: Path | None, node_id: str) -> str:
    if run_dir is None:
        return ""
    try:
        text = (run_dir / node_id / "response.md").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""
    return text[:RESPONSE_EXCERPT]


def summary_section(compacted: Mapping[str, str], level: str) -> str:
    """`# Context Summary (fidelity: L)` then `## key` / value per non-empty key (sorted,
    so the prompt is stable); "" when nothing is worth showing."""
    parts = [f"## {k}\n{compacted[k]}" for k in sorted(compacted) if compacted[k]]
    if not parts:
        return ""
    return "\n\n".join([f"# Context Summary (fidelity: {level})", *parts])


def apply_fidelity(
    prompt: str,
    values: Mapping[str, str],
    level: str,
    *,
    pinned: Iterable[str] = (),
    run_dir: Path | None = None,
) -> str:
    """The prompt with the level's context summary prepended (unchanged for `full`)."""
    if level == FULL:
        return prompt
    pinned = list(pinned)
    section = summary_section(compact_context(values, level, pinned=pinned, run_dir=run_dir), level)
    return f"{section}\n\n---\n\n{prompt}" if section else prompt
