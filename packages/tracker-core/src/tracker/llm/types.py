"""Unified LLM types (spec agent-llm.md §1): one vocabulary for every provider adapter.

These pydantic models are also the JSON shapes used in traces and in the scripted
provider's files, so field names follow the spec exactly (`kind`, `tool_call`, ...).
Adapters translate to and from the wire; nothing here knows any provider SDK.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

#: metadata key carrying the pipeline node id of a request (used for usage-by-node
#: accounting and by the scripted provider to pick per-node replies)
NODE_ID_KEY = "node_id"


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        ser_json_bytes="base64",
        val_json_bytes="base64",
    )


class Role(StrEnum):
    SYSTEM = "system"
    DEVELOPER = "developer"  # treated exactly like system by every adapter
    USER = "user"
    ASSISTANT = "assistant"
    TOOL = "tool"


class ContentKind(StrEnum):
    TEXT = "text"
    IMAGE = "image"
    AUDIO = "audio"
    DOCUMENT = "document"
    TOOL_CALL = "tool_call"
    TOOL_RESULT = "tool_result"
    THINKING = "thinking"
    REDACTED_THINKING = "redacted_thinking"


# --------------------------------------------------------------------------- payloads


class ImageData(_Model):
    url: str | None = None
    data: bytes | None = None
    media_type: str | None = None
    detail: str | None = None


class MediaData(_Model):
    """Audio or document payload: defined for completeness, unused by tracker."""

    url: str | None = None
    data: bytes | None = None
    media_type: str | None = None
    file_name: str | None = None


class ToolCall(_Model):
    """A model's request to run a tool. `arguments` stays raw JSON text ("{}" when empty),
    because providers stream it in fragments and some send invalid JSON we must report."""

    id: str
    name: str
    arguments: str = "{}"
    thought_signature: str | None = None  # Gemini: must be echoed back (base64 text)

    @field_validator("arguments", mode="before")
    @classmethod
    def _arguments_to_json(cls, value: Any) -> Any:
        if value is None or value == "":
            return "{}"
        if isinstance(value, dict | list):
            return json.dumps(value, separators=(",", ":"))
        return value

    def parsed_arguments(self) -> dict[str, Any]:
        """The arguments as a dict; raises ValueError when they are not a JSON object."""
        parsed = json.loads(self.arguments or "{}")
        if not isinstance(parsed, dict):
            raise ValueError(f"tool call {self.name!r}: arguments are not a JSON object")
        return parsed


class ToolResult(_Model):
    tool_call_id: str
    name: str | None = None  # required by Gemini, which has no call ids
    content: str = ""
    is_error: bool = False
    image_data: bytes | None = None
    image_media_type: str | None = None


class Thinking(_Model):
    """Reasoning text. `signature` must be echoed back to Anthropic; a redacted block
    keeps its opaque data in `signature` with `redacted` set."""

    text: str = ""
    signature: str | None = None
    redacted: bool = False


class ContentPart(_Model):
    kind: ContentKind
    text: str | None = None
    image: ImageData | None = None
    audio: MediaData | None = None
    document: MediaData | None = None
    tool_call: ToolCall | None = None
    tool_result: ToolResult | None = None
    thinking: Thinking | None = None

    @model_validator(mode="after")
    def _payload_matches_kind(self) -> ContentPart:
        field = {
            ContentKind.TEXT: "text",
            ContentKind.IMAGE: "image",
            ContentKind.AUDIO: "audio",
            ContentKind.DOCUMENT: "document",
            ContentKind.TOOL_CALL: "tool_call",
            ContentKind.TOOL_RESULT: "tool_result",
            ContentKind.THINKING: "thinking",
            ContentKind.REDACTED_THINKING: "thinking",
        }[self.kind]
        if getattr(self, field) is None:
            raise ValueError(f"content part of kind {self.kind.value!r} needs a {field!r} payload")
        return self

    # constructors ------------------------------------------------------------

    @classmethod
    def of_text(cls, text: str) -> ContentPart:
        return cls(kind=ContentKind.TEXT, text=text)

    @classmethod
    def of_tool_call(
        cls, id: str, name: str, arguments: str | dict[str, Any] = "{}"
    ) -> ContentPart:
        return cls(
            kind=ContentKind.TOOL_CALL, tool_call=ToolCall(id=id, name=name, arguments=arguments)
        )

    @classmethod
    def of_tool_result(
        cls, tool_call_id: str, content: str, is_error: bool = False, name: str | None = None
    ) -> ContentPart:
        return cls(
            kind=ContentKind.TOOL_RESULT,
            tool_result=ToolResult(
                tool_call_id=tool_call_id, content=content, is_error=is_error, name=name
            ),
        )

    @classmethod
    def of_thinking(cls, text: str, signature: str | None = None) -> ContentPart:
        return cls(kind=ContentKind.THINKING, thinking=Thinking(text=text, signature=signature))

    @classmethod
    def of_redacted_thinking(cls, data: str) -> ContentPart:
        return cls(
            kind=ContentKind.REDACTED_THINKING, thinking=Thinking(redacted=True, signature=data)
        )


class Message(_Model):
    role: Role
    content: list[ContentPart] = Field(default_factory=list)
    name: str | None = None
    tool_call_id: str | None = None

    @field_validator("content", mode="before")
    @classmethod
    def _string_content(cls, value: Any) -> Any:
        # convenience: Message(role="user", content="hi")
        if isinstance(value, str):
            return [{"kind": "text", "text": value}]
        return value

    @property
    def text(self) -> str:
        """All text parts, concatenated without separator (spec §1.1)."""
        return "".join(p.text or "" for p in self.content if p.kind is ContentKind.TEXT)

    @property
    def tool_calls(self) -> list[ToolCall]:
        return [p.tool_call for p in self.content if p.tool_call is not None]

    @property
    def reasoning(self) -> str:
        return "".join(
            p.thinking.text
            for p in self.content
            if p.kind is ContentKind.THINKING and p.thinking is not None
        )

    @classmethod
    def system(cls, text: str) -> Message:
        return cls(role=Role.SYSTEM, content=[ContentPart.of_text(text)])

    @classmethod
    def user(cls, text: str) -> Message:
        return cls(role=Role.USER, content=[ContentPart.of_text(text)])

    @classmethod
    def assistant(cls, text: str) -> Message:
        return cls(role=Role.ASSISTANT, content=[ContentPart.of_text(text)])

    @classmethod
    def tool_result(
        cls, call_id: str, content: str, is_error: bool = False, name: str | None = None
    ) -> Message:
        return cls(
            role=Role.TOOL,
            content=[ContentPart.of_tool_result(call_id, content, is_error, name)],
            tool_call_id=call_id,
        )


# --------------------------------------------------------------------------- request


class ToolDefinition(_Model):
    name: str
    description: str = ""
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})


class ToolChoice(_Model):
    mode: Literal["auto", "none", "required", "named"] = "auto"
    tool_name: str | None = None

    @model_validator(mode="after")
    def _named_needs_name(self) -> ToolChoice:
        if self.mode == "named" and not self.tool_name:
            raise ValueError("tool_choice mode 'named' needs a tool_name")
        return self


class ResponseFormat(_Model):
    type: Literal["text", "json_object", "json_schema"] = "text"
    json_schema: dict[str, Any] | None = None
    strict: bool | None = None


class Request(_Model):
    """One LLM call. `provider` "" means: infer from the model, else the client default.

    A `system="..."` keyword is accepted at construction for convenience and becomes a
    leading system message; the messages list stays the single source of truth.
    """

    model: str
    messages: list[Message] = Field(default_factory=list)
    provider: str = ""
    tools: list[ToolDefinition] = Field(default_factory=list)
    tool_choice: ToolChoice | None = None
    response_format: ResponseFormat | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None  # None → adapter default (16384; Gemini omits it)
    stop_sequences: list[str] = Field(default_factory=list)
    reasoning_effort: str = ""  # low / medium / high (/ max); "" = unset
    #: prompt-caching hint: adapters with explicit cache breakpoints (Anthropic) place them
    #: when true; `provider_options["anthropic"]["auto_cache"]` overrides it
    prompt_caching: bool = True
    metadata: dict[str, str] = Field(default_factory=dict)  # never sent to the provider
    provider_options: dict[str, dict[str, Any]] = Field(default_factory=dict)
    #: per-request observers, each called with every StreamEvent (not serialised)
    trace_observers: list[Any] = Field(default_factory=list, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _hoist_system_keyword(cls, data: Any) -> Any:
        if isinstance(data, dict) and "system" in data:
            data = dict(data)
            system = data.pop("system")
            if system:
                messages = list(data.get("messages") or [])
                data["messages"] = [Message.system(system), *messages]
        return data

    @property
    def system_text(self) -> str:
        """Text of all system and developer messages, joined by newlines."""
        return "\n".join(
            m.text for m in self.messages if m.role in (Role.SYSTEM, Role.DEVELOPER) and m.text
        )

    @property
    def node_id(self) -> str:
        return self.metadata.get(NODE_ID_KEY, "")

    def option(self, provider: str, key: str, default: Any = None) -> Any:
        """A provider-specific option from `provider_options[provider][key]`."""
        return self.provider_options.get(provider, {}).get(key, default)


# --------------------------------------------------------------------------- response


class FinishReason(_Model):
    """Normalised reason (`stop`, `length`, `tool_calls`, `content_filter`, `error`, or the
    raw value lower-cased) plus the provider's raw value."""

    reason: str = "stop"
    raw: str = ""

    @property
    def is_length(self) -> bool:
        return self.reason in ("length", "max_tokens")


