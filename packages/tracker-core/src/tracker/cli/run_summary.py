"""The end-of-run summary (cli-tui.md §4.10): status, totals, one row per node execution,
tokens and dollars per provider, the path taken, why the run halted and how to resume.

Pure text: `render_summary` returns lines so tests and the `--json` mode (stderr) share it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

WIDTH = 72
LOGO = (
    " ▀█▀ █▀█ ▄▀█ █▀▀ █▄▀ █▀▀ █▀█",
    "  █  █▀▄ █▀█ █▄▄ █ █ ██▄ █▀▄",
)
_ICONS = {"success": "✓", "partial_success": "✓", "retry": "↻"}


@dataclass
class SummaryInput:
    """What the summary needs to know about a finished run."""

    run_id: str
    status: str
    pipeline_arg: str
    duration: float  # seconds
    trace: list[Any] = field(default_factory=list)  # engine TraceEntry objects
    usage: Any = None  # tracker.llm.usage.UsageSummary | None
    limits_hit: list[str] = field(default_factory=list)
    error: str = ""
    params: dict[str, str] = field(default_factory=dict)
    resume_flags: list[str] = field(default_factory=list)


def fmt_count(n: int) -> str:
    return f"{n:,}"


def fmt_duration(seconds: float) -> str:
    """`<1s` → `Nms`; `<1m` → `N.Ns`; else `MmSSs` (`1m04s`)."""
    if seconds < 1:
        return f"{int(seconds * 1000)}ms"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s"


def _rule(title: str, char: str = "─") -> str:
    head = f"{char * 3} {title} "
    return head + char * max(3, WIDTH - len(head))


def _icon(status: str) -> str:
    return _ICONS.get(status, "✗")


def _estimated(usage: Any) -> bool:
    if usage is None:
        return False
    if usage.estimated:
        return True
    return any(getattr(t, "estimated", False) for t in usage.provider_totals.values())


def _totals(data: SummaryInput) -> list[str]:
    stats = [e.stats for e in data.trace if getattr(e, "stats", None) is not None]
    turns = sum(s.turns for s in stats)
    calls: dict[str, int] = {}
    created: set[str] = set()
    modified: set[str] = set()
    compactions = 0
    for s in stats:
        for name, n in s.tool_calls.items():
            calls[name] = calls.get(name, 0) + n
        created.update(s.files_created)
        modified.update(s.files_modified)
        compactions += s.compactions
    total_calls = sum(s.total_tool_calls for s in stats) or sum(calls.values())
    if not turns and not total_calls:
        return []
    lines = [_rule("Totals"), f"  LLM Turns:    {fmt_count(turns)}"]
    tools = f"  Tool Calls:   {fmt_count(total_calls)}"
    if calls:
        ranked = sorted(calls.items(), key=lambda kv: (-kv[1], kv[0]))
        tools += "  (" + ", ".join(f"{k}: {fmt_count(v)}" for k, v in ranked) + ")"
    lines.append(tools)
    if created or modified:
        lines.append(f"  Files:        {len(created)} created, {len(modified)} modified")
    if compactions:
        lines.append(f"  Compactions:  {compactions}")
    usage = data.usage
    if usage is not None:
        cost = f"~${usage.total_cost_usd:.2f} usage" if _estimated(usage) else None
        money = f"({cost})" if cost else f"(${usage.total_cost_usd:.2f})"
        lines.append(
            f"  Tokens:       {fmt_count(usage.total_input_tokens)} in / "
            f"{fmt_count(usage.total_output_tokens)} out  {money}"
        )
    return lines


def _node_rows(data: SummaryInput) -> list[str]:
    lines = [
        _rule("Node Execution"),
        f"  {'Node':<22}  {'Status':<16}  {'Time':<10}  {'Turns':>5}  {'Tools':>5}  Handler",
    ]
    for entry in data.trace:
        node = entry.node_id if len(entry.node_id) <= 22 else entry.node_id[:19] + "..."
        stats = getattr(entry, "stats", None)
        turns = str(stats.turns) if stats else "-"
        tools = str(stats.total_tool_calls) if stats else "-"
        status = f"{_icon(entry.status)} {entry.status}"
        lines.append(
            f"  {node:<22}  {status:<16}  {fmt_duration(entry.duration):<10}  "
            f"{turns:>5}  {tools:>5}  {entry.handler_name}"
        )
    return lines


def _providers(data: SummaryInput) -> list[str]:
    usage = data.usage
    if usage is None or not usage.provider_totals:
        return []
    lines = [_rule("Tokens by Provider"), f"  {'Provider':<22}  {'Input':>12}  {'Output':>12}"]
    for name in sorted(usage.provider_totals):
        t = usage.provider_totals[name]
        label = f"{name} (estimated)" if t.estimated else name
        lines.append(
            f"  {label:<22}  {fmt_count(t.input_tokens):>12}  {fmt_count(t.output_tokens):>12}"
        )
    lines.append(
        f"  {'TOTAL':<22}  {fmt_count(usage.total_input_tokens):>12}  "
        f"{fmt_count(usage.total_output_tokens):>12}"
    )
    if _estimated(usage):
        lines.append(
            f"  Cost: ~${usage.total_cost_usd:.4f}  "
            "(estimated — heuristic spend on at least one provider)"
        )
    else:
        lines.append(f"  Cost: ${usage.total_cost_usd:.4f}")
    return lines


def _path(data: SummaryInput) -> list[str]:
    if not data.trace:
        return []
    lines = [_rule("Pipeline")]
    for i, entry in enumerate(data.trace):
        if i:
            lines.append("  │")
        lines.append(f"  {_icon(entry.status)} {entry.node_id} ({fmt_duration(entry.duration)})")
        following = data.trace[i + 1].node_id if i + 1 < len(data.trace) else ""
        if entry.edge_to and entry.edge_to != following:
            lines.append(f"  │ → {entry.edge_to}")
    return lines


def _halted(data: SummaryInput) -> list[str]:
    usage = data.usage
    spent: list[str] = []
    if usage is not None:
        tokens = usage.total_tokens or usage.total_input_tokens + usage.total_output_tokens
        spent.append(f"{fmt_count(tokens)} tokens")
        if usage.total_cost_usd > 0:
            spent.append(f"${usage.total_cost_usd:.4f}")
    if "wall_time" in data.limits_hit or not spent:
        spent.append(f"{fmt_duration(data.duration)} wall time")
    return [
        _rule("HALTED: budget exceeded"),
        f"  reason: {', '.join(data.limits_hit) or 'budget'}",
        f"  spent:  {', '.join(spent)}",
    ]


def error_text(status: str, error: str) -> str:
    """The one-line reason a run did not succeed (summary ERROR line and stderr)."""
    if error:
        return error if error.startswith("pipeline ") else f"pipeline execution: {error}"
    return f"pipeline finished with status: {status}"


def resume_command(data: SummaryInput) -> str:
    return " ".join(["tracker", "-r", data.run_id, *data.resume_flags, data.pipeline_arg])


def render_summary(data: SummaryInput) -> list[str]:
    """Every line of the summary, in the order §4.10 gives."""
    succeeded = data.status in ("success", "validation_overridden")
    lines = ["", *LOGO, "", _rule("Run Complete", "═")]
    lines.append(f"  Run ID:    {data.run_id}")
    lines.append(f"  Status:    ● {data.status}")
    if data.params:
        pairs = ", ".join(f"{k}={data.params[k]}" for k in sorted(data.params))
        lines.append(f"  Params:    {pairs}")
    lines.append(f"  Duration:  {fmt_duration(data.duration)}")
    lines += _totals(data)
    if data.trace:
        lines += _node_rows(data)
    lines += _providers(data)
    lines += _path(data)
    if data.status == "budget_exceeded":
        lines += _halted(data)
    elif not succeeded:
        lines += ["", f"  ERROR: {error_text(data.status, data.error)}"]
    if not succeeded and data.run_id:
        lines += [_rule("Resume"), f"  {resume_command(data)}"]
    lines.append("═" * WIDTH)
    return lines
