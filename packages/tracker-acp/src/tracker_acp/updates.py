"""`session/update` notifications → tracker agent events, plus what the result needs.

agent_message_chunk → `text_delta`; agent_thought_chunk → `llm_reasoning`; tool_call →
`tool_call_start` (name = the call's title); tool_call_update reaching `completed` or
`failed` → `tool_call_end` and one more turn. Plans, mode changes and the rest are not
part of a node's answer and are ignored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from tracker.agent.events import AgentEvent, EventType

from tracker_acp.usage import UsageCounter


def _text_of(content: Any) -> str:
    """Text of one ACP content block (`{"type": "text", "text": ...}`)."""
    if isinstance(content, dict) and content.get("type") == "text":
        return str(content.get("text", ""))
    return ""


def tool_output(update: dict[str, Any]) -> str:
    """A finished tool call's output: its text content blocks, else its rawOutput."""
    parts: list[str] = []
    for item in update.get("content") or []:
        if not isinstance(item, dict):
            continue
        kind = item.get("type")
        if kind == "content":
            text = _text_of(item.get("content"))
            if text:
                parts.append(text)
        elif kind == "diff":
            parts.append(f"diff {item.get('path', '')}")
        elif kind == "terminal":
            parts.append(f"terminal {item.get('terminalId', '')}")
    if parts:
        return "\n".join(parts)
    raw = update.get("rawOutput")
    if raw is None:
        return ""
    return raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False)


@dataclass
class _Call:
    title: str
    kind: str
    finished: bool = False


@dataclass
class UpdateCollector:
    """Turns one session's updates into events and keeps the counts for the result."""

    emit: Any
    provider: str
    model: str
    node_id: str = ""
    session_id: str = ""
    usage: UsageCounter = field(default_factory=UsageCounter)
    text_chunks: int = 0
    turns: int = 0
    tool_calls: dict[str, int] = field(default_factory=dict)
    calls: dict[str, _Call] = field(default_factory=dict)

    def event(self, type: EventType, **fields: Any) -> None:
        """Emit one agent event; its turn is the number of the tool round in progress."""
        fields.setdefault("turn", self.turns + 1)
        self.emit(
            AgentEvent(
                type=type,
                session_id=self.session_id,
                node_id=self.node_id,
                provider=self.provider,
                model=self.model,
                **fields,
            )
        )

    @property
    def total_tool_calls(self) -> int:
        return sum(self.tool_calls.values())

    def handle(self, params: Any) -> None:
        """One `session/update` notification's params."""
        if not isinstance(params, dict) or not isinstance(params.get("update"), dict):
            return
        update: dict[str, Any] = params["update"]
        kind = update.get("sessionUpdate")
        if kind == "agent_message_chunk":
            text = _text_of(update.get("content"))
            if text:
                self.text_chunks += 1
                self.usage.add_output(text)
                self.event(EventType.TEXT_DELTA, text=text)
        elif kind == "agent_thought_chunk":
            text = _text_of(update.get("content"))
            if text:
                self.usage.add_thought(text)
                self.event(EventType.LLM_REASONING, text=text)
        elif kind == "tool_call":
            self._start(update)
        elif kind == "tool_call_update":
            self._update(update)

    def _start(self, update: dict[str, Any]) -> None:
        call_id = str(update.get("toolCallId", ""))
        title = str(update.get("title") or update.get("kind") or "tool")
        call = _Call(title=title, kind=str(update.get("kind") or ""))
        self.calls[call_id] = call
        key = call.kind or call.title
        self.tool_calls[key] = self.tool_calls.get(key, 0) + 1
        raw_input = update.get("rawInput")
        arguments = "" if raw_input is None else json.dumps(raw_input, ensure_ascii=False)
        self.usage.add_output(arguments)
        self.event(
            EventType.TOOL_CALL_START, call_id=call_id, tool_name=title, tool_input=arguments
        )
        if update.get("status") in ("completed", "failed"):
            self._update(update)

    def _update(self, update: dict[str, Any]) -> None:
        call_id = str(update.get("toolCallId", ""))
        call = self.calls.get(call_id)
        if call is None:  # an update for a call we never saw start: count it anyway
            self._start({**update, "status": None})
            call = self.calls[call_id]
        if update.get("title"):
            call.title = str(update["title"])
        status = update.get("status")
        if status not in ("completed", "failed") or call.finished:
            return
        call.finished = True
        output = tool_output(update)
        self.usage.add_input(output)
        self.event(
            EventType.TOOL_CALL_END,
            call_id=call_id,
            tool_name=call.title,
            tool_output=output,
            tool_error="true" if status == "failed" else "",
        )
        self.turns += 1
