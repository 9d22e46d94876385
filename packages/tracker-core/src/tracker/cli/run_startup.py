"""Run start-up (cli-tui.md §4.3): `.env`, the preamble, the banner, the resume lookup,
loading and validating the pipeline, `--param`, subgraphs, the provider pre-flight and the
gate interviewer — everything settled before the engine is built, so a mistake costs
nothing."""

from __future__ import annotations

import os
import random
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from tracker.cli.errors import CliError, eprint
from tracker.cli.run_flags import RunOptions

if TYPE_CHECKING:
    from tracker.graph.model import Graph

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


def load_env_files(workdir: Path) -> None:
    from tracker.config import EnvFileError, load_env

    try:
        load_env(workdir)
    except EnvFileError as exc:
        raise CliError(str(exc)) from None


def autopilot_persona(opts: RunOptions) -> str | None:
    if opts.autopilot is None:
        return None
    from tracker.gates.autopilot import PERSONAS, parse_persona

    try:
        return parse_persona(opts.autopilot)
    except ValueError:
        raise CliError(
            f'unknown autopilot persona "{opts.autopilot}" (valid: {", ".join(PERSONAS)})'
        ) from None


def print_preamble(opts: RunOptions, persona: str | None) -> None:
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


def print_banner(streams: Streams) -> None:
    from tracker import __version__

    text = [f"tracker {__version__}", random.choice(TAGLINES)]
    width = max(len(t) for t in text) + 4
    streams.say(
        "╭" + "─" * width + "╮",
        *(f"│  {t:<{width - 2}}│" for t in text),
        "╰" + "─" * width + "╯",
    )


def resume_dir(opts: RunOptions) -> Path | None:
    if not opts.resume:
        return None
    from tracker.cli.run_resume import resolve_resume

    return resolve_resume(opts.artifact_path(), opts.resume)


def load_graph(opts: RunOptions) -> tuple[Graph, Path | None]:
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
        raise LoadFailed(1)
    print_diagnostics(loaded.diagnostics)
    eprint(*(f"warning: {w}" for w in loaded.graph_warnings))
    errors = [d.message for d in loaded.errors] + list(loaded.graph_errors)
    if errors:
        raise CliError(f"{source.name}: pipeline has {len(errors)} error(s); nothing was run")
    base = source.path.resolve().parent if source.path is not None else None
    return loaded.graph, base


def declared_params(graph: Graph) -> list[str]:
    return sorted(k[len("params.") :] for k in graph.attrs if k.startswith("params."))


def apply_params(graph: Graph, params: dict[str, str]) -> None:
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


def load_subgraph_refs(graph: Graph, base_dir: Path | None) -> dict[str, Graph]:
    from tracker.engine.subgraphs import SubgraphLoadError, load_subgraphs

    try:
        return load_subgraphs(graph, base_dir)
    except SubgraphLoadError as exc:
        raise CliError(str(exc)) from None


def llm_client(opts: RunOptions, graphs: list[Graph]) -> Any:
    """The client for agents and autopilot: scripted, or None (built lazily by the
    engine) after checking that every provider the agent nodes need is configured."""
    from tracker.cli.registry import cli_registry
    from tracker.cli.run_llm import check_providers, scripted_client

    check_backend(opts.backend)
    if opts.scripted:
        return scripted_client(Path(opts.scripted).expanduser().resolve())
    check_providers(graphs, os.environ, cli_registry(), default_backend=opts.backend or "native")
    return None


def check_backend(name: str) -> None:
    """`--backend acp` without tracker-acp: say which package provides it."""
    from tracker.cli.registry import cli_registry

    if not name or name in cli_registry().entries["backends"]:
        return
    package = f"tracker-{name}" if name == "acp" else "the plugin that provides it"
    raise CliError(f'agent backend "{name}" is not installed: pip install {package}')


def gate_interviewer(
    opts: RunOptions, persona: str | None, client: Any, interactive: Any = None
) -> Any:
    """auto-approve > webhook > autopilot > console prompts (cli-tui.md §4.8); with the
    dashboard (`interactive`), its gates replace the console prompts."""
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
        interactive=interactive if interactive is not None else _console_interviewer(),
        on_missing_client="interactive" if interactive is not None else "auto-approve",
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
    try:
        return entry.spec.factory(
            url=opts.webhook_url,
            callback_addr=opts.gate_callback_addr,
            timeout=opts.gate_timeout or 600.0,
            timeout_action=opts.gate_timeout_action,
            auth_header=opts.webhook_auth,
        )
    except ValueError as exc:
        raise CliError(f"--webhook-url: {exc}") from None


class LoadFailed(Exception):
    """The pipeline did not load; the reasons were already printed."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code
