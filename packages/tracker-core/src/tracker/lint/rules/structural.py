"""Structural validation (DIP001–DIP010): findings that make a workflow unrunnable.

All are errors. Each check runs regardless of the others' findings (spec §8)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from tracker.dippin.ir import Edge, FanInConfig, ParallelConfig, SourceLocation
from tracker.lint.context import LintContext
from tracker.lint.diagnostic import Diagnostic

from ._base import analysis, bfs, closest_id, q, rule

E = "error"


@rule("DIP008", E, "node ID declared more than once", origin="validate")
def dip008(ctx: LintContext) -> Iterator[Diagnostic]:
    first: dict[str, SourceLocation] = {}
    for n in ctx.workflow.nodes:
        if n.id not in first:
            first[n.id] = n.source
            continue
        src = first[n.id]
        where = f"line {src.line}" if src.line else "earlier"
        yield ctx.diag(
            "DIP008",
            E,
            f"node {q(n.id)} is declared more than once (first declaration at {where})",
            at=n.source,
            help="rename one of the nodes or remove the duplicate",
        )


def _missing_endpoint(ctx: LintContext, role: str, name: str) -> tuple[str, str]:
    """(help, fix) for a reference to an undeclared node."""
    suggestion = closest_id(analysis(ctx), name)
    if suggestion:
        return f"did you mean {q(suggestion)}?", f"replace {q(name)} with {q(suggestion)}"
    return f"declare a node {q(name)} or fix the {role}", ""


@rule("DIP001", E, "start node missing or undeclared", origin="validate")
def dip001(ctx: LintContext) -> Iterator[Diagnostic]:
    wf = ctx.workflow
    if not wf.start:
        yield ctx.diag("DIP001", E, "workflow has no start node", help="add `start: <NodeID>`")
    elif not analysis(ctx).has(wf.start):
        help_, fix = _missing_endpoint(ctx, "start field", wf.start)
        yield ctx.diag(
            "DIP001", E, f"start node {q(wf.start)} is not declared", help=help_, fix=fix
        )


@rule("DIP002", E, "exit node missing or undeclared", origin="validate")
def dip002(ctx: LintContext) -> Iterator[Diagnostic]:
    wf = ctx.workflow
    if not wf.exit:
        yield ctx.diag("DIP002", E, "workflow has no exit node", help="add `exit: <NodeID>`")
    elif not analysis(ctx).has(wf.exit):
        help_, fix = _missing_endpoint(ctx, "exit field", wf.exit)
        yield ctx.diag("DIP002", E, f"exit node {q(wf.exit)} is not declared", help=help_, fix=fix)


@rule("DIP003", E, "edge, on_failure or else names an undeclared node", origin="validate")
def dip003(ctx: LintContext) -> Iterator[Diagnostic]:
    a = analysis(ctx)
    wf = ctx.workflow
    for e in wf.edges:
        for role, name in (("source", e.from_), ("target", e.to)):
            if name and not a.has(name):
                help_, fix = _missing_endpoint(ctx, f"edge {role}", name)
                yield ctx.diag(
                    "DIP003",
                    E,
                    f"edge {e.from_} -> {e.to}: {role} {q(name)} is not a declared node",
                    at=e.source,
                    help=help_,
                    fix=fix,
                )
    target = wf.defaults.on_failure
    if target and not a.has(target):
        help_, fix = _missing_endpoint(ctx, "on_failure target", target)
        yield ctx.diag(
            "DIP003",
            E,
            f"defaults on_failure: {q(target)} is not a declared node",
            at=wf.defaults.source,
            help=help_,
            fix=fix,
        )
    target = wf.else_target
    if target and not a.has(target):
        help_, fix = _missing_endpoint(ctx, "else target", target)
        yield ctx.diag(
            "DIP003",
            E,
            f"else -> {target}: {q(target)} is not a declared node",
            at=wf.else_target_source,
            help=help_,
            fix=fix,
        )


@rule("DIP006", E, "edge leaving the exit node", origin="validate")
def dip006(ctx: LintContext) -> Iterator[Diagnostic]:
    a = analysis(ctx)
    if not a.exit_ok:
        return
    for e in a.edges_from(ctx.workflow.exit):
        yield ctx.diag(
            "DIP006",
            E,
            f"edge {e.from_} -> {e.to}: the exit node {q(e.from_)} must not have outgoing edges",
            at=e.source,
            help="remove the edge or choose a different exit node",
        )


@rule("DIP009", E, "duplicate edge (same from, to and condition)", origin="validate")
def dip009(ctx: LintContext) -> Iterator[Diagnostic]:
    seen: dict[tuple[str, str, str], Edge] = {}
    for e in ctx.workflow.edges:
        key = (e.from_, e.to, e.condition.raw if e.condition is not None else "")
        first = seen.get(key)
        if first is None:
            seen[key] = e
            continue
        cond = f" when {key[2]}" if key[2] else ""
        where = f" (first at line {first.source.line})" if first.source.line else ""
        yield ctx.diag(
            "DIP009",
            E,
            f"edge {e.from_} -> {e.to}{cond} is declared twice{where}",
            at=e.source,
            help="labels and weights do not distinguish edges; remove one or give it a different condition",
        )


@rule("DIP004", E, "node unreachable from start", origin="validate")
def dip004(ctx: LintContext) -> Iterator[Diagnostic]:
    a = analysis(ctx)
    wf = ctx.workflow
    if not a.start_ok:
        return
    adj = a.forward_adjacency(restart=True)
    # on_failure and else are reachable from anywhere, so from start
    extra = [t for t in (wf.defaults.on_failure, wf.else_target) if t]
    reached = bfs([wf.start, *extra], adj)
    for n in wf.nodes:
        if n.id not in reached:
            yield ctx.diag(
                "DIP004",
                E,
                f"node {q(n.id)} is not reachable from start node {q(wf.start)}",
                at=n.source,
                help=f"add an edge into {q(n.id)} or remove the node",
            )


def _cycle_text(path: list[str]) -> str:
    if len(path) > 12:
        path = path[:5] + ["…"] + path[-5:]
    return " -> ".join(path)


@rule("DIP005", E, "cycle without a loop/restart edge", origin="validate")
def dip005(ctx: LintContext) -> Iterator[Diagnostic]:
    a = analysis(ctx)
    wf = ctx.workflow
    if not a.start_ok:
        return
    adj: dict[str, list[Edge]] = defaultdict(list)
    for e in wf.edges:
        if not e.restart:
            adj[e.from_].append(e)
    color: dict[str, int] = {}  # 1 = on the DFS path, 2 = finished
    reported: set[str] = set()
    for root in wf.nodes:
        if root.id in color:
            continue
        path: list[str] = [root.id]
        pos: dict[str, int] = {root.id: 0}
        color[root.id] = 1
        stack = [iter(adj.get(root.id, ()))]
        while stack:
            e = next(stack[-1], None)
            if e is None:
                stack.pop()
                done = path.pop()
                del pos[done]
                color[done] = 2
                continue
            state = color.get(e.to, 0)
            if state == 1:
                if e.to not in reported:
                    reported.add(e.to)
                    cycle = path[pos[e.to] :] + [e.to]
                    yield ctx.diag(
                        "DIP005",
                        E,
                        f"cycle {_cycle_text(cycle)} has no loop/restart edge",
                        at=e.source,
                        help="mark the back edge with `loop` (or `restart: true`) or break the cycle",
                        fix=f"append `loop` to edge {e.from_} -> {e.to}",
                    )
            elif state == 0:
                color[e.to] = 1
                pos[e.to] = len(path)
                path.append(e.to)
                stack.append(iter(adj.get(e.to, ())))


@rule("DIP007", E, "parallel targets and fan_in sources do not match", origin="validate")
def dip007(ctx: LintContext) -> Iterator[Diagnostic]:
    a = analysis(ctx)
    par = [
        (n, sorted(n.config.targets)) for n in a.parallels if isinstance(n.config, ParallelConfig)
    ]
    fan = [(n, sorted(n.config.sources)) for n in a.fan_ins if isinstance(n.config, FanInConfig)]
    fan_sets = {tuple(s) for _, s in fan}
    par_sets = {tuple(t) for _, t in par}
    for n, targets in par:
        if tuple(targets) not in fan_sets:
            yield ctx.diag(
                "DIP007",
                E,
                f"parallel {q(n.id)} fans out to [{', '.join(targets)}] but no fan_in joins exactly those nodes",
                at=n.source,
                help=f"add `fan_in <Join> <- {', '.join(targets)}`",
            )
    for n, sources in fan:
        if tuple(sources) not in par_sets:
            yield ctx.diag(
                "DIP007",
                E,
                f"fan_in {q(n.id)} joins [{', '.join(sources)}] but no parallel fans out to exactly those nodes",
                at=n.source,
                help=f"add `parallel <Fork> -> {', '.join(sources)}`",
            )


@rule("DIP010", E, "edge condition does not parse", origin="validate")
def dip010(ctx: LintContext) -> Iterator[Diagnostic]:
    for e, err in analysis(ctx).condition_failures:
        raw = e.condition.raw if e.condition is not None else ""
        yield ctx.diag(
            "DIP010",
            E,
            f"edge {e.from_} -> {e.to}: condition {q(raw)} is not valid: {err}",
            at=e.source,
            help="use `and`/`or`/`not`, an operator such as = != contains in, and quote values "
            'that contain spaces or commas (ctx.tier in "gold,silver")',
        )
