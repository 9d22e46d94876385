"""The agent backend interface (spec agent-llm.md §7.1).

An agent node's work is done by a backend: the native session loop on tracker's own LLM
client, the `claude` CLI, or an ACP agent from the tracker-acp plugin. The codergen
handler builds one `AgentRunConfig` per node, hands it to the backend with an event
callback, and classifies the `SessionResult` it gets back; backends never decide a node's
outcome themselves, except through `BackendError.status` when the run broke.

Plugins register backends through `register_backends` with a `BackendSpec` whose
`factory(env)` receives the node's `NodeEnv` and returns an object with
``name`` and ``async run(cfg, emit) -> SessionResult``. A factory may raise
`BackendUnavailable` (e.g. a binary is missing); the handler retries creation on the
next node that asks for the backend.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from tracker.agent.events import AgentEvent
from tracker.agent.result import SessionResult

#: receives every agent event of a run, in order (the handler stamps and forwards them)
Emit = Callable[[AgentEvent], None]


class AgentRunConfig(BaseModel):
    """What every backend gets for one node. `extra` is backend-specific: a
    `SessionConfig` (native) or a `ClaudeCodeConfig` (claude-code)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    prompt: str
    system_prompt: str = ""
    model: str = ""
    provider: str = ""
    working_dir: str = "."
    max_turns: int = 0
    timeout: float | None = None  # seconds for the whole run (external backends)
    node_id: str = ""
    tool_access: str = ""
    extra: Any = None


class BackendError(Exception):
    """A backend run that broke.

    `status` says what the node does: `retry` (the pipeline's retry policy decides),
    `fail` (routable, like a failed tool), or None — the run stops with the message.
    `result` carries what the backend counted before breaking (turns, usage)."""

    def __init__(
        self,
        message: str,
        *,
        status: Literal["retry", "fail"] | None = None,
        result: SessionResult | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.result = result


class BackendUnavailable(Exception):
    """A backend could not be created (missing binary, missing plugin)."""


@runtime_checkable
class AgentBackend(Protocol):
    """A way to run an agent for one node."""

    name: str

    async def run(self, cfg: AgentRunConfig, emit: Emit) -> SessionResult: ...
