"""checkpoint.json (spec/engine.md §6.2): written atomically (temp file + os.replace),
mode 0600 in a 0700 directory, 2-space indented, same fields as the reference."""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError


class CorruptCheckpointError(Exception):
    pass


class Checkpoint(BaseModel):
    run_id: str = ""
    current_node: str = ""
    completed_nodes: list[str] = Field(default_factory=list)
    retry_counts: dict[str, int] = Field(default_factory=dict)
    context: dict[str, str] = Field(default_factory=dict)
    timestamp: str = ""
    restart_count: int = 0
    edge_selections: dict[str, str] = Field(default_factory=dict)
    fallback_taken: dict[str, bool] = Field(default_factory=dict)

    def to_json(self) -> str:
        data: dict[str, Any] = self.model_dump()
        for key in ("edge_selections", "fallback_taken"):
            if not data[key]:
                del data[key]
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def timestamp_now() -> str:
    return datetime.now().astimezone().isoformat(timespec="microseconds")


def write_atomic(path: Path, text: str, mode: int = 0o600) -> None:
    """Write `text` so a reader (or a crash) never sees a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def save_checkpoint(path: Path, checkpoint: Checkpoint) -> None:
    fresh = not path.parent.exists()
    write_atomic(path, checkpoint.to_json())
    if fresh:
        os.chmod(path.parent, 0o700)


def load_checkpoint(path: Path) -> Checkpoint | None:
    """None when the file does not exist; CorruptCheckpointError when it cannot be read."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        data = {k: v for k, v in data.items() if v is not None}
        return Checkpoint.model_validate(data)
    except (ValueError, ValidationError) as exc:
        raise CorruptCheckpointError(f"corrupt checkpoint at {path}: {exc}") from exc
