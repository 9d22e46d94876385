"""Reading `activity.jsonl` (engine.md §7.2) for the inspection commands.

Lines are JSON objects; a line that is not one, whose known fields have the wrong JSON
type, or (for `ActivityEntry`) whose `ts` is not RFC 3339 is skipped, never fatal. A line
longer than 1 MiB stops the scan with an error instead: a report built from a truncated
log would silently be wrong.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from tracker.inspect.errors import InspectError, os_error_text
from tracker.inspect.times import parse_timestamp

MAX_LINE_BYTES = 1024 * 1024
ACTIVITY_FILE = "activity.jsonl"


class ActivityLogError(InspectError):
    """The log exists but could not be read to the end."""


class ActivityEntry(BaseModel):
    """The fields of one activity line that audit and list use."""

    model_config = ConfigDict(frozen=True)

    timestamp: datetime
    type: str = ""
    run_id: str = ""
    node_id: str = ""
    message: str = ""
    error: str = ""


_ENTRY_FIELDS: dict[str, type] = {
    "ts": str,
    "type": str,
    "run_id": str,
    "node_id": str,
    "message": str,
    "error": str,
}


def typed_fields(obj: Mapping[str, Any], spec: Mapping[str, type]) -> dict[str, Any] | None:
    """The fields named in `spec` with their zero value when absent or null, or None when
    one has another JSON type (the reference's decoder rejects the whole line then)."""
    out: dict[str, Any] = {}
    for key, kind in spec.items():
        value = obj.get(key)
        if value is None:
            out[key] = kind()
        elif kind is str and isinstance(value, str):
            out[key] = value
        elif kind is int and isinstance(value, int) and not isinstance(value, bool):
            out[key] = value
        elif kind is float and isinstance(value, int | float) and not isinstance(value, bool):
            out[key] = float(value)
        else:
            return None
    return out


def decode_line(line: str) -> dict[str, Any] | None:
    """The JSON object on `line`, or None for anything else."""
    try:
        obj = json.loads(line)
    except ValueError:
        return None
    return obj if isinstance(obj, dict) else None


def parse_activity_line(line: str) -> ActivityEntry | None:
    """One log line as an `ActivityEntry`, or None when it is malformed."""
    obj = decode_line(line)
    fields = typed_fields(obj, _ENTRY_FIELDS) if obj is not None else None
    if fields is None:
        return None
    ts = parse_timestamp(fields.pop("ts"))
    if ts is None:
        return None
    return ActivityEntry(timestamp=ts, **fields)


def iter_log_lines(path: Path) -> Iterator[str]:
    """The non-blank, trimmed lines of the log. Raises `ActivityLogError` when the file
    cannot be read or a line exceeds `MAX_LINE_BYTES`; a missing file is the caller's
    business (FileNotFoundError propagates)."""
    try:
        fh = path.open("rb")
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise ActivityLogError(f"open activity log: {os_error_text('open', path, exc)}") from None
    with fh:
        for number, raw in enumerate(fh, start=1):
            body = raw.rstrip(b"\n").rstrip(b"\r")
            if len(body) > MAX_LINE_BYTES:
                raise ActivityLogError(
                    f"{path}: line {number} is longer than {MAX_LINE_BYTES} bytes"
                )
            line = body.decode("utf-8", errors="replace").strip()
            if line:
                yield line


def load_activity_log(run_dir: str | Path) -> list[ActivityEntry]:
    """Every well-formed entry of `<run_dir>/activity.jsonl`, in file order; `[]` when
    the run has no log. Raises `ActivityLogError` when it cannot be read to the end."""
    path = Path(run_dir) / ACTIVITY_FILE
    entries: list[ActivityEntry] = []
    try:
        for line in iter_log_lines(path):
            entry = parse_activity_line(line)
            if entry is not None:
                entries.append(entry)
    except FileNotFoundError:
        return []
    return entries


def sort_activity_by_time(entries: list[ActivityEntry]) -> list[ActivityEntry]:
    """Sort `entries` by timestamp in place (stable: equal times keep log order) and
    return the same list."""
    entries.sort(key=lambda e: e.timestamp)
    return entries
