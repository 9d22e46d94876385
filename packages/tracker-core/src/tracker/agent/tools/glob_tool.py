"""`glob`: list files matching a pattern (spec agent-llm.md §6.2).

Single-level matching, like the reference: `*` does not cross directories and `**` is
not recursive. Matches that resolve outside the working directory are refused.
"""

from __future__ import annotations

import glob as globlib
import os
from typing import Any

from tracker.agent.confinement import ConfinementError, ToolError
from tracker.agent.tools.base import Tool, ToolContext, required_str, schema


def run(args: dict[str, Any], ctx: ToolContext) -> str:
    pattern = required_str(args, "pattern")
    workspace = ctx.workspace
    if os.path.isabs(pattern) or pattern.startswith("~"):
        raise ConfinementError(f"absolute paths not allowed: {pattern} (use a relative pattern)")
    joined = os.path.normpath(os.path.join(workspace.root, pattern))
    if joined != workspace.root and not joined.startswith(workspace.root.rstrip(os.sep) + os.sep):
        raise ConfinementError(f"path escapes working directory: {pattern}")
    found: set[str] = set()
    refused: list[str] = []
    for match in globlib.glob(joined, recursive=False, include_hidden=True):
        rel = os.path.relpath(match, workspace.root).replace(os.sep, "/")
        if workspace.is_inside(os.path.realpath(match)):
            found.add(rel)
        else:
            refused.append(rel)
    if found:
        return "\n".join(sorted(found))
    if refused:
        raise ToolError(
            f'no matches inside the working directory for pattern "{pattern}" '
            f"({len(refused)} match(es) resolve through symlinks outside it and were refused: "
            f"{', '.join(sorted(refused)[:5])})"
        )
    return f'no matches for pattern "{pattern}"'


TOOL = Tool(
    name="glob",
    description=(
        "List files in the working directory matching a glob pattern such as 'src/*.py' "
        "(relative paths, one per line, sorted). '*' matches within one directory level."
    ),
    parameters=schema(
        {
            "pattern": {
                "type": "string",
                "description": "glob pattern relative to the working directory",
            }
        },
        ["pattern"],
    ),
    run=run,
    kind="read_only",
)
