"""The `tool` handler: run a node's shell command and route on how it went
(spec/engine.md §4.4, §4.3; dippin.md §5; design.md "A tool timeout is a routable failure").

Order of work, each step a guard against a different mistake:
1. expand `tool_command` (all namespaces, tool-command safe-key rule) — a command built
   from LLM text is refused before anything runs;
2. denylist / allowlist on the expanded command (before the `cd` prefix);
3. `working_dir`, `timeout`, `output_limit` validated;
4. run `sh -c` in its own process group with a scrubbed environment;
5. exit 0 → `success`, anything else (including a timeout) → `fail`; `marker_grep`,
   the `_TRACKER_ROUTE=` sentinel and declared `writes:` read stdout and may turn the
   node into a `fail` too.

Configuration mistakes raise `HandlerError` (the run stops with the message); everything a
pipeline can route on is an `Outcome`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tracker.dippin.values import SECOND, format_duration_go, parse_duration
from tracker.engine.events import TOOL_OUTPUT_TRUNCATED, WARNING
from tracker.engine.handler import FAIL, SUCCESS, HandlerError, NodeEnv, Outcome
from tracker.engine.interpolate import InterpolationError, expand
from tracker.graph.model import GraphNode
from tracker.handlers import tool_safety
from tracker.handlers._process import ProcessResult, SpawnError, run_shell
from tracker.handlers.outputs import apply_declared_writes, write_status_json
from tracker.handlers.tool_safety import go_quote as _q

DEFAULT_TIMEOUT_NS = 30 * SECOND
DEFAULT_OUTPUT_LIMIT = 64 * 1024
MAX_OUTPUT_LIMIT = 10 * 1024 * 1024

TOOL_MARKER_MISSING = "tool_marker_missing"
TOOL_ROUTE_MISSING = "tool_route_missing"

_ROUTE_LINE = re.compile(r"^\s*_TRACKER_ROUTE=(.+?)\s*$")
_BYTE_SIZE = re.compile(r"^([+-]?\d+)\s*(KB|MB)?$", re.IGNORECASE)
_TRAILING_WS = " \t\n\r"
_TAIL_CHARS = 256
_TRUE = frozenset({"true", "1", "yes", "y", "on"})


# --------------------------------------------------------------------------- attributes


def parse_byte_size(text: str) -> int:
    """`123`, `64KB`, `10MB` (KiB/MiB multiples, case-insensitive) → bytes."""
    m = _BYTE_SIZE.match(text.strip())
    if m is None:
        raise ValueError(f"invalid byte size {_q(text)}")
    unit = (m.group(2) or "").upper()
    return int(m.group(1)) * {"": 1, "KB": 1024, "MB": 1024 * 1024}[unit]


def tool_timeout_ns(node: GraphNode) -> int:
    """The node's `timeout` (Go duration) or the 30s default; invalid or ≤0 raises."""
    raw = node.attrs.get("timeout", "").strip()
    if not raw:
        return DEFAULT_TIMEOUT_NS
    try:
        ns = parse_duration(raw)
    except ValueError as exc:
        raise HandlerError(f"node {_q(node.id)} has invalid timeout {_q(raw)}: {exc}") from None
    if ns <= 0:
        raise HandlerError(f"node {_q(node.id)} has non-positive timeout {_q(raw)}: must be > 0")
    return ns


def tool_output_limit(node: GraphNode, max_limit: int = 0) -> int:
    """Per-stream byte cap: node `output_limit` (0/absent = 64 KiB) clamped to the run's
    ceiling (`--max-output-limit`, 0 = 10 MiB)."""
    ceiling = max_limit if max_limit > 0 else MAX_OUTPUT_LIMIT
    raw = node.attrs.get("output_limit", "").strip()
    limit = DEFAULT_OUTPUT_LIMIT
    if raw:
        try:
            parsed = parse_byte_size(raw)
        except ValueError:
            raise HandlerError(f"node {_q(node.id)} has invalid output_limit {_q(raw)}") from None
        if parsed < 0:
            raise HandlerError(f"node {_q(node.id)} has negative output_limit {_q(raw)}")
        limit = parsed or DEFAULT_OUTPUT_LIMIT
    return min(limit, ceiling)


def _pattern_list(*sources: Any) -> list[str]:
    out: list[str] = []
    for source in sources:
        for item in tool_safety.parse_pattern_list(source):
            if item not in out:
                out.append(item)
    return out


