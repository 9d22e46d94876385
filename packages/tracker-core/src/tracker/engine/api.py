"""The library entry point (cli-tui.md §11, engine.md §8): ``await tracker.run(source,
tracker.Config(...))`` loads a pipeline, runs it and returns status, context, trace and cost.
``tracker.run_sync`` is the same for code without an event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tracker.engine.config import RunConfig
from tracker.engine.events import EventHandler, PipelineEvent
from tracker.engine.result import EngineResult, TraceEntry
from tracker.engine.runner import Engine, new_run_id
from tracker.engine.subgraphs import load_subgraphs
from tracker.engine.usage import provider_totals_json
from tracker.graph.model import Graph
from tracker.llm.usage import UsageSummary


class PipelineLoadError(Exception):
    """The pipeline could not be loaded; `diagnostics` holds the rendered messages."""

    def __init__(self, message: str, diagnostics: list[str] | None = None) -> None:
        super().__init__(message)
        self.diagnostics = diagnostics or []


class Config(RunConfig):
    """Library configuration: RunConfig plus the objects only Python callers can pass.

    `event_handler` receives pipeline events; `sinks` receive every event (agent and llm
    ones too). `resume_run_id` (prefix) resumes a run under `artifact_dir`."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    resume_run_id: str = ""
    llm_client: Any = None
    interviewer: Any = None
    event_handler: EventHandler | None = None
    sinks: list[EventHandler] = Field(default_factory=list)
    subgraphs: dict[str, Graph] | None = None
    steering: Any = None
    cancelled: Any = None
    lint_errors_fatal: bool = True


class ProviderCost(BaseModel):
    usage: dict[str, Any]
    usd: float


class CostSummary(BaseModel):
    total_usd: float = 0.0
    by_provider: dict[str, ProviderCost] = Field(default_factory=dict)
    limits_hit: list[str] = Field(default_factory=list)
    estimated: bool = False


class Result(BaseModel):
    run_id: str
    status: str
    completed_nodes: list[str] = Field(default_factory=list)
    context: dict[str, str] = Field(default_factory=dict)
    trace: list[TraceEntry] = Field(default_factory=list)
    usage: UsageSummary | None = None
    cost: CostSummary = Field(default_factory=CostSummary)
    error: str = ""
    artifact_run_dir: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status in ("success", "validation_overridden")


def _cost(result: EngineResult) -> CostSummary:
    usage = result.usage
    if usage is None:
        return CostSummary(limits_hit=list(result.budget_limits_hit))
    by_provider = {
        name: ProviderCost(usage=totals, usd=float(totals["cost_usd"]))
        for name, totals in provider_totals_json(usage).items()
    }
    return CostSummary(
        total_usd=usage.total_cost_usd,
        by_provider=by_provider,
        limits_hit=list(result.budget_limits_hit),
        estimated=usage.estimated,
    )


def load_graph(
    source: str | Path | Graph, *, lint_errors_fatal: bool = True
) -> tuple[Graph, Path | None]:
    """A Graph from a path, a built-in workflow name, `.dip` text, or a Graph."""
    if isinstance(source, Graph):
        return source, None
    from tracker.loader import PipelineSource, load_pipeline, resolve_pipeline

    text = str(source)
    if isinstance(source, str) and "\n" in text and not Path(text.splitlines()[0]).is_file():
        pipeline = PipelineSource("<string>", text, None, "dip")
    else:
        pipeline = resolve_pipeline(text)
    loaded = load_pipeline(pipeline)
    problems = [d.render() for d in loaded.errors] + list(loaded.graph_errors)
    if loaded.graph is None or (lint_errors_fatal and problems):
        detail = "\n".join(problems) or "it could not be parsed"
        raise PipelineLoadError(f"{pipeline.name}: pipeline has errors:\n{detail}", problems)
    base = pipeline.path.resolve().parent if pipeline.path is not None else None
    return loaded.graph, base


def find_run_dir(artifact_dir: Path, run_id_prefix: str) -> Path:
    """The run directory named `run_id_prefix`, else the one whose id starts with it
    (must be unique); FileNotFoundError otherwise."""
    from tracker.inspect import InspectError
    from tracker.inspect.runs import find_run

    try:
        return find_run(artifact_dir, run_id_prefix)
    except InspectError as exc:
        raise FileNotFoundError(str(exc)) from None


