"""Derived edge views over a Workflow (spec/dippin.md §7): the explicit edges plus the
implicit fork/join edges that inline `parallel` / `fan_in` declarations imply."""

from __future__ import annotations

from .ir import Edge, FanInConfig, Node, ParallelConfig, Workflow


def _implicit(src: str, dst: str) -> Edge:
    return Edge(**{"from": src, "to": dst})


def edges_from(wf: Workflow, node_id: str) -> list[Edge]:
    """Explicit edges from `node_id` (declaration order), then synthesized fork edges to each
    parallel target and join edges into each fan_in listing `node_id`, skipping any target
    already reached by an explicit unconditional edge."""
    explicit = [e for e in wf.edges if e.from_ == node_id]
    covered = {e.to for e in explicit if e.condition is None}
    out = list(explicit)
    node = wf.node(node_id)
    if node is not None and isinstance(node.config, ParallelConfig):
        for t in node.config.targets:
            if t not in covered:
                covered.add(t)
                out.append(_implicit(node_id, t))
    for n in wf.nodes:
        if isinstance(n.config, FanInConfig) and node_id in n.config.sources:
            if n.id not in covered:
                covered.add(n.id)
                out.append(_implicit(node_id, n.id))
    return out


def edges_to(wf: Workflow, node_id: str) -> list[Edge]:
    """Mirror of `edges_from`."""
    explicit = [e for e in wf.edges if e.to == node_id]
    covered = {e.from_ for e in explicit if e.condition is None}
    out = list(explicit)
    for n in wf.nodes:
        if isinstance(n.config, ParallelConfig) and node_id in n.config.targets:
            if n.id not in covered:
                covered.add(n.id)
                out.append(_implicit(n.id, node_id))
    node = wf.node(node_id)
    if node is not None and isinstance(node.config, FanInConfig):
        for s in node.config.sources:
            if s not in covered:
                covered.add(s)
                out.append(_implicit(s, node_id))
    return out


def all_edges(wf: Workflow) -> list[Edge]:
    """Explicit plus implicit edges, de-duplicated by (from, to)."""
    seen: set[tuple[str, str]] = set()
    out: list[Edge] = []
    for n in wf.nodes:
        for e in edges_from(wf, n.id):
            key = (e.from_, e.to)
            if key not in seen:
                seen.add(key)
                out.append(e)
    for e in wf.edges:  # edges from undeclared sources
        key = (e.from_, e.to)
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out


def outcome_channel(wf: Workflow, node_id: str) -> str:
    """`ctx.outcome` for agents, `ctx.tool_marker` for tools with marker_grep, else ""."""
    node = wf.node(node_id)
    if node is None:
        return ""
    return node_outcome_channel(node)


def node_outcome_channel(node: Node) -> str:
    """`outcome_channel` of a node already looked up."""
    from .ir import AgentConfig, ToolConfig

    if isinstance(node.config, AgentConfig):
        return "ctx.outcome"
    if isinstance(node.config, ToolConfig) and node.config.marker_grep:
        return "ctx.tool_marker"
    return ""
