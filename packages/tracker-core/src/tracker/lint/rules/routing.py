"""Routing lint: dead ends, overlapping guards, retry without a failure route, ambiguous
fan-out (DIP101–DIP105, DIP149–DIP153)."""

from __future__ import annotations

from collections.abc import Iterator

from tracker.dippin.ir import (
    CondCompare,
    Edge,
    FanInConfig,
    HumanConfig,
    Node,
    ParallelConfig,
    ToolConfig,
)
from tracker.lint.context import LintContext
from tracker.lint.diagnostic import Diagnostic

from ._base import (
    EQ_OPS,
    Analysis,
    analysis,
    bfs,
    edge_leaves,
    has_failure_route,
    is_exhaustive,
    parsed,
    q,
    rule,
)

W, H = "warning", "hint"


def _marker_tool(node: Node | None) -> bool:
    return (
        node is not None and isinstance(node.config, ToolConfig) and bool(node.config.marker_grep)
    )


def _source_safe(a: Analysis, src: str) -> bool:
    """A source whose explicit guards cannot all fail (DIP101's exemption)."""
    if a.wf.else_target or _marker_tool(a.node_map.get(src)):
        return True
    out = a.out_explicit.get(src, [])
    return any(e.condition is None for e in out) or is_exhaustive(out)


@rule("DIP101", W, "node reachable only through conditional edges")
def dip101(ctx: LintContext) -> Iterator[Diagnostic]:
    a = analysis(ctx)
    safe: dict[str, bool] = {}
    for node in a.node_map.values():
        if node.id == ctx.workflow.start:
            continue
        incoming = a.in_explicit.get(node.id, [])
        if not incoming or any(e.condition is None for e in incoming):
            continue
        sources = dict.fromkeys(e.from_ for e in incoming)
        for s in sources:
            if s not in safe:
                safe[s] = _source_safe(a, s)
        if all(safe[s] for s in sources):
            continue
        yield ctx.diag(
            "DIP101",
            W,
            f"node {q(node.id)} is only reachable through conditional edges "
            f"(from {', '.join(sources)}); if no guard matches it never runs",
            at=node.source,
            help="add an unconditional edge into it, or make the source's guards exhaustive",
        )


@rule("DIP102", W, "node with conditional but no default outgoing edge")
def dip102(ctx: LintContext) -> Iterator[Diagnostic]:
    a = analysis(ctx)
    if ctx.workflow.else_target:
        return
    for node in a.node_map.values():
        out = a.edges_from(node.id)
        if not any(e.condition is not None for e in out):
            continue
        if any(e.condition is None for e in out) or _marker_tool(node):
            continue
        if is_exhaustive(a.out_explicit.get(node.id, [])):
            continue
        yield ctx.diag(
            "DIP102",
            W,
            f"node {q(node.id)} has only conditional outgoing edges and no default; "
            "the run stops there if no condition matches",
            at=node.source,
            help=f"add an unconditional edge from {node.id}, or an `else -> <Node>` line",
        )


@rule("DIP103", W, "the same comparison guards two edges from one node")
def dip103(ctx: LintContext) -> Iterator[Diagnostic]:
    a = analysis(ctx)
    for src in a.out_explicit:
        seen: dict[tuple[str, str, str, bool], Edge] = {}
        for e in a.out_explicit[src]:
            keys = dict.fromkeys((c.variable, c.op, c.value, neg) for c, neg in edge_leaves(e))
            for key in keys:
                first = seen.get(key)
                if first is None:
                    seen[key] = e
                    continue
                text = ("not " if key[3] else "") + f"{key[0]} {key[1]} {key[2]}"
                yield ctx.diag(
                    "DIP103",
                    W,
                    f"edge {e.from_} -> {e.to}: comparison `{text}` also guards "
                    f"edge {first.from_} -> {first.to}",
                    at=e.source,
                    help="overlapping guards make the routing depend on edge order; "
                    "make the conditions disjoint",
                )


@rule("DIP104", W, "retry configured with no retries and no failure route")
def dip104(ctx: LintContext) -> Iterator[Diagnostic]:
    a = analysis(ctx)
    for node in ctx.workflow.nodes:
        r = node.retry
        if not (r.policy or r.retry_target) or r.max_retries != 0:
            continue
        if has_failure_route(a, node):
            continue
        yield ctx.diag(
            "DIP104",
            W,
            f"node {q(node.id)} configures retry but max_retries is 0 and it has no failure route",
            at=node.source,
            help="set max_retries, or add an edge `when ctx.outcome = fail` / a fallback_target",
        )


@rule("DIP105", W, "exit unreachable without loop edges")
def dip105(ctx: LintContext) -> Iterator[Diagnostic]:
    a = analysis(ctx)
    wf = ctx.workflow
    if not (a.start_ok and a.exit_ok):
        return
    adj = a.forward_adjacency(restart=False)
    starts = [wf.start, wf.else_target] if wf.else_target else [wf.start]
    if wf.exit not in bfs(starts, adj):
        yield ctx.diag(
            "DIP105",
            W,
            f"exit node {q(wf.exit)} cannot be reached from start {q(wf.start)} "
            "without taking a loop/restart edge",
            at=a.node_map[wf.exit].source,
            help="add a forward path to the exit",
        )


