"""`write`: create or overwrite a file (spec agent-llm.md §6.2)."""

from __future__ import annotations

from typing import Any

from tracker.agent.tools.base import Tool, ToolContext, required_str, schema


def run(args: dict[str, Any], ctx: ToolContext) -> str:
    path = required_str(args, "path")
    content = required_str(args, "content", allow_empty=True)
    ctx.workspace.write_text(path, content)
    return f"wrote {len(content.encode('utf-8'))} bytes to {path}"


TOOL = Tool(
    name="write",
    description=(
        "Write a whole file in the working directory, creating parent directories. "
        "Overwrites an existing file; prefer edit or apply_patch for small changes."
    ),
    parameters=schema(
        {
            "path": {"type": "string", "description": "relative path of the file"},
            "content": {"type": "string", "description": "the complete new file content"},
        },
        ["path", "content"],
    ),
    run=run,
)
