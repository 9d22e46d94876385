"""What a handler leaves behind besides its status, shared by the tool, human and agent
handlers: declared `writes:` parsed from a JSON answer (spec/engine.md §4.3) and the
`<run_dir>/<node>/status.json` artifact (§4).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from tracker.engine.handler import Outcome
from tracker.graph.model import GraphNode
from tracker.handlers.tool_safety import go_quote as _q


class _Num(float):
    """A JSON number that remembers how it was written (re-emitted verbatim)."""

    text: str

    def __new__(cls, text: str) -> _Num:
        obj = super().__new__(cls, text)
        obj.text = text
        return obj


def _compact(value: Any) -> str:
    """Compact JSON like Go's `json.Compact` of the raw value (numbers kept as written)."""
    if isinstance(value, _Num):
        return value.text
    if isinstance(value, dict):
        return (
            "{"
            + ",".join(
                f"{json.dumps(k, ensure_ascii=False)}:{_compact(v)}" for k, v in value.items()
            )
            + "}"
        )
    if isinstance(value, list):
        return "[" + ",".join(_compact(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _loads_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text, parse_float=_Num, parse_int=_Num)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _embedded_object(text: str) -> dict[str, Any] | None:
    """The last top-level JSON object inside surrounding text (log lines, fences)."""
    decoder = json.JSONDecoder(parse_float=_Num, parse_int=_Num)
    found: dict[str, Any] | None = None
    i = text.find("{")
    while i >= 0:
        try:
            value, end = decoder.raw_decode(text, i)
        except (ValueError, RecursionError):
            i = text.find("{", i + 1)
            continue
        if isinstance(value, dict):
            found = value
        i = text.find("{", end)
    return found


def declared_writes(node: GraphNode) -> list[str]:
    keys: list[str] = []
    for key in node.attrs.get("writes", "").split(","):
        key = key.strip()
        if key and key not in keys:
            keys.append(key)
    return keys


def apply_declared_writes(
    node: GraphNode, stdout: str, updates: dict[str, str]
) -> tuple[bool, list[str]]:
    """spec §4.3: stdout must hold one JSON object carrying every declared key.

    Adds the values to `updates` (strings verbatim, other JSON compact). Returns
    `(ok, extra_keys)`; on failure `updates["writes_error"]` says why.
    """
    writes = declared_writes(node)
    if not writes:
        return True, []
    obj = _loads_object(stdout.strip())
    if obj is None:
        obj = _embedded_object(stdout)
    if obj is None:
        reason = "tool stdout is not a JSON object"
    else:
        missing = [k for k in writes if k not in obj]
        if not missing:
            for key in writes:
                value = obj[key]
                updates[key] = value if isinstance(value, str) else _compact(value)
            return True, [k for k in obj if k not in writes]
        reason = f"JSON object is missing declared key(s): {', '.join(missing)}"
    preview = stdout if len(stdout) <= 512 else stdout[:512] + f"… ({len(stdout)} bytes total)"
    updates["writes_error"] = (
        f"node {_q(node.id)} declared writes: [{', '.join(writes)}]\n{reason}\nRaw output: {preview}"
    )
    return False, []


# --------------------------------------------------------------------------- artifacts


def write_status_json(node_dir: Path, outcome: Outcome) -> None:
    """`<run_dir>/<node>/status.json` (2-space indent, empty fields omitted), atomically."""
    doc: dict[str, Any] = {"outcome": outcome.status}
    if outcome.preferred_label:
        doc["preferred_next_label"] = outcome.preferred_label
    if outcome.suggested_next_nodes:
        doc["suggested_next_ids"] = list(outcome.suggested_next_nodes)
    if outcome.context_updates:
        doc["context_updates"] = dict(outcome.context_updates)
    node_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".status.", suffix=".tmp", dir=node_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        os.replace(tmp, node_dir / "status.json")
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
