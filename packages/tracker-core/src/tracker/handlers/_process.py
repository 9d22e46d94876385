"""Running one shell command for a tool node (spec/engine.md §4.4).

The command runs as `sh -c <command>` in its own process group so that a timeout or a
cancelled run can kill everything it started (pipelines, background jobs), not just the
shell. Each output stream keeps only its last `limit` bytes: the end of the output is
where routing markers and `_TRACKER_ROUTE=` lines live, and memory stays bounded however
chatty the command is.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

#: how long to keep reading pipes after the shell is gone, for output still buffered or
#: held open by a process that left the group
PIPE_DRAIN_SECONDS = 5.0
_CHUNK = 65536


class TailBuffer:
    """Keeps the last `limit` bytes written and counts what was dropped from the head."""

    def __init__(self, limit: int) -> None:
        self.limit = max(0, limit)
        self.total = 0
        self._buf = bytearray()

    def write(self, data: bytes) -> None:
        self.total += len(data)
        if self.limit == 0:
            return
        self._buf += data
        excess = len(self._buf) - self.limit
        if excess > 0:
            del self._buf[:excess]

    @property
    def dropped(self) -> int:
        return max(0, self.total - self.limit)

    @property
    def truncated(self) -> bool:
        return self.total > self.limit

    def text(self) -> str:
        # a head cut can split a multi-byte character; replace rather than fail
        return bytes(self._buf).decode("utf-8", errors="replace")


@dataclass
class ProcessResult:
    """What a finished (or killed) command produced."""

    exit_code: int
    stdout: str
    stderr: str
    timed_out: bool = False
    stdout_dropped: int = 0
    stderr_dropped: int = 0
    stdout_total: int = 0
    stderr_total: int = 0


class SpawnError(Exception):
    """The shell itself could not be started (missing `sh`, bad working directory)."""


def _kill_group(pid: int) -> None:
    """SIGKILL the whole process group led by `pid`; quiet if it is already gone."""
    with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
        os.killpg(pid, signal.SIGKILL)


async def _pump(stream: asyncio.StreamReader | None, sink: TailBuffer) -> None:
    if stream is None:
        return
    while True:
        chunk = await stream.read(_CHUNK)
        if not chunk:
            return
        sink.write(chunk)


async def _drain(readers: list[asyncio.Task[None]], seconds: float) -> None:
    """Let the readers finish; cancel any still blocked after `seconds`."""
    _, pending = await asyncio.wait(readers, timeout=seconds)
    for task in pending:
        task.cancel()
    for task in pending:
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def run_shell(
    command: str,
    *,
    cwd: str | Path,
    env: Mapping[str, str],
    timeout: float,
    output_limit: int,
    drain_seconds: float = PIPE_DRAIN_SECONDS,
) -> ProcessResult:
    """Run `sh -c command`, capped per stream at `output_limit` bytes.

    A timeout kills the process group and returns what was captured with
    `timed_out=True`; cancellation kills the group and re-raises. Background processes
    left in the group when the shell exits are killed too.
    """
    try:
        proc = await asyncio.create_subprocess_exec(
            "sh",
            "-c",
            command,
            cwd=str(cwd),
            env=dict(env),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        raise SpawnError(str(exc)) from exc

    out, err = TailBuffer(output_limit), TailBuffer(output_limit)
    readers = [
        asyncio.ensure_future(_pump(proc.stdout, out)),
        asyncio.ensure_future(_pump(proc.stderr, err)),
    ]
    timed_out = False
    try:
        try:
            await asyncio.wait_for(proc.wait(), timeout)
        except TimeoutError:
            timed_out = True
            _kill_group(proc.pid)
            await proc.wait()
        _kill_group(proc.pid)
        await _drain(readers, drain_seconds)
    except BaseException:
        _kill_group(proc.pid)
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        for task in readers:
            task.cancel()
        # reap the shell and close its pipes before the caller's loop may go away
        with contextlib.suppress(Exception):
            await asyncio.wait_for(proc.wait(), drain_seconds)
        await asyncio.gather(*readers, return_exceptions=True)
        raise

    return ProcessResult(
        exit_code=proc.returncode if proc.returncode is not None else -1,
        stdout=out.text(),
        stderr=err.text(),
        timed_out=timed_out,
        stdout_dropped=out.dropped,
        stderr_dropped=err.dropped,
        stdout_total=out.total,
        stderr_total=err.total,
    )
