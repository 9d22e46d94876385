"""`terminal/*` requests: commands the agent asks the client to run.

Each terminal is a subprocess in its own process group, inside the working directory,
with stdout and stderr merged and only the last `outputByteLimit` bytes kept. Commands
pass the same denylist as the agent's `bash` tool and tool nodes, because an ACP agent
is as unattended as tracker's own. Every terminal still alive when the session ends is
killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import signal
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tracker.agent.denylist import CommandDenied, check_command

from tracker_acp.fs import confine
from tracker_acp.rpc import INVALID_PARAMS, RpcError

DEFAULT_OUTPUT_LIMIT = 1024 * 1024
_SHELLS = {"sh", "bash", "zsh", "dash"}


def command_text(command: str, args: Sequence[str]) -> list[str]:
    """The texts the denylist checks: the whole command line, and a shell's `-c` script."""
    texts = [shlex.join([command, *args]) if args else command]
    if os.path.basename(command) in _SHELLS:
        for i, arg in enumerate(args[:-1]):
            if arg.startswith("-") and "c" in arg[1:]:
                texts.append(args[i + 1])
    return texts


class Terminal:
    """One running (or finished) command and the tail of its output."""

    def __init__(self, proc: asyncio.subprocess.Process, limit: int) -> None:
        self.proc = proc
        self.limit = limit
        self._buf = bytearray()
        self.truncated = False
        self._pump = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        while True:
            chunk = await self.proc.stdout.read(65536)
            if not chunk:
                return
            self._buf += chunk
            excess = len(self._buf) - self.limit
            if excess > 0:
                del self._buf[:excess]
                self.truncated = True

    def output(self) -> str:
        text = bytes(self._buf).decode("utf-8", errors="replace")
        # a cut at the head may split a character: drop the replacement it leaves
        return text.lstrip("\ufffd") if self.truncated else text

    def exit_status(self) -> dict[str, Any] | None:
        code = self.proc.returncode
        if code is None:
            return None
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = str(-code)
            return {"exitCode": None, "signal": name}
        return {"exitCode": code, "signal": None}

    async def wait(self) -> dict[str, Any]:
        await self.proc.wait()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(self._pump), 5.0)
        status = self.exit_status()
        assert status is not None
        return status

    def kill(self) -> None:
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)


class Terminals:
    """The terminals of one ACP session."""

    def __init__(
        self,
        root: Path,
        environ: dict[str, str],
        deny_extra: Sequence[str] = (),
        bypass_denylist: bool = False,
    ) -> None:
        self.root = root
        self.environ = environ
        self.deny_extra = list(deny_extra)
        self.bypass = bypass_denylist
        self._terms: dict[str, Terminal] = {}

    def _get(self, params: dict[str, Any]) -> Terminal:
        term = self._terms.get(str(params.get("terminalId", "")))
        if term is None:
            raise RpcError(INVALID_PARAMS, f"unknown terminal {params.get('terminalId')!r}")
        return term

    async def create(self, params: dict[str, Any]) -> dict[str, Any]:
        command = params.get("command")
        args = params.get("args") or []
        if not isinstance(command, str) or not command.strip():
            raise RpcError(INVALID_PARAMS, "command is required")
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            raise RpcError(INVALID_PARAMS, "args must be a list of strings")
        try:
            for text in command_text(command, args):
                check_command(text, self.deny_extra, self.bypass)
        except CommandDenied as exc:
            raise RpcError(INVALID_PARAMS, str(exc)) from None
        cwd = confine(params["cwd"], self.root) if params.get("cwd") else self.root
        env = dict(self.environ)
        for var in params.get("env") or []:
            if isinstance(var, dict) and isinstance(var.get("name"), str):
                env[var["name"]] = str(var.get("value", ""))
        limit = params.get("outputByteLimit")
        limit = limit if isinstance(limit, int) and limit >= 0 else DEFAULT_OUTPUT_LIMIT
        argv = [command, *args] if args else ["sh", "-c", command]
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                cwd=str(cwd),
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            raise RpcError(INVALID_PARAMS, f"cannot run {command}: {exc.strerror or exc}") from exc
        terminal_id = f"term-{proc.pid}"
        self._terms[terminal_id] = Terminal(proc, limit)
        return {"terminalId": terminal_id}

    async def output(self, params: dict[str, Any]) -> dict[str, Any]:
        term = self._get(params)
        reply: dict[str, Any] = {"output": term.output(), "truncated": term.truncated}
        status = term.exit_status()
        if status is not None:
            reply["exitStatus"] = status
        return reply

    async def wait_for_exit(self, params: dict[str, Any]) -> dict[str, Any]:
        return await self._get(params).wait()

    async def kill(self, params: dict[str, Any]) -> dict[str, Any]:
        self._get(params).kill()
        return {}

    async def release(self, params: dict[str, Any]) -> dict[str, Any]:
        term = self._get(params)
        term.kill()
        del self._terms[str(params.get("terminalId"))]
        return {}

    async def close(self) -> None:
        """Kill every terminal still running."""
        for term in self._terms.values():
            term.kill()
        for term in self._terms.values():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(term.proc.wait(), 5.0)
        self._terms.clear()
