"""`bash`: run a shell command in the working directory (spec agent-llm.md §6.2).

The command runs with `sh -c` in its own process group, so a timeout, a cancellation or
a normal exit can kill everything it started (no stray background processes). Only its
working directory is confined; commands matching the denylist are refused. A non-zero
exit is a normal result the model should read; a timeout is an error that keeps the
partial output (the reference lost it).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from typing import Any

from tracker.agent.confinement import ToolError
from tracker.agent.denylist import CommandDenied, check_command
from tracker.agent.tools.base import Tool, ToolContext, required_str, schema

PIPE_GRACE = 5.0  # seconds to wait for pipes after the process group is gone


def _timeout(args: dict[str, Any], ctx: ToolContext) -> float:
    value = args.get("timeout")
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return min(float(value), ctx.max_command_timeout)
    return ctx.command_timeout


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


async def _drain(stream: asyncio.StreamReader | None, sink: bytearray) -> None:
    if stream is None:
        return
    while chunk := await stream.read(65536):
        sink.extend(chunk)


def _format(stdout: bytes, stderr: bytes, code: int | None) -> str:
    out = stdout.decode("utf-8", errors="replace")
    err = stderr.decode("utf-8", errors="replace")
    text = out
    if err:
        text += ("\n" if text and not text.endswith("\n") else "") + f"stderr: {err}"
    if code:
        text += ("\n" if text and not text.endswith("\n") else "") + f"exit code: {code}"
    return text or "(no output)"


def _duration(seconds: float) -> str:
    return f"{seconds:g}s" if seconds < 60 else f"{seconds / 60:g}m"


async def run(args: dict[str, Any], ctx: ToolContext) -> str:
    command = required_str(args, "command")
    try:
        check_command(command, ctx.denylist_add, ctx.bypass_denylist)
    except CommandDenied as exc:
        raise ToolError(str(exc)) from exc
    timeout = _timeout(args, ctx)
    proc = await asyncio.create_subprocess_exec(
        "sh",
        "-c",
        command,
        cwd=ctx.workspace.real_root,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    stdout, stderr = bytearray(), bytearray()
    readers = asyncio.gather(_drain(proc.stdout, stdout), _drain(proc.stderr, stderr))
    timed_out = False
    try:
        await asyncio.wait_for(proc.wait(), timeout)
    except TimeoutError:
        timed_out = True
    finally:
        _kill_group(proc.pid)  # also reaps background children after a normal exit
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
        try:
            await asyncio.wait_for(asyncio.shield(readers), PIPE_GRACE)
        except (TimeoutError, asyncio.CancelledError):
            readers.cancel()
        if proc.returncode is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proc.wait(), PIPE_GRACE)
    if timed_out:
        partial = _format(bytes(stdout), bytes(stderr), None)
        message = f"command timed out after {_duration(timeout)}"
        if partial != "(no output)":
            message += f"\npartial output:\n{partial}"
        raise ToolError(message)
    return _format(bytes(stdout), bytes(stderr), proc.returncode)


TOOL = Tool(
    name="bash",
    description=(
        "Run a shell command (sh -c) in the working directory and return stdout, stderr "
        "and the exit code. Default timeout 10 s; pass timeout (seconds) for longer "
        "commands. Commands using eval/exec/source or piping into a shell are refused."
    ),
    parameters=schema(
        {
            "command": {"type": "string", "description": "the shell command to run"},
            "timeout": {"type": "number", "description": "timeout in seconds (optional)"},
        },
        ["command"],
    ),
    run=run,
)
