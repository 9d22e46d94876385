"""The native coding-agent session: the turn loop, its built-in tools and the rules
around them (confinement, denylist, truncation, loop detection, compaction, STATUS).

Talks to models only through `tracker.llm` — no provider SDK is imported here.
"""

from tracker.agent.config import Checkpoint, SessionConfig
from tracker.agent.confinement import ConfinementError, ToolError, Workspace
from tracker.agent.events import AgentEvent, EventType, Observer
from tracker.agent.result import SessionResult
from tracker.agent.session import Session
from tracker.agent.status import parse_status

__all__ = [
    "AgentEvent",
    "Checkpoint",
    "ConfinementError",
    "EventType",
    "Observer",
    "Session",
    "SessionConfig",
    "SessionResult",
    "ToolError",
    "Workspace",
    "parse_status",
]
