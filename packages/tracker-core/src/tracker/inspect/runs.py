"""Finding runs under `<workdir>/.tracker/runs` (cli-tui.md §4.9, §7.9, §8).

A run is a directory; its ID is the directory name, matched exactly or by unique prefix.
"Most recent" and list order go by the checkpoint timestamp, so runs without a loadable
`checkpoint.json` (still starting, or not tracker's) are left out."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TextIO

from tracker.inspect.activity import ActivityLogError, load_activity_log, sort_activity_by_time
from tracker.inspect.audit import classify_status
from tracker.inspect.checkpoint import CHECKPOINT_FILE, CheckpointError, read_checkpoint
from tracker.inspect.errors import InspectError, os_error_text
from tracker.inspect.models import RunSummary
from tracker.inspect.times import ZERO_TIME, delta_ns


def runs_dir(workdir: str | os.PathLike[str] | None) -> Path:
    """`<workdir>/.tracker/runs` (relative to the current directory when no workdir)."""
    return Path(workdir or "") / ".tracker" / "runs"


def _run_names(directory: Path) -> list[str]:
    """Sorted names of the run directories; raises OSError from the listing."""
    with os.scandir(directory) as it:
        return sorted(e.name for e in it if e.is_dir(follow_symlinks=False))


def resolve_run_dir(workdir: str | os.PathLike[str] | None, run_id: str) -> Path:
    """The absolute directory of the run `run_id` under `<workdir>/.tracker/runs`."""
    return find_run(runs_dir(workdir), run_id)


def find_run(directory: Path, run_id: str) -> Path:
    """The absolute directory of the run `run_id` in `directory` (exact name wins, else a
    unique prefix). The one lookup behind `tracker -r`, diagnose, audit and the library.

    Raises `InspectError`: `run ID cannot be empty`, `cannot read runs directory: …`,
    `no run found matching "x" in <dir>`, `ambiguous run ID "x" matches N runs: a, b`."""
    run_id = run_id.strip()
    if not run_id:
        raise InspectError("run ID cannot be empty")
    try:
        names = _run_names(directory)
    except OSError as exc:
        raise InspectError(
            f"cannot read runs directory: {os_error_text('open', directory, exc)}"
        ) from None
    if run_id in names:
        match = run_id
    else:
        hits = [n for n in names if n.startswith(run_id)]
        if not hits:
            raise InspectError(f'no run found matching "{run_id}" in {directory}')
        if len(hits) > 1:
            raise InspectError(
                f'ambiguous run ID "{run_id}" matches {len(hits)} runs: {", ".join(hits)}'
            )
        match = hits[0]
    return (directory / match).absolute()


def most_recent_run_id(workdir: str | os.PathLike[str] | None, log: TextIO | None = None) -> str:
    """The ID of the run with the newest checkpoint timestamp.

    Raises `InspectError`: `no runs found — run a pipeline first` (no runs directory),
    `no runs found with valid checkpoints`. Unreadable checkpoints are reported on `log`."""
    directory = runs_dir(workdir)
    try:
        names = _run_names(directory)
    except FileNotFoundError:
        raise InspectError("no runs found — run a pipeline first") from None
    except OSError as exc:
        raise InspectError(
            f"cannot read runs directory: {os_error_text('open', directory, exc)}"
        ) from None
    latest_id, latest_time = "", ZERO_TIME
    for name in names:
        try:
            cp = read_checkpoint(directory / name / CHECKPOINT_FILE)
        except CheckpointError as exc:
            if not exc.missing:
                _warn(log, f"warning: cannot load checkpoint for run {name}: {exc.message}")
            continue
        if cp.timestamp > latest_time:
            latest_id, latest_time = name, cp.timestamp
    if not latest_id:
        raise InspectError("no runs found with valid checkpoints")
    return latest_id


def list_runs(
    workdir: str | os.PathLike[str] | None, log: TextIO | None = None
) -> list[RunSummary]:
    """A summary of every run with a loadable checkpoint, newest first; `[]` when the
    runs directory does not exist. Raises `InspectError` when it cannot be listed."""
    directory = runs_dir(workdir)
    try:
        names = _run_names(directory)
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise InspectError(
            f"cannot read runs directory: {os_error_text('open', directory, exc)}"
        ) from None
    runs = [s for name in names if (s := run_summary(directory / name, log)) is not None]
    runs.sort(key=lambda r: r.timestamp, reverse=True)
    return runs


def run_summary(run_dir: Path, log: TextIO | None = None) -> RunSummary | None:
    """One list row for `run_dir`, or None when its checkpoint cannot be loaded. An
    unreadable activity log is reported on `log` and treated as empty."""
    try:
        cp = read_checkpoint(run_dir / CHECKPOINT_FILE)
    except CheckpointError:
        return None
    try:
        activity = sort_activity_by_time(load_activity_log(run_dir))
    except ActivityLogError as exc:
        _warn(log, f"warning: run {run_dir.name}: cannot read activity log: {exc.message}")
        activity = []
    status = classify_status(cp, activity)
    duration = 0
    if len(activity) >= 2:
        duration = delta_ns(activity[-1].timestamp, activity[0].timestamp)
    return RunSummary(
        run_id=run_dir.name,
        status=status,
        nodes=len(cp.completed_nodes),
        retries=sum(cp.retry_counts.values()),
        restarts=cp.restart_count,
        timestamp=cp.timestamp,
        duration_ns=duration,
        failed_at=cp.current_node if status == "fail" else "",
    )


def _warn(log: TextIO | None, line: str) -> None:
    if log is not None:
        log.write(line + "\n")
