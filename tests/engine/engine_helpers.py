"""Stand-in handlers for engine tests (importable as `engine_helpers`)."""

from __future__ import annotations

from tracker.engine.handler import NodeEnv, Outcome, SessionStats
from tracker.graph.model import GraphNode


class OutcomeScript:
    """A stand-in agent handler: answers each node from a list of outcomes (the last one
    repeats), and records the nodes it ran."""

    name = "codergen"

    def __init__(self, script: dict[str, list[Outcome]] | None = None) -> None:
        self.script = script or {}
        self.calls: list[str] = []

    async def execute(self, node: GraphNode, env: NodeEnv) -> Outcome:
        self.calls.append(node.id)
        queue = self.script.get(node.id) or [Outcome()]
        return queue.pop(0) if len(queue) > 1 else queue[0]


def stats(tokens: int = 150, cost: float = 0.0) -> SessionStats:
    return SessionStats(
        turns=1,
        provider="stub",
        input_tokens=tokens * 2 // 3,
        output_tokens=tokens - tokens * 2 // 3,
        total_tokens=tokens,
        cost_usd=cost,
    )


def dip(body: str, defaults: str = "", name: str = "t") -> str:
    head = f"workflow {name}\n  goal: ship it\n  start: Start\n  exit: Done\n"
    if defaults:
        head += "\n  defaults\n" + "".join(f"    {line}\n" for line in defaults.splitlines())
    return head + "\n  agent Start\n    label: Start\n\n  agent Done\n    label: Done\n" + body
