"""tracker's own lint codes (TRK101, TRK102): run-time pitfalls of tracker's engine that
dippin cannot see."""

from __future__ import annotations

import re
from collections.abc import Iterator

from tracker.dippin.ir import HumanConfig, ToolConfig
from tracker.lint.context import LintContext
from tracker.lint.diagnostic import Diagnostic

from ._base import analysis, q, rule

W = "warning"

_TEE = re.compile(r"(?:^|\s)tee(?:\s|$)")
APPROVE_LABELS = ("accept", "mark done", "approve")


def _raw(e) -> str:
    return e.condition.raw if e.condition is not None else ""


@rule("TRK101", W, "stdout routing on a tool that merges or tees its output")
def trk101(ctx: LintContext) -> Iterator[Diagnostic]:
    a = analysis(ctx)
    for node in ctx.workflow.nodes:
        cfg = node.config
        if not isinstance(cfg, ToolConfig) or cfg.marker_grep or cfg.output_limit > 0:
            continue
        if "2>&1" not in cfg.command and not _TEE.search(cfg.command):
            continue
        out = a.out_explicit.get(node.id, [])
        stdout_edges = [
            e for e in out if "ctx.tool_stdout" in _raw(e) or "context.tool_stdout" in _raw(e)
        ]
        if len(stdout_edges) != 1:
            continue
        if any("ctx.outcome" in _raw(e) or "context.outcome" in _raw(e) for e in out):
            continue
        if not any(e.condition is None for e in out):
            continue
        e = stdout_edges[0]
        yield ctx.diag(
            "TRK101",
            W,
            f"tool {q(node.id)} routes on its stdout (edge {e.from_} -> {e.to}) but merges "
            "stderr or tees output, so a failing command can still match and fall through "
            "to the default edge",
            at=node.source,
            help="emit a marker line and route with marker_grep, or route on ctx.outcome",
        )


@rule("TRK102", W, "approving a failure escalation skips straight to the exit")
def trk102(ctx: LintContext) -> Iterator[Diagnostic]:
    a = analysis(ctx)
    wf = ctx.workflow
    if not a.exit_ok:
        return

    gates = {n.id for n in a.node_map.values() if isinstance(n.config, HumanConfig)}
    candidates = [
        e
        for e in wf.edges
        if not e.override and e.from_ in gates and e.label.strip().lower() in APPROVE_LABELS
    ]
    if not candidates:
        return
    is_gate = gates.__contains__

    # nodes that reach the exit without passing through any human gate
    preds: dict[str, list[str]] = {}
    for src, succs in a.forward_adjacency(restart=True).items():
        for t in succs:
            preds.setdefault(t, []).append(src)
    clear: set[str] = set() if is_gate(wf.exit) else {wf.exit}
    queue = list(clear)
    while queue:
        cur = queue.pop()
        for p in preds.get(cur, ()):
            if p not in clear and not is_gate(p):
                clear.add(p)
                queue.append(p)

    fallback_named = {wf.defaults.on_failure} | {
        t for n in wf.nodes for t in (n.retry.fallback_target, n.retry.fallback_retry_target)
    }
    escalation: dict[str, bool] = {}
    for e in candidates:
        if e.to not in clear:
            continue
        gate = e.from_
        if gate not in escalation:
            escalation[gate] = gate in fallback_named or any(
                "outcome=fail" in _raw(i).replace(" ", "").lower()
                for i in a.in_explicit.get(gate, ())
            )
        if not escalation[gate]:
            continue
        yield ctx.diag(
            "TRK102",
            W,
            f"edge {e.from_} -> {e.to}: approving failure gate {q(gate)} with "
            f"{q(e.label)} reaches the exit with no further review, so a failed step can "
            "finish as success",
            at=e.source,
            help="route the approval back through the failed work, or mark the edge "
            "`override: true` if this is intended",
            fix=f"add `override: true` to edge {e.from_} -> {e.to}",
        )
