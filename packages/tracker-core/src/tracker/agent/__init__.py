"""The native coding-agent session: the turn loop, its built-in tools and the rules
around them (confinement, denylist, truncation, loop detection, compaction, STATUS).

Talks to models only through `tracker.llm` — no provider SDK is imported here. Names are
loaded on first use, so `tracker.agent.denylist` (used by the tool handler) stays cheap.
"""

from importlib import import_module
from typing import Any

_LAZY = {
    "Checkpoint": "tracker.agent.config",
    "SessionConfig": "tracker.agent.config",
    "ConfinementError": "tracker.agent.confinement",
    "ToolError": "tracker.agent.confinement",
    "Workspace": "tracker.agent.confinement",
    "AgentEvent": "tracker.agent.events",
    "EventType": "tracker.agent.events",
    "Observer": "tracker.agent.events",
    "SessionResult": "tracker.agent.result",
    "Session": "tracker.agent.session",
    "parse_status": "tracker.agent.status",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tracker.agent' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
