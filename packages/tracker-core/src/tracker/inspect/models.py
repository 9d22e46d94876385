"""The JSON shapes of the inspection reports (cli-tui.md §11.2).

`model_dump(mode="json")` yields exactly the documented keys: optional (`?`) fields are
left out when empty, durations are integer nanoseconds (`*_ns`), timestamps RFC 3339 with
the fraction's trailing zeros dropped, and every list that is always present is `[]`
rather than null."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import (
    BaseModel,
    Field,
    PlainSerializer,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    model_serializer,
)

from tracker.inspect.times import format_rfc3339

#: a timestamp that dumps to JSON as RFC 3339 (`2026-04-17T11:00:01.1Z`)
Stamp = Annotated[datetime, PlainSerializer(format_rfc3339, return_type=str, when_used="json")]


class SuggestionKind(StrEnum):
    """Stable suggestion kinds; the set is open (new kinds may appear), so never switch
    on it exhaustively — `Suggestion.kind` is a plain string."""

    RETRY_PATTERN = "retry_pattern"
    ESCALATE_LIMIT = "escalate_limit"
    NO_OUTPUT = "no_output"
    SHELL_COMMAND = "shell_command"
    GO_TEST = "go_test"
    SUSPICIOUS_TIMING = "suspicious_timing"
    BUDGET = "budget"


class _Shape(BaseModel):
    """Dumps fields in declaration order, dropping empty `_omit_empty` ones."""

    _omit_empty: ClassVar[frozenset[str]] = frozenset()

    @model_serializer(mode="wrap")
    def _dump(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> dict[str, Any]:
        data = handler(self)
        for key, value in list(data.items()):
            if info.mode_is_json() and isinstance(value, float) and value.is_integer():
                if abs(value) < 1e21:
                    data[key] = int(value)  # JSON `120`, as the reference writes it
            if key in self._omit_empty and not value:
                del data[key]
        return data


class BudgetHalt(_Shape):
    """The last `budget_exceeded` event of the run."""

    total_tokens: int = 0
    total_cost_usd: float = 0.0
    wall_elapsed_ms: int = 0
    message: str = ""


class NodeFailure(_Shape):
    """A node whose status.json says `fail`, with what the activity log adds."""

    _omit_empty = frozenset(
        {
            "handler",
            "duration_ns",
            "retry_count",
            "identical_retries",
            "stdout",
            "stderr",
            "errors",
        }
    )

    node_id: str
    outcome: str
    handler: str = ""
    #: the most recent attempt's duration
    duration_ns: int = 0
    #: the number of `stage_failed` events (a single failure counts 1)
    retry_count: int = 0
    #: every failure had the same error signature: a deterministic bug
    identical_retries: bool = False
    stdout: str = ""
    stderr: str = ""
    errors: list[str] = Field(default_factory=list)


class Suggestion(_Shape):
    _omit_empty = frozenset({"node_id"})

    node_id: str = ""
    kind: str
    message: str


class DiagnoseReport(_Shape):
    _omit_empty = frozenset({"budget_halt"})

    run_id: str
    completed_nodes: int
    budget_halt: BudgetHalt | None = None
    failures: list[NodeFailure] = Field(default_factory=list)
    suggestions: list[Suggestion] = Field(default_factory=list)


class TimelineEntry(_Shape):
    _omit_empty = frozenset({"node_id", "message", "duration_ns"})

    ts: Stamp
    type: str
    node_id: str = ""
    message: str = ""
    #: for stage_completed / stage_failed: time since that node's last stage_started
    duration_ns: int = 0


class RetryRecord(_Shape):
    node_id: str
    attempts: int


class ActivityError(_Shape):
    _omit_empty = frozenset({"node_id"})

    ts: Stamp
    node_id: str = ""
    message: str


class AuditReport(_Shape):
    _omit_empty = frozenset({"retries", "errors", "recommendations"})

    run_id: str
    #: `success` or `fail` (an open set: later versions add more)
    status: str
    total_duration_ns: int = 0
    timeline: list[TimelineEntry] = Field(default_factory=list)
    retries: list[RetryRecord] = Field(default_factory=list)
    errors: list[ActivityError] = Field(default_factory=list)
    recommendations: list[str] = Field(default_factory=list)
    completed_nodes: int = 0
    restart_count: int = 0
    checkpoint_timestamp: Stamp


class RunSummary(_Shape):
    """One row of `tracker list`."""

    _omit_empty = frozenset({"failed_at"})

    run_id: str
    status: str
    nodes: int
    retries: int
    restarts: int
    timestamp: Stamp
    duration_ns: int = 0
    failed_at: str = ""
