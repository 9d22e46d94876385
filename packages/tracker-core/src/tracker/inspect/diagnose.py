"""`tracker.diagnose(run_dir)` (cli-tui.md §7.7): why did this run fail?

Failures come from `<run_dir>/<node>/status.json` files whose outcome is `fail` (with the
tool's captured stdout/stderr); the activity log adds the handler, the last attempt's
duration, the error messages, the failure count with an "all identical" verdict, and a
budget halt. Suggestions are derived from those facts by fixed rules."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from tracker.dippin.values import format_duration_go
from tracker.inspect.activity import (
    ACTIVITY_FILE,
    ActivityLogError,
    decode_line,
    iter_log_lines,
    typed_fields,
)
from tracker.inspect.checkpoint import CHECKPOINT_FILE, CheckpointError, read_checkpoint
from tracker.inspect.errors import InspectError
from tracker.inspect.models import (
    BudgetHalt,
    DiagnoseReport,
    NodeFailure,
    Suggestion,
    SuggestionKind,
)
from tracker.inspect.runs import most_recent_run_id, runs_dir
from tracker.inspect.times import delta_ns, parse_timestamp

#: a failure faster than this, outside a tool node, looks like a configuration problem
SUSPICIOUS_NS = 50_000_000

_LINE_FIELDS: dict[str, type] = {
    "ts": str,
    "type": str,
    "node_id": str,
    "message": str,
    "error": str,
    "tool_error": str,
    "handler": str,
    "total_tokens": int,
    "total_cost_usd": float,
    "wall_elapsed_ms": int,
}


def diagnose(run_dir: str | os.PathLike[str], log: TextIO | None = None) -> DiagnoseReport:
    """The diagnosis of the run in `run_dir` (a trusted path: resolve user input with
    `resolve_run_dir` first). Unparseable status.json files are reported on `log`.
    Raises `InspectError` (`load checkpoint: …`, or `scan activity log: …` when the log
    cannot be read to the end — a partial report is never returned)."""
    run_dir = Path(run_dir)
    try:
        cp = read_checkpoint(run_dir / CHECKPOINT_FILE)
    except CheckpointError as exc:
        raise InspectError(f"load checkpoint: {exc.message}") from None
    failures = _status_failures(run_dir, log)
    halt = _scan_activity(run_dir, failures, log)
    ordered = [failures[node] for node in sorted(failures)]
    return DiagnoseReport(
        run_id=cp.run_id,
        completed_nodes=len(cp.completed_nodes),
        budget_halt=halt,
        failures=ordered,
        suggestions=build_suggestions(ordered, halt),
    )


def diagnose_most_recent(
    workdir: str | os.PathLike[str] | None, log: TextIO | None = None
) -> DiagnoseReport:
    """Diagnose the run under `<workdir>/.tracker/runs` with the newest checkpoint."""
    run_id = most_recent_run_id(workdir, log)
    return diagnose(runs_dir(workdir) / run_id, log)


# --------------------------------------------------------------------------- failures


def _status_failures(run_dir: Path, log: TextIO | None) -> dict[str, NodeFailure]:
    """node ID → failure, for every top-level node directory whose status.json fails."""
    try:
        with os.scandir(run_dir) as it:
            names = sorted(e.name for e in it if e.is_dir(follow_symlinks=False))
    except OSError:
        return {}
    out: dict[str, NodeFailure] = {}
    for name in names:
        failure = _node_failure(run_dir / name / "status.json", name, log)
        if failure is not None:
            out[name] = failure
    return out


def _node_failure(path: Path, node_id: str, log: TextIO | None) -> NodeFailure | None:
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    try:
        status = _status_fields(json.loads(raw.decode("utf-8", errors="replace")))
    except ValueError as exc:
        if log is not None:
            log.write(f"warning: cannot parse {path}: {exc}\n")
        return None
    outcome, updates = status
    if outcome != "fail":
        return None
    return NodeFailure(
        node_id=node_id,
        outcome=outcome,
        stdout=updates.get("tool_stdout", ""),
        stderr=updates.get("tool_stderr", ""),
    )


def _status_fields(doc: Any) -> tuple[str, dict[str, str]]:
    """(outcome, context_updates) of a status.json document; ValueError when the fields
    have the wrong JSON types."""
    if doc is None:
        return "", {}
    if not isinstance(doc, dict):
        raise ValueError("status is not a JSON object")
    outcome = doc.get("outcome")
    outcome = "" if outcome is None else outcome
    updates = doc.get("context_updates")
    updates = {} if updates is None else updates
    if not isinstance(outcome, str):
        raise ValueError("outcome is not a string")
    if not isinstance(updates, dict):
        raise ValueError("context_updates is not an object")
    if not all(v is None or isinstance(v, str) for v in updates.values()):
        raise ValueError("context_updates values must be strings")
    return outcome, {k: v or "" for k, v in updates.items()}


# --------------------------------------------------------------------------- activity


@dataclass
class _Scan:
    """What the activity scan accumulates."""

    starts: dict[str, datetime] = field(default_factory=dict)
    signatures: dict[str, list[str]] = field(default_factory=dict)
    halt: BudgetHalt | None = None


def _scan_activity(
    run_dir: Path, failures: dict[str, NodeFailure], log: TextIO | None
) -> BudgetHalt | None:
    path = run_dir / ACTIVITY_FILE
    scan = _Scan()
    try:
        for line in iter_log_lines(path):
            obj = decode_line(line)
            entry = typed_fields(obj, _LINE_FIELDS) if obj is not None else None
            if entry is not None:
                _apply(entry, failures, scan)
    except FileNotFoundError:
        return None
    except ActivityLogError as exc:
        if log is not None:
            log.write(f"warning: activity log scan stopped at {path}: {exc.message}\n")
        raise InspectError(f"scan activity log: {exc.message}") from None
    for node_id, sigs in scan.signatures.items():
        failure = failures.get(node_id)
        if failure is not None:
            failure.retry_count = len(sigs)
            failure.identical_retries = len(sigs) >= 2 and len(set(sigs)) == 1
    return scan.halt


def _apply(entry: dict[str, Any], failures: dict[str, NodeFailure], scan: _Scan) -> None:
    kind, node_id = entry["type"], entry["node_id"]
    ts = parse_timestamp(entry["ts"])
    if kind == "budget_exceeded":
        scan.halt = BudgetHalt(
            total_tokens=entry["total_tokens"],
            total_cost_usd=entry["total_cost_usd"],
            wall_elapsed_ms=entry["wall_elapsed_ms"],
            message=entry["message"],
        )
    if kind == "stage_started":
        if ts is not None:
            scan.starts[node_id] = ts
    elif kind in ("stage_failed", "stage_completed"):
        failure = failures.get(node_id)
        if failure is not None:
            start = scan.starts.get(node_id)
            if start is not None and ts is not None:
                failure.duration_ns = delta_ns(ts, start)
            if entry["handler"]:
                failure.handler = entry["handler"]
        if kind == "stage_failed":
            signature = entry["error"] + "\x00" + entry["tool_error"]
            scan.signatures.setdefault(node_id, []).append(signature)
    failure = failures.get(node_id) if node_id else None
    if failure is None:
        return
    if entry["error"]:
        failure.errors.append(entry["error"])
    if entry["tool_error"] and not failure.stderr:
        failure.stderr = entry["tool_error"]


# --------------------------------------------------------------------------- suggestions


def build_suggestions(failures: list[NodeFailure], halt: BudgetHalt | None) -> list[Suggestion]:
    """Per failure in the given order, then the run-level budget suggestion."""
    out = [s for f in failures for s in suggestions_for(f)]
    if halt is not None:
        out.append(
            Suggestion(
                kind=SuggestionKind.BUDGET.value,
                message="Raise the relevant --max-tokens, --max-cost, or --max-wall-time "
                "flag, or remove the Config.Budget value",
            )
        )
    return out


def suggestions_for(f: NodeFailure) -> list[Suggestion]:
    """The advice one failure earns (cli-tui.md §7.7 table, in table order)."""
    node = f.node_id
    advice: list[tuple[SuggestionKind, str]] = []
    if f.identical_retries and f.retry_count >= 2:
        advice.append(
            (
                SuggestionKind.RETRY_PATTERN,
                f"Failed {f.retry_count} times with identical errors — this is a "
                "deterministic bug in the command, not a transient failure. Retrying won't "
                "help. Fix the tool command in the .dip file and re-run.",
            )
        )
    elif f.retry_count >= 3:
        advice.append(
            (
                SuggestionKind.RETRY_PATTERN,
                f"Failed {f.retry_count} times with varying errors — may be a flaky command "
                "or environment issue.",
            )
        )
    if "ESCALATE" in f.stdout and "fix attempts" in f.stdout:
        advice.append(
            (
                SuggestionKind.ESCALATE_LIMIT,
                "Hit fix attempt limit. The fix_attempts counter persists on disk across "
                "restarts — if you retry after escalation, the counter is already maxed. "
                "Reset it with: rm .ai/milestones/fix_attempts",
            )
        )
    if not f.stdout and not f.stderr and not f.errors:
        advice.append(
            (
                SuggestionKind.NO_OUTPUT,
                "No error details captured. Check the activity.jsonl for this node's "
                f"events: grep {json.dumps(node, ensure_ascii=False)} activity.jsonl | tail -20",
            )
        )
    if "command not found" in f.stderr or "No such file or directory" in f.stderr:
        advice.append(
            (
                SuggestionKind.SHELL_COMMAND,
                "Shell command failed — check that the working directory and required "
                "tools exist before running",
            )
        )
    if "FAIL" in f.stdout and "go test" in f.stdout:
        advice.append(
            (
                SuggestionKind.GO_TEST,
                "Go test failures — check if .ai/milestones/known_failures should include "
                "these tests for this milestone",
            )
        )
    if 0 < f.duration_ns < SUSPICIOUS_NS and f.handler != "tool":
        advice.append(
            (
                SuggestionKind.SUSPICIOUS_TIMING,
                f"Completed in {format_duration_go(f.duration_ns)} — suspiciously fast. "
                "May indicate a configuration issue or missing handler",
            )
        )
    return [
        Suggestion(node_id=node, kind=kind.value, message=f"{node}: {text}")
        for kind, text in advice
    ]