def _workflow_setting(env: NodeEnv, key: str) -> tuple[str, str]:
    """A `defaults` safety key from this graph and, for child runs, the parent's (seeded
    into the context as `graph.<key>`)."""
    return env.graph.attrs.get(key, ""), env.context.get(f"graph.{key}")


# --------------------------------------------------------------------------- stdout channels


def _lines(text: str) -> list[str]:
    return [line.removesuffix("\r") for line in text.split("\n")]


def extract_marker(pattern: str, stdout: str) -> str | None:
    """`marker_grep`: the last stdout line the regex matches gives the marker — capture
    group 1 when the regex has groups, else the whole match. None when nothing matches;
    `re.error` for a bad regex. (Last, so progress output before the final marker line
    cannot steer routing.)"""
    regex = re.compile(pattern)
    found: re.Match[str] | None = None
    for line in _lines(stdout):
        m = regex.search(line)
        if m is not None:
            found = m
    if found is None:
        return None
    return (found.group(1) or "") if regex.groups else found.group(0)


def extract_route(stdout: str) -> str:
    """The value of the last `_TRACKER_ROUTE=<value>` line ("" when there is none)."""
    route = ""
    for line in _lines(stdout):
        m = _ROUTE_LINE.match(line)
        if m is not None:
            route = m.group(1)
    return route


def _tail(text: str) -> str:
    return text[-_TAIL_CHARS:]


# --------------------------------------------------------------------------- handler


def _with_truncation_note(text: str, dropped: int, limit: int) -> str:
    if not dropped:
        return text
    return f"[output truncated: {dropped} earlier bytes dropped, last {limit} bytes kept]\n{text}"


