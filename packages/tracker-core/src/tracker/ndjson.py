"""The NDJSON event stream (cli-tui.md §6): one JSON object per line, envelope first.

`tracker run --json` writes it to stdout; embedders get the same lines with
``tracker.NDJSONWriter(stream)``. The envelope is `ts`, `source`, `type`, then `run_id`,
`node_id`, `message`, `error`, `provider`, `model`, `tool_name`, `content` and the later
payload fields (decisions, cost snapshots) — every field but the first three omitted when
empty, so a consumer can rely on the names of `activity.jsonl`.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TextIO

#: llm content previews are cut to this many characters (§6.1)
LLM_PREVIEW = 80

#: provider stream event type -> NDJSON `llm` type (§6.2)
_LLM_TYPES = {
    "stream_start": "request_start",
    "request_sent": "request_start",
    "reasoning_delta": "reasoning",
    "text_delta": "text",
    "tool_call_start": "tool_prepare",
    "finish": "finish",
    "provider_event": "provider_raw",
}


def _ts(value: Any = None) -> str:
    """Millisecond timestamp with a numeric offset (`Z` for UTC)."""
    from tracker.engine.events import format_ts

    if isinstance(value, datetime):
        ts = value if value.tzinfo else value.astimezone()
    elif isinstance(value, int | float) and value > 0:
        ts = datetime.fromtimestamp(value).astimezone()
    else:
        ts = datetime.now().astimezone()
    return format_ts(ts)


def _compact(line: dict[str, Any]) -> dict[str, Any]:
    """Drop empty optional fields (the first three always stay)."""
    keep = ("ts", "source", "type")
    return {
        k: v for k, v in line.items() if k in keep or v not in ("", None, 0, False, [], {}, 0.0)
    }


def pipeline_line(event: Any) -> dict[str, Any]:
    """A PipelineEvent (any source) as its ordered NDJSON object."""
    return event.activity_dict()


def agent_line(event: Any, node_id: str = "") -> dict[str, Any]:
    """An agent-session event (tracker.agent.events.AgentEvent) as an NDJSON object."""
    error = str(event.err) if getattr(event, "err", None) is not None else ""
    tool_error = event.tool_error if event.tool_error not in ("", "true") else ""
    if event.tool_error == "true" and not error:
        error = event.tool_output or "tool error"
    if tool_error and error:
        error = f"{tool_error}: {error}"
    etype = event.type.value if hasattr(event.type, "value") else str(event.type)
    return _compact(
        {
            "ts": _ts(event.timestamp),
            "source": "agent",
            "type": etype,
            "node_id": event.node_id or node_id,
            "error": error,
            "provider": event.provider,
            "model": event.model,
            "tool_name": event.tool_name,
            "content": event.tool_output or event.text,
        }
    )


def llm_line(event: Any, provider: str = "", model: str = "", node_id: str = "") -> dict[str, Any]:
    """A provider stream event (tracker.llm.types.StreamEvent) as an `llm` NDJSON object."""
    raw_type = event.type.value if hasattr(event.type, "value") else str(event.type)
    content = event.delta or event.reasoning_delta or ""
    tool_name = event.tool_call.name if event.tool_call is not None else ""
    return _compact(
        {
            "ts": _ts(),
            "source": "llm",
            "type": _LLM_TYPES.get(raw_type, raw_type),
            "node_id": node_id,
            "error": str(event.error) if event.error is not None else "",
            "provider": provider,
            "model": model,
            "tool_name": tool_name,
            "content": content[:LLM_PREVIEW],
        }
    )


class NDJSONWriter:
    """Thread-safe NDJSON writer. The first write error is reported once on stderr
    (`tracker: NDJSON stream write error: …`); later lines are dropped silently."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self._lock = threading.Lock()
        self._failed = False

    # ------------------------------------------------------------------ writing

    def write_line(self, line: Mapping[str, Any]) -> None:
        """Write one already-shaped object."""
        text = json.dumps(line, ensure_ascii=False, separators=(",", ":"), default=str)
        with self._lock:
            if self._failed:
                return
            try:
                self.stream.write(text + "\n")
                self.stream.flush()
            except (OSError, ValueError) as exc:
                self._failed = True
                try:
                    print(f"tracker: NDJSON stream write error: {exc}", file=sys.stderr)
                except (OSError, ValueError):
                    pass

    def write(self, event: Any) -> None:
        """Write a PipelineEvent, an AgentEvent, a StreamEvent or a plain mapping."""
        try:
            line = self._shape(event)
        except Exception as exc:  # noqa: BLE001 - a malformed event must not kill a run
            line = {"ts": _ts(), "source": "pipeline", "type": "warning", "error": str(exc)}
        if line is not None:
            self.write_line(line)

    __call__ = write

    @staticmethod
    def _shape(event: Any) -> dict[str, Any] | None:
        if isinstance(event, Mapping):
            return dict(event)
        if hasattr(event, "activity_dict"):
            return pipeline_line(event)
        if hasattr(event, "tool_output") and hasattr(event, "session_id"):
            return agent_line(event)
        if hasattr(event, "reasoning_delta"):
            return llm_line(event)
        return None

    # ------------------------------------------------------------------ handlers

    def pipeline_handler(self) -> Callable[[Any], None]:
        """A callable for pipeline events (the engine's `event_handler` / sinks)."""
        return self.write

    def agent_handler(self, node_id: str = "") -> Callable[[Any], None]:
        """A callable for agent-session events; `node_id` fills events that lack one."""

        def handle(event: Any) -> None:
            try:
                self.write_line(agent_line(event, node_id))
            except Exception:  # noqa: BLE001
                pass

        return handle

    def trace_observer(
        self, provider: str = "", model: str = "", node_id: str = ""
    ) -> Callable[[Any], None]:
        """A provider-stream observer (`Request.trace_observers`) writing `llm` lines."""

        def observe(event: Any) -> None:
            try:
                self.write_line(llm_line(event, provider, model, node_id))
            except Exception:  # noqa: BLE001
                pass

        return observe


__all__ = ["NDJSONWriter", "agent_line", "llm_line", "pipeline_line"]
