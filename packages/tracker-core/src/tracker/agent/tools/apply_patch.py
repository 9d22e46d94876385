"""`apply_patch`: add, delete, update and move files with one patch in the Codex "v4a"
envelope (spec agent-llm.md §6.2). Operations apply in order and are not
transactional, like the reference: earlier files stay changed when a later one fails.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tracker.agent.confinement import ToolError
from tracker.agent.tools.base import Tool, ToolContext, required_str, schema

BEGIN, END = "*** Begin Patch", "*** End Patch"
ADD, DELETE, UPDATE, MOVE = (
    "*** Add File: ",
    "*** Delete File: ",
    "*** Update File: ",
    "*** Move to: ",
)
END_OF_FILE = "*** End of File"


@dataclass
class Hunk:
    old: list[str] = field(default_factory=list)
    new: list[str] = field(default_factory=list)
    end_of_file: bool = False


@dataclass
class Operation:
    action: str  # add | delete | update
    path: str
    content: str = ""
    move_to: str = ""
    hunks: list[Hunk] = field(default_factory=list)


def parse_patch(patch: str) -> list[Operation]:
    lines = patch.strip().replace("\r\n", "\n").split("\n")
    if not lines or lines[0].rstrip() != BEGIN:
        raise ToolError(f"patch must begin with {BEGIN}")
    try:
        end = next(i for i, line in enumerate(lines) if line.rstrip() == END)
    except StopIteration:
        raise ToolError(f"patch is missing {END}") from None
    body = lines[1:end]
    ops: list[Operation] = []
    i = 0
    while i < len(body):
        line = body[i]
        if line.startswith(ADD):
            op = Operation("add", line[len(ADD) :].strip())
            i += 1
            added: list[str] = []
            while i < len(body) and not body[i].startswith("*** "):
                if not body[i].startswith("+"):
                    raise ToolError(
                        f'add file {op.path}: line does not start with "+": "{body[i]}"'
                    )
                added.append(body[i][1:])
                i += 1
            op.content = "".join(f"{a}\n" for a in added)
            ops.append(op)
        elif line.startswith(DELETE):
            ops.append(Operation("delete", line[len(DELETE) :].strip()))
            i += 1
        elif line.startswith(UPDATE):
            op = Operation("update", line[len(UPDATE) :].strip())
            i += 1
            if i < len(body) and body[i].startswith(MOVE):
                op.move_to = body[i][len(MOVE) :].strip()
                i += 1
            i = _parse_hunks(body, i, op)
            ops.append(op)
        else:
            raise ToolError(f'unexpected patch line "{line}"')
    return ops


def _parse_hunks(body: list[str], i: int, op: Operation) -> int:
    while i < len(body) and body[i].startswith("@@"):
        hunk = Hunk()
        i += 1
        while i < len(body) and not body[i].startswith("@@"):
            line = body[i]
            if line.rstrip() == END_OF_FILE:
                hunk.end_of_file = True
                i += 1
                break
            if line.startswith("*** "):
                break
            if line == "":
                raise ToolError(f"update {op.path}: empty patch line in hunk")
            marker, text = line[0], line[1:]
            if marker == " ":
                hunk.old.append(text)
                hunk.new.append(text)
            elif marker == "-":
                hunk.old.append(text)
            elif marker == "+":
                hunk.new.append(text)
            else:
                raise ToolError(f'update {op.path}: unexpected patch line "{line}"')
            i += 1
        op.hunks.append(hunk)
    if not op.hunks:
        raise ToolError(f"update {op.path}: needs at least one @@ hunk")
    return i


def _apply_hunk(content: str, hunk: Hunk, path: str) -> str:
    suffix = "" if hunk.end_of_file else "\n"
    old = "\n".join(hunk.old) + suffix
    new = "\n".join(hunk.new) + suffix
    if old in content:
        return content.replace(old, new, 1)
    old_trim, new_trim = old.removesuffix("\n"), new.removesuffix("\n")
    if old_trim in content:
        return content.replace(old_trim, new_trim, 1)
    raise ToolError(f"update {path}: hunk did not match target content")


def run(args: dict[str, Any], ctx: ToolContext) -> str:
    patch = required_str(args, "patch")
    workspace = ctx.workspace
    ops = parse_patch(patch)
    for op in ops:
        if op.action == "add":
            workspace.write_text(op.path, op.content)
        elif op.action == "delete":
            workspace.delete(op.path)
        else:
            content = workspace.read_text(op.path)
            for hunk in op.hunks:
                content = _apply_hunk(content, hunk, op.path)
            if op.move_to:
                workspace.write_text(op.move_to, content)
                workspace.delete(op.path)
            else:
                workspace.write_text(op.path, content)
    return f"applied patch ({len(ops)} file(s) changed)"


TOOL = Tool(
    name="apply_patch",
    description=(
        "Apply a patch that adds, deletes, updates or moves files. Format:\n"
        "*** Begin Patch\n"
        "*** Add File: path/new.py      (each following line starts with +)\n"
        "*** Delete File: path/old.py\n"
        "*** Update File: path/file.py\n"
        "*** Move to: path/renamed.py   (optional, right after Update File)\n"
        "@@ optional context\n"
        " unchanged line\n"
        "-removed line\n"
        "+added line\n"
        "*** End of File                (optional: the hunk ends the file)\n"
        "*** End Patch\n"
        "Each hunk's context and removed lines must match the file exactly."
    ),
    parameters=schema(
        {
            "patch": {
                "type": "string",
                "description": "the patch text, *** Begin Patch to *** End Patch",
            }
        },
        ["patch"],
    ),
    run=run,
)
