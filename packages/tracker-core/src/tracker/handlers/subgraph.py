"""`subgraph`: run another pipeline as one node (spec/engine.md §4.8).

The referenced graph was loaded before the run started (engine/subgraphs.py). It runs in a
child engine whose initial context is the parent's snapshot; its events reach the parent's
sinks with node ids prefixed `<node>/` (its pipeline_* events are dropped), it inherits
the budget guard and usage baseline, and it keeps no checkpoint. Params: the child's
declared vars are the defaults, `subgraph_params` (`k=v,k=v`) overrides them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from tracker.engine.handler import BillingPausedError, HandlerError, NodeEnv, Outcome
from tracker.engine.interpolate import expand
from tracker.engine.result import EngineResult
from tracker.graph.model import Graph, GraphNode

#: child results that count as a successful subgraph (budget: the parent's own guard trips
#: right after, on the rolled-up usage — engine.md §10 #8)
SUCCESS_RESULTS = frozenset({"success", "validation_overridden", "budget_exceeded"})
#: never copied from a child's final context into the parent: the parent's own graph
#: attrs/params must stay authoritative, and the routing keys belong to the parent's step
_PRIVATE_PREFIXES = ("graph.",)
_ROUTING_KEYS = frozenset({"outcome", "preferred_label", "suggested_next_nodes"})


def parse_params(text: str) -> dict[str, str]:
    """`k=v,k=v` (split on `,`, then the first `=`; blanks and empty keys skipped)."""
    out: dict[str, str] = {}
    for pair in text.split(","):
        key, sep, value = pair.partition("=")
        if sep and key.strip():
            out[key.strip()] = value.strip()
    return out


def with_params(graph: Graph, overrides: Mapping[str, str]) -> Graph:
    """A copy of the child graph with its params resolved: declared vars as defaults,
    `overrides` on top, stored as `params.<k>` graph attrs and expanded into every
    `${params.*}` of every node attribute and label (other namespaces are left for run
    time, when the child's context exists)."""
    params = {k[len("params.") :]: v for k, v in graph.attrs.items() if k.startswith("params.")}
    params.update(overrides)
    clone = graph.model_copy(deep=True)
    values: dict[str, str] = {}
    for key, value in params.items():
        clone.attrs[f"params.{key}"] = value
        values[f"graph.params.{key}"] = value
    for node in clone.nodes.values():
        node.attrs = {k: expand(v, values, namespaces=("params",)) for k, v in node.attrs.items()}
        node.label = expand(node.label, values, namespaces=("params",))
    return clone


def child_updates(parent: Mapping[str, str], child: Mapping[str, str]) -> dict[str, str]:
    """What the child's final context changes in the parent's: new or different keys,
    minus `graph.*` and the routing keys (merging it yields the child's final context)."""
    return {
        key: value
        for key, value in child.items()
        if parent.get(key) != value
        and key not in _ROUTING_KEYS
        and not key.startswith(_PRIVATE_PREFIXES)
    }


def lookup_subgraph(node: GraphNode, env: NodeEnv, attr: str = "subgraph_ref") -> Graph:
    ref = node.attrs.get(attr, "").strip()
    if not ref:
        raise HandlerError(f'node "{node.id}" missing {attr} attribute')
    graph = env.subgraphs.get(ref)
    if graph is None:
        raise HandlerError(f'subgraph "{ref}" not found')
    return graph


class SubgraphHandler:
    """Runs the referenced pipeline to completion as this node's work."""

    name = "subgraph"

    async def execute(self, node: GraphNode, env: NodeEnv) -> Outcome:
        ref = node.attrs.get("subgraph_ref", "").strip()
        child = with_params(
            lookup_subgraph(node, env), parse_params(node.attrs.get("subgraph_params", ""))
        )
        parent = env.context.snapshot()
        try:
            result: EngineResult = await env.run_child(child, parent)
        except (asyncio.CancelledError, HandlerError):
            raise
        except Exception as exc:  # a child that could not run at all is fatal (§4.8)
            raise HandlerError(f'subgraph "{ref}" execution failed: {exc}') from exc
        if result.status == "paused_billing":  # the whole run pauses, resumably
            raise BillingPausedError(result.error or f'subgraph "{ref}" paused for billing')
        succeeded = result.status in SUCCESS_RESULTS
        return Outcome(
            status="success" if succeeded else "fail",
            context_updates=child_updates(parent, result.context),
            child_usage=result.usage,
            error="" if succeeded else (result.error or f"subgraph ended with {result.status}"),
        )
