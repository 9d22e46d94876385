"""Preload every `subgraph_ref` a pipeline uses, recursively, before anything runs
(design.md: a missing or broken ref stops the run with nothing executed). Refs resolve
relative to the file that references them and are keyed by the raw ref text."""

from __future__ import annotations

from pathlib import Path

from tracker.graph.model import Graph


class SubgraphLoadError(Exception):
    pass


def load_subgraphs(graph: Graph, base_dir: Path | None) -> dict[str, Graph]:
    from tracker.loader import load_pipeline, resolve_pipeline

    found: dict[str, Graph] = {}
    pending: list[tuple[Graph, Path]] = [(graph, base_dir or Path.cwd())]
    visiting: set[Path] = set()
    while pending:
        current, directory = pending.pop()
        for node in current.nodes.values():
            ref = node.attrs.get("subgraph_ref", "")
            if not ref or ref in found:
                continue
            path = (directory / ref).resolve()
            if not path.is_file() and path.suffix == "":
                path = path.with_suffix(".dip")
            try:
                loaded = load_pipeline(resolve_pipeline(str(path)))
            except Exception as exc:  # noqa: BLE001 - reported with the node that refers to it
                raise SubgraphLoadError(f'subgraph "{ref}" (node {node.id}): {exc}') from exc
            if loaded.graph is None or loaded.errors or loaded.graph_errors:
                details = "; ".join(
                    [str(d.message) for d in loaded.errors] + list(loaded.graph_errors)
                )
                raise SubgraphLoadError(
                    f'subgraph "{ref}" (node {node.id}) could not be loaded from {path}'
                    + (f": {details}" if details else "")
                )
            found[ref] = loaded.graph
            if path not in visiting:
                visiting.add(path)
                pending.append((loaded.graph, path.parent))
    return found
