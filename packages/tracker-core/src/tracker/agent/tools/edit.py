"""`edit`: replace one exact, unique piece of a file (spec agent-llm.md §6.2)."""

from __future__ import annotations

from typing import Any

from tracker.agent.confinement import ToolError
from tracker.agent.tools.base import Tool, ToolContext, required_str, schema

_CONTEXT = 5  # lines shown either side of the best guess when old_string is not found


def _closest(text: str, old: str) -> str:
    """Numbered lines around where `old` probably was, to help the model re-aim."""
    lines = text.split("\n")
    needle = next((ln.strip() for ln in old.split("\n") if ln.strip()), "")
    hit = next((i for i, ln in enumerate(lines) if needle and needle in ln), None)
    if hit is None:
        start, end = 0, min(len(lines), 20)
    else:
        start, end = max(0, hit - _CONTEXT), min(len(lines), hit + _CONTEXT + 1)
    return "\n".join(f"{n + 1:4d}: {lines[n]}" for n in range(start, end))


def run(args: dict[str, Any], ctx: ToolContext) -> str:
    path = required_str(args, "path")
    old = required_str(args, "old_string", allow_empty=True)
    new = required_str(args, "new_string", allow_empty=True)
    workspace = ctx.workspace
    if old == "":
        if workspace.exists(path):
            raise ToolError(
                f"old_string is empty but {path} already exists; provide the text to replace"
            )
        workspace.write_text(path, new)
        return f"created {path}"
    text = workspace.read_text(path)
    count = text.count(old)
    if count == 0:
        raise ToolError(
            f"old_string not found in {path}\n\nClosest content near expected location:\n"
            f"{_closest(text, old)}\n\nRead the file again and copy the exact text to replace."
        )
    if count > 1:
        raise ToolError(f"old_string found {count} times in {path} (must be unique)")
    workspace.write_text(path, text.replace(old, new, 1))
    return f"edited {path}"


TOOL = Tool(
    name="edit",
    description=(
        "Replace exactly one occurrence of old_string with new_string in a file. "
        "old_string must match the file byte for byte and be unique; an empty "
        "old_string creates a new file."
    ),
    parameters=schema(
        {
            "path": {"type": "string", "description": "relative path of the file"},
            "old_string": {"type": "string", "description": "exact text to replace"},
            "new_string": {"type": "string", "description": "replacement text"},
        },
        ["path", "old_string", "new_string"],
    ),
    run=run,
)
