"""The node's answer and transcript, collected from agent events (spec agent-llm.md §5.4).

The answer is every `text_delta` concatenated with no separator — the same for every
backend, which is why it is collected from events rather than read from the result. The
transcript (turns, tool calls and results, text, errors) becomes `response.md`.
"""

from __future__ import annotations

import threading

from tracker.agent.events import AgentEvent, EventType


class TranscriptCollector:
    """An agent-event observer; call `text()` and `transcript()` after the run."""

    def __init__(self) -> None:
        self._texts: list[str] = []
        self._lines: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, event: AgentEvent) -> None:
        with self._lock:
            self._record(event)

    def _record(self, event: AgentEvent) -> None:
        kind = event.type
        if kind is EventType.TURN_START:
            self._lines.append(f"TURN {event.turn}")
        elif kind is EventType.TEXT_DELTA and event.text:
            self._texts.append(event.text)
            self._lines.append(f"TEXT: {event.text}")
        elif kind is EventType.TOOL_CALL_START:
            self._lines.append(f"TOOL CALL: {event.tool_name}")
            self._lines.append(f"INPUT: {event.tool_input}")
        elif kind is EventType.TOOL_CALL_END:
            self._lines.append(f"TOOL RESULT: {event.tool_name}")
            label = "ERROR" if event.tool_error else "OUTPUT"
            self._lines.append(f"{label}: {event.tool_output}")
        elif kind is EventType.ERROR:
            text = event.text or (str(event.err) if event.err is not None else "")
            self._lines.append(f"ERROR: {text}")

    def text(self) -> str:
        with self._lock:
            return "".join(self._texts)

    def transcript(self) -> str:
        with self._lock:
            return "\n".join(self._lines)
