"""Pydantic models of the files tracker-swebench reads and writes (cli-tui §12.3).

Every string field tolerates JSON `null` (read as "") because the reference decoder leaves
a field at its zero value in that case; anything of the wrong type is rejected, so a
malformed line is reported (dataset) or skipped (predictions) instead of half-read.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator


def _null_to_empty(value: Any) -> Any:
    return "" if value is None else value


class _Record(BaseModel):
    """Common settings: unknown keys ignored, no type coercion (5 is not a string),
    `null` read as the empty string."""

    model_config = ConfigDict(extra="ignore", strict=True)

    @field_validator("*", mode="before")
    @classmethod
    def _nulls(cls, value: Any) -> Any:
        return _null_to_empty(value)


class Instance(_Record):
    """One SWE-bench task from the dataset JSONL."""

    instance_id: str = ""
    repo: str = ""
    base_commit: str = ""
    problem_statement: str = ""
    hints_text: str = ""
    version: str = ""
    environment_setup_commit: str = ""

    @property
    def repo_url(self) -> str:
        """The GitHub clone URL of the instance's repository."""
        return f"https://github.com/{self.repo}.git"

    @property
    def cache_name(self) -> str:
        """Directory name of the bare clone cache (`owner_name.git`)."""
        return self.repo.replace("/", "_") + ".git"

    def agent_prompt(self) -> str:
        """The prompt handed to the in-container agent: problem statement plus hints."""
        if not self.hints_text:
            return self.problem_statement
        return f"{self.problem_statement}\n\n## Hints\n\n{self.hints_text}"


class Prediction(_Record):
    """One line of predictions.jsonl (the SWE-bench evaluator's input format)."""

    instance_id: str = ""
    model_name_or_path: str = ""
    model_patch: str = ""


class RunMeta(BaseModel):
    """results/run_meta.json: how the run was configured. Optional keys are omitted when
    empty; `started_at` is kept as written (RFC 3339)."""

    model_config = ConfigDict(extra="ignore")

    model: str = ""
    provider: str = ""
    gateway_url: str | None = None
    base_url_override: str | None = None
    dataset: str = ""
    max_turns: int = 0
    timeout: str = ""
    started_at: str | None = None
    commit: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The on-disk shape: optional keys only when they carry a value."""
        data = self.model_dump()
        for key in ("gateway_url", "base_url_override", "started_at", "commit"):
            if not data[key]:
                data.pop(key)
        return data


class AgentSummary(BaseModel):
    """The JSON summary the in-container agent-runner prints as its last stdout line."""

    model_config = ConfigDict(extra="ignore")

    turns: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    duration_ms: int = 0
    termination_reason: str = ""
    final_message: str = ""
    last_tool_calls: list[str] = []

    @field_validator("termination_reason", "final_message", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return _null_to_empty(value)

    @field_validator("last_tool_calls", mode="before")
    @classmethod
    def _calls(cls, value: Any) -> Any:
        return [] if value is None else value


class EmptyPatchDiagnostic(BaseModel):
    """logs/<id>.empty-patch.json: why an instance produced no patch."""

    model_config = ConfigDict(extra="ignore")

    instance_id: str = ""
    turns: int = 0
    termination_reason: str = ""
    final_message: str = ""
    last_tool_calls: list[str] = []

    @field_validator("instance_id", "termination_reason", "final_message", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return _null_to_empty(value)

    @field_validator("last_tool_calls", mode="before")
    @classmethod
    def _calls(cls, value: Any) -> Any:
        return [] if value is None else value

    @classmethod
    def from_summary(cls, instance_id: str, summary: AgentSummary) -> EmptyPatchDiagnostic:
        """Build the on-disk diagnostic: final message capped at 400 characters, at most
        the last 3 tool calls."""
        return cls(
            instance_id=instance_id,
            turns=summary.turns,
            termination_reason=summary.termination_reason,
            final_message=summary.final_message[:400],
            last_tool_calls=list(summary.last_tool_calls[-3:]),
        )
