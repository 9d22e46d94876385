"""Run inspection: `tracker diagnose`, `tracker audit`, `tracker list` as a library.

Everything here only reads a run directory (`checkpoint.json`, `activity.jsonl`,
`<node>/status.json`); nothing imports the engine, a provider SDK or a UI toolkit.
Failures raise `InspectError`, whose message is the one the CLI prints."""

from __future__ import annotations

from tracker.inspect.activity import (
    ActivityEntry,
    ActivityLogError,
    load_activity_log,
    parse_activity_line,
    sort_activity_by_time,
)
from tracker.inspect.audit import audit, classify_status
from tracker.inspect.checkpoint import CheckpointError, RunCheckpoint, read_checkpoint
from tracker.inspect.diagnose import diagnose, diagnose_most_recent
from tracker.inspect.errors import InspectError
from tracker.inspect.models import (
    ActivityError,
    AuditReport,
    BudgetHalt,
    DiagnoseReport,
    NodeFailure,
    RetryRecord,
    RunSummary,
    Suggestion,
    SuggestionKind,
    TimelineEntry,
)
from tracker.inspect.runs import list_runs, most_recent_run_id, resolve_run_dir, runs_dir

__all__ = [
    "ActivityEntry",
    "ActivityError",
    "ActivityLogError",
    "AuditReport",
    "BudgetHalt",
    "CheckpointError",
    "DiagnoseReport",
    "InspectError",
    "NodeFailure",
    "RetryRecord",
    "RunCheckpoint",
    "RunSummary",
    "Suggestion",
    "SuggestionKind",
    "TimelineEntry",
    "audit",
    "classify_status",
    "diagnose",
    "diagnose_most_recent",
    "list_runs",
    "load_activity_log",
    "most_recent_run_id",
    "parse_activity_line",
    "read_checkpoint",
    "resolve_run_dir",
    "runs_dir",
    "sort_activity_by_time",
]
