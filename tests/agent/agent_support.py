"""Helpers for the agent tests (imported by the test modules): run a session against the scripted provider and keep
every event it emitted."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracker.agent import AgentEvent, Session, SessionConfig, SessionResult
from tracker.llm.scripted import ScriptedProvider


@dataclass
class Run:
    result: SessionResult
    events: list[AgentEvent]
    provider: ScriptedProvider
    session: Session = field(repr=False)

    def of(self, type_: str) -> list[AgentEvent]:
        return [e for e in self.events if e.type.value == type_]

    def tool_results(self, request_index: int) -> list[tuple[str, bool]]:
        """(content, is_error) of the tool message the model saw in request N."""
        request = self.provider.requests[request_index]
        tool_msgs = [m for m in request.messages if m.role.value == "tool"]
        last = tool_msgs[-1]
        return [(p.tool_result.content, p.tool_result.is_error) for p in last.content]


def run_session(turns: list[Any], workdir: Path, prompt: str = "do the task", **config: Any) -> Run:
    provider = ScriptedProvider(turns)
    config.setdefault("provider", "scripted")
    config.setdefault("model", "claude-sonnet-4-6")
    events: list[AgentEvent] = []
    session = Session(
        provider, SessionConfig(working_dir=str(workdir), **config), on_event=events.append
    )
    result = asyncio.run(session.run(prompt))
    return Run(result, events, provider, session)


def call(name: str, **arguments: Any) -> dict[str, Any]:
    return {"name": name, "arguments": arguments}
