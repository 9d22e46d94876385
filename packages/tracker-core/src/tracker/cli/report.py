"""Shared printing of loader results: notices, load failures, diagnostics (all on stderr)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tracker.cli.errors import CliError, eprint

if TYPE_CHECKING:
    from tracker.lint.diagnostic import Diagnostic
    from tracker.loader import LoadedPipeline, PipelineSource

SURFACED = ("error", "warning")  # hints and info are dropped from text output


def located(d: Diagnostic) -> str:
    """`file:line:col: message` (parts omitted when unknown)."""
    where = d.file
    if d.line:
        where = f"{where}:{d.line}:{d.column or 1}" if where else f"{d.line}:{d.column or 1}"
    return f"{where}: {d.message}" if where else d.message


def short_form(d: Diagnostic) -> str:
    """`warning[DIP111]: message` — the one-line form tracker stores and simulate shows."""
    return f"{d.severity}[{d.code}]: {d.message}"


def print_notices(loaded: LoadedPipeline) -> None:
    eprint(*loaded.notices)


def print_load_failure(loaded: LoadedPipeline) -> None:
    """One `error: load pipeline: …` line per failure diagnostic."""
    failures = loaded.errors or loaded.diagnostics
    eprint(*(f"error: load pipeline: {located(d)}" for d in failures))


def print_diagnostics(diagnostics: list[Diagnostic]) -> None:
    """Compiler-style diagnostics with their help/fix lines; hints are not shown."""
    for d in diagnostics:
        if d.severity in SURFACED:
            eprint(d.render())


def resolve_for_command(name: str, fmt: str | None) -> PipelineSource:
    """Resolve `name` (cli-tui §2) and apply a `--format` override; errors are CliErrors."""
    from tracker.loader import PipelineNotFoundError, resolve_pipeline

    if fmt not in (None, "", "dip", "dot"):
        raise CliError(f'unknown pipeline format: "{fmt}" (valid: dip, dot)')
    try:
        source = resolve_pipeline(name)
    except PipelineNotFoundError as exc:
        raise CliError(str(exc)) from None
    if fmt and not source.builtin and source.format != "dipx":
        source.format = fmt  # type: ignore[assignment]
    return source