class Usage(_Model):
    """Token counts, normalised (spec §1.3): `input_tokens` excludes cached reads and
    writes; `output_tokens` includes reasoning. Optional counters are None when the
    provider did not report them. `estimated` marks heuristic counts (not metered)."""

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    reasoning_tokens: int | None = None
    cache_read_tokens: int | None = None
    cache_write_tokens: int | None = None
    estimated_cost: float = 0.0  # USD reported by the source; 0 = not set
    estimated: bool = False
    raw: Any = None

    @model_validator(mode="after")
    def _default_total(self) -> Usage:
        if not self.total_tokens and (self.input_tokens or self.output_tokens):
            self.total_tokens = self.input_tokens + self.output_tokens
        return self

    @property
    def has_tokens(self) -> bool:
        return any(
            (
                self.input_tokens,
                self.output_tokens,
                self.reasoning_tokens,
                self.cache_read_tokens,
                self.cache_write_tokens,
            )
        )

    def add(self, other: Usage) -> Usage:
        """Field-wise sum: None+None stays None, otherwise None counts as 0."""

        def opt(a: int | None, b: int | None) -> int | None:
            return None if a is None and b is None else (a or 0) + (b or 0)

        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
            reasoning_tokens=opt(self.reasoning_tokens, other.reasoning_tokens),
            cache_read_tokens=opt(self.cache_read_tokens, other.cache_read_tokens),
            cache_write_tokens=opt(self.cache_write_tokens, other.cache_write_tokens),
            estimated_cost=self.estimated_cost + other.estimated_cost,
            estimated=self.estimated or other.estimated,
        )

    def __add__(self, other: Usage) -> Usage:
        return self.add(other)


