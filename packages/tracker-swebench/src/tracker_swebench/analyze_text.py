"""The human-readable `analyze` report (cli-tui §12.4 step 7): plain-text tables that
stay readable in a pipe."""

from __future__ import annotations

from tracker_swebench.analyze import pct
from tracker_swebench.report import (
    AnalyzeReport,
    Counts,
    EmptyPatchSection,
    ErrorClasses,
    RepoRow,
    UnresolvedRow,
)

ARROW = " \u2192 "


def render_text(report: AnalyzeReport) -> str:
    """The whole report, every section ending with a blank line."""
    lines = _header(report)
    lines += _counts(report.counts)
    lines += _per_repo(report.per_repo)
    lines += _top_empty(report.top_empty_patches)
    lines += _top_unresolved(report.top_longest_unresolved, report.counts.resolved_known)
    lines += _errors(report.error_classes)
    return "\n".join(lines) + "\n"


def _header(report: AnalyzeReport) -> list[str]:
    title = "tracker-swebench analyze"
    lines = [title, "=" * len(title), f"Results dir: {report.results_dir}"]
    meta = report.run_meta
    if meta is not None:
        gateway = f", gateway: {meta.gateway_url}" if meta.gateway_url else ""
        lines.append(f"Model:       {meta.model}  (provider: {meta.provider}{gateway})")
        lines.append(f"Max turns:   {meta.max_turns}    Timeout: {meta.timeout}")
        if meta.commit:
            lines.append(f"Commit:      {meta.commit}")
    if report.evaluator_report_path:
        lines.append(f"Evaluator:   {report.evaluator_report_path}")
    return [*lines, ""]


def _section(title: str, body: list[str]) -> list[str]:
    return [title, "", *body, ""]


def _counts(c: Counts) -> list[str]:
    if c.total == 0:
        return _section("## Overall counts", ["  (no instances found)"])
    body = [f"  Total:              {c.total}"]
    if c.resolved_known:
        body.append(f"  Resolved:           {c.resolved} ({c.resolved_pct:.1f}%)")
        body.append(f"  Unresolved:         {c.unresolved} ({c.unresolved_pct:.1f}%)")
    else:
        body.append(
            f"  Patched (unverified): {c.patched_unverified} ({c.patched_unverified_pct:.1f}%)"
        )
        body.append("  (no evaluator report \u2014 resolution status unknown)")
    body.append(f"  Empty:              {c.empty} ({c.empty_pct:.1f}%)")
    body.append(f"  Errors:             {c.errors} ({c.errors_pct:.1f}%)")
    return _section("## Overall counts", body)


def _per_repo(rows: list[RepoRow]) -> list[str]:
    if not rows:
        return _section("## Per-repo breakdown", ["  (no repos)"])
    w = max(len("Repo"), *(len(r.repo) for r in rows))
    if rows[0].resolved_known:
        body = [
            f"  {'Repo':<{w}}  {'Total':>5}  {'Resolved':>8}  {'Unresolved':>10}  "
            f"{'Empty':>5}  {'Errors':>6}  {'Rate':>5}",
            "  " + "-" * (w + 4 + 5 + 2 + 8 + 2 + 10 + 2 + 5 + 2 + 6 + 2 + 5),
        ]
        body += [
            f"  {r.repo:<{w}}  {r.total:>5}  {r.resolved:>8}  {r.unresolved:>10}  "
            f"{r.empty:>5}  {r.errors:>6}  {r.rate:>4.1f}%"
            for r in rows
        ]
    else:
        body = [
            f"  {'Repo':<{w}}  {'Total':>5}  {'Patched':>9}  {'Empty':>5}  {'Errors':>6}  "
            f"{'Patch rate':>10}",
            "  " + "-" * (w + 4 + 5 + 2 + 9 + 2 + 5 + 2 + 6 + 2 + 10),
        ]
        body += [
            f"  {r.repo:<{w}}  {r.total:>5}  {r.patched_unverified:>9}  {r.empty:>5}  "
            f"{r.errors:>6}  {r.rate:>9.1f}%"
            for r in rows
        ]
    return _section("## Per-repo breakdown", body)


def _top_empty(sec: EmptyPatchSection) -> list[str]:
    title = f"## Top empty-patch instances ({sec.total_empty} total)"
    if sec.total_empty == 0:
        return _section(title, ["  (no empty-patch instances)"])
    if not sec.diagnostics_available:
        body = [
            "  no diagnostic data \u2014 run with newer tracker-swebench (>= PR #150)",
            "  to enable per-instance empty-patch diagnostics.",
            "",
            "  Instance IDs (top-N by turns):",
        ]
        body += [f"    - {e.instance_id} (turns: {e.turns})" for e in sec.instances]
        return _section(title, body)
    body = [
        f"  diagnostics found for {sec.diagnostics_found}/{sec.total_empty} empty-patch instances.",
        "",
    ]
    for n, e in enumerate(sec.instances, start=1):
        body.append(f"  {n}. {e.instance_id}")
        body.append(f"     turns: {e.turns}   termination: {e.termination_reason or '-'}")
        if e.last_tool_calls:
            body.append(f"     last tools: {ARROW.join(e.last_tool_calls)}")
        if e.final_message:
            body.append(f"     final: {e.final_message}")
    return _section(title, body)


def _dash_zero(n: int) -> str:
    return str(n) if n else "-"


def _top_unresolved(rows: list[UnresolvedRow], resolved_known: bool) -> list[str]:
    title = (
        "## Top longest unresolved instances"
        if resolved_known
        else "## Top longest non-resolved-or-empty instances"
    )
    if not rows:
        return _section(title, ["  (no candidates)"])
    w = max(len("Instance"), *(len(r.instance_id) for r in rows))
    body = [
        f"  {'Instance':<{w}}  {'Turns':>5}  {'Elapsed':>9}  {'Input tokens':>12}  "
        f"{'Output tokens':>12}",
        "  " + "-" * (w + 2 + 5 + 2 + 9 + 2 + 12 + 2 + 12),
    ]
    body += [
        f"  {r.instance_id:<{w}}  {r.turns:>5}  {r.elapsed or '-':>9}  "
        f"{_dash_zero(r.input_tokens):>12}  {_dash_zero(r.output_tokens):>12}"
        for r in rows
    ]
    return _section(title, body)


def _errors(d: ErrorClasses) -> list[str]:
    if d.total == 0:
        return _section("## Error class distribution", ["  (no errors)"])
    body = [
        f"  Total errors:  {d.total}",
        f"  Setup:         {d.setup} ({pct(d.setup, d.total):.1f}%)",
        f"  Patch:         {d.patch} ({pct(d.patch, d.total):.1f}%)",
        f"  Harness:       {d.harness} ({pct(d.harness, d.total):.1f}%)",
    ]
    if d.samples:
        body += ["", "  Samples (up to 3 per class):"]
        for s in d.samples:
            body += [f"    [{s.class_}] {s.instance_id}", f"         {s.message}"]
    return _section("## Error class distribution", body)
