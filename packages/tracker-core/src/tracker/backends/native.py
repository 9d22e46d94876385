"""The native backend (spec agent-llm.md §7.2): tracker's own agent session on the run's
LLM client. Everything the session does — tools, confinement, loop detection — lives in
`tracker.agent`; this adapter only wires the config, the client and the events."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tracker.agent.config import SessionConfig
from tracker.agent.result import SessionResult
from tracker.agent.session import Session
from tracker.backends.base import AgentRunConfig, Emit
from tracker.llm.errors import ConfigurationError


class NativeBackend:
    """Runs `tracker.agent.Session`; the client is built on first use so a pipeline
    whose agents all use other backends needs no provider key."""

    name = "native"

    def __init__(self, client: Any | Callable[[], Any]) -> None:
        self._client = client

    def client(self) -> Any:
        if callable(self._client) and not hasattr(self._client, "complete"):
            self._client = self._client()
        return self._client

    async def run(self, cfg: AgentRunConfig, emit: Emit) -> SessionResult:
        config = cfg.extra
        if not isinstance(config, SessionConfig):
            raise ConfigurationError("native backend needs a SessionConfig in AgentRunConfig.extra")
        session = Session(self.client(), config, on_event=emit)
        return await session.run(cfg.prompt)


def create(env: Any) -> NativeBackend:
    """`BackendSpec.factory`: the native backend on the run's LLM client."""
    return NativeBackend(env.llm_client)
