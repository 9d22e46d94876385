"""The NDJSON event stream (cli-tui.md §6): one JSON object per line, the same keys and
order as activity.jsonl. `tracker run --json` and library callers share this writer.

It is thread-safe; the first write error is reported once on stderr and later events are
dropped, and a failure inside a handler never reaches the run (a closed pipe must not
crash a pipeline)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO

from tracker.engine.events import PipelineEvent

if TYPE_CHECKING:
    from tracker.agent.events import AgentEvent

#: provider stream event type → NDJSON `llm` event type (§6.2); others are not streamed
_LLM_TYPES = {
    "stream_start": "request_start",
    "reasoning_delta": "reasoning",
    "text_delta": "text",
    "tool_call_start": "tool_prepare",
    "finish": "finish",
    "provider_event": "provider_raw",
}
_PREVIEW = 80


class NDJSONWriter:
    """Writes events as NDJSON lines on `stream` (stdout by default).

    Call it (or `.write`) with a `PipelineEvent`; `.agent_handler()` and `.trace_observer()`
    adapt agent events and provider stream events to the same lines."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream if stream is not None else sys.stdout
        self._lock = threading.Lock()
        self._failed = False

    def __call__(self, event: PipelineEvent) -> None:
        self.write(event)

    def write(self, event: PipelineEvent) -> None:
        """One line for one event; never raises."""
        try:
            line = event.activity_line().decode("utf-8")
        except Exception as exc:  # noqa: BLE001 - a bad event must not stop the run
            self._report(exc)
            return
        with self._lock:
            if self._failed:
                return
            try:
                self._stream.write(line)
                self._stream.flush()
            except Exception as exc:  # noqa: BLE001 - closed pipe, full disk, bad stream
                self._failed = True
                print(f"tracker: NDJSON stream write error: {exc}", file=sys.stderr)

    def _report(self, exc: BaseException) -> None:
        with self._lock:
            if self._failed:
                return
            self._failed = True
        print(f"tracker: NDJSON stream write error: {exc}", file=sys.stderr)

    # -- adapters ----------------------------------------------------------------------

    def pipeline_handler(self) -> Callable[[PipelineEvent], None]:
        """A callback for engine (`source: pipeline`) events, e.g. `Config.event_handler`."""
        return self.write

    def agent_handler(self, node_id: str = "") -> Callable[[AgentEvent], None]:
        """A session observer: agent events become `source: agent` lines stamped with
        `node_id`, converted exactly as the engine forwards them to `--json`."""
        from tracker.backends.events import EventForwarder

        forward = EventForwarder(node_id, self.write)

        def handle(event: AgentEvent) -> None:
            try:
                forward(event)
            except Exception as exc:  # noqa: BLE001 - contained like any handler failure
                self._report(exc)

        return handle

    def trace_observer(self, provider: str = "", model: str = "") -> Callable[[Any], None]:
        """A provider-stream observer (`Request.trace_observers`): stream events become
        `source: llm` lines (`request_start`, `reasoning`, `text`, `tool_prepare`,
        `finish`, `provider_raw`) stamped with the emission time; content is a preview of
        at most 80 characters."""

        def observe(event: Any) -> None:
            try:
                line = _llm_event(event, provider, model)
            except Exception as exc:  # noqa: BLE001 - contained like any handler failure
                self._report(exc)
                return
            if line is not None:
                self.write(line)

        return observe


def _llm_event(event: Any, provider: str, model: str) -> PipelineEvent | None:
    kind = getattr(getattr(event, "type", None), "value", getattr(event, "type", ""))
    wire = _LLM_TYPES.get(str(kind))
    if wire is None:
        return None
    text = tool = ""
    if wire == "text":
        text = getattr(event, "delta", None) or ""
    elif wire == "reasoning":
        text = getattr(event, "reasoning_delta", None) or ""
    elif wire == "tool_prepare":
        call = getattr(event, "tool_call", None)
        tool = text = getattr(call, "name", "") if call is not None else ""
    error = getattr(event, "error", None)
    return PipelineEvent(
        type=wire,
        timestamp=datetime.now().astimezone(),
        source="llm",
        provider=provider,
        model=model,
        tool_name=tool,
        content=text[:_PREVIEW],
        error=str(error) if error is not None else "",
    )
