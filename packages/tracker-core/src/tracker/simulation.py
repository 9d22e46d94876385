"""Dry run of a pipeline graph (cli-tui §7.4): node order, edges and the BFS execution plan.

Pure graph introspection — no LLM calls, no files, no context evaluation. The CLI renders
the returned report; the library API can dump it as JSON.
"""

from __future__ import annotations

from collections import deque

from pydantic import BaseModel, ConfigDict, Field

from tracker.graph.model import Graph, GraphEdge, GraphNode


class SimNode(BaseModel):
    id: str
    handler: str = ""
    shape: str = ""
    label: str = ""  # empty when it equals the ID
    attrs: dict[str, str] = Field(default_factory=dict)


class SimEdge(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from")
    to: str
    label: str = ""
    condition: str = ""


class PlanStep(BaseModel):
    step: int
    node_id: str
    edges: list[SimEdge] = Field(default_factory=list)


class SimulationReport(BaseModel):
    format: str = ""
    name: str = ""
    start_node: str = ""
    exit_node: str = ""
    graph_attrs: dict[str, str] = Field(default_factory=dict)
    nodes: list[SimNode] = Field(default_factory=list)
    edges: list[SimEdge] = Field(default_factory=list)
    execution_plan: list[PlanStep] = Field(default_factory=list)
    unreachable: list[str] = Field(default_factory=list)


def _sim_edge(e: GraphEdge) -> SimEdge:
    return SimEdge(**{"from": e.from_, "to": e.to, "label": e.label, "condition": e.condition})


def _sim_node(n: GraphNode) -> SimNode:
    label = "" if n.label == n.id else n.label
    return SimNode(id=n.id, handler=n.handler, shape=n.shape, label=label, attrs=dict(n.attrs))


def bfs_order(graph: Graph) -> tuple[list[str], set[str]]:
    """Node IDs in BFS order from the start node (edges in declaration order, each node
    once), and the set visited."""
    order: list[str] = []
    visited: set[str] = set()
    if not graph.start_node:
        return order, visited
    outgoing: dict[str, list[GraphEdge]] = {}
    for e in graph.edges:
        outgoing.setdefault(e.from_, []).append(e)
    queue: deque[str] = deque([graph.start_node])
    while queue:
        node_id = queue.popleft()
        if node_id in visited:
            continue
        visited.add(node_id)
        if node_id not in graph.nodes:
            continue
        order.append(node_id)
        for e in outgoing.get(node_id, []):
            if e.to not in visited:
                queue.append(e.to)
    return order, visited


def simulate_graph(graph: Graph) -> SimulationReport:
    """Build the report: nodes (BFS then unreached sorted), edges, plan, unreachable."""
    order, visited = bfs_order(graph)
    unreached = sorted(n for n in graph.nodes if n not in visited)
    nodes = [_sim_node(graph.nodes[n]) for n in order + unreached]
    plan = [
        PlanStep(step=i, node_id=n, edges=[_sim_edge(e) for e in graph.outgoing(n)])
        for i, n in enumerate(order, start=1)
    ]
    return SimulationReport(
        name=graph.name,
        start_node=graph.start_node,
        exit_node=graph.exit_node,
        graph_attrs=dict(graph.attrs),
        nodes=nodes,
        edges=[_sim_edge(e) for e in graph.edges],
        execution_plan=plan,
        unreachable=unreached if graph.start_node else [],
    )
