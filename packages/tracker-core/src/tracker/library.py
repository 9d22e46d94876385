"""The library API of cli-tui.md §11.1: run a pipeline from its text, validate and
simulate it, and find and read run directories and built-in workflows.

Thin functions over the loader, the engine and the CLI helpers; `tracker` exports them
lazily so `import tracker` stays cheap."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_serializer

from tracker.engine.api import Config as _EngineConfig
from tracker.engine.api import PipelineLoadError
from tracker.engine.config import BudgetLimits
from tracker.engine.events import EventHandler, PipelineEvent
from tracker.engine.result import EngineResult, TraceEntry
from tracker.graph.model import Graph
from tracker.inspect import InspectError
from tracker.inspect.activity import (
    ActivityEntry,
    load_activity_log,
    parse_activity_line,
    sort_activity_by_time,
)
from tracker.inspect.runs import most_recent_run_id, resolve_run_dir
from tracker.llm.usage import UsageSummary, UsageTotals
from tracker.simulation import SimulationReport

if TYPE_CHECKING:
    from tracker.engine import runner
    from tracker.lint.diagnostic import Diagnostic
    from tracker.loader import LoadedPipeline

RUNS_DIR = Path(".tracker") / "runs"
CORE_PROVIDERS = ("anthropic", "openai", "gemini", "openai-compat")


# --------------------------------------------------------------------------- config


class WebhookGateConfig(BaseModel):
    """Headless webhook gates (cli-tui.md §5); `timeout` in seconds."""

    webhook_url: str
    callback_addr: str = ":8789"
    timeout: float = 600.0
    timeout_action: str = "fail"
    auth_header: str = ""
    run_id: str = ""


class Config(_EngineConfig):
    """Library configuration (§11.1). The reference's names are accepted as aliases:
    `working_dir` for `workdir`, `checkpoint_dir` (the path of a `checkpoint.json`) for
    `checkpoint_path`. `model`, `provider` and `retry_policy` only fill what the
    workflow leaves unset; `context` seeds the run context; `autopilot` is a persona."""

    model_config = ConfigDict(arbitrary_types_allowed=True, populate_by_name=True)

    workdir: Path = Field(
        default_factory=Path.cwd, validation_alias=AliasChoices("workdir", "working_dir")
    )
    checkpoint_path: Path | None = Field(
        default=None, validation_alias=AliasChoices("checkpoint_path", "checkpoint_dir")
    )
    format: Literal["", "dip", "dot"] = ""
    retry_policy: Literal["", "none", "standard", "aggressive"] = ""
    agent_events: EventHandler | None = None
    context: dict[str, str] = Field(default_factory=dict)
    autopilot: str = ""
    gateway_url: str = ""
    webhook_gate: WebhookGateConfig | None = None

    @property
    def working_dir(self) -> Path:
        return self.workdir

    @property
    def checkpoint_dir(self) -> Path | None:
        return self.checkpoint_path


# --------------------------------------------------------------------------- result


class ProviderCost(BaseModel):
    usage: UsageTotals
    model: str = ""
    usd: float = 0.0


class CostReport(BaseModel):
    total_usd: float = 0.0
    by_provider: dict[str, ProviderCost] = Field(default_factory=dict)
    limits_hit: list[str] = Field(default_factory=list)
    estimated: bool = False


class Result(BaseModel):
    """What `run` returns (§11.1). `cost` is None when nothing was spent, except that a
    budget halt always reports it."""

    run_id: str
    status: str
    completed_nodes: list[str] = Field(default_factory=list)
    context: dict[str, str] = Field(default_factory=dict)
    engine_result: EngineResult
    trace: list[TraceEntry] = Field(default_factory=list)
    tokens_by_provider: dict[str, UsageTotals] = Field(default_factory=dict)
    tool_calls_by_name: dict[str, int] = Field(default_factory=dict)
    cost: CostReport | None = None
    usage: UsageSummary | None = None
    error: str = ""
    artifact_run_dir: str = ""
    bundle_path: str = ""

    def is_success(self) -> bool:
        return self.engine_result.succeeded

    @property
    def succeeded(self) -> bool:
        return self.engine_result.succeeded


def _result(er: EngineResult, artifact_dir: Path | None) -> Result:
    usage = er.usage
    tool_calls: dict[str, int] = {}
    for entry in er.trace:
        for name, count in (entry.stats.tool_calls if entry.stats else {}).items():
            tool_calls[name] = tool_calls.get(name, 0) + count
    cost: CostReport | None = None
    if usage is not None or er.status == "budget_exceeded":
        totals = usage.provider_totals if usage else {}
        cost = CostReport(
            total_usd=usage.total_cost_usd if usage else 0.0,
            by_provider={
                name: ProviderCost(usage=t, model=t.model, usd=t.cost_usd)
                for name, t in totals.items()
            },
            limits_hit=list(er.budget_limits_hit),
            estimated=usage.estimated if usage else False,
        )
    run_dir = er.run_dir or (str(artifact_dir / er.run_id) if artifact_dir else "")
    return Result(
        run_id=er.run_id,
        status=er.status,
        completed_nodes=er.completed_nodes,
        context=er.context,
        engine_result=er,
        trace=er.trace,
        tokens_by_provider=dict(usage.provider_totals) if usage else {},
        tool_calls_by_name=tool_calls,
        cost=cost,
        usage=usage,
        error=er.error,
        artifact_run_dir=run_dir,
    )


# --------------------------------------------------------------------------- loading


class ValidationError(PipelineLoadError):
    """The pipeline did not parse or has errors; `result` holds every finding."""

    def __init__(self, result: ValidationResult) -> None:
        first = result.errors[0] if result.errors else "it could not be parsed"
        super().__init__(f"validation failed: {first}", list(result.errors))
        self.result = result


@dataclass
class ValidationResult:
    """What `validate_source` found; `graph` is None when the text did not parse."""

    graph: Graph | None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def sniff_format(source: str, format: str | None = None) -> Literal["dip", "dot"]:
    """`format` if given, else DOT when the text starts with `digraph`/`strict digraph`."""
    if format:
        if format not in ("dip", "dot"):
            raise ValueError(f'unknown pipeline format: "{format}" (valid: dip, dot)')
        return format  # type: ignore[return-value]
    head = source.lstrip()
    return "dot" if head.startswith(("digraph", "strict digraph")) else "dip"


def _diag_text(d: Diagnostic) -> str:
    where = f" (line {d.line})" if d.line else ""
    return f"{d.code}: {d.message}{where}"


def _load(source: str | Path, format: str | None) -> tuple[LoadedPipeline, Path | None]:
    """Load pipeline text (or a file, for Path arguments) through the full front end."""
    from tracker.loader import PipelineSource, load_pipeline

    if isinstance(source, Path):
        path = source.resolve()
        text = path.read_text(encoding="utf-8")
        fmt = sniff_format(text, format or ("dot" if path.suffix == ".dot" else "dip"))
        pipeline = PipelineSource(str(source), text, path, fmt)
        return load_pipeline(pipeline), path.parent
    pipeline = PipelineSource("<source>", source, None, sniff_format(source, format))
    return load_pipeline(pipeline), None


def _validation(loaded: LoadedPipeline) -> ValidationResult:
    diags = loaded.diagnostics
    return ValidationResult(
        graph=None if loaded.failed else loaded.graph,
        errors=[_diag_text(d) for d in diags if d.severity == "error"] + loaded.graph_errors,
        warnings=[_diag_text(d) for d in diags if d.severity == "warning"] + loaded.graph_warnings,
        hints=[_diag_text(d) for d in diags if d.severity in ("hint", "info")],
        diagnostics=list(diags),
    )


def validate_source(source: str | Path, format: str | None = None) -> ValidationResult:
    """Parse, validate and lint pipeline text. Raises `ValidationError`
    (`validation failed: <first error>`) when it does not parse or has errors."""
    loaded, _ = _load(source, format)
    result = _validation(loaded)
    if result.errors or result.graph is None:
        raise ValidationError(result)
    return result


# --------------------------------------------------------------------------- simulate


def _prune(value: dict[str, Any], keep: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in value.items() if k in keep or v not in ("", [], {}, None)}


class SimulateReport(SimulationReport):
    """The dry-run report; its JSON has exactly the §11.2 keys (empty optional ones
    omitted, edges keyed `from`)."""

    @model_serializer(mode="wrap")
    def _shape(self, handler: Any) -> dict[str, Any]:
        data = handler(self)

        def edge(e: dict[str, Any]) -> dict[str, Any]:
            e = {("from" if k == "from_" else k): v for k, v in e.items()}
            return _prune(e, ("from", "to"))

        data["nodes"] = [_prune(n, ("id",)) for n in data.get("nodes", [])]
        data["edges"] = [edge(e) for e in data.get("edges", [])]
        data["execution_plan"] = [
            _prune({**s, "edges": [edge(e) for e in s.get("edges", [])]}, ("step", "node_id"))
            for s in data.get("execution_plan", [])
        ]
        return _prune(data, ("format", "nodes", "edges", "execution_plan"))


def simulate_graph(graph: Graph) -> SimulateReport:
    """Dry run of a graph: node order, edges and the BFS execution plan."""
    from tracker.simulation import simulate_graph as _simulate

    return SimulateReport.model_validate(_simulate(graph), from_attributes=True)


def simulate(source: str | Path, format: str | None = None) -> SimulateReport:
    """Dry run of pipeline text; validation problems do not stop it, a parse failure does."""
    loaded, _ = _load(source, format)
    if loaded.graph is None:
        raise ValidationError(_validation(loaded))
    report = simulate_graph(loaded.graph)
    report.format = loaded.source.format
    return report


# --------------------------------------------------------------------------- running


def _check_provider(provider: str) -> None:
    if not provider or provider in CORE_PROVIDERS:
        return
    from tracker.plugins.manager import get_registry

    if provider not in get_registry().providers:
        raise ValueError(f'unknown provider "{provider}" (valid: {", ".join(CORE_PROVIDERS)})')


def _llm_factory(config: Config) -> Any:
    """Builds the client on first use, so a pipeline without agents needs no API key."""
    cached: list[Any] = []

    def build() -> Any:
        if not cached:
            if config.llm_client is not None:
                cached.append(config.llm_client)
            else:
                from tracker.config import GATEWAY_ENV
                from tracker.llm.client import Client

                env = dict(os.environ)
                if config.gateway_url:
                    env[GATEWAY_ENV] = config.gateway_url
                if config.scripted_file is not None:
                    env["TRACKER_SCRIPTED_FILE"] = str(config.scripted_file)
                cached.append(Client.from_registry(env=env))
        return cached[0]

    return build


def _interviewer(config: Config, llm: Any) -> Any:
    """auto-approve > webhook > autopilot > none (no human-gate UI: such runs fail at a
    human node). An explicit `interviewer` wins over all of them."""
    if config.interviewer is not None:
        return config.interviewer
    from tracker.gates.select import choose_interviewer

    webhook = None
    if config.webhook_gate is not None and not config.auto_approve:
        webhook = _webhook(config.webhook_gate)
    choice = choose_interviewer(
        auto_approve=config.auto_approve,
        webhook=webhook,
        autopilot=config.autopilot or None,
        llm_client=llm() if config.autopilot and webhook is None else None,
        on_missing_client="error",
    )
    return choice.interviewer


def _webhook(gate: WebhookGateConfig) -> Any:
    if not gate.webhook_url:
        raise ValueError("webhook gate: webhook_url is required")
    from tracker.plugins.manager import get_registry

    entry = get_registry().entries["gate_uis"].get("webhook")
    if entry is None or entry.spec.factory is None:
        raise ValueError("webhook gates are not available in this installation")
    options: dict[str, Any] = {
        "url": gate.webhook_url,
        "callback_addr": gate.callback_addr,
        "timeout": gate.timeout,
        "timeout_action": gate.timeout_action,
        "auth_header": gate.auth_header,
    }
    if gate.run_id:
        options["run_id"] = gate.run_id
    return entry.spec.factory(**options)


def _sinks(run_dir: Path | None, config: Config) -> list[EventHandler]:
    """Plugin event sinks (core's activity log among them), then the caller's."""
    from tracker.plugins.manager import get_registry

    sinks: list[EventHandler] = []
    for spec in get_registry().specs("event_sinks"):
        if spec.factory is not None:
            sink = spec.factory(run_dir=run_dir, config=config)
            if sink is not None:
                sinks.append(sink)
    if config.agent_events is not None:
        forward = config.agent_events
        sinks.append(lambda event: forward(event) if event.source == "agent" else None)
    sinks.extend(config.sinks)
    return sinks


def _fill_defaults(graph: Graph, config: Config) -> None:
    """`retry_policy` only fills what the workflow leaves unset (model and provider are
    consulted by the handlers after the node and graph attributes)."""
    if config.retry_policy:
        graph.attrs.setdefault("default_retry_policy", config.retry_policy)


def _as_config(config: _EngineConfig | None, overrides: Mapping[str, Any]) -> Config:
    """A library Config from nothing, an engine Config, or a Config plus overrides."""
    if config is None:
        config = Config()
    elif not isinstance(config, Config):
        config = Config(**{name: getattr(config, name) for name in type(config).model_fields})
    return config.model_copy(update=dict(overrides)) if overrides else config


def _graph_for(source: str | Path | Graph, config: Config) -> tuple[Graph, Path | None]:
    """The validated graph (and the directory subgraph refs are relative to)."""
    if isinstance(source, Graph):
        graph, base_dir = source, None
    else:
        loaded, base_dir = _load(source, config.format)
        result = _validation(loaded)
        if result.graph is None or (config.lint_errors_fatal and result.errors):
            raise ValidationError(result)
        graph = result.graph
    _fill_defaults(graph, config)
    return graph, base_dir


class Engine:
    """A prepared run (§11.1 `NewEngine`): `Engine.from_source(text, config)`, then
    `await engine.run()`; `close()` (or `async with`) releases the event sinks.
    Other attributes (`run_id`, `run_dir`, `context`, `graph`) are the engine's."""

    def __init__(self, engine: runner.Engine, config: Config) -> None:
        self.engine = engine
        self.config = config
        self._closed = False

    @classmethod
    def from_source(
        cls, source: str | Path | Graph, config: Config | None = None, **overrides: Any
    ) -> Engine:
        """Validate the pipeline, resolve `resume_run_id`, prepare the client and the
        run directory. `source` is pipeline text (a `Path` is read; a `Graph` is used)."""
        from tracker.engine.api import run_location
        from tracker.engine.runner import Engine as _Runner
        from tracker.engine.subgraphs import load_subgraphs

        config = _as_config(config, overrides)
        _check_provider(config.provider)
        graph, base_dir = _graph_for(source, config)
        subgraphs = (
            config.subgraphs if config.subgraphs is not None else load_subgraphs(graph, base_dir)
        )
        run_id, run_dir, checkpoint = run_location(config)
        llm = _llm_factory(config)
        engine = _Runner(
            graph,
            config=config,
            event_handler=config.event_handler,
            sinks=_sinks(run_dir, config),
            run_id=run_id,
            run_dir=run_dir,
            checkpoint_path=checkpoint,
            initial_context=config.context,
            steering=config.steering,
            interviewer=_interviewer(config, llm),
            llm_client_factory=llm,
            subgraphs=subgraphs,
            cancelled=config.cancelled,
        )
        return cls(engine, config)

    async def run(self) -> Result:
        """Run to the end. `fail` and `budget_exceeded` come back as a Result; errors
        raised by the engine (cancellation included) propagate."""
        try:
            er = await self.engine.run()
        finally:
            self.close()
        return _result(er, self.config.artifact_dir)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for sink in self.engine.sinks:
            closer = getattr(sink, "close", None)
            if callable(closer):
                closer()
        # the interviewer built from the config (e.g. webhook gates' callback listener);
        # a caller-supplied `interviewer` is the caller's to close
        closer = getattr(self.engine.interviewer, "close", None)
        if self.config.interviewer is None and callable(closer):
            closer()

    async def __aenter__(self) -> Engine:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    def __getattr__(self, name: str) -> Any:
        if name == "engine":
            raise AttributeError(name)
        return getattr(self.engine, name)


async def arun(
    source: str | Path | Graph, config: Config | None = None, **overrides: Any
) -> Result:
    """Run pipeline text to completion (use `resolve_source` for names and paths)."""
    async with Engine.from_source(source, config, **overrides) as engine:
        return await engine.run()


def run(source: str | Path | Graph, config: Config | None = None, **overrides: Any) -> Result:
    """`arun` for synchronous callers; inside an event loop use `await tracker.arun(...)`."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(arun(source, config, **overrides))
    raise RuntimeError("tracker.run() cannot be called from a running event loop; use arun()")


def resolve_budget_limits(limits: BudgetLimits | None, graph: Graph) -> BudgetLimits:
    """Per dimension: the caller's non-zero value, else the workflow `defaults` entry
    (non-positive or unparsable ignored), else unlimited (cli-tui.md §4.7)."""
    from tracker.engine.budget import limits_from_graph

    dip = limits_from_graph(graph.attrs)
    dip = BudgetLimits(
        max_total_tokens=max(dip.max_total_tokens, 0),
        max_cost_cents=max(dip.max_cost_cents, 0),
        max_wall_time=dip.max_wall_time if (dip.max_wall_time or 0) > 0 else None,
    )
    return (limits or BudgetLimits()).merged_over(dip)


# --------------------------------------------------------------------------- sources


class SourceNotFoundError(LookupError):
    """`resolve_source` found no file and no built-in workflow of that name."""


def resolve_source(name: str, work_dir: str | Path = "") -> str:
    """Pipeline text for a path or built-in name (cli-tui.md §2), probing relative paths
    against `work_dir` (cwd when empty)."""
    from tracker.loader import PipelineNotFoundError, builtin_names, resolve_pipeline

    base = Path(work_dir) if work_dir else Path.cwd()
    try:
        source = resolve_pipeline(name, base)
    except PipelineNotFoundError:
        message = f'unknown pipeline "{name}" (no local file found, not a built-in workflow)'
        names = builtin_names()
        if names:
            message += f". Available built-in workflows: {', '.join(names)}"
        raise SourceNotFoundError(message) from None
    if source.read_error:
        raise OSError(source.read_error)
    if source.text is None:
        raise ValueError(f"{source.name}: bundles have no single source text")
    return source.text


# --------------------------------------------------------------------------- run dirs


# Run directories and activity logs: one implementation, in tracker.inspect (the CLI's
# diagnose/audit/list use the same functions).
RunLookupError = InspectError


def resolve_checkpoint(work_dir: str | Path, run_id: str) -> Path:
    """The `checkpoint.json` of a run (resolved as `resolve_run_dir`)."""
    run_dir = resolve_run_dir(work_dir, run_id)
    path = run_dir / "checkpoint.json"
    if not path.is_file():
        raise RunLookupError(f"checkpoint not found for run {run_dir.name}: {path} does not exist")
    return path


class WorkflowNotFoundError(LookupError):
    pass


class WorkflowInfo(BaseModel):
    name: str
    file: str
    display_name: str = ""
    goal: str = ""


def _workflow_specs() -> Mapping[str, Any]:
    from tracker.plugins.manager import get_registry

    return get_registry().workflows


def _info(name: str, spec: Any) -> WorkflowInfo:
    from tracker.cli.workflows import parse_header

    try:
        display, goal = parse_header(spec.load())
    except (OSError, UnicodeDecodeError):
        display, goal = "", ""
    return WorkflowInfo(
        name=name, file=f"{name}.dip", display_name=display, goal=goal or spec.description
    )


def workflows() -> list[WorkflowInfo]:
    """Every built-in workflow, sorted by name."""
    return [_info(name, spec) for name, spec in sorted(_workflow_specs().items())]


def lookup_workflow(name: str) -> WorkflowInfo | None:
    spec = _workflow_specs().get(name)
    return _info(name, spec) if spec is not None else None


def open_workflow(name: str) -> str:
    """The `.dip` source of a built-in workflow."""
    spec = _workflow_specs().get(name)
    if spec is None:
        raise WorkflowNotFoundError(f'no built-in workflow named "{name}"')
    return spec.load()


# --------------------------------------------------------------------------- re-exports


def export_bundle(run_dir: str | Path, out_path: str | Path) -> Path:
    """A git bundle of a run directory started with `--export-bundle`."""
    from tracker.cli.export_bundle import export_bundle as _export

    return _export(run_dir, out_path)


def resolve_provider_base_url(
    provider: str, environ: Mapping[str, str] | None = None, gateway_url: str | None = None
) -> str:
    """`<NAME>_BASE_URL`, else the gateway root plus the provider's suffix, else ""."""
    from tracker.config import resolve_provider_base_url as _resolve

    return _resolve(provider, environ, gateway_url)


__all__ = [
    "ActivityEntry",
    "Config",
    "CostReport",
    "Engine",
    "PipelineEvent",
    "ProviderCost",
    "Result",
    "RunLookupError",
    "SimulateReport",
    "SourceNotFoundError",
    "ValidationError",
    "ValidationResult",
    "WebhookGateConfig",
    "WorkflowInfo",
    "WorkflowNotFoundError",
    "arun",
    "export_bundle",
    "load_activity_log",
    "lookup_workflow",
    "most_recent_run_id",
    "open_workflow",
    "parse_activity_line",
    "resolve_budget_limits",
    "resolve_checkpoint",
    "resolve_provider_base_url",
    "resolve_run_dir",
    "resolve_source",
    "run",
    "simulate",
    "simulate_graph",
    "sort_activity_by_time",
    "validate_source",
    "workflows",
]
