"""Provider-neutral scripted replies for the fake provider servers.

A test describes what the model "says" once (`FakeTurn`: text, tool calls, thinking,
usage) and each fake server renders it in its own wire format, JSON or streamed. Usage is
given in tracker's normalised terms (agent-llm.md §1.3: input excludes cached tokens,
output includes reasoning); each fake converts it to what its provider reports, so an
adapter that normalises correctly gets the same numbers back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["FakeError", "FakeToolCall", "FakeTurn", "FakeUsage"]


@dataclass(frozen=True)
class FakeToolCall:
    """A tool call the fake model makes. `id` None: the fake invents a provider-style id."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    id: str | None = None


@dataclass(frozen=True)
class FakeUsage:
    """Token counts in normalised terms (what the adapter should report back)."""

    input_tokens: int = 12
    output_tokens: int = 7
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0


@dataclass(frozen=True)
class FakeError:
    """An HTTP error reply. `message` None: a realistic default for the status; `code`
    overrides the provider's error type/code; `retry_after` becomes the header."""

    status: int
    message: str | None = None
    retry_after: str | float | None = None
    code: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FakeTurn:
    """One assistant turn.

    `finish` is a normalised reason (`stop`, `length`, `tool_calls`); None picks
    `tool_calls` when there are tool calls, else `stop`. Streams split text and JSON
    arguments into `chunk_size`-character deltas. `stream_error` is sent as an in-stream
    error event after the content (a 200 response that fails midway); `stall_after` /
    `stall_seconds` pause the stream after that many events.
    """

    text: str = ""
    tool_calls: tuple[FakeToolCall, ...] | list[FakeToolCall] = ()
    thinking: str = ""
    thinking_signature: str = "sig-fake"
    usage: FakeUsage = field(default_factory=FakeUsage)
    finish: str | None = None
    model: str | None = None
    chunk_size: int = 5
    stream_error: FakeError | None = None
    stall_after: int | None = None
    stall_seconds: float = 0.0
    drop_after: int | None = None

    @property
    def finish_reason(self) -> str:
        if self.finish:
            return self.finish
        return "tool_calls" if self.tool_calls else "stop"

    def chunks(self, text: str) -> list[str]:
        size = max(1, self.chunk_size)
        return [text[i : i + size] for i in range(0, len(text), size)] or []
