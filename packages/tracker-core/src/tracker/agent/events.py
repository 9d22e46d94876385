"""Events a session emits (spec agent-llm.md §5.7) and how observers receive them.

An observer is any callable taking an `AgentEvent`; it may be sync or async. The engine
wraps it to stamp the node id; the CLI turns events into log lines and NDJSON.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tracker.llm.types import Usage


class EventType(StrEnum):
    SESSION_START = "session_start"
    SESSION_END = "session_end"
    TURN_START = "turn_start"
    TURN_END = "turn_end"
    LLM_REQUEST_PREPARING = "llm_request_preparing"
    LLM_REQUEST_START = "llm_request_start"
    LLM_REASONING = "llm_reasoning"
    LLM_TEXT = "llm_text"
    LLM_TOOL_PREPARE = "llm_tool_prepare"
    LLM_FINISH = "llm_finish"
    LLM_PROVIDER_RAW = "llm_provider_raw"
    TEXT_DELTA = "text_delta"
    TOOL_CALL_START = "tool_call_start"
    TOOL_CACHE_HIT = "tool_cache_hit"
    TOOL_CALL_END = "tool_call_end"
    TURN_METRICS = "turn_metrics"
    ERROR = "error"
    CONTEXT_WINDOW_WARNING = "context_window_warning"
    CONTEXT_COMPACTION = "context_compaction"
    STEERING_INJECTED = "steering_injected"
    CHECKPOINT = "checkpoint"


class AgentEvent(BaseModel):
    """One session event. Only the fields relevant to `type` are set."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    type: EventType
    session_id: str = ""
    timestamp: float = Field(default_factory=time.time)
    node_id: str = ""
    turn: int | None = None
    provider: str = ""
    model: str = ""
    text: str = ""
    call_id: str = ""
    tool_name: str = ""
    tool_input: str = ""
    tool_output: str = ""
    #: "true" for a failed tool call, "" otherwise (the reference's wire format)
    tool_error: str = ""
    tool_duration: float | None = None
    finish_reason: str = ""
    usage: Usage | None = None
    metrics: dict[str, Any] | None = None
    context_utilization: float | None = None
    provider_event: Any = None
    err: BaseException | None = Field(default=None, exclude=True)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict without unset optional fields; `err` becomes its text."""
        data = self.model_dump(mode="json", exclude_defaults=True)
        data["type"] = self.type.value
        data["timestamp"] = self.timestamp
        if self.err is not None:
            data["err"] = str(self.err)
        return data


Observer = Callable[[AgentEvent], None | Awaitable[None]]


class Emitter:
    """Delivers events to the observers, awaiting async ones in order."""

    def __init__(self, session_id: str, node_id: str, observers: list[Observer]) -> None:
        self.session_id = session_id
        self.node_id = node_id
        self.observers = observers

    @property
    def active(self) -> bool:
        return bool(self.observers)

    async def emit(self, type: EventType, **fields: Any) -> None:
        if not self.observers:
            return
        event = AgentEvent(type=type, session_id=self.session_id, node_id=self.node_id, **fields)
        for observer in self.observers:
            result = observer(event)
            if inspect.isawaitable(result):
                await result

    def emit_nowait(self, type: EventType, **fields: Any) -> None:
        """For sync contexts (stream observers): async observers are not awaited here,
        so they are scheduled on the running loop instead."""
        if not self.observers:
            return
        event = AgentEvent(type=type, session_id=self.session_id, node_id=self.node_id, **fields)
        for observer in self.observers:
            result = observer(event)
            if inspect.isawaitable(result):
                import asyncio

                asyncio.ensure_future(result)
