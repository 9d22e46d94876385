"""Subprocess running for tool nodes: tail caps, timeouts and process-group cleanup."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest
from tracker.handlers._process import TailBuffer, run_shell


def _run(command: str, cwd: Path, timeout: float = 10, limit: int = 65536):
    return asyncio.run(
        run_shell(command, cwd=cwd, env=dict(os.environ), timeout=timeout, output_limit=limit)
    )


def _gone(pid: int, within: float = 3.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        # a killed child of our shell may linger as a zombie until init reaps it
        try:
            with open(f"/proc/{pid}/stat") as fh:
                if fh.read().split(")")[-1].split()[0] == "Z":
                    return True
        except OSError:
            return True
        time.sleep(0.05)
    return False


def test_tail_buffer_keeps_the_end() -> None:
    buf = TailBuffer(5)
    for chunk in (b"abc", b"defg", b"hi"):
        buf.write(chunk)
    assert buf.text() == "efghi"
    assert (buf.total, buf.dropped, buf.truncated) == (9, 4, True)


def test_exit_code_and_both_streams(tmp_path: Path) -> None:
    res = _run("echo out; echo err >&2; exit 4", tmp_path)
    assert (res.exit_code, res.stdout, res.stderr, res.timed_out) == (4, "out\n", "err\n", False)


def test_runs_in_the_given_directory(tmp_path: Path) -> None:
    assert _run("pwd", tmp_path).stdout.strip() == str(tmp_path.resolve())


def test_output_is_capped_per_stream_keeping_the_tail(tmp_path: Path) -> None:
    res = _run("seq 1 1000; seq 1 10 >&2", tmp_path, limit=10)
    assert res.stdout == "\n999\n1000\n"
    assert res.stdout_dropped == res.stdout_total - 10
    assert res.stderr == "\n7\n8\n9\n10\n"


def test_timeout_kills_the_whole_group_and_keeps_partial_output(tmp_path: Path) -> None:
    start = time.monotonic()
    res = _run("sleep 30 & echo $! > bg.pid; echo started; wait", tmp_path, timeout=0.5)
    assert time.monotonic() - start < 10
    assert res.timed_out
    assert res.stdout == "started\n"
    assert _gone(int((tmp_path / "bg.pid").read_text()))


def test_background_jobs_are_reaped_when_the_shell_exits(tmp_path: Path) -> None:
    res = _run("sleep 30 > /dev/null 2>&1 & echo $! > bg.pid", tmp_path)
    assert res.exit_code == 0
    assert _gone(int((tmp_path / "bg.pid").read_text()))


def test_cancellation_kills_the_group(tmp_path: Path) -> None:
    async def scenario() -> None:
        task = asyncio.ensure_future(
            run_shell(
                "echo $$ > sh.pid; sleep 30",
                cwd=tmp_path,
                env=dict(os.environ),
                timeout=60,
                output_limit=100,
            )
        )
        for _ in range(100):
            if (tmp_path / "sh.pid").exists() and (tmp_path / "sh.pid").read_text().strip():
                break
            await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert _gone(int((tmp_path / "sh.pid").read_text()))
