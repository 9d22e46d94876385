"""`read`: a file's text, whole or a window of lines (spec agent-llm.md §6.2)."""

from __future__ import annotations

from typing import Any

from tracker.agent.confinement import ToolError
from tracker.agent.tools.base import Tool, ToolContext, optional_int, required_str, schema


def run(args: dict[str, Any], ctx: ToolContext) -> str:
    path = required_str(args, "path")
    offset = optional_int(args, "offset")
    limit = optional_int(args, "limit")
    if offset < 0:
        raise ToolError(f"offset must be >= 0, got {offset}")
    if limit < 0:
        raise ToolError(f"limit must be >= 0, got {limit}")
    text = ctx.workspace.read_text(path)
    if offset == 0 and limit == 0:
        return text
    lines = text.rstrip("\n").split("\n")
    total = len(lines)
    start = max(offset, 1)
    if start > total:
        raise ToolError(f"offset {start} is beyond end of file ({total} lines)")
    end = total if limit == 0 else min(start + limit - 1, total)
    body = "\n".join(lines[start - 1 : end])
    return f"[showing lines {start}-{end} of {total}]\n{body}"


TOOL = Tool(
    name="read",
    description=(
        "Read a text file in the working directory. Without offset and limit the whole "
        "file is returned verbatim; with them, a numbered window of lines."
    ),
    parameters=schema(
        {
            "path": {"type": "string", "description": "relative path of the file"},
            "offset": {"type": "integer", "description": "1-based start line, default 1"},
            "limit": {"type": "integer", "description": "max lines, default 0 = whole file"},
        },
        ["path"],
    ),
    run=run,
    kind="read_only",
)
