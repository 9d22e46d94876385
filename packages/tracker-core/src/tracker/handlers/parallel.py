"""`parallel` fan-out and `parallel.fan_in` join (spec/engine.md §4.6).

The fork runs each branch target node **once**, concurrently, each in its own asyncio task
with its own copy of the context, then records every branch's result as the JSON array
`parallel.results` and suggests the join node. The join merges the context updates of the
branches that succeeded. Branches are not engine steps: they get `stage_started` and
`stage_completed`/`stage_failed` events only — no decision events, trace entries or
`completed_nodes` membership (golden parallel_fanin).

Node attributes (all optional; `params:` of a dippin parallel node spill into them):
`parallel_targets` (else outgoing edges), `parallel_join`, `branch.<i>.<attr>` overrides,
`max_concurrency` (≤0 = unlimited), `branch_timeout` (Go duration), `worktree` (`true`: every
branch runs in its own git worktree, see handlers/worktree.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from tracker.dippin.values import parse_duration
from tracker.engine import events as ev
from tracker.engine.context import Context
from tracker.engine.exec_node import expand_node, handler_name
from tracker.engine.handler import HandlerError, NodeEnv, Outcome, SessionStats
from tracker.graph.model import Graph, GraphNode
from tracker.handlers.worktree import Worktree, WorktreeError, WorktreeManager

RESULTS_KEY = "parallel.results"
SUCCESS_STATUSES = frozenset({"success", "partial_success"})
#: attributes expanded by the handler itself, with every namespace (as the engine does)


class BranchResult(BaseModel):
    """One entry of `parallel.results`."""

    node_id: str
    status: str
    context_updates: dict[str, str] = Field(default_factory=dict)
    error: str = ""
    stats: SessionStats | None = None

    @property
    def succeeded(self) -> bool:
        return self.status in SUCCESS_STATUSES

    def to_json_dict(self) -> dict[str, Any]:
        """The reference's JSON: empty fields left out, context keys sorted."""
        out: dict[str, Any] = {"node_id": self.node_id, "status": self.status}
        if self.context_updates:
            out["context_updates"] = dict(sorted(self.context_updates.items()))
        if self.error:
            out["error"] = self.error
        if self.stats is not None:
            out["stats"] = self.stats.to_json_dict()
        return out


def dump_results(results: list[BranchResult]) -> str:
    return json.dumps(
        [r.to_json_dict() for r in results], separators=(",", ":"), ensure_ascii=False
    )


def load_results(text: str) -> list[BranchResult]:
    """Parse `parallel.results`; raises ValueError when it is not a results array."""
    data = json.loads(text)
    if not isinstance(data, list):
        raise ValueError("not a JSON array")
    try:
        return [BranchResult.model_validate(item) for item in data]
    except ValidationError as exc:
        raise ValueError(str(exc)) from exc


# ---------------------------------------------------------------- configuration


class ParallelSettings(BaseModel):
    max_concurrency: int = 0
    branch_timeout: float | None = None  # seconds
    worktree: bool = False


def parse_settings(node: GraphNode) -> ParallelSettings:
    """Read the fork's knobs; a malformed value is a configuration error (raises)."""
    attrs = node.attrs
    raw_max = attrs.get("max_concurrency", "").strip()
    try:
        max_concurrency = int(raw_max) if raw_max else 0
    except ValueError:
        raise HandlerError(
            f'parallel node "{node.id}": invalid max_concurrency "{raw_max}"'
        ) from None
    timeout: float | None = None
    raw_timeout = attrs.get("branch_timeout", "").strip()
    if raw_timeout:
        try:
            timeout = parse_duration(raw_timeout) / 1e9
        except ValueError:
            raise HandlerError(
                f'parallel node "{node.id}": invalid branch_timeout "{raw_timeout}"'
            ) from None
        if timeout <= 0:
            raise HandlerError(
                f'parallel node "{node.id}": branch_timeout must be positive, got "{raw_timeout}"'
            )
    worktree = attrs.get("worktree", "").strip().lower() in ("true", "1", "yes")
    return ParallelSettings(
        max_concurrency=max(max_concurrency, 0), branch_timeout=timeout, worktree=worktree
    )


def branch_targets(node: GraphNode, graph: Graph) -> list[str]:
    """`parallel_targets` in order, else the outgoing edges' targets minus the join;
    each target once."""
    listed = [t.strip() for t in node.attrs.get("parallel_targets", "").split(",") if t.strip()]
    if not listed:
        join = node.attrs.get("parallel_join", "")
        listed = [e.to for e in graph.outgoing(node.id) if e.to != join]
    return list(dict.fromkeys(listed))


