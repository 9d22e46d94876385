"""Working-directory confinement (spec agent-llm.md §6.4): the ONE place the agent's file
tools read and write files.

Every path a model gives is checked three ways before any IO: absolute paths are
refused, a path whose normalised form leaves the root is refused, and a path whose
resolved form (symlinks followed, for reads and writes alike) leaves the root is refused.
The reference only did the lexical check; resolving symlinks closes the hole where a
link inside the repository points at `/etc` or `~`. Violations raise `ConfinementError`,
which the session turns into a tool error the model sees — the session goes on.

The workspace also records which files the session created and modified (the result's
`files_created` / `files_modified`).
"""

from __future__ import annotations

import os
from pathlib import Path


class ToolError(Exception):
    """A tool failed in a way the model should be told about (becomes an error result)."""


class ConfinementError(ToolError):
    """A path points outside the working directory."""


def os_error_text(op: str, path: str, exc: OSError) -> str:
    """`open x.txt: no such file or directory` — the OS reason without Python's noise."""
    reason = (exc.strerror or str(exc)).strip()
    return f"{op} {path}: {reason[:1].lower()}{reason[1:]}"


class Workspace:
    """A working directory the tools are confined to."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = os.path.abspath(os.fspath(root))
        self.real_root = os.path.realpath(self.root)
        self._prefix = self.root.rstrip(os.sep) + os.sep
        self._real_prefix = self.real_root.rstrip(os.sep) + os.sep
        self.files_created: dict[str, None] = {}
        self.files_modified: dict[str, None] = {}

    # checks --------------------------------------------------------------------------

    def _lexically_inside(self, path: str) -> bool:
        return path == self.root or path.startswith(self._prefix)

    def is_inside(self, real_path: str) -> bool:
        """Whether an already-resolved path is the root or below it."""
        return real_path == self.real_root or real_path.startswith(self._real_prefix)

    def resolve(self, path: str) -> str:
        """The real absolute path for `path` (relative to the root), or ConfinementError."""
        if os.path.isabs(path) or path.startswith("~"):
            name = os.path.basename(path.rstrip("/")) or "file"
            raise ConfinementError(
                f'absolute paths not allowed: {path} (use a relative path like "{name}" instead)'
            )
        joined = os.path.normpath(os.path.join(self.root, path))
        if not self._lexically_inside(joined):
            raise ConfinementError(f"path escapes working directory: {path}")
        real = os.path.realpath(joined)
        if not self.is_inside(real):
            raise ConfinementError(
                f"path escapes working directory: {path} (it resolves through a symlink to {real})"
            )
        return real

    def relative(self, real_path: str) -> str:
        """`real_path` relative to the root, with forward slashes."""
        rel = os.path.relpath(real_path, self.real_root)
        return rel.replace(os.sep, "/")

    # IO ------------------------------------------------------------------------------

    def read_text(self, path: str) -> str:
        real = self.resolve(path)
        try:
            with open(real, encoding="utf-8", errors="replace", newline="") as handle:
                return handle.read()
        except OSError as exc:
            raise ToolError(os_error_text("open", path, exc)) from exc

    def exists(self, path: str) -> bool:
        return os.path.exists(self.resolve(path))

    def is_file(self, path: str) -> bool:
        return os.path.isfile(self.resolve(path))

    def write_text(self, path: str, content: str) -> bool:
        """Write `content`, creating parent directories; True when the file is new."""
        real = self.resolve(path)
        created = not os.path.exists(real)
        try:
            os.makedirs(os.path.dirname(real), mode=0o755, exist_ok=True)
            fd = os.open(real, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.write(content)
        except OSError as exc:
            raise ToolError(os_error_text("write", path, exc)) from exc
        self._record(real, created)
        return created

    def delete(self, path: str) -> None:
        real = self.resolve(path)
        try:
            os.remove(real)
        except OSError as exc:
            raise ToolError(os_error_text("remove", path, exc)) from exc
        rel = self.relative(real)
        self.files_created.pop(rel, None)
        self.files_modified[rel] = None

    def _record(self, real: str, created: bool) -> None:
        rel = self.relative(real)
        if created:
            self.files_created[rel] = None
        elif rel not in self.files_created:
            self.files_modified[rel] = None

    def walk_root(self, path: str) -> str:
        """The resolved start of a directory walk (grep); same checks as `resolve`."""
        return self.resolve(path)

    def dir_path(self) -> Path:
        return Path(self.real_root)
