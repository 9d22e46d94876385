"""`tracker audit [runID] [-w dir] [--json]` and its alias `tracker list` (cli-tui.md
§7.8, §7.9).

With a run ID: the audit report of that run (exit 1 with `error: …` when it cannot be
found or read). Without one: the table of runs, newest first, or `No runs found. Run a
pipeline first.` (exit 0). `--json` [PY] prints the AuditReport / the RunSummary list."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import TYPE_CHECKING

from tracker.cli.errors import CliError

if TYPE_CHECKING:
    from tracker.inspect.models import AuditReport, RunSummary, TimelineEntry

AUDIT_RULE = "═══ Audit Report " + "═" * 45
FOOTER_RULE = "═" * 59
TIMELINE_RULE = "─── Timeline " + "─" * 49
RETRIES_RULE = "─── Retries " + "─" * 50
ERRORS_RULE = "─── Errors " + "─" * 51
RECOMMENDATIONS_RULE = "─── Recommendations " + "─" * 40
NO_RUNS = "No runs found. Run a pipeline first."

#: run-level events, printed with ▶ whatever their node
_PIPELINE_EVENTS = {"pipeline_started", "pipeline_completed", "pipeline_failed", "loop_restart"}
#: stage events, printed with ▸ and their node
_STAGE_EVENTS = {"stage_started", "stage_completed", "stage_failed", "stage_retrying"}


def render_audit(report: AuditReport) -> list[str]:
    """The audit report's lines, as the reference prints them."""
    from tracker.inspect.times import zone_label

    ts = report.checkpoint_timestamp
    lines = ["", AUDIT_RULE]
    lines.append(f"  Run ID:    {report.run_id}")
    lines.append(f"  Status:    {report.status}")
    lines.append(f"  Nodes:     {report.completed_nodes} completed")
    lines.append(f"  Restarts:  {report.restart_count}")
    lines.append(f"  Timestamp: {_clock(ts, date=True)} {zone_label(ts)}")
    lines += render_timeline(report.timeline)
    lines += ["", RETRIES_RULE]
    if not report.retries:
        lines.append("  (none)")
    for rec in report.retries:
        noun = "retry" if rec.attempts == 1 else "retries"
        lines.append(f"  {rec.node_id}:  {rec.attempts} {noun}")
    lines += ["", ERRORS_RULE]
    if not report.errors:
        lines.append("  (none)")
    for err in report.errors:
        lines.append(f"  {_clock(err.ts)}  [{err.node_id or 'pipeline'}] {err.message}")
    lines += ["", RECOMMENDATIONS_RULE]
    if not report.recommendations:
        lines.append("  (none)")
    lines += [f"  • {rec}" for rec in report.recommendations]
    lines.append(FOOTER_RULE)
    return lines


def render_timeline(timeline: list[TimelineEntry]) -> list[str]:
    """▶ for pipeline-level events, ▸ `node — type` for node events; a stage's end shows
    the time since that node's last start."""
    from tracker.inspect.times import delta_ns, format_elapsed

    lines = ["", TIMELINE_RULE]
    if not timeline:
        return [*lines, "  (no activity recorded)"]
    starts: dict[str, TimelineEntry] = {}
    for entry in timeline:
        clock = _clock(entry.ts)
        if entry.type in _PIPELINE_EVENTS or (
            entry.type not in _STAGE_EVENTS and not entry.node_id
        ):
            lines.append(f"  {clock}  ▶ {entry.type}")
            continue
        suffix = ""
        if entry.type == "stage_started":
            starts[entry.node_id] = entry
        elif entry.type in ("stage_completed", "stage_failed"):
            start = starts.pop(entry.node_id, None)
            if start is not None:
                suffix = f" ({format_elapsed(delta_ns(entry.ts, start.ts))})"
        lines.append(f"  {clock}  ▸ {entry.node_id} — {entry.type}{suffix}")
    if len(timeline) >= 2:
        total = delta_ns(timeline[-1].ts, timeline[0].ts)
        if total > 0:
            lines.append(f"  Total: {format_elapsed(total)}")
    return lines


def render_run_list(runs: list[RunSummary]) -> list[str]:
    """The `tracker list` table (widths 14/8/6/8/10)."""
    from tracker.inspect.times import format_elapsed

    def row(*cells: object) -> str:
        a, b, c, d, e, f = (str(x) for x in cells)
        return f"  {a:<14}  {b:<8}  {c:<6}  {d:<8}  {e:<10}  {f}"

    lines = ["", row("Run ID", "Status", "Nodes", "Retries", "Duration", "Failed At")]
    lines.append(row("──────", "──────", "─────", "───────", "────────", "─────────"))
    for r in runs:
        icon = {"success": "ok", "fail": "FAIL"}.get(r.status, "+")
        duration = format_elapsed(r.duration_ns) if r.duration_ns > 0 else ""
        lines.append(row(r.run_id[:14], icon, r.nodes, r.retries, duration, r.failed_at))
    lines += ["", f"  {len(runs)} runs total", "  Inspect a run: tracker audit <runID>", ""]
    return lines


def _clock(ts: datetime, *, date: bool = False) -> str:
    """`HH:MM:SS` (or `YYYY-MM-DD HH:MM:SS`) in the timestamp's own zone."""
    clock = f"{ts.hour:02d}:{ts.minute:02d}:{ts.second:02d}"
    return f"{ts.year:04d}-{ts.month:02d}-{ts.day:02d} {clock}" if date else clock


def run_audit(run_id: str | None, *, workdir: str | None = None, json_out: bool = False) -> int:
    """The `tracker audit` / `tracker list` command body; returns the exit code."""
    from tracker.inspect import InspectError, audit, list_runs, resolve_run_dir

    try:
        if run_id:
            report = audit(resolve_run_dir(workdir, run_id))
            if json_out:
                return _print_json(report.model_dump(mode="json"))
            _write(render_audit(report))
            return 0
        runs = list_runs(workdir)
    except InspectError as exc:
        raise CliError(exc.message) from None
    if json_out:
        return _print_json([r.model_dump(mode="json") for r in runs])
    if not runs:
        print(NO_RUNS)
        return 0
    _write(render_run_list(runs))
    return 0


def _print_json(doc: object) -> int:
    print(json.dumps(doc, indent=2, ensure_ascii=False))
    return 0


def _write(lines: list[str]) -> None:
    sys.stdout.write("".join(line + "\n" for line in lines))
