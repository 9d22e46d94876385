"""Pipeline events (spec/engine.md §7): one model for every sink, serialised to the
reference's `activity.jsonl` line format (§7.2: fixed key order, empty values omitted)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson
from pydantic import BaseModel, Field

# pipeline event types (§7.3)
PIPELINE_STARTED = "pipeline_started"
PIPELINE_COMPLETED = "pipeline_completed"
PIPELINE_FAILED = "pipeline_failed"
STAGE_STARTED = "stage_started"
STAGE_COMPLETED = "stage_completed"
STAGE_FAILED = "stage_failed"
STAGE_RETRYING = "stage_retrying"
CHECKPOINT_SAVED = "checkpoint_saved"
CHECKPOINT_FAILED = "checkpoint_failed"
PARALLEL_STARTED = "parallel_started"
PARALLEL_COMPLETED = "parallel_completed"
MANAGER_CYCLE_TICK = "manager_cycle_tick"
LOOP_RESTART = "loop_restart"
DECISION_RESTART = "decision_restart"
DECISION_OUTCOME = "decision_outcome"
DECISION_CONDITION = "decision_condition"
DECISION_EDGE = "decision_edge"
EDGE_TIEBREAKER = "edge_tiebreaker"
WARNING = "warning"
COST_UPDATED = "cost_updated"
BUDGET_EXCEEDED = "budget_exceeded"
GATE_OPENED = "gate_opened"
GATE_RESOLVED = "gate_resolved"
VALIDATION_OVERRIDDEN = "validation_overridden"
BILLING_PAUSED = "billing_paused"
TOOL_OUTPUT_TRUNCATED = "tool_output_truncated"

#: §7.2 key order of an activity line (after ts/source/type)
_LINE_KEYS = (
    "run_id",
    "node_id",
    "message",
    "error",
    "provider",
    "model",
    "tool_name",
    "content",
    "edge_from",
    "edge_to",
    "edge_condition",
    "edge_priority",
    "condition_match",
    "outcome_status",
    "context_snapshot",
    "context_updates",
    "restart_count",
    "cleared_nodes",
    "token_input",
    "token_output",
    "total_tokens",
    "total_cost_usd",
    "provider_totals",
    "wall_elapsed_ms",
    "estimated",
)


def now() -> datetime:
    return datetime.now().astimezone()


def format_ts(ts: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SS.mmm±hh:mm`, `Z` for UTC (§7.2)."""
    text = ts.isoformat(timespec="milliseconds")
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class PipelineEvent(BaseModel):
    """One engine (source `pipeline`) or forwarded agent/llm event."""

    type: str
    timestamp: datetime = Field(default_factory=now)
    source: str = "pipeline"
    run_id: str = ""
    node_id: str = ""
    message: str = ""
    error: str = ""
    provider: str = ""
    model: str = ""
    tool_name: str = ""
    content: str = ""
    edge_from: str = ""
    edge_to: str = ""
    edge_condition: str = ""
    edge_priority: str = ""
    condition_match: bool | None = None
    outcome_status: str = ""
    context_snapshot: dict[str, str] = Field(default_factory=dict)
    context_updates: dict[str, str] = Field(default_factory=dict)
    restart_count: int = 0
    cleared_nodes: list[str] = Field(default_factory=list)
    token_input: int = 0
    token_output: int = 0
    total_tokens: int = 0
    total_cost_usd: float = 0.0
    provider_totals: dict[str, dict[str, Any]] = Field(default_factory=dict)
    wall_elapsed_ms: int = 0
    estimated: bool = False

    def activity_dict(self) -> dict[str, Any]:
        """The §7.2 line as an ordered dict (empty values omitted; `condition_match` kept
        whenever there is an `edge_condition`)."""
        fields = self.__dict__
        out: dict[str, Any] = {
            "ts": format_ts(self.timestamp),
            "source": self.source,
            "type": self.type,
        }
        for key in _LINE_KEYS:
            value = fields[key]
            if key == "condition_match":
                if self.edge_condition and value is not None:
                    out[key] = value
            elif value:  # "", 0, 0.0, False, None, {} and [] are all left out
                out[key] = value
        return out

    def activity_line(self) -> bytes:
        """The §7.2 line as compact JSON bytes with a trailing newline. orjson is used
        unless the line carries floats (cost fields), whose text it spells differently
        from the stdlib (`1e-5` vs `1e-05`); the stdlib also takes what orjson refuses."""
        data = self.activity_dict()
        if not (self.total_cost_usd or self.provider_totals):
            try:
                return orjson.dumps(data, option=orjson.OPT_APPEND_NEWLINE)
            except TypeError:
                pass
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        return (text + "\n").encode("utf-8")

    def prefixed(self, prefix: str) -> PipelineEvent:
        """A copy attributed to a child run under `<prefix>/` (spec §4.8)."""
        if not self.node_id:
            return self
        return self.model_copy(update={"node_id": f"{prefix}/{self.node_id}"})


#: a plain callable receiving every event; must be safe to call from parallel tasks
EventHandler = Callable[[PipelineEvent], Any]
