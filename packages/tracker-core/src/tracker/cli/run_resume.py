"""`tracker -r <id>` (cli-tui.md §4.9): find the run directory by exact name or unique
prefix and make sure it holds a checkpoint, before the pipeline is even loaded."""

from __future__ import annotations

from pathlib import Path

from tracker.cli.errors import CliError


def resolve_resume(runs_dir: Path, wanted: str) -> Path:
    """The run directory matching `wanted` (exact name wins, else a unique prefix)."""
    from tracker.inspect import InspectError
    from tracker.inspect.runs import find_run

    try:
        run_dir = find_run(runs_dir, wanted)
    except InspectError as exc:
        raise CliError(str(exc)) from None
    checkpoint = run_dir / "checkpoint.json"
    if not checkpoint.is_file():
        raise CliError(
            f"checkpoint not found for run {run_dir.name}: {checkpoint} does not exist "
            "(the run stopped before its first node finished)"
        )
    return run_dir
