"""Agent events as pipeline events (spec engine.md §7.3): source `agent`, stamped with
the node, carrying `provider`, `model`, `tool_name`, `content` (text or tool output) and
`error`. They go to the activity log and NDJSON sinks, never to the pipeline handler."""

from __future__ import annotations

from collections.abc import Callable

from tracker.agent.events import AgentEvent, EventType
from tracker.engine.events import PipelineEvent

SOURCE = "agent"
_PREVIEW = 4096


def _content(event: AgentEvent) -> str:
    if event.type is EventType.TOOL_CALL_START or event.type is EventType.TOOL_CACHE_HIT:
        return event.tool_input
    return event.tool_output or event.text


def to_pipeline_event(event: AgentEvent, node_id: str = "") -> PipelineEvent:
    """One agent event as a node-scoped pipeline event."""
    error = ""
    if event.err is not None:
        error = str(event.err)
    elif event.type is EventType.ERROR:
        error = event.text
    elif event.tool_error:
        error = event.tool_output or "tool call failed"
    usage = event.usage
    return PipelineEvent(
        type=event.type.value,
        source=SOURCE,
        node_id=node_id or event.node_id,
        message=f"turn {event.turn}" if event.type is EventType.TURN_START else "",
        error=error,
        provider=event.provider,
        model=event.model,
        tool_name=event.tool_name,
        content=_content(event)[:_PREVIEW],
        token_input=usage.input_tokens if usage else 0,
        token_output=usage.output_tokens if usage else 0,
    )


class EventForwarder:
    """Forwards a node's agent events; events that do not name the provider or model
    (tool calls, text) get the ones the session last announced, so every activity line
    says where it came from."""

    def __init__(
        self, node_id: str, send: Callable[[PipelineEvent], None], model: str = ""
    ) -> None:
        self.node_id = node_id
        self._send = send
        self.provider = ""
        self.model = model

    def __call__(self, event: AgentEvent) -> None:
        if event.provider:
            self.provider = event.provider
        if event.model:
            self.model = event.model
        out = to_pipeline_event(event, self.node_id)
        if not out.provider or not out.model:
            out = out.model_copy(
                update={"provider": out.provider or self.provider, "model": out.model or self.model}
            )
        self._send(out)