class Response(_Model):
    id: str = ""
    model: str = ""
    provider: str = ""
    message: Message = Field(default_factory=lambda: Message(role=Role.ASSISTANT))
    finish_reason: FinishReason = Field(default_factory=FinishReason)
    usage: Usage = Field(default_factory=Usage)
    latency: float = 0.0  # seconds, stamped by the client
    raw: Any = None
    warnings: list[str] = Field(default_factory=list)
    rate_limit: dict[str, Any] | None = None

    @property
    def text(self) -> str:
        return self.message.text

    @property
    def tool_calls(self) -> list[ToolCall]:
        return self.message.tool_calls

    @property
    def reasoning(self) -> str:
        return self.message.reasoning


# --------------------------------------------------------------------------- streaming


class StreamEventType(StrEnum):
    STREAM_START = "stream_start"
    REQUEST_SENT = "request_sent"
    TEXT_START = "text_start"
    TEXT_DELTA = "text_delta"
    TEXT_END = "text_end"
    REASONING_START = "reasoning_start"
    REASONING_DELTA = "reasoning_delta"
    REASONING_END = "reasoning_end"
    REASONING_SIGNATURE = "reasoning_signature"
    REDACTED_THINKING = "redacted_thinking"
    TOOL_CALL_START = "tool_call_start"
    TOOL_CALL_DELTA = "tool_call_delta"
    TOOL_CALL_END = "tool_call_end"
    FINISH = "finish"
    ERROR = "error"
    PROVIDER_EVENT = "provider_event"


class StreamEvent(_Model):
    """One event of a provider stream (spec §1.4). An `error` event carries the typed
    exception and ends the stream."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    type: StreamEventType
    delta: str | None = None
    text_id: str | None = None
    reasoning_delta: str | None = None
    reasoning_signature: str | None = None
    tool_call: ToolCall | None = None
    finish_reason: FinishReason | None = None
    usage: Usage | None = None
    full_response: Response | None = None
    error: BaseException | None = Field(default=None, exclude=True)
    raw: Any = None
    request_raw: Any = None