def branch_overrides(attrs: Mapping[str, str], targets: list[str]) -> dict[str, dict[str, str]]:
    """`branch.<i>.<attr>` grouped per target node: by `branch.<i>.target` when given,
    else the i-th target."""
    by_index: dict[int, dict[str, str]] = {}
    for key, value in attrs.items():
        if not key.startswith("branch."):
            continue
        index, _, name = key[len("branch.") :].partition(".")
        if not name or not index.isdigit():
            continue
        by_index.setdefault(int(index), {})[name] = value
    out: dict[str, dict[str, str]] = {}
    for index, values in sorted(by_index.items()):
        target = values.pop("target", "") or (targets[index] if index < len(targets) else "")
        if target and values:
            out.setdefault(target, {}).update(values)
    return out


def find_join(node: GraphNode, graph: Graph, targets: list[str]) -> str:
    """The join to suggest: `parallel_join`, else the fan-in node the first branch feeds."""
    join = node.attrs.get("parallel_join", "")
    if join:
        return join
    for target in targets:
        for edge in graph.outgoing(target):
            successor = graph.nodes.get(edge.to)
            if successor is not None and successor.handler == "parallel.fan_in":
                return successor.id
    return ""


# ---------------------------------------------------------------- branch execution


def _handler_name(node: GraphNode) -> str:
    if node.handler:
        return node.handler
    from tracker.plugins.manager import get_registry

    return handler_name(node, get_registry().handlers)


def branch_node(
    node: GraphNode, overrides: Mapping[str, str], values: Mapping[str, str], env: NodeEnv
) -> GraphNode:
    """The branch's exec node, built the way the engine builds one for a step: stylesheet,
    then this branch's overrides, then `${graph.*}`/`${params.*}` in every attr and
    `${ctx.*}` too in the prompt."""
    attrs = dict(node.attrs)
    sheet = env.graph.attrs.get("model_stylesheet", "")
    if sheet and env.config.stylesheet_resolution:
        from tracker.engine.stylesheet import apply_stylesheet, parse_stylesheet

        with contextlib.suppress(ValueError):  # the engine rejected a bad sheet at start
            attrs = apply_stylesheet(node, parse_stylesheet(sheet))
    attrs.update(overrides)
    return expand_node(node, attrs, values)


def branch_env(env: NodeEnv, node: GraphNode, context: Context) -> NodeEnv:
    """The fork's environment re-aimed at one branch: its node (so events, artifacts and
    status.json carry the branch id) and its own context copy."""
    child = copy.copy(env)
    child.node = node
    child.context = context
    return child


