"""The runtime graph the engine walks (spec/dippin.md §11): string attributes on nodes,
edges and the graph, exactly as the reference's adapter and DOT loader produce them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from tracker.dippin.ir import Input


class GraphNode(BaseModel):
    id: str
    shape: str = ""
    label: str = ""
    handler: str = ""
    attrs: dict[str, str] = Field(default_factory=dict)

    @property
    def display_label(self) -> str:
        return self.label or self.id


class GraphEdge(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from")
    to: str
    label: str = ""
    choice: str = ""
    condition: str = ""
    override: bool = False
    attrs: dict[str, str] = Field(default_factory=dict)


class Graph(BaseModel):
    name: str = ""
    start_node: str = ""
    exit_node: str = ""
    attrs: dict[str, str] = Field(default_factory=dict)
    nodes: dict[str, GraphNode] = Field(default_factory=dict)
    edges: list[GraphEdge] = Field(default_factory=list)
    node_order: list[str] = Field(default_factory=list)
    inputs: list[Input] = Field(default_factory=list)
    dippin_validated: bool = False
    lint_warnings: list[str] = Field(default_factory=list)

    # (edge count, outgoing index, incoming index); rebuilt when edges are added or removed
    _index: tuple[int, dict[str, list[GraphEdge]], dict[str, list[GraphEdge]]] | None = PrivateAttr(
        default=None
    )

    def _edge_index(self) -> tuple[dict[str, list[GraphEdge]], dict[str, list[GraphEdge]]]:
        """Adjacency maps, so walking a 50,000-node graph stays linear."""
        if self._index is None or self._index[0] != len(self.edges):
            out: dict[str, list[GraphEdge]] = {}
            inc: dict[str, list[GraphEdge]] = {}
            for e in self.edges:
                out.setdefault(e.from_, []).append(e)
                inc.setdefault(e.to, []).append(e)
            self._index = (len(self.edges), out, inc)
        return self._index[1], self._index[2]

    def outgoing(self, node_id: str) -> list[GraphEdge]:
        return list(self._edge_index()[0].get(node_id, ()))

    def incoming(self, node_id: str) -> list[GraphEdge]:
        return list(self._edge_index()[1].get(node_id, ()))
