"""`fs/read_text_file` and `fs/write_text_file`, confined to the node's working dir.

The agent runs unattended, so the client is the last line of defence: a path must be
absolute, must not contain `..`, and must resolve — following symlinks through its
nearest existing ancestor — inside the working directory. Violations answer with
JSON-RPC "invalid params" (-32602); IO failures with "internal error" (-32603).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path, PurePath
from typing import Any

from tracker_acp.rpc import INTERNAL_ERROR, INVALID_PARAMS, RpcError

#: files the agent creates get ordinary permissions (mkstemp's are owner-only)
NEW_FILE_MODE = 0o644


def _resolve_existing_prefix(path: Path) -> Path:
    """`path` with symlinks resolved through its nearest existing ancestor (the part
    that does not exist yet cannot be a link)."""
    missing: list[str] = []
    current = path
    while not current.exists() and not current.is_symlink():
        if current.parent == current:
            break
        missing.insert(0, current.name)
        current = current.parent
    return current.resolve().joinpath(*missing)


def confine(raw: Any, root: Path) -> Path:
    """The real path of `raw` if it lies inside `root` (itself resolved)."""
    if not isinstance(raw, str) or not raw:
        raise RpcError(INVALID_PARAMS, "path is required")
    if not os.path.isabs(raw):
        raise RpcError(INVALID_PARAMS, f"path must be absolute: {raw}")
    if ".." in PurePath(raw).parts:
        raise RpcError(INVALID_PARAMS, f"path must not contain '..': {raw}")
    real_root = root.resolve()
    real = _resolve_existing_prefix(Path(raw))
    if real != real_root and not real.is_relative_to(real_root):
        raise RpcError(INVALID_PARAMS, f"path is outside the working directory {real_root}: {raw}")
    return real


def _positive(params: dict[str, Any], key: str) -> int | None:
    value = params.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RpcError(INVALID_PARAMS, f"{key} must be a non-negative integer")
    return value


def read_text_file(params: dict[str, Any], root: Path) -> dict[str, Any]:
    """The file's text, from 1-based `line` for at most `limit` lines."""
    path = confine(params.get("path"), root)
    line = _positive(params, "line")
    limit = _positive(params, "limit")
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise RpcError(INTERNAL_ERROR, f"cannot read {path}: {exc.strerror or exc}") from exc
    if line is None and limit is None:
        return {"content": text}
    lines = text.splitlines(keepends=True)
    start = max(0, (line or 1) - 1)
    end = None if limit is None else start + limit
    return {"content": "".join(lines[start:end])}


def write_text_file(params: dict[str, Any], root: Path) -> tuple[Path, bool]:
    """Writes the file atomically, creating parent directories; returns the path and
    whether it existed before."""
    path = confine(params.get("path"), root)
    content = params.get("content")
    if not isinstance(content, str):
        raise RpcError(INVALID_PARAMS, "content must be a string")
    existed = path.exists()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.write(content)
            os.chmod(tmp, path.stat().st_mode & 0o7777 if existed else NEW_FILE_MODE)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as exc:
        raise RpcError(INTERNAL_ERROR, f"cannot write {path}: {exc.strerror or exc}") from exc
    return path, existed