def _llm_factory(config: Config) -> Callable[[], Any]:
    cached: list[Any] = []

    def build() -> Any:
        if not cached:
            if config.llm_client is not None:
                cached.append(config.llm_client)
            else:
                import os

                from tracker.llm.client import Client

                env = dict(os.environ)
                if config.scripted_file is not None:
                    env["TRACKER_SCRIPTED_FILE"] = str(config.scripted_file)
                cached.append(Client.from_registry(env=env))
        return cached[0]

    return build


def _plugin_sinks(run_dir: Path | None, config: Config) -> list[EventHandler]:
    """Event sinks registered by plugins (`register_event_sinks`): each factory gets the
    run directory and the config and returns a callable, or None to opt out."""
    from tracker.plugins.manager import get_registry

    sinks: list[EventHandler] = []
    for spec in get_registry().specs("event_sinks"):
        if spec.factory is None:
            continue
        sink = spec.factory(run_dir=run_dir, config=config)
        if sink is not None:
            sinks.append(sink)
    return sinks


def _interviewer(config: Config) -> Any:
    if config.interviewer is not None:
        return config.interviewer
    if not config.auto_approve:
        return None
    from tracker.plugins.manager import get_registry

    for name in ("auto-approve", "auto_approve", "autoapprove"):
        spec = get_registry().entries["gate_uis"].get(name)
        if spec is not None and spec.spec.factory is not None:
            return spec.spec.factory()
    return None


def run_location(config: Config) -> tuple[str, Path | None, Path | None]:
    """(run id, run directory, checkpoint path) for a run. No `artifact_dir`: no run
    directory; an explicit `checkpoint_path` wins over `resume_run_id` (an id or unique
    prefix of a run under `artifact_dir`, cli-tui.md §11.1)."""
    run_id = new_run_id()
    checkpoint = config.checkpoint_path
    if config.artifact_dir is None:
        return run_id, None, checkpoint
    artifacts = Path(config.artifact_dir)
    if config.resume_run_id and checkpoint is None:
        run_dir = find_run_dir(artifacts, config.resume_run_id)
        run_id = run_dir.name
    else:
        run_dir = artifacts / run_id
    run_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    return run_id, run_dir, checkpoint or run_dir / "checkpoint.json"


def build_engine(
    source: str | Path | Graph, config: Config | None = None, **overrides: Any
) -> Engine:
    """Load the pipeline and every subgraph, prepare the run directory, build the Engine."""
    config = (config or Config()).model_copy(update=overrides)
    graph, base_dir = load_graph(source, lint_errors_fatal=config.lint_errors_fatal)
    subgraphs = (
        config.subgraphs if config.subgraphs is not None else load_subgraphs(graph, base_dir)
    )
    run_id, run_dir, checkpoint_path = run_location(config)
    # the activity log is core's own `register_event_sinks` plugin (tracker.builtin_plugin)
    sinks: list[EventHandler] = _plugin_sinks(run_dir, config)
    sinks.extend(config.sinks)
    return Engine(
        graph,
        config=config,
        event_handler=config.event_handler,
        sinks=sinks,
        run_id=run_id,
        run_dir=run_dir,
        checkpoint_path=checkpoint_path,
        steering=config.steering,
        interviewer=_interviewer(config),
        llm_client_factory=_llm_factory(config),
        subgraphs=subgraphs,
        cancelled=config.cancelled,
    )


async def run(source: str | Path | Graph, config: Config | None = None, **overrides: Any) -> Result:
    """Run a pipeline to completion; failures are reported in `Result.status`/`error`."""
    engine = build_engine(source, config, **overrides)
    try:
        result = await engine.run()
    finally:
        for sink in engine.sinks:
            closer = getattr(sink, "close", None)
            if callable(closer):
                closer()
    return Result(
        run_id=result.run_id,
        status=result.status,
        completed_nodes=result.completed_nodes,
        context=result.context,
        trace=result.trace,
        usage=result.usage,
        cost=_cost(result),
        error=result.error,
        artifact_run_dir=result.run_dir,
    )


def run_sync(source: str | Path | Graph, config: Config | None = None, **overrides: Any) -> Result:
    """`run` for synchronous callers (starts its own event loop)."""
    return asyncio.run(run(source, config, **overrides))


def collect_events(into: list[PipelineEvent]) -> EventHandler:
    """A callback sink appending every pipeline event to `into` (tests, notebooks)."""
    return into.append


__all__ = [
    "Config",
    "CostSummary",
    "PipelineLoadError",
    "Result",
    "build_engine",
    "collect_events",
    "load_graph",
    "run",
    "run_sync",
]
