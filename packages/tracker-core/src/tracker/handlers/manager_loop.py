"""`stack.manager_loop`: supervise a child pipeline while it runs (spec/engine.md §4.9).

The child (`subgraph_ref`) runs as a child engine, exactly like a subgraph, in its own task.
Every `poll_interval` the manager ticks (`manager_cycle_tick`, `stack.child.cycles`) and
evaluates, against the child's live context plus the `stack.child.*` keys:
`stop_condition` (true → stop the child, `success`) and `steer_condition` (true → push
`steer_context` into the child's steering queue, applied after its next node). After
`max_cycles` ticks without stopping it stops the child and fails. A child that finishes on
its own decides the outcome: `success` when it succeeded, else `fail`.

Event stream on the manager node (golden manager_loop): the engine's `stage_started`, the
manager's own `stage_started` ("child launched"), ticks, then the manager's
`stage_completed`/`stage_failed` before the engine's `decision_outcome`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field

from tracker.dippin.values import parse_duration
from tracker.engine import events as ev
from tracker.engine.handler import BillingPausedError, HandlerError, NodeEnv, Outcome
from tracker.engine.result import EngineResult
from tracker.engine.routing import ConditionError, condition_matches
from tracker.graph.model import GraphNode
from tracker.handlers.subgraph import child_updates, lookup_subgraph

DEFAULT_POLL_INTERVAL = 45.0
DEFAULT_MAX_CYCLES = 1000
#: how long a stopped child may take to unwind after its task was cancelled
CHILD_STOP_GRACE = 30.0
_SUCCEEDED = frozenset({"success", "validation_overridden"})


class ManagerSettings(BaseModel):
    subgraph_ref: str
    poll_interval: float = DEFAULT_POLL_INTERVAL  # seconds; 0 = only wait for the child
    max_cycles: int = DEFAULT_MAX_CYCLES
    stop_condition: str = ""
    steer_condition: str = ""
    steer_context: dict[str, str] = Field(default_factory=dict)


def _attr(attrs: Mapping[str, str], key: str) -> str:
    """The dippin attr name, else the legacy DOT `manager.<key>` spelling."""
    return (attrs.get(key) or attrs.get(f"manager.{key}") or "").strip()


def _decode(token: str) -> str:
    """Undo the adapter's percent-encoding of `%`, `,`, `=` in steer_context."""
    if "%" not in token:
        return token
    return token.replace("%2C", ",").replace("%3D", "=").replace("%25", "%")


def parse_steer_context(text: str) -> dict[str, str]:
    """`k=v,k=v` with `%2C` / `%3D` / `%25` decoded; malformed pairs are skipped."""
    out: dict[str, str] = {}
    for pair in text.split(","):
        key, sep, value = pair.strip().partition("=")
        if sep and key.strip():
            out[_decode(key.strip())] = _decode(value.strip())
    return out


def parse_settings(node: GraphNode) -> ManagerSettings:
    """Read and check the node's attributes; anything malformed raises before the child
    starts (a broken condition must not surface only after max_cycles)."""
    attrs = node.attrs
    ref = _attr(attrs, "subgraph_ref")
    if not ref:
        raise HandlerError('manager_loop: missing required attribute "subgraph_ref"')
    poll = DEFAULT_POLL_INTERVAL
    raw = _attr(attrs, "poll_interval")
    if raw:
        try:
            poll = parse_duration(raw) / 1e9
        except ValueError:
            raise HandlerError(f'manager_loop: invalid poll_interval "{raw}"') from None
        if poll < 0:
            raise HandlerError(f'manager_loop: poll_interval must not be negative, got "{raw}"')
    cycles = DEFAULT_MAX_CYCLES
    raw = _attr(attrs, "max_cycles")
    if raw:
        try:
            cycles = int(raw)
        except ValueError:
            raise HandlerError(f'manager_loop: invalid max_cycles "{raw}"') from None
        if cycles < 0:
            raise HandlerError(f'manager_loop: max_cycles must not be negative, got "{raw}"')
        cycles = cycles or DEFAULT_MAX_CYCLES
    settings = ManagerSettings(
        subgraph_ref=ref,
        poll_interval=poll,
        max_cycles=cycles,
        stop_condition=_attr(attrs, "stop_condition"),
        steer_condition=_attr(attrs, "steer_condition"),
        steer_context=parse_steer_context(_attr(attrs, "steer_context")),
    )
    for name in ("stop_condition", "steer_condition"):
        text = getattr(settings, name)
        if text:
            try:
                condition_matches(text, {}, {})
            except ConditionError as exc:
                raise HandlerError(f"manager_loop: {name} is invalid: {exc}") from None
    return settings


class _Child:
    """The running child engine: its task, its own cancel switch and live context."""

    def __init__(self) -> None:
        self.cancelled = asyncio.Event()
        self.engine: Any = None
        self.task: asyncio.Task[EngineResult] | None = None

    def attach(self, engine: Any) -> None:
        # the child gets its own switch so stopping it never cancels the parent run
        engine.cancelled = self.cancelled
        self.engine = engine

    def values(self) -> dict[str, str]:
        return self.engine.context.snapshot() if self.engine is not None else {}

    def internal(self) -> dict[str, str]:
        return dict(self.engine.context.internal) if self.engine is not None else {}

    async def stop(self) -> EngineResult | None:
        """Cancel the child and wait (bounded) for it to unwind; its result if it had one."""
        self.cancelled.set()
        task = self.task
        if task is None:
            return None
        if not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=CHILD_STOP_GRACE)
        if task.done() and not task.cancelled() and task.exception() is None:
            return task.result()
        return None


