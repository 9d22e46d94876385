"""tracker-side graph checks (cli-tui.md §7.3, dippin.md §13 and §9.6): plain messages,
no DIP codes.

DOT graphs get the full structural set (start/exit, endpoints, reachability, unconditional
cycles, duplicates, typed attributes), because nothing upstream validated them. Graphs
adapted from `.dip` (`graph.dippin_validated`) already passed DIP001–DIP010, so only the
checks the DIP rules do not cover run on them: handler registration and the diamond
warnings. Lint warnings stored on the graph (`graph.lint_warnings`) are not repeated here.
"""

from __future__ import annotations

from collections import deque

from tracker.dippin.dot import shape_handlers
from tracker.gcpause import gc_paused
from tracker.graph.model import Graph, GraphEdge

#: handlers the engine runs itself; they never need registering
_ENGINE_HANDLERS = {"", "start", "exit"}


class _Findings:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.warnings: list[str] = []


def check_graph(graph: Graph, known_handlers: set[str]) -> tuple[list[str], list[str]]:
    """Return (errors, warnings) for `graph`; `known_handlers` are the registered names."""
    with gc_paused():  # many short-lived objects, no cycles (tracker/gcpause.py)
        return _check_graph(graph, known_handlers)


def _check_graph(graph: Graph, known_handlers: set[str]) -> tuple[list[str], list[str]]:
    out = _Findings()
    if not graph.nodes:
        out.errors.append("graph has no nodes")
        return out.errors, out.warnings

    if not graph.dippin_validated:
        _start_exit(graph, out)
        _edge_endpoints(graph, out)
        _exit_outgoing(graph, out)
        _reachability(graph, out)
        _unconditional_cycles(graph, out)
        _duplicate_edges(graph, out)
        _shapes(graph, out)
    _conditional_fail_edges(graph, out)
    _edge_label_consistency(graph, out)

    _handler_registration(graph, known_handlers, out)
    if not graph.dippin_validated:
        _condition_syntax(graph, out)
        _typed_attrs(graph, out)
    return out.errors, out.warnings


def _ordered_nodes(graph: Graph) -> list[str]:
    """Declaration order first, then any node missing from node_order."""
    ordered = dict.fromkeys(n for n in graph.node_order if n in graph.nodes)
    ordered.update(dict.fromkeys(graph.nodes))
    return list(ordered)


# --------------------------------------------------------------------------- structure


def _start_exit(graph: Graph, out: _Findings) -> None:
    starts = sum(1 for n in graph.nodes.values() if n.shape == "Mdiamond")
    exits = sum(1 for n in graph.nodes.values() if n.shape == "Msquare")
    if starts == 0:
        out.errors.append("graph has no start node (shape=Mdiamond)")
    elif starts > 1:
        out.errors.append(f"graph has {starts} start nodes (shape=Mdiamond), expected exactly 1")
    if exits == 0:
        out.errors.append("graph has no exit node (shape=Msquare)")
    elif exits > 1:
        out.errors.append(f"graph has {exits} exit nodes (shape=Msquare), expected exactly 1")


def _edge_endpoints(graph: Graph, out: _Findings) -> None:
    for e in graph.edges:
        if e.from_ not in graph.nodes:
            out.errors.append(
                f'edge {e.from_}->{e.to} references undeclared source node "{e.from_}"'
            )
        if e.to not in graph.nodes:
            out.errors.append(f'edge {e.from_}->{e.to} references undeclared target node "{e.to}"')


def _exit_outgoing(graph: Graph, out: _Findings) -> None:
    if graph.exit_node and graph.outgoing(graph.exit_node):
        out.errors.append(f'exit node "{graph.exit_node}" must not have outgoing edges')


def _reachability(graph: Graph, out: _Findings) -> None:
    if not graph.start_node:
        return
    seen = {graph.start_node}
    queue = deque([graph.start_node])
    while queue:
        for e in graph.outgoing(queue.popleft()):
            if e.to not in seen:
                seen.add(e.to)
                queue.append(e.to)
    for node_id in _ordered_nodes(graph):
        if node_id not in seen:
            out.errors.append(f'node "{node_id}" is unreachable from start node')


#: edge attrs that mark a deliberate loop-back (`loop_restart` is the attractor-era name
#: some legacy DOT pipelines use)
RESTART_ATTRS = ("restart", "loop_restart")


def _is_restart(e: GraphEdge) -> bool:
    return any(e.attrs.get(k, "").strip().lower() == "true" for k in RESTART_ATTRS)


def _unconditional_cycles(graph: Graph, out: _Findings) -> None:
    """A loop must be guarded by a condition (or be an explicit restart edge); a cycle of
    plain edges would spin forever. Conditional back-edges are allowed, unlike DIP005."""
    if not graph.start_node:
        return
    succ: dict[str, list[str]] = {}
    for e in graph.edges:
        if not e.condition.strip() and not _is_restart(e):
            succ.setdefault(e.from_, []).append(e.to)

    def find_cycle(root: str) -> list[str] | None:
        """Iterative DFS (a 50,000-node chain must not hit the recursion limit)."""
        color: dict[str, int] = {root: 1}
        path = [root]
        stack = [iter(succ.get(root, ()))]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                stack.pop()
                color[path.pop()] = 2
                continue
            state = color.get(nxt, 0)
            if state == 1:
                return path[path.index(nxt) :] + [nxt]
            if state == 0:
                color[nxt] = 1
                path.append(nxt)
                stack.append(iter(succ.get(nxt, ())))
        return None

    cycle = find_cycle(graph.start_node)
    if cycle:
        out.errors.append("graph contains a cycle of unconditional edges: " + " -> ".join(cycle))


