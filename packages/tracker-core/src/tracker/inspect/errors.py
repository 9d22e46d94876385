"""The one exception the inspection commands raise: a message meant for the user."""

from __future__ import annotations

import os


class InspectError(Exception):
    """A run could not be inspected (no runs, unknown ID, unreadable checkpoint, …).

    `message` is printed by the CLI after `error: `, so it reads like the reference's."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def os_error_text(op: str, path: os.PathLike[str] | str, exc: OSError) -> str:
    """`open <path>: no such file or directory` — the reference's wording for OS errors."""
    reason = exc.strerror or str(exc)
    reason = reason[:1].lower() + reason[1:]
    return f"{op} {os.fspath(path)}: {reason}"
