"""The native agent's built-in tools: read, write, edit, apply_patch, glob, grep_search,
bash. Every file access goes through `tracker.agent.confinement.Workspace`."""

from tracker.agent.tools.base import Tool, ToolContext
from tracker.agent.tools.profiles import ALL_TOOLS, PROFILES, profile_name, registry_for
from tracker.agent.tools.registry import ToolRegistry

__all__ = [
    "ALL_TOOLS",
    "PROFILES",
    "Tool",
    "ToolContext",
    "ToolRegistry",
    "profile_name",
    "registry_for",
]
