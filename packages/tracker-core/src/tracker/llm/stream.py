"""Stream helpers: the accumulator that turns events into a Response (spec §1.4) and the
idle deadline that stops a stream which has gone silent (spec §3.4)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from .errors import StreamError, StreamIdleTimeoutError
from .types import (
    ContentPart,
    FinishReason,
    Message,
    Response,
    Role,
    StreamEvent,
    StreamEventType,
    Thinking,
    ToolCall,
    Usage,
)

#: default stream idle deadline: 10 minutes without any event (reasoning models think long)
DEFAULT_STREAM_IDLE_TIMEOUT = 600.0


class StreamAccumulator:
    """Collects stream events into a Response.

    Text is kept per `text_id` in first-seen order; reasoning is concatenated into one
    thinking part (with the last signature); each redacted block is its own part; a new
    `tool_call_start` closes the open call; empty arguments become "{}". Output order:
    thinking, redacted thinking, texts, tool calls. Finish reason and usage come from the
    last `finish` event.
    """

    def __init__(self, model: str = "", provider: str = "") -> None:
        self.model = model
        self.provider = provider
        self._texts: dict[str, list[str]] = {}
        self._reasoning: list[str] = []
        self._signature: str | None = None
        self._redacted: list[str] = []
        self._calls: list[ToolCall] = []
        self._open_call: ToolCall | None = None
        self._open_args: list[str] = []
        self._finish: FinishReason | None = None
        self._usage: Usage | None = None
        self._full: Response | None = None
        self.error: BaseException | None = None

    def feed(self, event: StreamEvent) -> None:
        kind = event.type
        if kind in (StreamEventType.TEXT_START, StreamEventType.TEXT_DELTA):
            chunks = self._texts.setdefault(event.text_id or "", [])
            if event.delta:
                chunks.append(event.delta)
        elif kind is StreamEventType.REASONING_DELTA:
            self._reasoning.append(event.reasoning_delta or event.delta or "")
        elif kind is StreamEventType.REASONING_SIGNATURE:
            self._signature = event.reasoning_signature
        elif kind is StreamEventType.REDACTED_THINKING:
            self._redacted.append(event.reasoning_signature or "")
        elif kind is StreamEventType.TOOL_CALL_START:
            self._close_call()
            call = event.tool_call or ToolCall(id="", name="")
            self._open_call = call
            initial = call.arguments if call.arguments not in ("", "{}") else ""
            self._open_args = [initial] if initial else []
            if event.delta:
                self._open_args.append(event.delta)
        elif kind is StreamEventType.TOOL_CALL_DELTA:
            if self._open_call is not None and event.delta:
                self._open_args.append(event.delta)
        elif kind is StreamEventType.TOOL_CALL_END:
            self._close_call()
        elif kind is StreamEventType.FINISH:
            self._finish = event.finish_reason or self._finish
            self._usage = event.usage or self._usage
            self._full = event.full_response or self._full
        elif kind is StreamEventType.ERROR:
            self.error = event.error or StreamError("stream reported an error", provider="")

    def _close_call(self) -> None:
        if self._open_call is None:
            return
        args = "".join(self._open_args) or "{}"
        self._calls.append(self._open_call.model_copy(update={"arguments": args}))
        self._open_call = None
        self._open_args = []

    def response(self) -> Response:
        self._close_call()
        parts: list[ContentPart] = []
        if self._reasoning or self._signature:
            parts.append(
                ContentPart(
                    kind="thinking",
                    thinking=Thinking(text="".join(self._reasoning), signature=self._signature),
                )
            )
        parts.extend(ContentPart.of_redacted_thinking(data) for data in self._redacted)
        parts.extend(ContentPart.of_text("".join(c)) for c in self._texts.values() if c)
        parts.extend(ContentPart(kind="tool_call", tool_call=call) for call in self._calls)
        finish = self._finish or FinishReason(reason="stop")
        if self._calls and finish.reason == "stop":
            finish = FinishReason(reason="tool_calls", raw=finish.raw)
        full = self._full
        return Response(
            id=full.id if full else "",
            model=(full.model if full and full.model else self.model),
            provider=(full.provider if full and full.provider else self.provider),
            message=Message(role=Role.ASSISTANT, content=parts),
            finish_reason=finish,
            usage=self._usage or Usage(),
            raw=full.raw if full else None,
            warnings=list(full.warnings) if full else [],
        )


async def collect(
    events: AsyncIterator[StreamEvent], model: str = "", provider: str = ""
) -> Response:
    """Drain a stream into a Response; an `error` event raises its exception."""
    acc = StreamAccumulator(model, provider)
    async for event in events:
        acc.feed(event)
        if acc.error is not None:
            raise acc.error
    return acc.response()


async def with_idle_timeout(
    events: AsyncIterator[StreamEvent], timeout: float | None, provider: str = ""
) -> AsyncIterator[StreamEvent]:
    """Pass events through; if none arrives within `timeout` seconds, close the source and
    end with a retryable `StreamIdleTimeoutError` event. A caller's cancel stays a cancel."""
    iterator = aiter(events)
    try:
        while True:
            deadline = asyncio.timeout(timeout if timeout and timeout > 0 else None)
            try:
                async with deadline:
                    event = await anext(iterator)
            except StopAsyncIteration:
                return
            except TimeoutError:
                if not deadline.expired():
                    raise  # the source's own TimeoutError, not our deadline
                yield StreamEvent(
                    type=StreamEventType.ERROR,
                    error=StreamIdleTimeoutError(
                        f"stream idle timeout: no data within {timeout:g}s", provider=provider
                    ),
                )
                return
            yield event
            if event.type is StreamEventType.ERROR:
                return
    finally:
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            with contextlib.suppress(Exception):
                await aclose()
