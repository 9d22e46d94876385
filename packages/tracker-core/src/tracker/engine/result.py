"""What a run returns (spec/engine.md §2.8): status, completed nodes, context, trace, usage."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from tracker.engine.events import now
from tracker.engine.handler import SessionStats
from tracker.llm.usage import UsageSummary

SUCCEEDED_STATUSES = frozenset({"success", "validation_overridden"})


class TraceEntry(BaseModel):
    """One node execution (retries add entries)."""

    timestamp: datetime = Field(default_factory=now)
    node_id: str
    handler_name: str
    status: str
    duration: float = 0.0  # seconds
    edge_to: str = ""
    error: str = ""
    stats: SessionStats | None = None
    child_usage: UsageSummary | None = None


class EngineResult(BaseModel):
    """`status` is success | fail | budget_exceeded | paused_billing | validation_overridden.
    `error` is set on failure paths (the Go engine's returned error)."""

    run_id: str
    status: str
    completed_nodes: list[str] = Field(default_factory=list)
    context: dict[str, str] = Field(default_factory=dict)
    trace: list[TraceEntry] = Field(default_factory=list)
    usage: UsageSummary | None = None
    budget_limits_hit: list[str] = Field(default_factory=list)
    error: str = ""
    run_dir: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status in SUCCEEDED_STATUSES
