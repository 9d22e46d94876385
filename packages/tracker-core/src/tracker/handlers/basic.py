"""The three handlers that do no work of their own (spec/engine.md §4.1, §4.7): start,
exit and conditional all succeed with no context updates; routing is the engine's job."""

from __future__ import annotations

from tracker.engine.handler import NodeEnv, Outcome
from tracker.graph.model import GraphNode


class _Passthrough:
    name = ""

    async def execute(self, node: GraphNode, env: NodeEnv) -> Outcome:
        return Outcome(status="success")


class StartHandler(_Passthrough):
    """Pipeline entry; an `agent Start` with a prompt is still not run as a session."""

    name = "start"


class ExitHandler(_Passthrough):
    """Pipeline exit; goal gates are checked by the engine after it runs."""

    name = "exit"


class ConditionalHandler(_Passthrough):
    """Routing-only node: the engine evaluates its outgoing edges' conditions."""

    name = "conditional"
