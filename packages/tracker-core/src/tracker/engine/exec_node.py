"""Building the node a handler actually runs: its handler name and its attributes with
`${…}` expanded. The engine's steps and the parallel handler's branches share this, so a
branch behaves exactly like a step."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tracker.engine.interpolate import ATTR_NAMESPACES, expand
from tracker.graph.model import GraphNode

#: attributes the handler expands itself, at run time (tool commands use all namespaces)
LATE_EXPANDED = frozenset({"tool_command"})


def handler_name(node: GraphNode, handlers: Mapping[str, Any]) -> str:
    """The node's handler, else the first registered handler serving its shape, else
    `codergen` (the reference's default for unknown shapes)."""
    if node.handler:
        return node.handler
    for name, spec in handlers.items():
        if node.shape and node.shape in spec.shapes:
            return name
    return "codergen"


def expand_node(node: GraphNode, attrs: Mapping[str, str], values: Mapping[str, str]) -> GraphNode:
    """`node` with `attrs` expanded in one pass: `${graph.*}`/`${params.*}` everywhere,
    `${ctx.*}` too in the prompt; `tool_command` is left for the tool handler."""
    out: dict[str, str] = {}
    for key, value in attrs.items():
        if key == "prompt":
            out[key] = expand(
                value, values, namespaces=("ctx", *ATTR_NAMESPACES), fence_tool_output=True
            )
        elif key in LATE_EXPANDED:
            out[key] = value
        else:
            out[key] = expand(value, values, namespaces=ATTR_NAMESPACES)
    label = expand(node.label, values, namespaces=ATTR_NAMESPACES)
    return node.model_copy(update={"attrs": out, "label": label})
