"""Shared machinery for core rules: the rule table, a per-check analysis cache and the
condition helpers several rules need (failure routes, exhaustiveness, leaf comparisons).

Every rule reads the workflow through `analysis(ctx)`, which builds the node map and edge
adjacency once per check, so a rule never scans all edges per node (O(n²) on large graphs).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from tracker.dippin.ir import (
    CondAnd,
    CondCompare,
    CondNot,
    CondOr,
    Edge,
    FanInConfig,
    Node,
    ParallelConfig,
    Workflow,
)
from tracker.lint.context import LintContext
from tracker.lint.diagnostic import Diagnostic

CheckFn = Callable[[LintContext], Iterable[Diagnostic]]


@dataclass(frozen=True)
class RuleDef:
    code: str
    severity: str
    description: str
    check: CheckFn
    origin: str


#: code -> definition; filled by the @rule decorator as rule modules are imported
RULES: dict[str, RuleDef] = {}


def rule(
    code: str, severity: str, description: str, origin: str = "lint"
) -> Callable[[CheckFn], CheckFn]:
    """Declare a check function as the rule for `code` (its pass order comes from
    `tracker.lint.rules.PASS_ORDER`)."""

    def deco(fn: CheckFn) -> CheckFn:
        RULES[code] = RuleDef(code, severity, description, fn, origin)
        return fn

    return deco


# --------------------------------------------------------------------------- analysis


class Analysis:
    """Maps derived from one workflow, computed once per check and shared by all rules."""

    def __init__(self, wf: Workflow) -> None:
        self.wf = wf
        self.node_map: dict[str, Node] = {}
        for n in wf.nodes:
            self.node_map.setdefault(n.id, n)
        self.out_explicit: dict[str, list[Edge]] = defaultdict(list)
        self.in_explicit: dict[str, list[Edge]] = defaultdict(list)
        for e in wf.edges:
            self.out_explicit[e.from_].append(e)
            self.in_explicit[e.to].append(e)
        #: source id -> fan_in ids listing it (node declaration order)
        self.fan_ins_of_source: dict[str, list[str]] = defaultdict(list)
        self.parallels: list[Node] = []
        self.fan_ins: list[Node] = []
        for n in wf.nodes:
            if isinstance(n.config, FanInConfig):
                self.fan_ins.append(n)
                for s in n.config.sources:
                    self.fan_ins_of_source[s].append(n.id)
            elif isinstance(n.config, ParallelConfig):
                self.parallels.append(n)
        self._edges_from: dict[str, list[Edge]] = {}
        self._adjacency: dict[tuple[bool, bool], dict[str, list[str]]] = {}
        self.condition_failures: list[tuple[Edge, Exception]] = []
        self._parse_conditions()

    def _parse_conditions(self) -> None:
        from tracker.dippin.conditions import attach_parsed_conditions

        self.condition_failures = list(attach_parsed_conditions(self.wf))

    # ---------------------------------------------------------------- lookups

    def has(self, node_id: str) -> bool:
        return node_id in self.node_map

    @property
    def start_ok(self) -> bool:
        return bool(self.wf.start) and self.wf.start in self.node_map

    @property
    def exit_ok(self) -> bool:
        return bool(self.wf.exit) and self.wf.exit in self.node_map

    def edges_from(self, node_id: str) -> list[Edge]:
        """Explicit edges, then implicit fork/join edges (same rules as dippin.views).
        The returned list is shared: callers must not mutate it."""
        cached = self._edges_from.get(node_id)
        if cached is not None:
            return cached
        explicit = self.out_explicit.get(node_id, [])
        node = self.node_map.get(node_id)
        targets = (
            node.config.targets
            if node is not None and isinstance(node.config, ParallelConfig)
            else ()
        )
        joins = self.fan_ins_of_source.get(node_id, ())
        if not targets and not joins:
            self._edges_from[node_id] = explicit
            return explicit
        out = list(explicit)
        covered = {e.to for e in explicit if e.condition is None}
        for t in [*targets, *joins]:
            if t not in covered:
                covered.add(t)
                out.append(Edge(**{"from": node_id, "to": t}))
        self._edges_from[node_id] = out
        return out

    def forward_adjacency(self, *, restart: bool, implicit: bool = True) -> dict[str, list[str]]:
        """Successor ids: explicit edges (restart ones only if `restart`), plus fork/join
        edges when `implicit`. Cached and shared: callers must not mutate it."""
        key = (restart, implicit)
        cached = self._adjacency.get(key)
        if cached is not None:
            return cached
        adj: dict[str, list[str]] = defaultdict(list)
        for e in self.wf.edges:
            if restart or not e.restart:
                adj[e.from_].append(e.to)
        if implicit:
            for p in self.parallels:
                assert isinstance(p.config, ParallelConfig)
                adj[p.id].extend(p.config.targets)
            for j in self.fan_ins:
                assert isinstance(j.config, FanInConfig)
                for s in j.config.sources:
                    adj[s].append(j.id)
        result = dict(adj)
        self._adjacency[key] = result
        return result


def analysis(ctx: LintContext) -> Analysis:
    """The analysis of `ctx.workflow`, built on first use and cached on the context."""
    cached: Analysis | None = getattr(ctx, "_lint_analysis", None)
    if cached is None or cached.wf is not ctx.workflow:
        cached = Analysis(ctx.workflow)
        ctx._lint_analysis = cached  # type: ignore[attr-defined]
    return cached


def reset_analysis(ctx: LintContext) -> Analysis:
    """Rebuild the analysis (the workflow may have changed since the last check)."""
    ctx._lint_analysis = None  # type: ignore[attr-defined]
    return analysis(ctx)


def bfs(starts: Iterable[str], adj: dict[str, list[str]]) -> set[str]:
    seen = set(starts)
    queue = list(seen)
    while queue:
        cur = queue.pop()
        for nxt in adj.get(cur, ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


# --------------------------------------------------------------------------- conditions

OUTCOME_VARS = ("ctx.outcome", "outcome")
EQ_OPS = ("=", "==")


def leaves(expr: object, negated: bool = False) -> Iterator[tuple[CondCompare, bool]]:
    """Leaf comparisons of a condition AST with their negation parity."""
    if isinstance(expr, CondCompare):
        yield expr, negated
    elif isinstance(expr, (CondAnd, CondOr)):
        yield from leaves(expr.left, negated)
        yield from leaves(expr.right, negated)
    elif isinstance(expr, CondNot):
        yield from leaves(expr.inner, not negated)


def parsed(edge: Edge) -> object | None:
    return edge.condition.parsed if edge.condition is not None else None


def edge_leaves(edge: Edge) -> list[tuple[CondCompare, bool]]:
    expr = parsed(edge)
    return list(leaves(expr)) if expr is not None else []


def top_equality(edge: Edge) -> CondCompare | None:
    """The edge's condition when it is a single top-level `=`/`==` comparison."""
    expr = parsed(edge)
    if isinstance(expr, CondCompare) and expr.op in EQ_OPS:
        return expr
    return None


