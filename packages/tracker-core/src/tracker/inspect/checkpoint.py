"""The parts of `checkpoint.json` (engine.md §6.2) the inspection commands read.

Read-only and independent of the engine's own loader, so inspecting a run never imports
the engine. The rules follow the reference's decoder: missing or null fields are empty,
a field of the wrong JSON type makes the checkpoint unreadable."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from tracker.inspect.errors import InspectError, os_error_text
from tracker.inspect.times import ZERO_TIME, parse_timestamp

CHECKPOINT_FILE = "checkpoint.json"


class CheckpointError(InspectError):
    """checkpoint.json is missing (`missing`) or unreadable."""

    def __init__(self, message: str, *, missing: bool = False) -> None:
        super().__init__(message)
        self.missing = missing


class RunCheckpoint(BaseModel):
    run_id: str = ""
    current_node: str = ""
    completed_nodes: list[str] = Field(default_factory=list)
    retry_counts: dict[str, int] = Field(default_factory=dict)
    restart_count: int = 0
    timestamp: datetime = ZERO_TIME


def read_checkpoint(path: Path) -> RunCheckpoint:
    """Load `path`; raises `CheckpointError` (`read checkpoint: …` / `unmarshal
    checkpoint: …`)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CheckpointError(
            f"read checkpoint: {os_error_text('open', path, exc)}",
            missing=isinstance(exc, FileNotFoundError),
        ) from None
    try:
        data = json.loads(raw.decode("utf-8", errors="replace"))
    except ValueError as exc:
        raise CheckpointError(f"unmarshal checkpoint: {exc}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise CheckpointError("unmarshal checkpoint: not a JSON object")
    try:
        return _checkpoint_from(data)
    except ValueError as exc:
        raise CheckpointError(f"unmarshal checkpoint: {exc}") from None


def _checkpoint_from(data: dict[str, Any]) -> RunCheckpoint:
    def field(name: str, kind: type) -> Any:
        value = data.get(name)
        if value is None:
            return kind()
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ValueError(f"field {name!r} has the wrong type")
        return value

    completed = field("completed_nodes", list)
    if not all(isinstance(n, str) for n in completed):
        raise ValueError("field 'completed_nodes' must hold strings")
    retries = field("retry_counts", dict)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in retries.values()):
        raise ValueError("field 'retry_counts' must map node IDs to integers")
    stamp = data.get("timestamp")
    if stamp is None:
        timestamp = ZERO_TIME
    else:
        parsed = parse_timestamp(stamp) if isinstance(stamp, str) else None
        if parsed is None:
            raise ValueError(f"parsing time {json.dumps(stamp)}: not an RFC 3339 timestamp")
        timestamp = parsed
    return RunCheckpoint(
        run_id=field("run_id", str),
        current_node=field("current_node", str),
        completed_nodes=completed,
        retry_counts=retries,
        restart_count=field("restart_count", int),
        timestamp=timestamp,
    )