class ManagerLoopHandler:
    """Runs a child pipeline under supervision: poll, steer, stop."""

    name = "stack.manager_loop"

    async def execute(self, node: GraphNode, env: NodeEnv) -> Outcome:
        settings = parse_settings(node)
        graph = lookup_subgraph(node, env)
        steering: asyncio.Queue[dict[str, str]] | None = None
        if settings.steer_condition and settings.steer_context:
            steering = asyncio.Queue(maxsize=1)
        parent = env.context.snapshot()
        child = _Child()
        state = {"stack.child.status": "running", "stack.child.cycles": "0"}
        env.event(ev.STAGE_STARTED, f'manager_loop: child "{settings.subgraph_ref}" launched')
        child.task = asyncio.create_task(
            env.run_child(graph, parent, steering=steering, on_engine=child.attach)
        )
        parent_cancelled = asyncio.create_task(env.cancelled.wait())
        try:
            return await self._supervise(
                env, settings, child, parent, state, steering, parent_cancelled
            )
        finally:
            parent_cancelled.cancel()
            if not child.task.done():
                await child.stop()

    async def _supervise(
        self,
        env: NodeEnv,
        settings: ManagerSettings,
        child: _Child,
        parent: dict[str, str],
        state: dict[str, str],
        steering: asyncio.Queue[dict[str, str]] | None,
        parent_cancelled: asyncio.Task[Any],
    ) -> Outcome:
        assert child.task is not None
        cycles = 0
        timeout = settings.poll_interval or None
        while True:
            await asyncio.wait(
                {child.task, parent_cancelled},
                timeout=timeout,
                return_when=asyncio.FIRST_COMPLETED,
            )
            if child.task.done():  # completion wins over a tick that fired with it
                return self._finished(env, child.task, cycles, parent, state)
            if parent_cancelled.done():
                await child.stop()
                raise asyncio.CancelledError()
            cycles += 1
            state["stack.child.cycles"] = str(cycles)
            env.event(ev.MANAGER_CYCLE_TICK, f"manager_loop: cycle {cycles}/{settings.max_cycles}")
            values = {**parent, **child.values(), **state}
            values["stack.child.outcome"] = values.get("outcome", "")
            if settings.stop_condition and self._holds(
                settings.stop_condition, "stop_condition", values, child
            ):
                result = await child.stop()
                state["stack.child.status"] = "stop_condition_met"
                env.event(
                    ev.STAGE_COMPLETED, f"manager_loop: stop_condition met after {cycles} cycles"
                )
                return self._outcome("success", parent, state, result)
            if cycles >= settings.max_cycles:
                result = await child.stop()
                state["stack.child.status"] = "max_cycles_exceeded"
                message = f"manager_loop: max_cycles {settings.max_cycles} reached"
                env.emit(ev.PipelineEvent(type=ev.STAGE_FAILED, message=message, error=message))
                return self._outcome("fail", parent, state, result, error=message)
            if (
                steering is not None
                and self._holds(settings.steer_condition, "steer_condition", values, child)
                and not steering.full()
            ):
                steering.put_nowait(dict(settings.steer_context))
                env.event(
                    ev.MANAGER_CYCLE_TICK,
                    f"manager_loop: steered {len(settings.steer_context)} keys into child",
                )

    def _holds(self, condition: str, name: str, values: dict[str, str], child: _Child) -> bool:
        try:
            return condition_matches(condition, values, child.internal())
        except ConditionError as exc:
            raise HandlerError(f"manager_loop: {name} is invalid: {exc}") from None

    def _finished(
        self,
        env: NodeEnv,
        task: asyncio.Task[EngineResult],
        cycles: int,
        parent: dict[str, str],
        state: dict[str, str],
    ) -> Outcome:
        state["stack.child.cycles"] = str(cycles)
        error = None if task.cancelled() else task.exception()
        if task.cancelled() or error is not None:
            state["stack.child.status"] = "error"
            message = f"manager_loop: child error: {error or 'cancelled'}"
            env.emit(ev.PipelineEvent(type=ev.STAGE_FAILED, message=message, error=message))
            if isinstance(error, HandlerError):
                raise error
            raise HandlerError(message) from error
        result = task.result()
        state["stack.child.exit_status"] = result.status
        if result.status == "paused_billing":
            raise BillingPausedError(result.error or "manager_loop child paused for billing")
        if result.status in _SUCCEEDED:
            state["stack.child.status"] = "success"
            env.event(
                ev.STAGE_COMPLETED,
                f"manager_loop: child completed successfully after {cycles} cycles",
            )
            return self._outcome("success", parent, state, result)
        state["stack.child.status"] = "failed"
        message = f'manager_loop: child completed with status "{result.status}"'
        env.emit(ev.PipelineEvent(type=ev.STAGE_FAILED, message=message, error=result.error))
        return self._outcome("fail", parent, state, result, error=result.error or message)

    def _outcome(
        self,
        status: str,
        parent: dict[str, str],
        state: dict[str, str],
        result: EngineResult | None,
        error: str = "",
    ) -> Outcome:
        updates = child_updates(parent, result.context) if result is not None else {}
        state["stack.child.outcome"] = status
        updates.update(state)
        return Outcome(
            status=status,
            context_updates=updates,
            child_usage=result.usage if result is not None else None,
            error=error,
        )