def is_outcome_fail_edge(edge: Edge) -> bool:
    cmp = top_equality(edge)
    return cmp is not None and cmp.variable in OUTCOME_VARS and cmp.value in ("fail", "failure")


def has_failure_route(a: Analysis, node: Node) -> bool:
    """A node-level failure route: fallback target or an outcome-fail edge (DIP104/115)."""
    if node.retry.fallback_target or node.retry.fallback_retry_target:
        return True
    return any(is_outcome_fail_edge(e) for e in a.out_explicit.get(node.id, ()))


def is_exhaustive(edges: list[Edge]) -> bool:
    """§9.7: do these explicit outgoing edges cover every outcome?"""
    conditional = [e for e in edges if e.condition is not None]
    # 1. known outcome set
    values = set()
    for e in conditional:
        cmp = top_equality(e)
        if cmp is not None and cmp.variable in OUTCOME_VARS:
            values.add(cmp.value)
    if "success" in values and ("fail" in values or "failure" in values):
        return True
    # 2. complete partition on one variable
    if len(conditional) >= 2:
        eqs = [top_equality(e) for e in conditional]
        if all(c is not None for c in eqs) and len({c.variable for c in eqs if c}) == 1:
            return True
    # 3. complementary pair: `c` and `not c`
    plain: set[tuple[str, str, str]] = set()
    negated: set[tuple[str, str, str]] = set()
    for e in conditional:
        expr = parsed(e)
        if isinstance(expr, CondCompare):
            plain.add((expr.variable, expr.op, expr.value))
        elif isinstance(expr, CondNot) and isinstance(expr.inner, CondCompare):
            c = expr.inner
            negated.add((c.variable, c.op, c.value))
    return bool(plain & negated)


# --------------------------------------------------------------------------- misc


def levenshtein(a: str, b: str, limit: int = 3) -> int:
    """Edit distance, giving up (returning `limit`) once it must exceed `limit - 1`."""
    if abs(len(a) - len(b)) >= limit:
        return limit
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) >= limit:
            return limit
        prev = cur
    return min(prev[-1], limit)


def closest_id(a: Analysis, name: str, max_distance: int = 2) -> str:
    """The declared node id nearest to `name` (ties: declaration order), or ""."""
    best, best_d = "", max_distance + 1
    for nid in a.node_map:
        d = levenshtein(name, nid, best_d)
        if d < best_d:
            best, best_d = nid, d
    return best


def q(s: str) -> str:
    """Quote a value for a message, the way users wrote it."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
