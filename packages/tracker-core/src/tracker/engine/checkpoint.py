"""checkpoint.json (spec/engine.md §6.2): written atomically (temp file + os.replace),
mode 0600 in a 0700 directory, 2-space indented, same fields as the reference.

The engine saves after every node, so saving is on the hot path: the document is built
as a plain dict (the context is already a str→str map the engine owns, re-validating it
on every save is pure cost) and serialised with orjson, whose `OPT_INDENT_2` output is
byte-identical to `json.dumps(indent=2, ensure_ascii=False)` for these value types. The
pydantic `Checkpoint` stays the schema and what loading returns."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel, Field, ValidationError

#: fields dropped from the file when empty (the reference's `omitempty`)
_OMIT_WHEN_EMPTY = ("edge_selections", "fallback_taken")
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


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
        return dumps_checkpoint(self.model_dump()).decode("utf-8")


def checkpoint_document(
    *,
    run_id: str,
    current_node: str,
    completed_nodes: Iterable[str],
    retry_counts: Mapping[str, int],
    context: Mapping[str, str],
    timestamp: str,
    restart_count: int,
    edge_selections: Mapping[str, str],
    fallback_taken: Mapping[str, bool],
) -> dict[str, Any]:
    """The `Checkpoint` fields as a plain dict in file order, built without validation:
    the caller passes data it owns and has already typed (the engine's own state)."""
    return {
        "run_id": run_id,
        "current_node": current_node,
        "completed_nodes": list(completed_nodes),
        "retry_counts": dict(retry_counts),
        "context": context,
        "timestamp": timestamp,
        "restart_count": restart_count,
        "edge_selections": dict(edge_selections),
        "fallback_taken": dict(fallback_taken),
    }


def dumps_checkpoint(data: Mapping[str, Any]) -> bytes:
    """The file's bytes: 2-space indent, UTF-8, trailing newline, empty omit-fields gone."""
    doc = {k: v for k, v in data.items() if v or k not in _OMIT_WHEN_EMPTY}
    try:
        return orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
    except TypeError:  # what orjson refuses (e.g. ints past 64 bits): the stdlib encoder
        return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def timestamp_now() -> str:
    return datetime.now().astimezone().isoformat(timespec="microseconds")


def _open_temp(path: Path) -> tuple[int, str]:
    """A new, exclusive temp file beside `path`: a fixed per-process name (cheap) unless
    it is taken (a crashed earlier write, another writer), then a random one."""
    tmp = f"{path.parent}{os.sep}.{path.name}.{os.getpid()}.tmp"
    try:
        return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_CLOEXEC, 0o600), tmp
    except FileExistsError:
        return tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)


def write_atomic(path: Path, text: str | bytes, mode: int = 0o600) -> bool:
    """Write `text` so a reader (or a crash) never sees a half-written file: temp file,
    fsync, os.replace. Returns True when it had to create the parent directory."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    created = False
    try:
        fd, tmp = _open_temp(path)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        created = True
        fd, tmp = _open_temp(path)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return created


def save_checkpoint(path: Path, checkpoint: Checkpoint | Mapping[str, Any]) -> None:
    """Write checkpoint.json; accepts the model or a `checkpoint_document` dict."""
    data = checkpoint.model_dump() if isinstance(checkpoint, Checkpoint) else checkpoint
    if write_atomic(path, dumps_checkpoint(data)):
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
