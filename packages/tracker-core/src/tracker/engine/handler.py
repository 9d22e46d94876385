"""The handler interface (spec/engine.md §4): what every node handler receives and returns.

A handler is an object with a `name` and `async execute(node, env) -> Outcome`. It returns
an `Outcome` for anything the pipeline may route on (including `fail`) and raises
`HandlerError` only for configuration or unrecoverable errors, which stop the run.
Handlers are built from the plugin registry: ``get_registry().handlers[name].factory()``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from tracker.engine.config import BudgetLimits, RunConfig
from tracker.engine.context import Context
from tracker.engine.events import PipelineEvent
from tracker.graph.model import Graph, GraphNode
from tracker.llm.usage import UsageSummary

if TYPE_CHECKING:
    from tracker.engine.result import EngineResult
    from tracker.llm.client import Client

__all__ = [
    "BillingPausedError",
    "BudgetLimits",
    "Context",
    "Handler",
    "HandlerError",
    "NodeEnv",
    "Outcome",
    "PipelineEvent",
    "RunConfig",
    "SessionStats",
    "UsageSummary",
]

SUCCESS = "success"
FAIL = "fail"
RETRY = "retry"
PARTIAL_SUCCESS = "partial_success"


class SessionStats(BaseModel):
    """An agent session's numbers (engine.md §4.2 item 9), serialised like the reference's
    `SessionStats` JSON: maps/lists/provider omitted when empty; `longest_turn` seconds."""

    turns: int = 0
    tool_calls: dict[str, int] = Field(default_factory=dict)
    total_tool_calls: int = 0
    files_modified: list[str] = Field(default_factory=list)
    files_created: list[str] = Field(default_factory=list)
    compactions: int = 0
    longest_turn: float = 0.0
    cache_hits: int = 0
    cache_misses: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    cost_usd: float = 0.0
    reasoning_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    provider: str = ""

    def to_json_dict(self) -> dict[str, Any]:
        """The reference's JSON: empty maps/lists/provider left out, whole costs as ints."""
        out = self.model_dump()
        for key in ("tool_calls", "files_modified", "files_created", "provider"):
            if not out[key]:
                del out[key]
        if float(out["cost_usd"]).is_integer():
            out["cost_usd"] = int(out["cost_usd"])
        return out

    def add(self, other: SessionStats) -> SessionStats:
        """Sum of two sessions (parallel branches); provider kept only when both agree."""
        calls = dict(self.tool_calls)
        for name, n in other.tool_calls.items():
            calls[name] = calls.get(name, 0) + n
        return SessionStats(
            turns=self.turns + other.turns,
            tool_calls=calls,
            total_tool_calls=self.total_tool_calls + other.total_tool_calls,
            files_modified=[*self.files_modified, *other.files_modified],
            files_created=[*self.files_created, *other.files_created],
            compactions=self.compactions + other.compactions,
            longest_turn=max(self.longest_turn, other.longest_turn),
            cache_hits=self.cache_hits + other.cache_hits,
            cache_misses=self.cache_misses + other.cache_misses,
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
            cost_usd=self.cost_usd + other.cost_usd,
            reasoning_tokens=self.reasoning_tokens + other.reasoning_tokens,
            cache_read_tokens=self.cache_read_tokens + other.cache_read_tokens,
            cache_write_tokens=self.cache_write_tokens + other.cache_write_tokens,
        )


