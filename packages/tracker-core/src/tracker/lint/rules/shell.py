"""Tool-command checks: shell syntax (DIP123) and a first program missing from PATH
(DIP125). Both use the in-process scanner in `shellscan`; no subprocess is spawned."""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Iterator

from tracker.dippin.ir import ToolConfig
from tracker.lint.context import LintContext
from tracker.lint.diagnostic import Diagnostic

from ._base import q, rule
from .shellscan import first_program, scan_shell

W, H = "warning", "hint"


@rule("DIP123", W, "tool command has a shell syntax error")
def dip123(ctx: LintContext) -> Iterator[Diagnostic]:
    for node in ctx.workflow.nodes:
        cfg = node.config
        if not isinstance(cfg, ToolConfig) or not cfg.command.strip():
            continue
        err = scan_shell(cfg.command).error
        if err:
            yield ctx.diag(
                "DIP123",
                W,
                f"tool {q(node.id)}: command has a shell syntax error: {err}",
                at=node.source,
                help="check quotes and if/fi, do/done, case/esac pairs (`bash -n` shows the same)",
            )


@functools.lru_cache(maxsize=4096)
def _on_path(program: str, path_env: str) -> bool:
    return shutil.which(program, path=path_env) is not None


@rule("DIP125", H, "tool's first program is not on PATH")
def dip125(ctx: LintContext) -> Iterator[Diagnostic]:
    path_env = os.environ.get("PATH", os.defpath)
    for node in ctx.workflow.nodes:
        cfg = node.config
        if not isinstance(cfg, ToolConfig) or not cfg.command.strip():
            continue
        program = first_program(cfg.command)
        # a path-qualified program depends on the run's working directory: not knowable here
        if not program or "/" in program or _on_path(program, path_env):
            continue
        yield ctx.diag(
            "DIP125",
            H,
            f"tool {q(node.id)} runs {q(program)}, which is not on this machine's PATH",
            at=node.source,
            help="install it where the workflow runs, or ignore this if it runs elsewhere",
        )
