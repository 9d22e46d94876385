"""The run loop (spec/engine.md §2): execute the current node, apply its outcome, route,
retry, restart, check goal gates and budgets, checkpoint, and emit every event."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from tracker.engine import events as ev
from tracker.engine.budget import BudgetBreach, check_budget, limits_from_graph
from tracker.engine.checkpoint import (
    checkpoint_document,
    load_checkpoint,
    save_checkpoint,
    timestamp_now,
)
from tracker.engine.config import BudgetLimits, RunConfig
from tracker.engine.context import RESUME_DEGRADE_KEY, Context
from tracker.engine.events import EventHandler, PipelineEvent
from tracker.engine.exec_node import expand_node, handler_name
from tracker.engine.handler import (
    FAIL,
    PARTIAL_SUCCESS,
    RETRY,
    SUCCESS,
    BillingPausedError,
    Handler,
    HandlerError,
    NodeEnv,
    Outcome,
)
from tracker.engine.result import EngineResult, TraceEntry
from tracker.engine.retry import goal_gate_max_retries, resolve_policy
from tracker.engine.routing import (
    ConditionError,
    NoMatchingEdgeError,
    routing_snapshot,
    select_edge,
)
from tracker.engine.stylesheet import Rule, parse_stylesheet
from tracker.engine.stylesheet import apply_stylesheet as _apply_stylesheet
from tracker.engine.usage import add_stats, add_summary, provider_totals_json
from tracker.graph.model import Graph, GraphEdge, GraphNode
from tracker.llm.usage import UsageSummary

ROUTING_KEYS = ("outcome", "preferred_label", "suggested_next_nodes")
_NODELESS_EDGE_EVENTS = {ev.DECISION_CONDITION, ev.DECISION_EDGE, ev.EDGE_TIEBREAKER}
#: attrs the exec-node build leaves alone: handlers expand them with every namespace


class EngineError(Exception):
    """A setup error before any node ran (corrupt checkpoint, bad stylesheet)."""


def new_run_id() -> str:
    return secrets.token_hex(6)


class _Stop(Exception):
    """Internal: unwinds the loop with a finished result."""

    def __init__(self, result: EngineResult) -> None:
        self.result = result


class Engine:
    """One pipeline run. Build it, then `await engine.run()`; `engine.context` is live
    while it runs (a manager loop reads its child's context)."""

    def __init__(
        self,
        graph: Graph,
        *,
        config: RunConfig | None = None,
        registry: Any = None,
        event_handler: EventHandler | None = None,
        sinks: Sequence[EventHandler] = (),
        run_id: str | None = None,
        run_dir: Path | None = None,
        checkpoint_path: Path | None = None,
        initial_context: Mapping[str, str] | None = None,
        budget: BudgetLimits | None = None,
        baseline_usage: UsageSummary | None = None,
        steering: asyncio.Queue[dict[str, str]] | None = None,
        interviewer: Any = None,
        llm_client_factory: Callable[[], Any] | None = None,
        subgraphs: Mapping[str, Graph] | None = None,
        cancelled: asyncio.Event | None = None,
        sleep: Callable[[float], Any] | None = None,
        jitter: Callable[[], float] | None = None,
        handlers: Mapping[str, Handler] | None = None,
    ) -> None:
        self.graph = graph
        self.config = config or RunConfig()
        self._registry = registry
        self._event_handler = event_handler
        self.sinks = list(sinks)
        self.run_id = run_id or new_run_id()
        self.run_dir = run_dir
        if checkpoint_path is None and self.config.checkpoint_path is not None:
            checkpoint_path = self.config.checkpoint_path
        self.checkpoint_path = checkpoint_path
        self._initial_context = dict(initial_context or {})
        graph_limits = limits_from_graph(graph.attrs)
        self.budget = (budget or self.config.budget).merged_over(graph_limits)
        self.baseline_usage = baseline_usage
        self.steering = steering
        self.interviewer = interviewer
        self._llm_factory = llm_client_factory
        self.subgraphs: Mapping[str, Graph] = subgraphs or {}
        self.cancelled = cancelled or asyncio.Event()
        self.sleep = sleep or asyncio.sleep
        self.jitter = jitter
        self.handlers = dict(handlers or {})
        self._handler_cache: dict[str, Handler] = {}

        self.context = Context()
        self.completed: dict[str, None] = {}  # ordered set, order of first completion
        self.node_status: dict[str, str] = {}
        self.retry_counts: dict[str, int] = {}
        self.restart_count = 0
        self.edge_selections: dict[str, str] = {}
        self.fallback_taken: dict[str, bool] = {}
        self.trace: list[TraceEntry] = []
        self.usage: UsageSummary | None = None
        self.current_node = ""
        self._overridden = False
        self._started = time.monotonic()
        self._stylesheet: list[Rule] = []
        self._resuming = False

    # ------------------------------------------------------------------ events

    def _emit(self, event: PipelineEvent) -> None:
        if not event.run_id and event.type not in _NODELESS_EDGE_EVENTS:
            event = event.model_copy(update={"run_id": self.run_id})
        for sink in self.sinks:
            sink(event)
        if self._event_handler is not None and event.source == "pipeline":
            self._event_handler(event)

    def _event(self, type: str, node_id: str = "", message: str = "", **fields: Any) -> None:
        if type not in _NODELESS_EDGE_EVENTS:  # stamped here: saves `_emit` a model copy
            fields.setdefault("run_id", self.run_id)
        self._emit(PipelineEvent(type=type, node_id=node_id, message=message, **fields))

    # ------------------------------------------------------------------ state

    def _total_usage(self) -> UsageSummary | None:
        """Usage the budget sees: the parent's baseline plus this run's."""
        return add_summary(self.baseline_usage, self.usage)

    def _elapsed(self) -> float:
        return time.monotonic() - self._started

    def _checkpoint(self, rerun: str = "") -> dict[str, Any]:
        """The checkpoint document (plain dict: the engine's state needs no validation)."""
        return checkpoint_document(
            run_id=self.run_id,
            current_node=self.current_node,
            completed_nodes=[n for n in self.completed if n != rerun]
            if rerun in self.completed
            else list(self.completed),
            retry_counts=self.retry_counts,
            context=self.context.snapshot(),
            timestamp=timestamp_now(),
            restart_count=self.restart_count,
            edge_selections=self.edge_selections,
            fallback_taken=self.fallback_taken,
        )

    def _save(self, rerun: str = "") -> None:
        """Write checkpoint.json; `rerun` names a node left out of the completed list so
        a resume runs it again (the node whose failure stopped the run, design.md)."""
        if self.checkpoint_path is None:
            return
        try:
            save_checkpoint(self.checkpoint_path, self._checkpoint(rerun))
        except OSError as exc:
            self._event(ev.CHECKPOINT_FAILED, message="checkpoint save failed", error=str(exc))
            return
        self._event(ev.CHECKPOINT_SAVED, message="checkpoint saved")

    def _result(
        self, status: str, error: str = "", limits_hit: list[str] | None = None
    ) -> EngineResult:
        return EngineResult(
            run_id=self.run_id,
            status=status,
            completed_nodes=list(self.completed),
            context=self.context.snapshot(),
            trace=list(self.trace),
            usage=self.usage,
            budget_limits_hit=limits_hit or [],
            error=error,
            run_dir=str(self.run_dir) if self.run_dir else "",
        )

    def _fail(
        self, error: str, *, pipeline_failed: bool = True, message: str = "pipeline failed"
    ) -> _Stop:
        if pipeline_failed:
            self._event(ev.PIPELINE_FAILED, message=message, error=error)
        return _Stop(self._result(FAIL, error))

    def _add_trace(self, entry: TraceEntry) -> None:
        self.trace.append(entry)

    def _clear_downstream(self, start: str, *, retries: bool = False) -> list[str]:
        """Forget completion (and optionally retry counts) of `start` and everything
        reachable from it; returns the cleared ids in BFS order."""
        seen = [start]
        queue = deque([start])
        while queue:
            for edge in self.graph.outgoing(queue.popleft()):
                if edge.to not in seen:
                    seen.append(edge.to)
                    queue.append(edge.to)
        for node_id in seen:
            self.completed.pop(node_id, None)
            if retries:
                self.retry_counts.pop(node_id, None)
        return seen

    # ------------------------------------------------------------------ init

    def _init(self) -> None:
        ctx = self.context
        for key, value in self.graph.attrs.items():
            ctx.set(f"graph.{key}", value)
        ctx.merge(self._initial_context)
        checkpoint = None
        if self.checkpoint_path is not None:
            try:
                checkpoint = load_checkpoint(self.checkpoint_path)
            except Exception as exc:  # corrupt checkpoint is a hard error
                raise EngineError(str(exc)) from exc
        if checkpoint is not None:
            self._resuming = True
            if checkpoint.run_id:
                self.run_id = checkpoint.run_id
            ctx.merge(checkpoint.context)
            self.completed = dict.fromkeys(checkpoint.completed_nodes)
            self.retry_counts = dict(checkpoint.retry_counts)
            self.restart_count = checkpoint.restart_count
            self.edge_selections = dict(checkpoint.edge_selections)
            self.fallback_taken = dict(checkpoint.fallback_taken)
            self.current_node = checkpoint.current_node
            if self.graph.attrs.get("on_resume", "") != "preserve":
                # the node we resume at sees one fidelity step less (engine.md §3.6); the
                # restored context itself is kept whole, so a resumed run ends as an
                # uninterrupted one would
                ctx.internal[RESUME_DEGRADE_KEY] = checkpoint.current_node
        # the current graph wins over stale values (checkpoint, parent snapshot)
        for key, value in self.graph.attrs.items():
            ctx.set(f"graph.{key}", value)
        for key, value in self.config.params.items():
            ctx.set(f"graph.params.{key}", value)
        if self.run_dir is not None:
            ctx.internal["_artifact_dir"] = str(self.run_dir)
        if self.config.stylesheet_resolution and self.graph.attrs.get("model_stylesheet"):
            try:
                self._stylesheet = parse_stylesheet(self.graph.attrs["model_stylesheet"])
            except ValueError as exc:
                raise EngineError(str(exc)) from exc
        ctx.clear_dirty()
        if not self.current_node:
            self.current_node = self.graph.start_node

    # ------------------------------------------------------------------ handlers

    def _handler_name(self, node: GraphNode) -> str:
        if node.handler:  # no registry needed (it loads plugins on first use)
            return node.handler
        return handler_name(node, self._get_registry().handlers)

    def _get_registry(self) -> Any:
        if self._registry is None:
            from tracker.plugins.manager import get_registry

            self._registry = get_registry()
        return self._registry

    def build_handler(self, name: str) -> Handler:
        """The handler registered as `name` (one instance per run)."""
        if name in self.handlers:
            return self.handlers[name]
        if name not in self._handler_cache:
            spec = self._get_registry().handlers.get(name)
            if spec is None or spec.factory is None:
                raise HandlerError(f'no handler registered for "{name}"')
            self._handler_cache[name] = spec.factory()
        return self._handler_cache[name]

    def _exec_node(self, node: GraphNode) -> GraphNode:
        """Stylesheet applied, then `${…}` expanded (engine/exec_node.py)."""
        attrs = _apply_stylesheet(node, self._stylesheet) if self._stylesheet else dict(node.attrs)
        return expand_node(node, attrs, self.context.view())  # read-only: nothing else runs

    def _env(self, node: GraphNode) -> NodeEnv:
        return NodeEnv(
            node=node,
            context=self.context,
            graph=self.graph,
            run_id=self.run_id,
            run_dir=self.run_dir,
            workdir=self.config.workdir,
            config=self.config,
            emit=self._emit,
            interviewer=self.interviewer,
            llm_client_factory=self._llm_factory,
            cancelled=self.cancelled,
            budget=self.budget,
            baseline_usage=self._total_usage(),
            subgraphs=self.subgraphs,
            child_runner=self._run_child,
            handler_factory=self.build_handler,
        )

    async def _run_child(
        self,
        graph: Graph,
        initial_context: dict[str, str],
        node_prefix: str,
        *,
        steering: asyncio.Queue[dict[str, str]] | None = None,
        on_engine: Callable[[Any], None] | None = None,
    ) -> EngineResult:
        """A child engine for subgraph / manager loop (engine.md §4.8)."""

        def forward(event: PipelineEvent) -> None:
            if event.source == "pipeline" and event.type.startswith("pipeline_"):
                return
            self._emit(event.prefixed(node_prefix))

        # a child never touches the parent's checkpoint, and params do not leak into it
        child_config = self.config.model_copy(update={"params": {}, "checkpoint_path": None})
        child = Engine(
            graph,
            config=child_config,
            registry=self._registry,
            sinks=[forward],
            run_id=self.run_id,
            run_dir=(self.run_dir / node_prefix) if self.run_dir else None,
            initial_context=initial_context,
            budget=self.budget,
            baseline_usage=self._total_usage(),
            steering=steering,
            interviewer=self.interviewer,
            llm_client_factory=self._llm_factory,
            subgraphs=self.subgraphs,
            cancelled=self.cancelled,
            sleep=self.sleep,
            jitter=self.jitter,
            handlers=self.handlers,
        )
        if on_engine is not None:
            on_engine(child)
        return await child.run()

    # ------------------------------------------------------------------ the loop

    async def run(self) -> EngineResult:
        self._started = time.monotonic()
        self._init()
        self._event(ev.PIPELINE_STARTED, message="pipeline started")
        while True:
            try:
                await self._step()
            except _Continue:
                continue
            except _Stop as stop:
                return stop.result

    async def _step(self) -> None:
        node_id = self.current_node
        if self.cancelled.is_set():
            raise self._cancel()
        node = self.graph.nodes.get(node_id)
        if node is None:
            raise self._fail(f'node "{node_id}" not found in graph')
        if self._resuming and node_id in self.completed and node_id != self.graph.exit_node:
            if self._skip_completed(node_id):
                return
        self._resuming = False
        await self._execute(node)

    def _skip_completed(self, node_id: str) -> bool:
        """Resume walk (§6.4): follow a completed node's stored edge without re-running it.
        Returns False when the node must run (a loop met during the walk)."""
        seen = self.context.internal.setdefault("_resume_walk", "")
        walked = set(seen.split(",")) if seen else set()
        if node_id in walked:
            self._clear_downstream(node_id, retries=True)
            return False
        walked.add(node_id)
        self.context.internal["_resume_walk"] = ",".join(sorted(walked))
        self._event(ev.STAGE_COMPLETED, node_id, "previously completed (resumed)")
        target = self.edge_selections.get(node_id, "")
        if not target or target not in self.graph.nodes:
            try:
                selection = select_edge(
                    node_id,
                    self.graph.outgoing(node_id),
                    self.context.snapshot(),
                    self.context.internal,
                    lambda _e: None,
                )
            except (NoMatchingEdgeError, ConditionError):
                self._clear_downstream(node_id, retries=True)
                return False
            target = selection.edge.to
        self.current_node = target
        return True

    def _cancel(self) -> _Stop:
        self._save()
        self._event(ev.PIPELINE_FAILED, message="context cancelled", error="context cancelled")
        return _Stop(self._result(FAIL, "pipeline cancelled: context cancelled"))

    async def _execute(self, node: GraphNode) -> None:
        node_id = node.id
        for key in ROUTING_KEYS:
            self.context.set(key, "")
        handler_name = self._handler_name(node)
        try:
            exec_node = self._exec_node(node)
        except Exception as exc:  # noqa: BLE001 - reported like a handler error
            self._handler_failed(node_id, handler_name, exc, 0.0)
        self._event(ev.STAGE_STARTED, node_id, f'executing node "{node_id}"')
        started = time.monotonic()
        try:
            handler = self.build_handler(handler_name)
            outcome = await handler.execute(exec_node, self._env(exec_node))
            if not isinstance(outcome, Outcome):
                raise HandlerError(
                    f"handler {handler_name} returned {type(outcome).__name__}, not Outcome"
                )
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and hasattr(task, "uncancel"):
                task.uncancel()
            self.cancelled.set()
            raise self._cancel() from None
        except BillingPausedError as exc:
            self._billing_paused(node_id, handler_name, exc, time.monotonic() - started)
        except Exception as exc:  # noqa: BLE001 - any raise is fatal to the run (§2.2.7)
            self._handler_failed(node_id, handler_name, exc, time.monotonic() - started)
        duration = time.monotonic() - started
        if outcome.stats is not None:
            self.usage = add_stats(self.usage, outcome.stats)
        if outcome.child_usage is not None:
            self.usage = add_summary(self.usage, outcome.child_usage)
        self._apply_outcome(node_id, outcome)

        def trace(edge_to: str = "", error: str = "") -> None:
            self._add_trace(
                TraceEntry(
                    node_id=node_id,
                    handler_name=handler_name,
                    status=outcome.status,
                    duration=duration,
                    edge_to=edge_to,
                    error=error or outcome.error,
                    stats=outcome.stats,
                    child_usage=outcome.child_usage,
                )
            )

        status = outcome.status
        if status == RETRY:
            await self._retry(node, trace)
            return
        if status == FAIL:
            self._event(ev.STAGE_FAILED, node_id, f'node "{node_id}" failed', error=outcome.error)
        elif status in (SUCCESS, PARTIAL_SUCCESS):
            self._event(ev.STAGE_COMPLETED, node_id, f'node "{node_id}" completed')
        else:
            self._event(
                ev.WARNING,
                node_id,
                f'unknown outcome status "{status}" for node "{node_id}", treating as success',
            )
            self._event(ev.STAGE_COMPLETED, node_id, f'node "{node_id}" completed')
        self.completed.setdefault(node_id, None)

        if node_id == self.graph.exit_node:
            self._exit(node, status, trace)
        self._advance(node, trace)

    def _handler_failed(
        self, node_id: str, handler_name: str, exc: BaseException, duration: float
    ) -> None:
        message = str(exc) or type(exc).__name__
        self._add_trace(
            TraceEntry(
                node_id=node_id,
                handler_name=handler_name,
                status="error",
                duration=duration,
                error=message,
            )
        )
        self._event(ev.STAGE_FAILED, node_id, f"handler error: {message}", error=message)
        self.context.scope_to_node(node_id)
        self._save()
        raise self._fail(f'handler error at node "{node_id}": {message}')

    def _billing_paused(
        self, node_id: str, handler_name: str, exc: BaseException, duration: float
    ) -> None:
        message = str(exc) or "provider billing error"
        self._add_trace(
            TraceEntry(
                node_id=node_id,
                handler_name=handler_name,
                status="error",
                duration=duration,
                error=message,
            )
        )
        self._event(ev.STAGE_FAILED, node_id, f"handler error: {message}", error=message)
        self._event(
            ev.BILLING_PAUSED,
            node_id,
            f'run paused at node "{node_id}": provider billing/credit error; top up and resume',
            error=message,
        )
        self.context.scope_to_node(node_id)
        self._save()
        raise _Stop(self._result("paused_billing", message))

    def _apply_outcome(self, node_id: str, outcome: Outcome) -> None:
        ctx = self.context
        ctx.merge(outcome.context_updates)
        if outcome.status:
            ctx.set("outcome", outcome.status)
        if outcome.preferred_label:
            ctx.set("preferred_label", outcome.preferred_label)
        if outcome.suggested_next_nodes:
            ctx.set("suggested_next_nodes", ",".join(outcome.suggested_next_nodes))
        self.node_status[node_id] = outcome.status
        stats = outcome.stats
        self._event(
            ev.DECISION_OUTCOME,
            node_id,
            f'node "{node_id}" outcome: {outcome.status}',
            outcome_status=outcome.status,
            context_updates=dict(outcome.context_updates),
            context_snapshot=routing_snapshot(ctx.view()),
            token_input=stats.input_tokens if stats else 0,
            token_output=stats.output_tokens if stats else 0,
        )
        ctx.scope_to_node(node_id)
        if self.steering is not None:
            while True:
                try:
                    update = self.steering.get_nowait()
                except asyncio.QueueEmpty:
                    break
                ctx.merge_without_dirty(update)

    # ------------------------------------------------------------------ money and time

    def _cost_updated(self, node_id: str) -> None:
        usage = self.usage
        if usage is None:
            return
        self._event(
            ev.COST_UPDATED,
            node_id,
            "cost updated",
            total_tokens=usage.total_tokens,
            total_cost_usd=usage.total_cost_usd,
            provider_totals=provider_totals_json(usage),
            wall_elapsed_ms=int(self._elapsed() * 1000),
            estimated=usage.estimated,
        )

    def _check_budget(self) -> None:
        if not self.budget.active:
            return
        total = self._total_usage()
        breach: BudgetBreach | None = check_budget(self.budget, total, self._elapsed())
        if breach is None:
            return
        self._save()
        self._event(
            ev.BUDGET_EXCEEDED,
            message=breach.message,
            total_tokens=total.total_tokens if total else 0,
            total_cost_usd=total.total_cost_usd if total else 0.0,
            provider_totals=provider_totals_json(total) if total else {},
            wall_elapsed_ms=int(self._elapsed() * 1000),
        )
        raise _Stop(self._result("budget_exceeded", "", [breach.dimension]))

    # ------------------------------------------------------------------ retry

    async def _retry(self, node: GraphNode, trace: Callable[..., None]) -> None:
        node_id = node.id
        policy = resolve_policy(node, self.graph)
        count = self.retry_counts.get(node_id, 0)
        if count < policy.max_retries:
            self.retry_counts[node_id] = count + 1
            delay = policy.delay(count, self.jitter) if self.jitter else policy.delay(count)
            if delay > 0:
                sleeper = asyncio.ensure_future(self.sleep(delay))
                waiter = asyncio.ensure_future(self.cancelled.wait())
                done, _ = await asyncio.wait({sleeper, waiter}, return_when=asyncio.FIRST_COMPLETED)
                for task in (sleeper, waiter):
                    if task not in done:
                        task.cancel()
                if self.cancelled.is_set():
                    trace()
                    raise self._cancel()
            self._event(
                ev.STAGE_RETRYING,
                node_id,
                f'retrying node "{node_id}" (attempt {count + 1}/{policy.max_retries}, policy={policy.name})',
            )
            target = node.attrs.get("retry_target", "")
            if target not in self.graph.nodes:
                target = node_id
            trace(edge_to=target)
            self._cost_updated(node_id)
            self.current_node = target
            self._check_budget()
            self._clear_downstream(target)
            self._save()
            return
        fallback = node.attrs.get("fallback_retry_target", "")
        if fallback and fallback in self.graph.nodes:
            trace(edge_to=fallback)
            self._clear_downstream(fallback)
            self.current_node = fallback
            self._save()
            return
        trace()
        self._event(ev.STAGE_FAILED, node_id, f'retries exhausted for node "{node_id}"')
        self._save()
        raise self._fail(f'retries exhausted for node "{node_id}"')

    # ------------------------------------------------------------------ exit

    def _first_existing(self, *candidates: str) -> str:
        for name in candidates:
            if name and name in self.graph.nodes:
                return name
        return ""

    def _exit(self, node: GraphNode, status: str, trace: Callable[..., None]) -> None:
        gattrs = self.graph.attrs
        for gate_id in list(self.completed):
            gate = self.graph.nodes.get(gate_id)
            if gate is None or gate.attrs.get("goal_gate") != "true":
                continue
            if self.node_status.get(gate_id) in (SUCCESS, PARTIAL_SUCCESS):
                continue
            ga = gate.attrs
            limit = goal_gate_max_retries(gate, self.graph)
            count = self.retry_counts.get(gate_id, 0)
            if count < limit:
                target = self._first_existing(
                    ga.get("retry_target", ""),
                    ga.get("fallback_target", ""),
                    ga.get("fallback_retry_target", ""),
                    gattrs.get("retry_target", ""),
                    gattrs.get("fallback_target", ""),
                    gattrs.get("fallback_retry_target", ""),
                )
                if not target:
                    trace()
                    self._event(
                        ev.STAGE_FAILED,
                        gate_id,
                        f'goal gate "{gate_id}" unsatisfied and has no retry target',
                    )
                    raise self._exit_failure(
                        node.id, f'goal gate "{gate_id}" unsatisfied and no retry target'
                    )
                self.retry_counts[gate_id] = count + 1
                self._event(
                    ev.STAGE_RETRYING,
                    gate_id,
                    f'goal-gate retry for "{gate_id}" → "{target}" (attempt {count + 1}/{limit})',
                )
                trace(edge_to=target)
                self._clear_downstream(target)
                self.current_node = target
                self._save()
                raise _Continue()
            fallback = ""
            if not self.fallback_taken.get(gate_id):
                fallback = self._first_existing(
                    ga.get("fallback_target", ""),
                    ga.get("fallback_retry_target", ""),
                    gattrs.get("fallback_target", ""),
                    gattrs.get("fallback_retry_target", ""),
                )
            if fallback:
                self.fallback_taken[gate_id] = True
                self._event(
                    ev.STAGE_FAILED,
                    gate_id,
                    f'goal-gate retries exhausted for "{gate_id}", routing to fallback "{fallback}"',
                )
                trace(edge_to=fallback)
                self._clear_downstream(fallback)
                self.current_node = fallback
                self._save()
                raise _Continue()
            trace()
            self._event(ev.STAGE_FAILED, gate_id, f'goal-gate retries exhausted for "{gate_id}"')
            raise self._exit_failure(
                node.id, f'goal gate "{gate_id}" unsatisfied: retries exhausted'
            )
        if status == FAIL:
            trace()
            raise self._exit_failure(node.id, f'exit node "{node.id}" failed')
        trace()
        self._cost_updated(node.id)
        self.current_node = ""
        self._check_budget()
        self._save()
        self._event(ev.PIPELINE_COMPLETED, message="pipeline completed")
        raise _Stop(self._result("validation_overridden" if self._overridden else SUCCESS))

    def _exit_failure(self, exit_id: str, error: str) -> _Stop:
        # resuming re-runs the exit checks rather than skipping a "completed" exit
        self.current_node = exit_id
        self._save(rerun=exit_id)
        return self._fail(error)

    # ------------------------------------------------------------------ advance

    def _fallback_for(self, node: GraphNode) -> str:
        """design.md: `defaults on_failure` (graph fallback_target) catches a failed node
        with no matching failure edge, at most once per node per run."""
        if self.fallback_taken.get(node.id):
            return ""
        target = self._first_existing(
            node.attrs.get("fallback_target", ""), self.graph.attrs.get("fallback_target", "")
        )
        return target if target != node.id else ""

    def _advance(self, node: GraphNode, trace: Callable[..., None]) -> None:
        node_id = node.id
        edges = self.graph.outgoing(node_id)
        values = self.context.view()  # routing only reads; no handler runs meanwhile
        failed = values.get("outcome") == FAIL
        if not edges:
            trace(error=f'no outgoing edges from non-exit node "{node_id}"')
            raise self._stop_failed(node_id, f'no outgoing edges from non-exit node "{node_id}"')
        edge: GraphEdge | None = None
        target = ""
        if failed and not any(e.condition for e in edges):
            target = self._fallback_for(node)
            if not target:
                self._event(
                    ev.STAGE_FAILED,
                    node_id,
                    f'node "{node_id}" failed with no failure edge — stopping pipeline',
                )
                trace()
                raise self._stop_failed(
                    node_id, f'node "{node_id}" failed with no conditional edges to handle failure'
                )
        else:
            try:
                edge = select_edge(node_id, edges, values, self.context.internal, self._emit).edge
                target = edge.to
            except NoMatchingEdgeError as exc:
                target = self._fallback_for(node) if failed else ""
                if not target:
                    trace(error=f'select edge from "{node_id}": {exc}')
                    raise self._stop_failed(
                        node_id, f'select edge from "{node_id}": {exc}'
                    ) from None
            except ConditionError as exc:
                trace(error=str(exc))
                raise self._stop_failed(node_id, f'select edge from "{node_id}": {exc}') from None
        if edge is None:
            self.fallback_taken[node_id] = True
            self._event(
                ev.DECISION_EDGE,
                node_id,
                f'node "{node_id}" failed; routing to fallback "{target}"',
                edge_from=node_id,
                edge_to=target,
                edge_priority="fallback",
                context_snapshot=routing_snapshot(values),
            )
        trace(edge_to=target)
        if edge is not None and edge.override:
            self._overridden = True
            self._event(
                ev.VALIDATION_OVERRIDDEN,
                node_id,
                f"override edge {node_id}->{target} taken: validation overridden",
                edge_from=node_id,
                edge_to=target,
            )
        self._cost_updated(node_id)
        self.edge_selections[node_id] = target
        if target in self.completed:
            self._restart(node_id, target)
            return
        self.current_node = target
        self._check_budget()
        self._save()

    def _stop_failed(self, node_id: str, error: str) -> _Stop:
        # the node whose failure stopped the run runs again on resume (design.md)
        self.current_node = node_id
        self._save(rerun=node_id)
        return self._fail(error)

    def _restart(self, node_id: str, target: str) -> None:
        limit = self._max_restarts()
        if self.restart_count >= limit:
            message = f"max restarts ({limit}) exceeded"
            self.current_node = node_id
            self._save()
            raise self._fail(message, message=message)
        self.restart_count += 1
        restart_at = self.graph.attrs.get("restart_target", "")
        if restart_at not in self.graph.nodes:
            restart_at = target
        self.current_node = restart_at
        self._check_budget()
        self._event(
            ev.LOOP_RESTART,
            restart_at,
            f'loop detected, restarting from "{restart_at}" (restart {self.restart_count}/{limit})',
        )
        cleared = self._clear_downstream(restart_at, retries=True)
        self._event(
            ev.DECISION_RESTART,
            restart_at,
            f'restart {self.restart_count}: clearing {len(cleared)} nodes from "{restart_at}"',
            restart_count=self.restart_count,
            cleared_nodes=cleared,
            context_snapshot=routing_snapshot(self.context.view()),
        )
        self._save()

    def _max_restarts(self) -> int:
        try:
            return int(self.graph.attrs.get("max_restarts", "") or 5)
        except ValueError:
            return 5


class _Continue(_Stop):
    """Internal: the exit handling rerouted the run; keep looping."""

    def __init__(self) -> None:
        Exception.__init__(self)