class ToolHandler:
    """Runs `tool_command` through `sh -c`; see the module docstring for the contract."""

    name = "tool"

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        # the parent environment the subprocess starts from (tests inject their own)
        self._environ = environ

    async def execute(self, node: GraphNode, env: NodeEnv) -> Outcome:
        command = self._command(node, env)
        timeout_ns = tool_timeout_ns(node)
        limit = tool_output_limit(node, env.config.max_output_limit)
        try:
            shell_line = tool_safety.apply_working_dir(
                node.id, command, node.attrs.get("working_dir", "").strip()
            )
        except tool_safety.ToolSafetyError as exc:
            raise HandlerError(str(exc)) from None
        result = await self._run(node, env, shell_line, timeout_ns, limit)
        outcome = self._outcome(node, env, result, timeout_ns, limit)
        node_dir = env.node_dir(node.id)
        if node_dir is not None:
            write_status_json(node_dir, outcome)
        return outcome

    # -- before running ----------------------------------------------------------------

    def _command(self, node: GraphNode, env: NodeEnv) -> str:
        raw = node.attrs.get("tool_command", "")
        if not raw.strip():
            raise HandlerError(f"node {_q(node.id)} missing required attribute 'tool_command'")
        try:
            command = expand(raw, env.context.snapshot(), tool_command=True)
        except InterpolationError as exc:
            raise HandlerError(
                f"node {_q(node.id)} tool_command variable expansion failed: {exc}"
            ) from None
        if not command.strip():
            raise HandlerError(
                f"node {_q(node.id)} tool_command expanded to empty — "
                "check that all ${...} references resolve"
            )
        cfg = env.config
        try:
            bypassed = tool_safety.check_tool_command(
                command,
                node.id,
                allowlist=_pattern_list(
                    cfg.tool_allowlist, *_workflow_setting(env, "tool_commands_allow")
                ),
                deny_extra=_pattern_list(
                    cfg.tool_denylist_add, *_workflow_setting(env, "tool_denylist_add")
                ),
                bypass_denylist=cfg.bypass_denylist,
            )
        except tool_safety.ToolSafetyError as exc:
            raise HandlerError(str(exc)) from None
        if bypassed is not None:
            env.event(
                WARNING,
                f"tool_command for node {_q(node.id)} matches denied pattern {_q(bypassed)}; "
                "running it because --bypass-denylist is active",
            )
        return command

    def _subprocess_env(self, env: NodeEnv) -> dict[str, str]:
        identity = {"TRACKER_WORKDIR": str(Path(env.workdir).resolve())}
        if env.run_dir is not None:
            identity["TRACKER_RUN_ID"] = env.run_id
            identity["TRACKER_RUN_DIR"] = str(Path(env.run_dir).resolve())
        environ = os.environ if self._environ is None else self._environ
        return tool_safety.tool_environment(environ, identity=identity)

    # -- running -----------------------------------------------------------------------

    async def _run(
        self, node: GraphNode, env: NodeEnv, shell_line: str, timeout_ns: int, limit: int
    ) -> ProcessResult:
        run = asyncio.ensure_future(
            run_shell(
                shell_line,
                cwd=env.workdir,
                env=self._subprocess_env(env),
                timeout=timeout_ns / SECOND,
                output_limit=limit,
            )
        )
        stop = asyncio.ensure_future(env.cancelled.wait())
        try:
            await asyncio.wait({run, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
            if not run.done():
                run.cancel()  # kills the process group
                with contextlib.suppress(asyncio.CancelledError):
                    await run
        if run.cancelled():
            raise HandlerError(f"tool command for node {_q(node.id)} cancelled")
        try:
            return run.result()
        except SpawnError as exc:
            raise HandlerError(f"tool command failed for node {_q(node.id)}: {exc}") from None

    # -- after running -----------------------------------------------------------------

    def _outcome(
        self, node: GraphNode, env: NodeEnv, result: ProcessResult, timeout_ns: int, limit: int
    ) -> Outcome:
        stdout_raw = result.stdout.rstrip(_TRAILING_WS)
        stderr_raw = result.stderr.rstrip(_TRAILING_WS)
        status, error = SUCCESS, ""
        if result.timed_out:
            status = FAIL
            error = f"command timed out after {format_duration_go(timeout_ns)}"
            stderr_raw = f"{stderr_raw}\n{error}" if stderr_raw else error
        elif result.exit_code != 0:
            status, error = FAIL, f"command exited with status {result.exit_code}"
        self._report_truncation(
            env, node, "stdout", result.stdout_dropped, result.stdout_total, limit
        )
        self._report_truncation(
            env, node, "stderr", result.stderr_dropped, result.stderr_total, limit
        )
        updates = {
            "tool_stdout": _with_truncation_note(stdout_raw, result.stdout_dropped, limit),
            "tool_stderr": _with_truncation_note(stderr_raw, result.stderr_dropped, limit),
        }

        pattern = node.attrs.get("marker_grep", "")
        if pattern:
            marker_fail = self._apply_marker(node, env, pattern, stdout_raw, updates)
            if marker_fail:
                status, error = FAIL, error or marker_fail

        route = extract_route(stdout_raw)
        updates["tool_route"] = route
        if not route and node.attrs.get("route_required", "").strip().lower() in _TRUE:
            msg = (
                f"tool node {_q(node.id)}: route_required is set but no _TRACKER_ROUTE= sentinel "
                "line was emitted to stdout — failing node to avoid silent fallback"
            )
            env.event(TOOL_ROUTE_MISSING, msg, content=_tail(stdout_raw))
            status, error = FAIL, error or msg

        ok, extras = apply_declared_writes(node, stdout_raw, updates)
        if not ok:
            status, error = FAIL, error or updates["writes_error"].split("\n", 1)[0]
        elif extras:
            updates["writes_warning"] = (
                f"node {_q(node.id)} produced extra JSON fields not declared in writes: "
                f"[{', '.join(extras)}]"
            )
            env.event(WARNING, updates["writes_warning"])
        return Outcome(status=status, context_updates=updates, error=error)

    def _apply_marker(
        self, node: GraphNode, env: NodeEnv, pattern: str, stdout: str, updates: dict[str, str]
    ) -> str:
        """Set `tool_marker` (and `tool_marker_error`); return a failure message or ""."""
        updates["tool_marker"] = ""
        updates["tool_marker_error"] = ""
        try:
            marker = extract_marker(pattern, stdout)
        except re.error as exc:
            updates["tool_marker_error"] = str(exc)
            msg = (
                f"tool node {_q(node.id)}: marker_grep regex {_q(pattern)} failed to compile: {exc}"
            )
            env.event(TOOL_MARKER_MISSING, msg, error=str(exc))
            return msg
        if marker is None:
            msg = (
                f"tool node {_q(node.id)}: marker_grep {_q(pattern)} matched nothing in captured "
                "stdout — failing node to avoid silent fallback"
            )
            env.event(TOOL_MARKER_MISSING, msg, content=_tail(stdout))
            return msg
        updates["tool_marker"] = marker
        return ""

    @staticmethod
    def _report_truncation(
        env: NodeEnv, node: GraphNode, stream: str, dropped: int, total: int, limit: int
    ) -> None:
        if dropped:
            env.event(
                TOOL_OUTPUT_TRUNCATED,
                f"tool node {_q(node.id)}: {stream} exceeded output_limit {limit} bytes; "
                f"kept the last {limit} of {total} bytes ({dropped} dropped)",
            )
