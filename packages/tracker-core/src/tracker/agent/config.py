"""Session configuration (spec agent-llm.md §5.1).

One pydantic model, validated before anything runs, so a bad node attribute surfaces as
`invalid session config: <reason>` instead of a failure half-way through a session.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tracker.llm.errors import ConfigurationError

DEFAULT_MODEL = "claude-sonnet-4-6"
#: the context window assumed when nothing better is known; left at this value, the
#: catalog's window for the model is used instead (spec §5.1, later behaviour)
DEFAULT_CONTEXT_WINDOW = 200_000


class Checkpoint(BaseModel):
    """A message injected once, when the session reaches `fraction` of its turns."""

    model_config = ConfigDict(extra="forbid")

    fraction: float = Field(ge=0.0, le=1.0)
    message: str


class SessionConfig(BaseModel):
    """Everything a native agent session needs besides the client and the prompt."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    max_turns: int = Field(80, ge=1)
    command_timeout: float = Field(10.0, gt=0)  # seconds, default bash timeout
    max_command_timeout: float = Field(600.0, gt=0)  # cap for bash's `timeout` argument
    loop_detection_threshold: int = Field(4, ge=1)
    context_window_limit: int = Field(DEFAULT_CONTEXT_WINDOW, ge=1000)
    context_window_warning_threshold: float = Field(0.8, gt=0, le=1)
    tool_output_limits: dict[str, int] = Field(default_factory=dict)
    working_dir: str = "."
    system_prompt: str = ""
    #: model id passed verbatim to the provider
    model: str = DEFAULT_MODEL
    #: "" lets the client infer the provider from the model (catalog, then its default)
    provider: str = ""
    reasoning_effort: str = ""
    response_format: Literal["", "json_object", "json_schema"] = ""
    response_schema: str = ""  # JSON text, for response_format json_schema
    cache_tool_results: bool = False
    context_compaction: Literal["none", "auto"] = "none"
    compaction_threshold: float | None = None
    reflect_on_error: bool = True
    checkpoints: list[Checkpoint] = Field(default_factory=list)
    prior_episode_summaries: list[str] = Field(default_factory=list)
    plan_before_execute: bool = False
    #: parse a final `STATUS: success|fail|retry` line into the result's status
    auto_status: bool = False
    #: extra glob patterns refused for the bash tool, on top of the built-in denylist
    denylist_add: list[str] = Field(default_factory=list)
    #: disable the bash denylist entirely (built-in and added patterns)
    bypass_denylist: bool = False
    #: pipeline node owning the session: stamped on requests (scripted per-node replies)
    node_id: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> SessionConfig:
        if self.max_command_timeout < self.command_timeout:
            raise ValueError("max_command_timeout must be >= command_timeout")
        bad = sorted(name for name, limit in self.tool_output_limits.items() if limit <= 0)
        if bad:
            raise ValueError(f"tool_output_limits[{bad[0]!r}] must be > 0")
        if self.context_compaction == "auto":
            threshold = self.compaction_threshold
            if threshold is None or not 0 < threshold <= 1:
                raise ValueError("context_compaction auto needs compaction_threshold in (0, 1]")
        if self.response_format == "json_schema" and not self.response_schema:
            raise ValueError("response_format json_schema needs response_schema")
        return self

    @classmethod
    def build(cls, **values: object) -> SessionConfig:
        """Validate `values`, raising ConfigurationError with one readable reason."""
        try:
            return cls(**values)  # type: ignore[arg-type]
        except ValidationError as exc:
            raise ConfigurationError(f"invalid session config: {_reason(exc)}") from exc


def _reason(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"])
    message = str(err["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message
