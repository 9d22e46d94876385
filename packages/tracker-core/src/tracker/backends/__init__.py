"""Agent backends: how an agent node's work gets done (spec agent-llm.md §7).

`native` runs tracker's own agent session, `claude-code` the `claude` CLI; `acp` comes
from the tracker-acp plugin. Backends register through the `register_backends` hook;
see `tracker.backends.base` for the interface.
"""

from tracker.backends.base import (
    AgentBackend,
    AgentRunConfig,
    BackendError,
    BackendUnavailable,
    Emit,
)
from tracker.backends.pool import VALID_BACKENDS, BackendPool, canonical_backend

__all__ = [
    "VALID_BACKENDS",
    "AgentBackend",
    "AgentRunConfig",
    "BackendError",
    "BackendPool",
    "BackendUnavailable",
    "Emit",
    "canonical_backend",
]
