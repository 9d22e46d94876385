"""Command denylist for the agent's `bash` tool (and reusable by tool nodes).

The built-in patterns block running code whose text the command does not show:
`eval`, `exec`, `source`, dot-sourcing, and piping a download or any output into a
shell. Patterns are globs where `*` matches anything; matching is case-insensitive and
done per statement (split on `;`, `&&`, `||` and newlines) after collapsing whitespace,
so `ls; eval "$x"` and `exec\\t/bin/sh` are caught. Extra patterns can only add blocks;
`bypass` turns everything off (an explicit escape hatch for sandboxes).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence

DEFAULT_DENY_PATTERNS: tuple[str, ...] = (
    "eval *",
    "exec *",
    "source *",
    ". ./*",
    ". /*",
    "curl * | *",
    "wget * | *",
    "* | sh",
    "* | sh *",
    "* | bash",
    "* | bash *",
    "* | zsh",
    "* | zsh *",
    "* | /bin/sh",
    "* | /bin/sh *",
    "* | /bin/bash",
    "* | /bin/bash *",
)

_SPLIT = re.compile(r"\s*(?:;|&&|\|\|)\s*")
_SPACES = re.compile(r"\s+")
# `exec` used only to open/close/duplicate file descriptors replaces no process
_FD_DUP = re.compile(r"^\d*[<>]&(?:\d+|-)$")
_FD_FUSED = re.compile(r"^(?:\d*(?:>>|<>|>|<)|&>>?)[^&|;<>\\`()]+$")
_FD_OP = re.compile(r"^(?:\d*(?:>>|<>|>|<)|&>>?)$")
_UNSAFE_TARGET = re.compile(r"[&|;<>\\`()]")


class CommandDenied(Exception):
    """A command matched a deny pattern."""

    def __init__(self, command: str, pattern: str) -> None:
        super().__init__(
            f"command blocked: it matches the denied pattern {pattern!r} "
            "(eval/exec/source and piping into a shell are refused); "
            "run the steps directly instead"
        )
        self.command = command
        self.pattern = pattern


def split_statements(command: str) -> list[str]:
    parts = [p.strip() for p in _SPLIT.split(command.replace("\n", ";"))]
    return [p for p in parts if p] or [command.strip()]


@functools.lru_cache(maxsize=256)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    body = ".*".join(re.escape(piece) for piece in pattern.lower().split("*"))
    return re.compile(f"^{body}$", re.DOTALL)


def glob_match(pattern: str, text: str) -> bool:
    return _glob_regex(pattern).match(text.lower()) is not None


def _exec_only_redirects(statement: str) -> bool:
    """True when `exec` is followed only by fd redirections (fail closed otherwise)."""
    if "$(" in statement or "`" in statement:
        return False
    if statement.count('"') % 2 or statement.count("'") % 2:
        return False
    words = statement.split()
    if len(words) < 2 or words[0].lower() != "exec":
        return False
    rest = iter(words[1:])
    for word in rest:
        if _FD_DUP.match(word) or _FD_FUSED.match(word):
            continue
        if _FD_OP.match(word):
            target = next(rest, "")
            if not target or _UNSAFE_TARGET.search(target):
                return False
            continue
        return False
    return True


def denied_pattern(command: str, extra: Iterable[str] = ()) -> str | None:
    """The first pattern `command` matches, or None when it may run."""
    extra = tuple(extra)
    for statement in split_statements(command):
        statement = _SPACES.sub(" ", statement)
        for pattern in DEFAULT_DENY_PATTERNS:
            if glob_match(pattern, statement):
                if pattern == "exec *" and _exec_only_redirects(statement):
                    continue
                return pattern
        for pattern in extra:
            if glob_match(pattern, statement):
                return pattern
    return None


def check_command(command: str, extra: Sequence[str] = (), bypass: bool = False) -> None:
    """Raise CommandDenied when `command` matches a deny pattern (unless bypassed)."""
    if bypass:
        return
    pattern = denied_pattern(command, extra)
    if pattern is not None:
        raise CommandDenied(command, pattern)
