"""What every agent tool shares: its definition, its context and argument parsing.

A tool is a small object with a `name`, a `description`, a JSON-schema `parameters`, a
`kind` (read-only tools may be cached and run concurrently, mutating ones clear the
cache) and `run(args, ctx)`, which returns text or raises `ToolError`. `run` may be a
plain function (file tools: no event-loop hop) or a coroutine function (bash).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from tracker.agent.confinement import ToolError, Workspace
from tracker.llm.types import ToolDefinition

ToolKind = Literal["read_only", "mutating"]
RunResult = str | Awaitable[str]


@dataclass
class ToolContext:
    """Per-session state the tools need: the confined workspace and bash's settings."""

    workspace: Workspace
    command_timeout: float = 10.0
    max_command_timeout: float = 600.0
    denylist_add: list[str] = field(default_factory=list)
    bypass_denylist: bool = False


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    parameters: dict[str, Any]
    run: Callable[[dict[str, Any], ToolContext], RunResult]
    kind: ToolKind = "mutating"

    def definition(self) -> ToolDefinition:
        return ToolDefinition(
            name=self.name, description=self.description, parameters=self.parameters
        )


def parse_arguments(raw: str) -> dict[str, Any]:
    """The call's JSON arguments as a dict, or ToolError `invalid input: <reason>`."""
    try:
        value = json.loads(raw or "{}")
    except ValueError as exc:
        raise ToolError(f"invalid input: {exc}") from exc
    if not isinstance(value, dict):
        raise ToolError("invalid input: arguments must be a JSON object")
    return value


def required_str(args: Mapping[str, Any], key: str, *, allow_empty: bool = False) -> str:
    value = args.get(key)
    if value is None or (value == "" and not allow_empty):
        raise ToolError(f"{key} is required")
    if not isinstance(value, str):
        raise ToolError(f"invalid input: {key} must be a string")
    return value


def optional_int(args: Mapping[str, Any], key: str, default: int = 0) -> int:
    value = args.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ToolError(f"invalid input: {key} must be an integer")
    return int(value)


def optional_str(args: Mapping[str, Any], key: str, default: str = "") -> str:
    value = args.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise ToolError(f"invalid input: {key} must be a string")
    return value


def schema(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required}
