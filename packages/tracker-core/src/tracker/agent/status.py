"""`STATUS:` line parsing for nodes with `auto_status` (engine.md §4.2).

The model ends its answer with `STATUS: success|fail|retry`; the last such line wins,
and lines inside ``` fences are ignored (they are usually quoted examples or logs).
"""

from __future__ import annotations

import re

STATUSES = ("success", "fail", "retry")

_STATUS_LINE = re.compile(
    r"^\s*(?:[*_>#-]+\s*)*status\s*[*_]*\s*:\s*[*_`]*\s*(success|fail|retry)\b",
    re.IGNORECASE,
)


def parse_status(text: str) -> str | None:
    """The status named by the last `STATUS:` line outside code fences, or None."""
    found: str | None = None
    in_fence = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        match = _STATUS_LINE.match(line)
        if match:
            found = match.group(1).lower()
    return found