@rule("DIP149", W, "several unconditional edges leave one node")
def dip149(ctx: LintContext) -> Iterator[Diagnostic]:
    a = analysis(ctx)
    for node in a.node_map.values():
        if isinstance(node.config, (ParallelConfig, HumanConfig)):
            continue
        plain = [e for e in a.edges_from(node.id) if e.condition is None and not e.restart]
        if len(plain) < 2:
            continue
        targets = ", ".join(e.to for e in plain)
        yield ctx.diag(
            "DIP149",
            W,
            f"node {q(node.id)} has {len(plain)} unconditional outgoing edges ({targets}); "
            "only the first is ever taken",
            at=node.source,
            help="use a parallel node to run them all, or add conditions",
        )


@rule("DIP150", H, "labeled edge from a choice gate without `choice:`")
def dip150(ctx: LintContext) -> Iterator[Diagnostic]:
    a = analysis(ctx)
    for e in ctx.workflow.edges:
        src = a.node_map.get(e.from_)
        if src is None or not isinstance(src.config, HumanConfig):
            continue
        if src.config.mode not in ("", "choice", "yes_no") or not e.label or e.choice:
            continue
        yield ctx.diag(
            "DIP150",
            H,
            f"edge {e.from_} -> {e.to}: label {q(e.label)} doubles as the gate's answer; "
            "consider an explicit `choice:`",
            at=e.source,
            fix=f"add `choice: {e.label}` to edge {e.from_} -> {e.to}",
        )


@rule("DIP151", W, "edge weight set")
def dip151(ctx: LintContext) -> Iterator[Diagnostic]:
    for e in ctx.workflow.edges:
        if e.weight:
            yield ctx.diag(
                "DIP151",
                W,
                f"edge {e.from_} -> {e.to} sets weight: {e.weight}; weights only break "
                "ties and routing by them is hard to follow",
                at=e.source,
                help="prefer explicit conditions",
            )


_META = set(".*+?[]{}()|\\^$")


def enumerable_markers(pattern: str) -> list[str] | None:
    """The literal markers of a marker_grep like `^(ok|bad)$` or `done`, else None."""
    body = pattern
    if body.startswith("^"):
        body = body[1:]
    if body.endswith("$"):
        body = body[:-1]
    if body.startswith("(") and body.endswith(")"):
        branches = body[1:-1].split("|")
    else:
        branches = [body]
    if any(not b or any(ch in _META for ch in b) for b in branches):
        return None
    return branches


def _marker_value(e: Edge) -> str | None:
    expr = parsed(e)
    if isinstance(expr, CondCompare) and expr.op in EQ_OPS and expr.variable == "ctx.tool_marker":
        return expr.value
    return None


@rule("DIP152", W, "marker_grep value with no route")
def dip152(ctx: LintContext) -> Iterator[Diagnostic]:
    a = analysis(ctx)
    for node in a.node_map.values():
        cfg = node.config
        if not isinstance(cfg, ToolConfig) or not cfg.marker_grep or node.id == ctx.workflow.exit:
            continue
        markers = enumerable_markers(cfg.marker_grep)
        if markers is None:
            continue
        out = a.edges_from(node.id)
        covered: set[str] = set()
        other = False
        for e in out:
            if e.condition is None:
                other = True
                continue
            m = _marker_value(e)
            if m is None:
                other = True
            else:
                covered.add(m)
        if out and (ctx.workflow.else_target or other):
            continue
        missing = [m for m in dict.fromkeys(markers) if m not in covered]
        if not missing:
            continue
        yield ctx.diag(
            "DIP152",
            W,
            f"tool {q(node.id)} can emit marker(s) {', '.join(missing)} "
            f"(marker_grep {q(cfg.marker_grep)}) but no edge routes them",
            at=node.source,
            help="add `" + f"{node.id} -> <Node> on {missing[0]}" + "` or a default edge",
        )


@rule("DIP153", W, "edge repeats an inline parallel/fan_in connection")
def dip153(ctx: LintContext) -> Iterator[Diagnostic]:
    a = analysis(ctx)
    for e in ctx.workflow.edges:
        if e.condition is not None or e.label or e.choice or e.weight or e.restart or e.override:
            continue
        src = a.node_map.get(e.from_)
        dst = a.node_map.get(e.to)
        dup = (
            src is not None
            and isinstance(src.config, ParallelConfig)
            and e.to in src.config.targets
        ) or (
            dst is not None
            and isinstance(dst.config, FanInConfig)
            and e.from_ in dst.config.sources
        )
        if dup:
            yield ctx.diag(
                "DIP153",
                W,
                f"edge {e.from_} -> {e.to} repeats a connection its parallel/fan_in "
                "declaration already makes",
                at=e.source,
                help="remove the edge (it is an error under `dip 2`)",
                fix=f"delete edge {e.from_} -> {e.to}",
            )
