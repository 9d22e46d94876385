"""Run mode: `tracker [flags] <pipeline>` and `tracker run <pipeline>` (cli-tui.md §4).

The start-up sequence of §4.3 — flags, `.env`, preamble, banner, resume lookup, load and
validate, `--param`, provider pre-flight — then the engine under a Ctrl+C handler, then
the summary, the bundle export and the exit code. Everything is checked before the first
node starts, so a mistake costs nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracker.cli.errors import CliError, eprint
from tracker.cli.run_flags import RunOptions, parse_run_args
from tracker.cli.run_startup import (
    LoadFailed,
    Streams,
    apply_params,
    autopilot_persona,
    gate_interviewer,
    llm_client,
    load_env_files,
    load_graph,
    load_subgraph_refs,
    print_banner,
    print_preamble,
    resume_dir,
)

if TYPE_CHECKING:
    from tracker.engine.result import EngineResult
    from tracker.engine.runner import Engine
    from tracker.graph.model import Graph

CANCELLED = "pipeline cancelled: context cancelled"


def run_command(args: list[str]) -> int:
    """Entry point of `tracker run` / `tracker <pipeline>`; returns the exit code."""
    opts = parse_run_args(args)
    streams = Streams(report=sys.stderr if opts.json else sys.stdout, json=opts.json)
    workdir = opts.workdir_path()
    if not workdir.is_dir():
        raise CliError(f"working directory does not exist: {workdir}")
    load_env_files(workdir)
    if opts.gateway_url:
        os.environ["TRACKER_GATEWAY_URL"] = opts.gateway_url
    persona = autopilot_persona(opts)
    print_preamble(opts, persona)
    print_banner(streams)
    run_dir = resume_dir(opts)
    graph, base_dir = load_graph(opts)
    apply_params(graph, opts.params)
    subgraphs = load_subgraph_refs(graph, base_dir)
    client = llm_client(opts, [graph, *subgraphs.values()])
    dashboard = _dashboard(opts, graph, run_dir)
    engine = _build(opts, graph, subgraphs, client, persona, streams, run_dir, dashboard)
    started = time.monotonic()
    result = _execute(engine, dashboard)
    return _finish(opts, engine, result, time.monotonic() - started, streams)


def _build(
    opts: RunOptions,
    graph: Graph,
    subgraphs: dict[str, Graph],
    client: Any,
    persona: str | None,
    streams: Streams,
    run_dir: Path | None,
    dashboard: Any = None,
) -> Engine:
    from tracker.engine.api import Config, build_engine
    from tracker.engine.config import BudgetLimits

    sinks: list[Any] = []
    if opts.json:
        from tracker import NDJSONWriter

        sinks.append(NDJSONWriter(sys.stdout))
    elif dashboard is not None:
        sinks.append(dashboard)
    else:
        sinks.append(_console_sink(opts, streams, _completed_before(run_dir)))
    config = Config(
        workdir=opts.workdir_path(),
        artifact_dir=opts.artifact_path(),
        auto_approve=opts.auto_approve,
        backend=opts.backend or "native",
        tool_allowlist=opts.tool_allowlist,
        tool_denylist_add=opts.tool_denylist_add,
        bypass_denylist=opts.bypass_denylist,
        max_output_limit=opts.output_limit,
        budget=BudgetLimits(
            max_total_tokens=opts.max_tokens,
            max_cost_cents=opts.max_cost,
            max_wall_time=opts.max_wall_time or None,
        ),
        verbose=opts.verbose,
        params=dict(opts.params),
        scripted_file=Path(opts.scripted).expanduser().resolve() if opts.scripted else None,
        resume_run_id=run_dir.name if run_dir is not None else "",
        llm_client=client,
        interviewer=gate_interviewer(opts, persona, client, dashboard),
        subgraphs=subgraphs,
        sinks=sinks,
    )
    engine = build_engine(graph, config)
    if opts.export_bundle and engine.run_dir is not None:
        from tracker.cli.export_bundle import GitArtifacts

        handlers = {n.id: n.handler for n in graph.nodes.values()}
        engine.sinks.append(GitArtifacts(engine.run_dir, engine.run_id, handlers))
    return engine


def _dashboard(opts: RunOptions, graph: Graph, run_dir: Path | None) -> Any:
    """The tracker-tui dashboard session (cli-tui.md §0, §9), or None for console mode:
    only on a terminal (stdin and stdout), without --json / --no-tui, when installed."""
    if opts.json or opts.no_tui or os.environ.get("TERM", "") == "dumb":
        return None
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return None
    from tracker.cli.registry import cli_registry

    entry = cli_registry().entries["gate_uis"].get("tui")
    if entry is None or entry.spec.factory is None:
        eprint(
            "notice: tracker-tui is not installed; using console output (pip install tracker-tui)"
        )
        return None
    tags = [opts.backend] if opts.backend and opts.backend != "native" else []
    if opts.autopilot is not None:
        tags.append(f"autopilot:{opts.autopilot or 'mid'}")
    return entry.spec.factory(
        graph,
        pipeline=graph.name or Path(opts.pipeline).stem,
        tags=tags,
        resumed=_completed_before(run_dir),
        verbose=opts.verbose,
    )


def _completed_before(run_dir: Path | None) -> list[str]:
    """Nodes a resumed run has already completed (from its checkpoint)."""
    if run_dir is None:
        return []
    from tracker.engine.checkpoint import load_checkpoint

    try:
        checkpoint = load_checkpoint(run_dir / "checkpoint.json")
    except Exception:  # noqa: BLE001 - the engine reports a corrupt checkpoint itself
        return []
    return list(checkpoint.completed_nodes) if checkpoint else []


def _console_sink(opts: RunOptions, streams: Streams, resumed: list[str]) -> Any:
    from tracker.cli.run_console import ConsoleRenderer, Spinner

    spinner = None
    if sys.stderr.isatty() and os.environ.get("TERM", "") != "dumb":
        spinner = Spinner(sys.stderr)
        spinner.start()
    return ConsoleRenderer(streams.report, verbose=opts.verbose, spinner=spinner, resumed=resumed)


# --------------------------------------------------------------------------- running


def _execute(engine: Engine, dashboard: Any = None) -> EngineResult:
    from tracker.engine.runner import EngineError

    try:
        if dashboard is not None:
            return _run_dashboard(engine, dashboard)
        return asyncio.run(_drive(engine))
    except EngineError as exc:
        raise CliError(str(exc)) from None
    finally:
        for sink in engine.sinks:
            closer = getattr(sink, "close", None)
            if callable(closer):
                try:
                    closer()
                except Exception:  # noqa: BLE001 - closing must not mask the result
                    pass


async def _drive(engine: Engine) -> EngineResult:
    """Run the engine; the first Ctrl+C (or SIGTERM) cancels it — the node in flight is
    stopped, the checkpoint saved — and a second one quits at once."""
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(engine.run())
    interrupts: list[int] = []

    def interrupt() -> None:
        if interrupts:
            eprint("\ninterrupted again — quitting now")
            os._exit(130)
        interrupts.append(1)
        eprint("\ninterrupted — stopping the run and saving the checkpoint (Ctrl+C again to quit)")
        engine.cancelled.set()
        task.cancel()

    installed: list[int] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, interrupt)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):
            pass
    try:
        return await task
    except asyncio.CancelledError:
        # cancelled between nodes: the last checkpoint on disk is already consistent
        from tracker.engine.events import PipelineEvent

        event = PipelineEvent(
            type="pipeline_failed",
            run_id=engine.run_id,
            message="context cancelled",
            error="context cancelled",
        )
        for sink in engine.sinks:
            sink(event)
        return _cancelled_result(engine)
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


def _run_dashboard(engine: Engine, dashboard: Any) -> EngineResult:
    """The engine inside the dashboard's event loop; quitting the dashboard cancels the
    run (checkpoint saved) like Ctrl+C does in console mode (cli-tui.md §9.10)."""
    try:
        result = dashboard.run(engine)
    except TimeoutError as exc:
        raise CliError(str(exc)) from None
    if result is not None:
        return result
    from tracker.engine.events import PipelineEvent

    event = PipelineEvent(
        type="pipeline_failed",
        run_id=engine.run_id,
        message="context cancelled",
        error="context cancelled",
    )
    for sink in engine.sinks:
        if sink is not dashboard:
            sink(event)
    return _cancelled_result(engine)


def _cancelled_result(engine: Engine) -> EngineResult:
    from tracker.engine.result import EngineResult

    return EngineResult(
        run_id=engine.run_id,
        status="fail",
        completed_nodes=list(engine.completed),
        context=engine.context.snapshot(),
        trace=list(engine.trace),
        usage=engine.usage,
        error=CANCELLED,
        run_dir=str(engine.run_dir or ""),
    )


# --------------------------------------------------------------------------- after the run


def _resume_flags(opts: RunOptions) -> list[str]:
    flags: list[str] = []
    if opts.workdir:
        flags += ["-w", opts.workdir]
    if opts.artifact_dir:
        flags += ["--artifact-dir", opts.artifact_dir]
    return flags


def _finish(
    opts: RunOptions, engine: Engine, result: EngineResult, elapsed: float, streams: Streams
) -> int:
    from tracker.cli.run_summary import SummaryInput, error_text, render_summary, resume_command

    summary = SummaryInput(
        run_id=result.run_id,
        status=result.status,
        pipeline_arg=opts.pipeline,
        duration=elapsed,
        trace=result.trace,
        usage=result.usage,
        limits_hit=result.budget_limits_hit,
        error=result.error,
        params=dict(opts.params),
        resume_flags=_resume_flags(opts),
    )
    streams.say(*render_summary(summary))
    if opts.export_bundle and result.run_id:
        _export(engine, opts.export_bundle, streams)
    if result.error == CANCELLED:
        eprint(f"interrupted: checkpoint saved; resume with: {resume_command(summary)}")
    if result.status == "success":
        return 0
    if result.status == "validation_overridden":
        strict = opts.fail_on_override or os.environ.get("TRACKER_FAIL_ON_OVERRIDE") == "1"
        return 2 if strict else 0
    eprint(f"error: {error_text(result.status, result.error)}")
    return 1


def _export(engine: Engine, target: str, streams: Streams) -> None:
    from tracker.cli.export_bundle import BundleError, export_bundle

    if engine.run_dir is None:
        eprint("warning: bundle export failed: the run kept no run directory")
        return
    try:
        path = export_bundle(engine.run_dir, target)
    except BundleError as exc:
        eprint(f"warning: bundle export failed: {exc}")
        return
    streams.say(f"  bundle: {path}")


def run_entry(args: list[str]) -> int:
    """`run_command` with the pre-printed-failure exit folded in (called by the CLI app)."""
    try:
        return run_command(args)
    except LoadFailed as exc:
        return exc.code
