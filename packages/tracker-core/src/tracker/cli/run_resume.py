"""`tracker -r <id>` (cli-tui.md §4.9): find the run directory by exact name or unique
prefix and make sure it holds a checkpoint, before the pipeline is even loaded."""

from __future__ import annotations

from pathlib import Path

from tracker.cli.errors import CliError


def resolve_resume(runs_dir: Path, wanted: str) -> Path:
    """The run directory matching `wanted` (exact name wins, else a unique prefix)."""
    wanted = wanted.strip()
    try:
        names = sorted(p.name for p in runs_dir.iterdir() if p.is_dir())
    except OSError as exc:
        raise CliError(f"cannot read runs directory: {exc}") from None
    if wanted in names:
        match = wanted
    else:
        hits = [n for n in names if wanted and n.startswith(wanted)]
        if not hits:
            raise CliError(f'no run found matching "{wanted}" in {runs_dir}')
        if len(hits) > 1:
            raise CliError(
                f'ambiguous run ID "{wanted}" matches {len(hits)} runs: {", ".join(hits)}'
            )
        match = hits[0]
    run_dir = runs_dir / match
    checkpoint = run_dir / "checkpoint.json"
    if not checkpoint.is_file():
        raise CliError(
            f"checkpoint not found for run {match}: {checkpoint} does not exist "
            "(the run stopped before its first node finished)"
        )
    return run_dir