class ParallelHandler:
    """Fan-out: every branch target runs once, concurrently, on a copy of the context."""

    name = "parallel"

    async def execute(self, node: GraphNode, env: NodeEnv) -> Outcome:
        targets = branch_targets(node, env.graph)
        if not targets:
            raise HandlerError(f'parallel node "{node.id}" has no branch targets')
        settings = parse_settings(node)
        overrides = branch_overrides(node.attrs, targets)
        env.event(
            ev.PARALLEL_STARTED,
            f"fan-out to {len(targets)} branches: {', '.join(targets)}",
        )
        base = env.context.copy()  # one snapshot for every branch
        slots = asyncio.Semaphore(settings.max_concurrency) if settings.max_concurrency else None
        trees = WorktreeManager(env.workdir, env.run_id) if settings.worktree else None
        tasks = [
            asyncio.create_task(
                self._branch(target, env, base, overrides.get(target, {}), settings, slots, trees)
            )
            for target in targets
        ]
        try:
            results = list(await asyncio.gather(*tasks))
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise

        status = "success" if any(r.succeeded for r in results) else "fail"
        env.event(ev.PARALLEL_COMPLETED, f"fan-in complete, aggregate status: {status}")
        stats: SessionStats | None = None
        for result in results:
            if result.stats is not None:
                stats = (stats or SessionStats()).add(result.stats)
        join = find_join(node, env.graph, targets)
        failed = [r for r in results if not r.succeeded]
        return Outcome(
            status=status,
            context_updates={RESULTS_KEY: dump_results(results)},
            suggested_next_nodes=[join] if join else [],
            stats=stats,
            error=(
                "; ".join(f"{r.node_id}: {r.error or r.status}" for r in failed)
                if status == "fail"
                else ""
            ),
        )

    async def _branch(
        self,
        target: str,
        env: NodeEnv,
        base: Context,
        overrides: Mapping[str, str],
        settings: ParallelSettings,
        slots: asyncio.Semaphore | None,
        trees: WorktreeManager | None,
    ) -> BranchResult:
        graph_node = env.graph.nodes.get(target)
        if graph_node is None:
            return BranchResult(
                node_id=target, status="fail", error=f'target node "{target}" not found in graph'
            )
        async with slots if slots is not None else contextlib.nullcontext():
            if env.cancelled.is_set():
                return BranchResult(
                    node_id=target, status="fail", error="cancelled before the branch started"
                )
            env.emit(
                ev.PipelineEvent(
                    type=ev.STAGE_STARTED,
                    node_id=target,
                    message=f'parallel branch "{target}" started',
                )
            )
            try:
                result = await self._run(graph_node, env, base.copy(), overrides, settings, trees)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - a crashed branch is a failed branch
                result = BranchResult(
                    node_id=target, status="fail", error=str(exc) or type(exc).__name__
                )
            if result.status == "fail":
                env.emit(
                    ev.PipelineEvent(
                        type=ev.STAGE_FAILED,
                        node_id=target,
                        message=f'parallel branch "{target}" failed',
                        error=result.error,
                    )
                )
            else:
                env.emit(
                    ev.PipelineEvent(
                        type=ev.STAGE_COMPLETED,
                        node_id=target,
                        message=f'parallel branch "{target}" completed',
                    )
                )
            return result

    async def _run(
        self,
        graph_node: GraphNode,
        env: NodeEnv,
        context: Context,
        overrides: Mapping[str, str],
        settings: ParallelSettings,
        trees: WorktreeManager | None,
    ) -> BranchResult:
        node = branch_node(graph_node, overrides, context.snapshot(), env)
        tree: Worktree | None = None
        if trees is not None:
            try:
                tree = await trees.prepare(node.id, node.attrs.get("working_dir", "").strip())
            except WorktreeError as exc:
                return BranchResult(node_id=node.id, status="fail", error=str(exc))
            attrs = {**node.attrs, "working_dir": tree.working_dir(trees.workdir)}
            node = node.model_copy(update={"attrs": attrs})
        handler = env.handler(_handler_name(node))
        work = handler.execute(node, branch_env(env, node, context))
        try:
            if settings.branch_timeout is not None:
                outcome = await asyncio.wait_for(work, settings.branch_timeout)
            else:
                outcome = await work
            if not isinstance(outcome, Outcome):
                raise HandlerError(f"returned {type(outcome).__name__}, not Outcome")
        except TimeoutError:
            outcome = Outcome(
                status="fail",
                error=f'branch "{node.id}" timed out after {settings.branch_timeout:g}s',
            )
        except Exception as exc:  # noqa: BLE001 - a crashed branch is a failed branch
            if tree is None:
                raise
            outcome = Outcome(status="fail", error=str(exc) or type(exc).__name__)
        result = BranchResult(
            node_id=node.id,
            status=outcome.status,
            context_updates=dict(outcome.context_updates),
            error=outcome.error if outcome.status == "fail" else "",
            stats=outcome.stats,
        )
        if tree is not None and trees is not None:
            await self._retire(tree, trees, result, env.run_id)
        return result

    async def _retire(
        self, tree: Worktree, trees: WorktreeManager, result: BranchResult, run_id: str
    ) -> None:
        """Commit the branch's work to its git branch; drop the checkout if it succeeded.
        A directory the pipeline made itself is left alone."""
        if not tree.created:
            return
        result.context_updates[f"worktree.{result.node_id}.branch"] = tree.branch
        try:
            removed = await trees.finish(
                tree,
                succeeded=result.succeeded,
                message=f"tracker: parallel branch {result.node_id} (run {run_id})",
            )
        except WorktreeError as exc:
            removed = False
            if result.succeeded:
                result.status, result.error = "fail", str(exc)
        if not removed:
            result.context_updates[f"worktree.{result.node_id}.path"] = str(tree.path)
            if result.status == "fail":
                result.error = f"{result.error} (worktree kept at {tree.path})".strip()


class FanInHandler:
    """Join: merge the context updates of the branches that succeeded, in branch order
    (a later branch wins on a shared key)."""

    name = "parallel.fan_in"

    async def execute(self, node: GraphNode, env: NodeEnv) -> Outcome:
        raw = env.context.get(RESULTS_KEY, "")
        if not raw:
            raise HandlerError(
                f'fan_in node "{node.id}": no {RESULTS_KEY} in context '
                "(is it downstream of a parallel node?)"
            )
        try:
            results = load_results(raw)
        except ValueError as exc:
            raise HandlerError(f'fan_in node "{node.id}": unreadable {RESULTS_KEY}: {exc}') from exc
        merged: dict[str, str] = {}
        for result in results:
            if result.succeeded:
                merged.update(result.context_updates)
        succeeded = any(r.succeeded for r in results)
        return Outcome(
            status="success" if succeeded else "fail",
            context_updates=merged,
            error="" if succeeded else "no parallel branch succeeded",
        )
