"""Legacy Graphviz DOT input (spec/dippin.md §13): `parse_dot(text) -> Graph`.

DOT is deprecated in favour of `.dip`, but old pipelines must keep loading. The grammar
lives in `dot.lark` (LALR). Statements inside `subgraph { … }` blocks still declare nodes
and edges; only the subgraph's own attributes are ignored. Nodes are created by node
statements only — an edge naming an undeclared node is left for `check_graph` to report,
as the reference does.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from tracker.graph.model import Graph, GraphEdge, GraphNode
from tracker.lint.diagnostic import Diagnostic, DippinError

#: DOT shape -> handler, used when the plugin registry cannot be consulted.
SHAPE_HANDLERS: dict[str, str] = {
    "Mdiamond": "start",
    "Msquare": "exit",
    "box": "codergen",
    "hexagon": "wait.human",
    "parallelogram": "tool",
    "component": "parallel",
    "tripleoctagon": "parallel.fan_in",
    "tab": "subgraph",
    "diamond": "conditional",
    "house": "stack.manager_loop",
}


@functools.cache
def _parser() -> Lark:
    grammar = (Path(__file__).with_name("dot.lark")).read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=True)


def shape_handlers() -> dict[str, str]:
    """Shape -> handler map from the plugin registry (so a third-party handler that claims
    a shape is honoured), falling back to the built-in table."""
    out = dict(SHAPE_HANDLERS)
    try:
        from tracker.plugins.manager import get_registry

        for name, spec in get_registry().handlers.items():
            for shape in spec.shapes:
                out.setdefault(shape, name)
    except Exception:  # noqa: BLE001 - a broken plugin must not break DOT loading
        pass
    return out


def resolve_handler(node: GraphNode, shapes: dict[str, str] | None = None) -> str:
    """Explicit `type` wins; else the shape map; a diamond with `tool_command` is a tool
    and a diamond with `prompt` is an agent (whose `auto_status` then defaults to true)."""
    explicit = node.attrs.get("type", "")
    if explicit:
        return explicit
    handler = (shapes or SHAPE_HANDLERS).get(node.shape, "")
    if handler == "conditional":
        if node.attrs.get("tool_command"):
            return "tool"
        if node.shape == "diamond" and node.attrs.get("prompt"):
            if not node.attrs.get("auto_status"):
                node.attrs["auto_status"] = "true"
            return "codergen"
    return handler


# --------------------------------------------------------------------------- values


def unescape_dot(s: str) -> str:
    """Decode `\\n`, `\\t`, `\\\\` and `\\"`; any other backslash is kept as written."""
    if "\\" not in s:
        return s
    out: list[str] = []
    i = 0
    n = len(s)
    simple = {"n": "\n", "t": "\t", "\\": "\\", '"': '"'}
    while i < n:
        ch = s[i]
        if ch == "\\" and i + 1 < n and s[i + 1] in simple:
            out.append(simple[s[i + 1]])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _id_text(node: Tree) -> str:
    """The cleaned text of an `id` subtree: quotes removed and escapes decoded."""
    kind = node.data
    tokens = [t for t in node.children if isinstance(t, Token)]
    if kind == "qstring":
        # Graphviz joins `"a" + "b"`; a backslash-newline inside quotes is a line
        # continuation and disappears.
        raw = "".join(t[1:-1] for t in tokens).replace("\\\r\n", "").replace("\\\n", "")
        return unescape_dot(raw)
    if kind == "html":
        return str(tokens[0])[1:-1]
    return str(tokens[0])


# --------------------------------------------------------------------------- collection


@dataclass
class _Scope:
    node_defaults: dict[str, str] = field(default_factory=dict)
    edge_defaults: dict[str, str] = field(default_factory=dict)


@dataclass
class _Collector:
    name: str = ""
    graph_attrs: dict[str, str] = field(default_factory=dict)
    nodes: dict[str, dict[str, str]] = field(default_factory=dict)
    edges: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def add_node(self, node_id: str, attrs: dict[str, str], scope: _Scope) -> None:
        existing = self.nodes.get(node_id)
        if existing is None:
            merged = dict(scope.node_defaults)
            merged.update(attrs)
            self.nodes[node_id] = merged
        else:
            existing.update(attrs)

    # ---------------------------------------------------------------- tree walk

    def stmt_list(self, tree: Tree, scope: _Scope, top: bool) -> list[str]:
        """Walk statements; returns the node IDs mentioned (for subgraph edge endpoints)."""
        mentioned: list[str] = []
        for stmt in tree.children:
            if not isinstance(stmt, Tree):
                continue
            mentioned.extend(self.stmt(stmt, scope, top))
        return mentioned

    def stmt(self, stmt: Tree, scope: _Scope, top: bool) -> list[str]:
        kind = stmt.data
        if kind == "assign_stmt":
            key, value = (_id_text(c) for c in stmt.children)
            if top:
                self.graph_attrs[key] = value
            return []
        if kind == "attr_stmt":
            target_tree, attr_list = stmt.children
            target = str(target_tree.children[0]).lower()
            attrs = _attr_list(attr_list)
            if target == "graph":
                if top:
                    self.graph_attrs.update(attrs)
            elif target == "node":
                scope.node_defaults.update(attrs)
            else:
                scope.edge_defaults.update(attrs)
            return []
        if kind == "node_stmt":
            node_id_tree, attr_list = stmt.children
            node_id = _id_text(node_id_tree.children[0])
            self.add_node(node_id, _attr_list(attr_list) if attr_list else {}, scope)
            return [node_id]
        if kind == "edge_stmt":
            return self.edge_stmt(stmt, scope)
        if kind == "subgraph":
            return self.subgraph(stmt, scope)
        return []

    def endpoint(self, tree: Tree, scope: _Scope) -> list[str]:
        if tree.data == "subgraph":
            return self.subgraph(tree, scope)
        return [_id_text(tree.children[0])]

    def edge_stmt(self, stmt: Tree, scope: _Scope) -> list[str]:
        children = stmt.children
        attr_list = children[-1]
        parts = [c for c in children[:-1] if isinstance(c, Tree)]
        attrs = dict(scope.edge_defaults)
        if attr_list is not None:
            attrs.update(_attr_list(attr_list))
        groups = [self.endpoint(p, scope) for p in parts]
        for left, right in zip(groups, groups[1:], strict=False):
            for a in left:
                for b in right:
                    self.edges.append((a, b, dict(attrs)))
        return [n for g in groups for n in g]

    def subgraph(self, tree: Tree, scope: _Scope) -> list[str]:
        body = tree.children[-1]
        inner = _Scope(dict(scope.node_defaults), dict(scope.edge_defaults))
        return self.stmt_list(body, inner, top=False)


def _attr_list(tree: Tree) -> dict[str, str]:
    out: dict[str, str] = {}
    for a_list in tree.children:
        if not isinstance(a_list, Tree):
            continue
        for item in a_list.children:
            ids = [c for c in item.children if isinstance(c, Tree)]
            key = _id_text(ids[0])
            out[key] = _id_text(ids[1]) if len(ids) > 1 else "true"
    return out


# --------------------------------------------------------------------------- entry point


def _syntax_error(exc: UnexpectedInput, text: str, file: str) -> DippinError:
    line = getattr(exc, "line", 0) or 0
    column = getattr(exc, "column", 0) or 0
    if isinstance(exc, UnexpectedEOF) or (
        isinstance(exc, UnexpectedToken) and exc.token.type == "$END"
    ):
        line = text.count("\n") + 1
        column = len(text) - (text.rfind("\n") + 1) + 1
        message = "DOT parse error: unexpected end of input (missing '}'?)"
    elif isinstance(exc, UnexpectedToken):
        message = f"DOT parse error: unexpected {exc.token.type.lower()} {str(exc.token)!r}"
    elif isinstance(exc, UnexpectedCharacters):
        message = f"DOT parse error: unexpected character {exc.char!r}"
    else:
        message = "DOT parse error"
    diag = Diagnostic(
        code="DIP000",
        severity="error",
        message=message,
        file=file,
        line=max(line, 0),
        column=max(column, 0),
    )
    return DippinError([diag])


def parse_dot(text: str, file: str = "") -> Graph:
    """Parse a Graphviz digraph into a tracker Graph; raises DippinError on bad input."""
    if not text.strip():
        raise DippinError(
            [Diagnostic(code="DIP000", severity="error", message="empty DOT input", file=file)]
        )
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(exc, text, file) from None

    collector = _Collector()
    graph_id = next(
        (c for c in tree.children if isinstance(c, Tree) and c.data != "stmt_list"), None
    )
    if graph_id is not None:
        collector.name = _id_text(graph_id)
    body = next(c for c in tree.children if isinstance(c, Tree) and c.data == "stmt_list")
    collector.stmt_list(body, _Scope(), top=True)
    return _build_graph(collector)


def _build_graph(c: _Collector) -> Graph:
    shapes = shape_handlers()
    graph = Graph(name=c.name, attrs=dict(c.graph_attrs))
    for node_id, attrs in c.nodes.items():
        node = GraphNode(id=node_id)
        for key, value in attrs.items():
            if key == "shape":
                node.shape = value
            elif key == "label":
                node.label = value
            else:
                node.attrs[key] = value
        node.handler = resolve_handler(node, shapes)
        graph.nodes[node_id] = node
        graph.node_order.append(node_id)
        if node.shape == "Mdiamond":
            graph.start_node = node_id
        elif node.shape == "Msquare":
            graph.exit_node = node_id
    for src, dst, attrs in c.edges:
        edge = GraphEdge(**{"from": src, "to": dst})
        for key, value in attrs.items():
            if key == "label":
                edge.label = value
            elif key == "condition":
                edge.condition = value
            else:
                edge.attrs[key] = value
        graph.edges.append(edge)
    return graph
