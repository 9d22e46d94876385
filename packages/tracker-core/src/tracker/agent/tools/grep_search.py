"""`grep_search`: regex search over the working directory (spec agent-llm.md §6.2).

Python's `re` stands in for Go's RE2 (a few constructs differ). Directories that are
hidden or hold build output / dependencies are skipped, as are binary file types, and
files that resolve outside the working directory through a symlink.
"""

from __future__ import annotations

import os
import re
from typing import Any

from tracker.agent.confinement import ToolError
from tracker.agent.tools.base import (
    Tool,
    ToolContext,
    optional_int,
    optional_str,
    required_str,
    schema,
)

MAX_MATCHES = 100
SKIP_DIRS = frozenset({"__pycache__", "build", "dist", "node_modules", "venv"})
BINARY_EXTENSIONS = frozenset(
    ".exe .bin .so .dylib .dll .o .a .obj .png .jpg .jpeg .gif .bmp .ico .zip .tar .gz "
    ".bz2 .xz .7z .pdf .wasm".split()
)


def _skip_dir(name: str) -> bool:
    return name.startswith(".") or name in SKIP_DIRS or name.endswith(".egg-info")


def _files(start: str, ctx: ToolContext) -> list[str]:
    if os.path.isfile(start):
        return [start]
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(start):
        dirnames[:] = sorted(d for d in dirnames if not _skip_dir(d))
        for name in sorted(filenames):
            if os.path.splitext(name)[1].lower() in BINARY_EXTENSIONS:
                continue
            full = os.path.join(dirpath, name)
            if ctx.workspace.is_inside(os.path.realpath(full)):
                found.append(full)
    return found


def _groups(hits: list[int], context: int, count: int) -> list[tuple[int, int]]:
    """Merge each hit's [line-context, line+context] window into disjoint ranges."""
    ranges: list[tuple[int, int]] = []
    for hit in hits:
        lo, hi = max(0, hit - context), min(count - 1, hit + context)
        if ranges and lo <= ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], max(ranges[-1][1], hi))
        else:
            ranges.append((lo, hi))
    return ranges


def run(args: dict[str, Any], ctx: ToolContext) -> str:
    pattern = required_str(args, "pattern")
    path = optional_str(args, "path", ".") or "."
    context = max(0, optional_int(args, "context_lines"))
    try:
        regex = re.compile(pattern)
    except re.error as exc:
        raise ToolError(f"invalid regex: {exc}") from exc
    start = ctx.workspace.walk_root(path)
    if not os.path.exists(start):
        raise ToolError(f"path not found: {path}")
    out: list[str] = []
    shown = total = 0
    for file in _files(start, ctx):
        try:
            with open(file, encoding="utf-8", errors="replace") as handle:
                lines = handle.read().split("\n")
        except OSError:
            continue
        hits = [i for i, line in enumerate(lines) if regex.search(line)]
        if not hits:
            continue
        total += len(hits)
        if shown >= MAX_MATCHES:
            continue
        hits = hits[: MAX_MATCHES - shown]
        shown += len(hits)
        rel = ctx.workspace.relative(os.path.realpath(file))
        hit_set = set(hits)
        for lo, hi in _groups(hits, context, len(lines)):
            if context and out:
                out.append("--")
            for n in range(lo, hi + 1):
                sep = ":" if n in hit_set else "-"
                out.append(f"{rel}{sep}{n + 1}{sep}{lines[n]}")
    if not out:
        return f'no matches for pattern "{pattern}"'
    text = "\n".join(out)
    if total > shown:
        text += f"\n\n(showing first {shown} of {total} total matches — narrow your search pattern)"
    return text


TOOL = Tool(
    name="grep_search",
    description=(
        "Search file contents with a regular expression. Prints path:line:text for each "
        "match (at most 100), optionally with context lines."
    ),
    parameters=schema(
        {
            "pattern": {"type": "string", "description": "regular expression"},
            "path": {"type": "string", "description": "file or dir, default '.'"},
            "context_lines": {"type": "integer", "description": "lines before/after, default 0"},
        },
        ["pattern"],
    ),
    run=run,
    kind="read_only",
)