def _duplicate_edges(graph: Graph, out: _Findings) -> None:
    seen: set[tuple[str, str, str]] = set()
    for e in graph.edges:
        key = (e.from_, e.to, e.condition)
        if key in seen:
            out.errors.append(f'duplicate edge {e.from_}->{e.to} (condition="{e.condition}")')
        seen.add(key)


def _shapes(graph: Graph, out: _Findings) -> None:
    known = shape_handlers()  # built-in shapes plus any a plugin registered
    for node_id in _ordered_nodes(graph):
        node = graph.nodes[node_id]
        if node.shape not in known:
            out.errors.append(f'node "{node_id}" has unrecognized shape "{node.shape}"')


# --------------------------------------------------------------------------- diamonds


def _has_fail_condition(edges: list[GraphEdge]) -> bool:
    for e in edges:
        cond = e.condition.lower()
        if "fail" in cond or "!=success" in cond.replace(" ", ""):
            return True
    return False


def _conditional_fail_edges(graph: Graph, out: _Findings) -> None:
    for node_id in _ordered_nodes(graph):
        if graph.nodes[node_id].shape != "diamond":
            continue
        if not _has_fail_condition(graph.outgoing(node_id)):
            out.warnings.append(f'conditional node "{node_id}" has no fail edge')


def _edge_label_consistency(graph: Graph, out: _Findings) -> None:
    for node_id in _ordered_nodes(graph):
        if graph.nodes[node_id].shape != "diamond":
            continue
        edges = graph.outgoing(node_id)
        if len(edges) < 2:
            continue
        labeled = sum(1 for e in edges if e.label)
        if 0 < labeled < len(edges):
            out.warnings.append(
                f'conditional node "{node_id}" has inconsistent edge label usage '
                f"({labeled}/{len(edges)} labeled)"
            )


# --------------------------------------------------------------------------- semantics


def _handler_registration(graph: Graph, known: set[str], out: _Findings) -> None:
    for node_id in _ordered_nodes(graph):
        handler = graph.nodes[node_id].handler
        if handler in _ENGINE_HANDLERS or handler in known:
            continue
        out.errors.append(f'node "{node_id}" has unregistered handler "{handler}"')


def _condition_syntax(graph: Graph, out: _Findings) -> None:
    """DOT conditions are parsed by the same parser the engine evaluates with, so a
    condition that would not parse is reported before the run rather than during it."""
    try:
        from tracker.dippin.conditions import ConditionSyntaxError, parse_condition
    except ImportError:  # pragma: no cover - the conditions module ships with core
        return
    for e in graph.edges:
        if not e.condition.strip():
            continue
        try:
            parse_condition(e.condition)
        except ConditionSyntaxError as exc:
            out.errors.append(
                f'edge {e.from_}->{e.to} has invalid condition "{e.condition}": {exc}'
            )


def _check_bool(attrs: dict[str, str], key: str, scope: str, out: _Findings) -> None:
    value = attrs.get(key)
    if value is not None and value not in ("true", "false"):
        out.errors.append(f'{scope} has invalid {key} "{value}": must be "true" or "false"')


def _check_compaction(attrs: dict[str, str], scope: str, out: _Findings) -> None:
    value = attrs.get("context_compaction")
    if value is not None and value not in ("auto", "none"):
        out.errors.append(
            f'{scope} has invalid context_compaction "{value}": must be "auto" or "none"'
        )


def _typed_attrs(graph: Graph, out: _Findings) -> None:
    _check_bool(graph.attrs, "cache_tool_results", "graph", out)
    _check_compaction(graph.attrs, "graph", out)
    for node_id in _ordered_nodes(graph):
        attrs = graph.nodes[node_id].attrs
        scope = f'node "{node_id}"'
        if "max_retries" in attrs:
            raw = attrs["max_retries"]
            if not _is_non_negative_int(raw):
                out.errors.append(
                    f'{scope} has invalid max_retries "{raw}": must be a non-negative integer'
                )
        _check_bool(attrs, "cache_tool_results", scope, out)
        _check_compaction(attrs, scope, out)
        if "context_compaction_threshold" in attrs:
            raw = attrs["context_compaction_threshold"]
            try:
                value = float(raw)
            except ValueError:
                out.errors.append(
                    f'{scope} has invalid context_compaction_threshold "{raw}": must be a float'
                )
                continue
            if not 0 < value <= 1.0:
                out.errors.append(
                    f'{scope} has invalid context_compaction_threshold "{raw}": '
                    "must be > 0 and <= 1.0"
                )


def _is_non_negative_int(raw: str) -> bool:
    """Go Atoi semantics (optional sign, ASCII digits only) and >= 0."""
    body = raw[1:] if raw[:1] in ("+", "-") else raw
    if not body or not body.isascii() or not body.isdigit():
        return False
    return int(raw) >= 0
