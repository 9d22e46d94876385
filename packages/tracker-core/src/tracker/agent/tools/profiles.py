"""Tool profiles (spec agent-llm.md §6.1): which built-in tools a session offers,
chosen by provider. OpenAI models are trained on apply_patch, so they get no `edit`."""

from __future__ import annotations

from tracker.agent.tools import apply_patch, bash, edit, glob_tool, grep_search, read, write
from tracker.agent.tools.base import Tool
from tracker.agent.tools.registry import ToolRegistry

ALL_TOOLS: dict[str, Tool] = {
    tool.name: tool
    for tool in (
        read.TOOL,
        write.TOOL,
        edit.TOOL,
        apply_patch.TOOL,
        glob_tool.TOOL,
        grep_search.TOOL,
        bash.TOOL,
    )
}

PROFILES: dict[str, tuple[str, ...]] = {
    "openai": ("read", "write", "apply_patch", "glob", "grep_search", "bash"),
    "default": ("read", "write", "edit", "apply_patch", "glob", "grep_search", "bash"),
}


def profile_name(provider: str) -> str:
    return "openai" if provider == "openai" else "default"


def registry_for(provider: str) -> ToolRegistry:
    """A fresh registry with the profile's tools for `provider`."""
    return ToolRegistry(ALL_TOOLS[name] for name in PROFILES[profile_name(provider)])
