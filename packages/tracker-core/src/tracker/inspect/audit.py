"""`tracker.audit(run_dir)` (cli-tui.md §7.8): timeline, retries, errors and
recommendations for one run, from its checkpoint and activity log."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from tracker.inspect.activity import (
    ActivityEntry,
    ActivityLogError,
    load_activity_log,
    sort_activity_by_time,
)
from tracker.inspect.checkpoint import (
    CHECKPOINT_FILE,
    CheckpointError,
    RunCheckpoint,
    read_checkpoint,
)
from tracker.inspect.errors import InspectError
from tracker.inspect.models import ActivityError, AuditReport, RetryRecord, TimelineEntry
from tracker.inspect.times import delta_ns

#: runs longer than this get the fidelity recommendation
LONG_RUN_NS = 30 * 60 * 1_000_000_000

_TERMINAL = {"pipeline_completed": "success", "pipeline_failed": "fail", "budget_exceeded": "fail"}


def classify_status(cp: RunCheckpoint, activity: list[ActivityEntry]) -> str:
    """`success` or `fail`: the last terminal event of the log decides (a budget halt is a
    failure); without one, a run still holding a current node failed."""
    for entry in reversed(activity):
        status = _TERMINAL.get(entry.type)
        if status is not None:
            return status
    return "fail" if cp.current_node else "success"


def audit(run_dir: str | os.PathLike[str]) -> AuditReport:
    """The audit report of the run in `run_dir` (a trusted path: resolve user input with
    `resolve_run_dir` first). Raises `InspectError` (`load checkpoint: …`,
    `load activity log: …`)."""
    run_dir = Path(run_dir)
    try:
        cp = read_checkpoint(run_dir / CHECKPOINT_FILE)
    except CheckpointError as exc:
        raise InspectError(f"load checkpoint: {exc.message}") from None
    try:
        activity = sort_activity_by_time(load_activity_log(run_dir))
    except ActivityLogError as exc:
        raise InspectError(f"load activity log: {exc.message}") from None
    status = classify_status(cp, activity)
    total = delta_ns(activity[-1].timestamp, activity[0].timestamp) if len(activity) >= 2 else 0
    return AuditReport(
        run_id=cp.run_id,
        status=status,
        total_duration_ns=total,
        timeline=_timeline(activity),
        retries=[RetryRecord(node_id=n, attempts=c) for n, c in sorted(cp.retry_counts.items())],
        errors=[
            ActivityError(ts=e.timestamp, node_id=e.node_id, message=e.error)
            for e in activity
            if e.error
        ],
        recommendations=_recommendations(cp, status, total),
        completed_nodes=len(cp.completed_nodes),
        restart_count=cp.restart_count,
        checkpoint_timestamp=cp.timestamp,
    )


def _timeline(activity: list[ActivityEntry]) -> list[TimelineEntry]:
    """Every entry; a stage's end carries the time since that node's last start."""
    starts: dict[str, datetime] = {}
    out: list[TimelineEntry] = []
    for entry in activity:
        duration = 0
        if entry.type == "stage_started":
            starts[entry.node_id] = entry.timestamp
        elif entry.type in ("stage_completed", "stage_failed"):
            start = starts.pop(entry.node_id, None)
            if start is not None:
                duration = delta_ns(entry.timestamp, start)
        out.append(
            TimelineEntry(
                ts=entry.timestamp,
                type=entry.type,
                node_id=entry.node_id,
                message=entry.message,
                duration_ns=duration,
            )
        )
    return out


def _recommendations(cp: RunCheckpoint, status: str, total_ns: int) -> list[str]:
    """The v0.24.1 recommendations, sorted alphabetically as the reference prints them."""
    recs = [
        f"Consider adjusting retry_policy for {node} (used {count} retries)"
        for node, count in cp.retry_counts.items()
        if count >= 2
    ]
    if cp.restart_count > 0:
        times = "time" if cp.restart_count == 1 else "times"
        recs.append(f"Pipeline restarted {cp.restart_count} {times} — review loop conditions")
    if total_ns > LONG_RUN_NS:
        recs.append("Long-running pipeline — consider fidelity=summary:medium for faster resumes")
    if status == "fail" and cp.current_node:
        recs.append(f"Pipeline failed at {cp.current_node} — check error details above")
    return sorted(recs)
