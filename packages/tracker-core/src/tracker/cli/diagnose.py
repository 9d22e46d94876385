"""`tracker diagnose [runID] [-w dir] [--json]` (cli-tui.md §7.7).

Prints the failure analysis of a run (the most recent one without an ID). Exit 0 whenever
a report was produced — diagnosing a failed run is a success; 1 when there is nothing to
diagnose (`error: …`). `--json` [PY] prints the DiagnoseReport document instead."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from tracker.cli.errors import CliError

if TYPE_CHECKING:
    from tracker.inspect.models import BudgetHalt, DiagnoseReport, NodeFailure, Suggestion

#: paints a piece of text in a named style; identity when colour is off
Painter = Callable[[str, str], str]

SUGGESTIONS_RULE = "─── Suggestions " + "─" * 43
_STYLES = {
    "banner": "1;35",
    "fail": "1;31",
    "label": "1;36",
    "clean": "32",
    "arrow": "33",
    "muted": "2",
}


def plain(_style: str, text: str) -> str:
    return text


def painter(stream: TextIO) -> Painter:
    """ANSI styles only on a terminal, never with NO_COLOR set."""
    if not (stream.isatty() and not os.environ.get("NO_COLOR")):
        return plain
    return lambda style, text: f"\x1b[{_STYLES[style]}m{text}\x1b[0m"


def render_diagnose(report: DiagnoseReport, paint: Painter = plain) -> list[str]:
    """The report's lines (without trailing newlines), as the reference prints them."""
    lines = ["", paint("banner", "tracker diagnose"), ""]
    lines.append(f"  Run ID:  {report.run_id}")
    lines.append(f"  Nodes:   {report.completed_nodes} completed")
    if report.budget_halt is not None:
        lines += render_budget_halt(report.budget_halt)
    if not report.failures and report.budget_halt is None:
        lines += ["", paint("clean", "  No failures found — this run completed cleanly."), ""]
        return lines
    if report.failures:
        lines += [f"  Failures: {len(report.failures)}", ""]
        for failure in sorted(report.failures, key=lambda f: f.node_id):
            lines += render_failure(failure, paint)
        lines += render_suggestions(report.suggestions, paint)
    return lines


def render_budget_halt(halt: BudgetHalt) -> list[str]:
    lines = ["", "━━━ Budget halt detected ━━━"]
    if halt.message:
        lines.append(f"  breach:       {halt.message}")
    if halt.total_tokens > 0:
        lines.append(f"  tokens used:  {halt.total_tokens}")
    if halt.total_cost_usd > 0:
        lines.append(f"  cost:         ${halt.total_cost_usd:.4f}")
    if halt.wall_elapsed_ms > 0:
        lines.append(f"  wall time:    {halt.wall_elapsed_ms}ms")
    lines.append(
        "  suggestion:   raise the relevant --max-tokens, --max-cost, or --max-wall-time flag,"
    )
    lines.append("                or remove the Config.Budget value in your pipeline configuration")
    lines.append("")
    return lines


def render_failure(f: NodeFailure, paint: Painter = plain) -> list[str]:
    from tracker.inspect.times import format_elapsed

    def label(text: str) -> str:
        return paint("label", text)

    lines = [paint("fail", f"  ✗ {f.node_id}")]
    if f.handler:
        lines.append(f"    {label('Handler:')} {f.handler}")
    if f.duration_ns > 0:
        name = "Duration (last):" if f.retry_count >= 2 else "Duration:"
        lines.append(f"    {label(name)} {format_elapsed(f.duration_ns)}")
    if f.retry_count >= 2:
        verdict = " (all identical — deterministic)" if f.identical_retries else ""
        lines.append(f"    {label('Attempts:')} {f.retry_count} failures{verdict}")
    for title, text in (("Output:", f.stdout), ("Stderr:", f.stderr)):
        if text:
            lines.append(f"    {label(title)}")
            lines += [f"      {ln.strip()}" for ln in text.split("\n") if ln.strip()]
    if f.errors:
        lines.append(f"    {label('Errors:')}")
        lines += [f"      {e}" for e in dict.fromkeys(f.errors)]
    if not f.stdout and not f.stderr and not f.errors:
        lines.append(
            "    " + paint("muted", "No error details captured — node may have failed silently")
        )
    lines.append("")
    return lines


def render_suggestions(suggestions: list[Suggestion], paint: Painter = plain) -> list[str]:
    """The Suggestions section; the budget advice is left to the halt block above."""
    lines = [SUGGESTIONS_RULE]
    if not suggestions:
        lines.append("  (none)")
    lines += [f"  {paint('arrow', '→')} {s.message}" for s in suggestions if s.kind != "budget"]
    lines.append("")
    return lines


def run_diagnose(run_id: str | None, *, workdir: str | None = None, json_out: bool = False) -> int:
    """The `tracker diagnose` command body; returns the exit code."""
    from tracker.inspect import InspectError, diagnose, diagnose_most_recent, resolve_run_dir

    try:
        if run_id:
            report = diagnose(resolve_run_dir(workdir, run_id))
        else:
            report = diagnose_most_recent(workdir)
    except InspectError as exc:
        raise CliError(exc.message) from None
    if json_out:
        print(json.dumps(report.model_dump(mode="json"), indent=2, ensure_ascii=False))
        return 0
    paint = painter(sys.stdout)
    sys.stdout.write("".join(line + "\n" for line in render_diagnose(report, paint)))
    return 0
