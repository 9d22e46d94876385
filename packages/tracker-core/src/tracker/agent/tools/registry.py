"""Tool registry: tools by name, their definitions sorted by name (spec §6.1), and
one execution path that turns every failure into an error result for the model."""

from __future__ import annotations

import inspect
from collections.abc import Iterable

from tracker.agent.confinement import ToolError
from tracker.agent.tools.base import Tool, ToolContext, parse_arguments
from tracker.llm.types import ToolDefinition


class ToolRegistry:
    def __init__(self, tools: Iterable[Tool] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        for tool in tools:
            self.register(tool)
        self._definitions: list[ToolDefinition] | None = None

    def register(self, tool: Tool) -> None:
        self._tools[tool.name] = tool
        self._definitions = None

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def names(self) -> list[str]:
        return sorted(self._tools)

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __len__(self) -> int:
        return len(self._tools)

    def definitions(self) -> list[ToolDefinition]:
        """Definitions sorted by name (stable prompts, cache-friendly)."""
        if self._definitions is None:
            self._definitions = [self._tools[n].definition() for n in sorted(self._tools)]
        return list(self._definitions)

    async def execute(self, name: str, raw_arguments: str, ctx: ToolContext) -> tuple[str, bool]:
        """Run one call: (text, is_error). Never raises for tool failures."""
        tool = self._tools.get(name)
        if tool is None:
            return f'error: unknown tool "{name}"', True
        try:
            args = parse_arguments(raw_arguments)
            result = tool.run(args, ctx)
            if inspect.isawaitable(result):
                result = await result
        except ToolError as exc:
            return f"Tool error ({name}): {exc}", True
        except Exception as exc:  # noqa: BLE001 - any tool bug becomes an error result
            return f"Tool error ({name}): {type(exc).__name__}: {exc}", True
        return result, False