class Outcome(BaseModel):
    """What a handler reports. `status` is `success`, `fail`, `retry`, or any other string
    (`partial_success` counts as success; others warn and count as success)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    status: str = SUCCESS
    context_updates: dict[str, str] = Field(default_factory=dict)
    preferred_label: str = ""
    suggested_next_nodes: list[str] = Field(default_factory=list)
    stats: SessionStats | None = None
    child_usage: UsageSummary | None = None
    error: str = ""


class HandlerError(Exception):
    """Raised by a handler for a configuration/unrecoverable error: fatal to the run
    (engine.md §2.2 step 7) even when failure edges exist."""


class BillingPausedError(HandlerError):
    """The provider refused for lack of credit: the run stops in the resumable
    `paused_billing` state; the node is not marked completed."""


@runtime_checkable
class Handler(Protocol):
    name: str

    async def execute(self, node: GraphNode, env: NodeEnv) -> Outcome: ...


class NodeEnv:
    """The execution environment handed to a handler for one node execution.

    Built by the engine; handlers only read attributes and call the methods. Attributes:
    `node` (exec node, attrs expanded), `context`, `graph`, `run_id`, `run_dir` (None when
    the run keeps no artifacts), `workdir`, `config`, `interviewer`, `cancelled`,
    `budget` / `baseline_usage` (inherited by child runs), `subgraphs` (ref -> Graph).
    """

    def __init__(
        self,
        *,
        node: GraphNode,
        context: Context,
        graph: Graph,
        run_id: str,
        run_dir: Path | None,
        workdir: Path,
        config: RunConfig,
        emit: Callable[[PipelineEvent], None],
        interviewer: Any = None,
        llm_client_factory: Callable[[], Client] | None = None,
        cancelled: asyncio.Event | None = None,
        budget: BudgetLimits | None = None,
        baseline_usage: UsageSummary | None = None,
        subgraphs: Mapping[str, Graph] | None = None,
        child_runner: Callable[..., Any] | None = None,
        handler_factory: Callable[[str], Handler] | None = None,
    ) -> None:
        self.node = node
        self.context = context
        self.graph = graph
        self.run_id = run_id
        self.run_dir = run_dir
        self.workdir = workdir
        self.config = config
        self.interviewer = interviewer
        self.cancelled = cancelled or asyncio.Event()
        self.budget = budget or BudgetLimits()
        self.baseline_usage = baseline_usage
        self.subgraphs: Mapping[str, Graph] = subgraphs or {}
        self._emit = emit
        self._llm_factory = llm_client_factory
        self._child_runner = child_runner
        self._handler_factory = handler_factory

    # events --------------------------------------------------------------------------

    def emit(self, event: PipelineEvent) -> None:
        """Send an event; node id and run id default to this node and run."""
        update: dict[str, Any] = {}
        if not event.node_id:
            update["node_id"] = self.node.id
        if not event.run_id:
            update["run_id"] = self.run_id
        self._emit(event.model_copy(update=update) if update else event)

    def event(self, type: str, message: str = "", **fields: Any) -> None:
        """Shorthand: ``env.event("gate_opened", "waiting for answer")``."""
        self.emit(PipelineEvent(type=type, message=message, **fields))

    # files ---------------------------------------------------------------------------

    def node_dir(self, node_id: str | None = None) -> Path | None:
        """`<run_dir>/<node_id>/`, created on demand (None when no run directory)."""
        if self.run_dir is None:
            return None
        path = self.run_dir / (node_id or self.node.id)
        path.mkdir(parents=True, exist_ok=True)
        return path

    # services ------------------------------------------------------------------------

    def llm_client(self) -> Client:
        """The run's LLM client, built on first use (so tool-only runs need no provider)."""
        if self._llm_factory is None:
            raise HandlerError("no LLM client is configured for this run")
        return self._llm_factory()

    def handler(self, name: str) -> Handler:
        """Build another handler by registry name (parallel branches run nodes with it)."""
        if self._handler_factory is None:
            raise HandlerError(f"handler {name!r} is not available")
        return self._handler_factory(name)

    async def run_child(
        self,
        graph: Graph,
        initial_context: Mapping[str, str] | None = None,
        node_prefix: str | None = None,
        *,
        steering: asyncio.Queue[dict[str, str]] | None = None,
        on_engine: Callable[[Any], None] | None = None,
    ) -> EngineResult:
        """Run `graph` as a child engine: events forwarded with ids prefixed
        `<node_prefix>/` (default this node's id), child pipeline_* events suppressed, the
        budget guard and usage baseline inherited, no checkpoint. `steering` feeds updates
        into the child's context; `on_engine(engine)` receives the child engine before it
        starts (a manager loop reads `engine.context` while it runs)."""
        if self._child_runner is None:
            raise HandlerError("child runs are not supported here")
        return await self._child_runner(
            graph,
            dict(initial_context or {}),
            node_prefix or self.node.id,
            steering=steering,
            on_engine=on_engine,
        )
