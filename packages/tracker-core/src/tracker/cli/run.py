"""Run mode: `tracker [flags] <pipeline>` and `tracker run <pipeline>` (cli-tui.md §4).

The start-up sequence of §4.3 — flags, `.env`, preamble, banner, resume lookup, load and
validate, `--param`, provider pre-flight — then the engine under a Ctrl+C handler, then
the summary, the bundle export and the exit code. Everything is checked before the first
node starts, so a mistake costs nothing."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from tracker.cli.errors import CliError, eprint
from tracker.cli.run_flags import RunOptions, parse_run_args

if TYPE_CHECKING:
    from tracker.engine.result import EngineResult
    from tracker.engine.runner import Engine
    from tracker.graph.model import Graph

CANCELLED = "pipeline cancelled: context cancelled"
TAGLINES = (
    "pipelines for agents that ship",
    "every node checkpointed, every decision logged",
    "graphs in, working software out",
    "the loop that knows when to stop",
)


@dataclass
class Streams:
    """Where each kind of output goes: `--json` keeps stdout for NDJSON only."""

    report: TextIO  # banner, console lines, summary
    json: bool

    def say(self, *lines: str) -> None:
        for line in lines:
            print(line, file=self.report)
        self.report.flush()


def run_command(args: list[str]) -> int:
    """Entry point of `tracker run` / `tracker <pipeline>`; returns the exit code."""
    opts = parse_run_args(args)
    streams = Streams(report=sys.stderr if opts.json else sys.stdout, json=opts.json)
    workdir = opts.workdir_path()
    if not workdir.is_dir():
        raise CliError(f"working directory does not exist: {workdir}")
    _load_env(workdir)
    if opts.gateway_url:
        os.environ["TRACKER_GATEWAY_URL"] = opts.gateway_url
    persona = _persona(opts)
    _preamble(opts, persona)
    _banner(streams)
    run_dir = _resume_dir(opts)
    graph, base_dir = _load(opts)
    _apply_params(graph, opts.params)
    subgraphs = _subgraphs(graph, base_dir)
    client = _llm_client(opts, [graph, *subgraphs.values()])
    engine = _build(opts, graph, subgraphs, client, persona, streams, run_dir)
    started = time.monotonic()
    result = _execute(engine)
    return _finish(opts, engine, result, time.monotonic() - started, streams)


# --------------------------------------------------------------------------- start-up


def _load_env(workdir: Path) -> None:
    from tracker.config import EnvFileError, load_env

    try:
        load_env(workdir)
    except EnvFileError as exc:
        raise CliError(str(exc)) from None


def _persona(opts: RunOptions) -> str | None:
    if opts.autopilot is None:
        return None
    from tracker.gates.autopilot import PERSONAS, parse_persona

    try:
        return parse_persona(opts.autopilot)
    except ValueError:
        raise CliError(
            f'unknown autopilot persona "{opts.autopilot}" (valid: {", ".join(PERSONAS)})'
        ) from None


def _preamble(opts: RunOptions, persona: str | None) -> None:
    """The §4.3 step-2 lines on stderr, only those that apply."""
    lines: list[str] = []
    if opts.backend not in ("", "native"):
        lines.append(f"Agent backend: {opts.backend}")
    if opts.auto_approve:
        lines.append("Running in auto-approve mode — all human gates auto-approved")
    elif opts.webhook_url:
        lines.append("Webhook gate mode active — human gates will be POSTed to configured URL")
        lines.append(f"Callback server will start on {opts.gate_callback_addr}")
    elif persona is not None:
        lines.append(
            f"Running in autopilot mode (persona: {persona}) — human gates answered by LLM"
        )
    if opts.scripted:
        lines.append(f"Scripted mode — agent nodes answered from {opts.scripted} (no provider)")
    if opts.bypass_denylist:
        lines.append(
            "WARNING: --bypass-denylist active — built-in tool_command denylist is DISABLED"
        )
        lines.append("         Use only in a sandbox: any tool command will run as written.")
    if opts.tool_allowlist:
        n = len(opts.tool_allowlist)
        lines.append(
            f"Tool command allowlist active ({n} pattern(s)): {', '.join(opts.tool_allowlist)}"
        )
    if opts.tool_denylist_add:
        n = len(opts.tool_denylist_add)
        state = (
            "configured but bypassed (--bypass-denylist disables these too)"
            if opts.bypass_denylist
            else "active"
        )
        lines.append(
            f"Tool command extra denylist {state} ({n} pattern(s)): "
            + ", ".join(opts.tool_denylist_add)
        )
    if "max_output_limit" in opts.given:
        lines.append(f"Tool command output ceiling: {opts.output_limit} bytes per stream")
    eprint(*lines)


def _banner(streams: Streams) -> None:
    from tracker import __version__

    text = [f"tracker {__version__}", random.choice(TAGLINES)]
    width = max(len(t) for t in text) + 4
    streams.say(
        "╭" + "─" * width + "╮",
        *(f"│  {t:<{width - 2}}│" for t in text),
        "╰" + "─" * width + "╯",
    )


def _resume_dir(opts: RunOptions) -> Path | None:
    if not opts.resume:
        return None
    from tracker.cli.run_resume import resolve_resume

    return resolve_resume(opts.artifact_path(), opts.resume)


def _load(opts: RunOptions) -> tuple[Graph, Path | None]:
    """Resolve and load the pipeline; diagnostics go to stderr, errors stop the run."""
    from tracker.cli.registry import cli_registry
    from tracker.cli.report import (
        print_diagnostics,
        print_load_failure,
        print_notices,
        resolve_for_command,
    )
    from tracker.loader import load_pipeline

    cli_registry()
    source = resolve_for_command(opts.pipeline, opts.format or None)
    loaded = load_pipeline(source)
    print_notices(loaded)
    if loaded.failed or loaded.graph is None:
        print_load_failure(loaded)
        raise _Exit(1)
    print_diagnostics(loaded.diagnostics)
    eprint(*(f"warning: {w}" for w in loaded.graph_warnings))
    errors = [d.message for d in loaded.errors] + list(loaded.graph_errors)
    if errors:
        raise CliError(f"{source.name}: pipeline has {len(errors)} error(s); nothing was run")
    base = source.path.resolve().parent if source.path is not None else None
    return loaded.graph, base


def declared_params(graph: Graph) -> list[str]:
    return sorted(k[len("params.") :] for k in graph.attrs if k.startswith("params."))


def _apply_params(graph: Graph, params: dict[str, str]) -> None:
    """§4.6: every key must be a declared var; checked in sorted order."""
    declared = declared_params(graph)
    for key in sorted(params):
        if key not in declared:
            known = (
                f"declared params: {', '.join(declared)}"
                if declared
                else "this workflow declares no params"
            )
            raise CliError(f'apply --param overrides: unknown param "{key}" ({known})')
    for key, value in params.items():
        graph.attrs[f"params.{key}"] = value


def _subgraphs(graph: Graph, base_dir: Path | None) -> dict[str, Graph]:
    from tracker.engine.subgraphs import SubgraphLoadError, load_subgraphs

    try:
        return load_subgraphs(graph, base_dir)
    except SubgraphLoadError as exc:
        raise CliError(str(exc)) from None


def _llm_client(opts: RunOptions, graphs: list[Graph]) -> Any:
    """The client for agents and autopilot: scripted, or None (built lazily by the
    engine) after checking that every provider the agent nodes need is configured."""
    from tracker.cli.registry import cli_registry
    from tracker.cli.run_llm import check_providers, scripted_client

    _check_backend(opts.backend)
    if opts.scripted:
        return scripted_client(Path(opts.scripted).expanduser().resolve())
    check_providers(graphs, os.environ, cli_registry(), default_backend=opts.backend or "native")
    return None


def _check_backend(name: str) -> None:
    """`--backend acp` without tracker-acp: say which package provides it."""
    from tracker.cli.registry import cli_registry

    if not name or name in cli_registry().entries["backends"]:
        return
    package = f"tracker-{name}" if name == "acp" else "the plugin that provides it"
    raise CliError(f'agent backend "{name}" is not installed: pip install {package}')


def _interviewer(opts: RunOptions, persona: str | None, client: Any) -> Any:
    """auto-approve > webhook > autopilot > console prompts (cli-tui.md §4.8)."""
    from tracker.gates.select import choose_interviewer

    webhook = _webhook(opts) if opts.webhook_url and not opts.auto_approve else None
    if persona is not None and client is None:
        from tracker.cli.run_llm import env_client

        client = env_client()
    choice = choose_interviewer(
        auto_approve=opts.auto_approve,
        webhook=webhook,
        autopilot=persona,
        llm_client=client,
        interactive=_console_interviewer(),
        on_missing_client="auto-approve",
    )
    if choice.warning:
        eprint(f"warning: {choice.warning}")
    return choice.interviewer


def _console_interviewer() -> Any:
    from tracker.gates.console import ConsoleInterviewer

    return ConsoleInterviewer(output=sys.stderr)


def _webhook(opts: RunOptions) -> Any:
    from tracker.cli.registry import cli_registry

    entry = cli_registry().entries["gate_uis"].get("webhook")
    if entry is None or entry.spec.factory is None:
        raise CliError(
            "--webhook-url: headless webhook gates are not available in this installation"
        )
    return entry.spec.factory(
        url=opts.webhook_url,
        callback_addr=opts.gate_callback_addr,
        timeout=opts.gate_timeout or 600.0,
        timeout_action=opts.gate_timeout_action,
        auth_header=opts.webhook_auth,
    )


def _build(
    opts: RunOptions,
    graph: Graph,
    subgraphs: dict[str, Graph],
    client: Any,
    persona: str | None,
    streams: Streams,
    run_dir: Path | None,
) -> Engine:
    from tracker.engine.api import Config, build_engine
    from tracker.engine.config import BudgetLimits

    sinks: list[Any] = []
    if opts.json:
        from tracker import NDJSONWriter

        sinks.append(NDJSONWriter(sys.stdout))
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
        interviewer=_interviewer(opts, persona, client),
        subgraphs=subgraphs,
        sinks=sinks,
    )
    engine = build_engine(graph, config)
    if opts.export_bundle and engine.run_dir is not None:
        from tracker.cli.export_bundle import GitArtifacts

        handlers = {n.id: n.handler for n in graph.nodes.values()}
        engine.sinks.append(GitArtifacts(engine.run_dir, engine.run_id, handlers))
    return engine


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


def _execute(engine: Engine) -> EngineResult:
    from tracker.engine.runner import EngineError

    try:
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


class _Exit(Exception):
    """Stop with a code after the reason was already printed."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def run_entry(args: list[str]) -> int:
    """`run_command` with the pre-printed-failure exit folded in (called by the CLI app)."""
    try:
        return run_command(args)
    except _Exit as exc:
        return exc.code
