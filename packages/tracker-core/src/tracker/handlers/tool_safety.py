"""Safety rules for tool-node shell commands (spec/engine.md §4.4, cli-tui.md §4.12).

Four independent guards, each a plain function so the CLI, `doctor` and tests can use them
without an engine:

* the command denylist — the built-in patterns shared with the agent's bash tool plus the
  user's additions (`--tool-denylist-add`, defaults `tool_denylist_add`); only
  `--bypass-denylist` switches it off, and then for both kinds of pattern;
* the allowlist (`--tool-allowlist`, defaults `tool_commands_allow`): when any pattern is
  configured, every statement of the command must match one (bypass does not lift it);
* `working_dir` validation: the directory is pasted into a shell line, so anything that
  could start a new command or escape upwards is refused;
* environment scrubbing: secrets never reach a tool's subprocess unless
  `TRACKER_PASS_ENV=1`.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterable, Mapping, Sequence

#: variable-name fragments that mark a secret (matched case-insensitively)
SECRET_NAME_PARTS: tuple[str, ...] = ("_API_KEY", "_SECRET", "_TOKEN", "_PASSWORD")
#: identity variables tracker sets for every tool; inherited values are never trusted
RUN_IDENTITY_VARS: tuple[str, ...] = ("TRACKER_RUN_ID", "TRACKER_RUN_DIR", "TRACKER_WORKDIR")

_UNSAFE_DIR_CHARS = frozenset("`$;|&()<>\n\r")
_SPACES = re.compile(r"\s+")


def go_quote(text: str) -> str:
    """Double-quoted like the reference's messages (Go `%q`), so users see `"N"`."""
    return json.dumps(text, ensure_ascii=False)


class ToolSafetyError(Exception):
    """A configuration problem that must stop the run before the command starts."""


class CommandDeniedError(ToolSafetyError):
    """The command matches a deny pattern."""

    def __init__(self, node_id: str, pattern: str) -> None:
        super().__init__(
            f"tool_command for node {go_quote(node_id)} matches denied pattern {go_quote(pattern)} — "
            "this command pattern is blocked for security. Use --bypass-denylist if this "
            "is intentional, or restructure the command to avoid the pattern"
        )
        self.node_id = node_id
        self.pattern = pattern


class CommandNotAllowedError(ToolSafetyError):
    """An allowlist is configured and some statement matches none of its patterns."""

    def __init__(
        self, node_id: str, command: str, statement: str, allowlist: Sequence[str]
    ) -> None:
        super().__init__(
            f"tool_command {go_quote(command)} for node {go_quote(node_id)} is not in the allowlist "
            f"(statement {go_quote(statement)} matches no pattern). "
            f"Allowed patterns: {', '.join(allowlist)}"
        )
        self.node_id = node_id
        self.statement = statement


class UnsafeWorkingDirError(ToolSafetyError):
    """`working_dir` could inject shell syntax or climb out of the tree."""


def parse_pattern_list(values: str | Iterable[str] | None) -> list[str]:
    """Comma lists and repeated values → trimmed, de-duplicated, order kept."""
    if values is None:
        return []
    items = [values] if isinstance(values, str) else list(values)
    out: list[str] = []
    for item in items:
        for piece in item.split(","):
            piece = piece.strip()
            if piece and piece not in out:
                out.append(piece)
    return out


def _denylist():
    # one denylist for agent `bash` calls and tool nodes; `tracker.agent` loads its session
    # lazily, so this import stays cheap
    from tracker.agent import denylist

    return denylist


def denied_pattern(command: str, extra: Sequence[str] = ()) -> str | None:
    """The first built-in or extra deny pattern `command` matches, else None."""
    return _denylist().denied_pattern(command, extra)


def disallowed_statement(command: str, allowlist: Sequence[str]) -> str | None:
    """The first statement matching no allowlist pattern (None when all match or the
    allowlist is empty)."""
    if not allowlist:
        return None
    dl = _denylist()
    for statement in dl.split_statements(command):
        flat = _SPACES.sub(" ", statement)
        if not any(dl.glob_match(p, statement) or dl.glob_match(p, flat) for p in allowlist):
            return statement
    return None


def check_tool_command(
    command: str,
    node_id: str,
    *,
    allowlist: Sequence[str] = (),
    deny_extra: Sequence[str] = (),
    bypass_denylist: bool = False,
) -> str | None:
    """Raise when `command` may not run.

    Returns the deny pattern the command matched when `bypass_denylist` let it through
    (so the caller can warn), else None.
    """
    pattern = denied_pattern(command, deny_extra)
    if pattern is not None and not bypass_denylist:
        raise CommandDeniedError(node_id, pattern)
    statement = disallowed_statement(command, allowlist)
    if statement is not None:
        raise CommandNotAllowedError(node_id, command, statement, allowlist)
    return pattern


def check_working_dir(node_id: str, working_dir: str) -> str:
    """Validate `working_dir` and return it normalised."""
    if any(ch in _UNSAFE_DIR_CHARS for ch in working_dir):
        raise UnsafeWorkingDirError(
            f"node {go_quote(node_id)} has unsafe working_dir {go_quote(working_dir)}: "
            "contains shell metacharacters"
        )
    cleaned = posixpath.normpath(working_dir)
    if ".." in cleaned:
        raise UnsafeWorkingDirError(
            f"node {go_quote(node_id)} has unsafe working_dir {go_quote(working_dir)}: path traversal detected"
        )
    return cleaned


def apply_working_dir(node_id: str, command: str, working_dir: str) -> str:
    """`cd "<dir>" && <command>` for a validated, non-empty `working_dir`."""
    if not working_dir:
        return command
    cleaned = check_working_dir(node_id, working_dir)
    quoted = cleaned.replace("\\", "\\\\").replace('"', '\\"')
    return f'cd "{quoted}" && {command}'


def is_secret_name(name: str) -> bool:
    upper = name.upper()
    return any(part in upper for part in SECRET_NAME_PARTS)


def tool_environment(
    environ: Mapping[str, str],
    *,
    identity: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment a tool subprocess gets.

    Secrets are dropped unless `TRACKER_PASS_ENV=1`; inherited run-identity variables are
    replaced by `identity` (empty values omitted).
    """
    pass_all = environ.get("TRACKER_PASS_ENV") == "1"
    env = {
        k: v
        for k, v in environ.items()
        if k not in RUN_IDENTITY_VARS and (pass_all or not is_secret_name(k))
    }
    for key, value in (identity or {}).items():
        if value:
            env[key] = value
    return env
