"""Run configuration handed to the engine and to every handler (`env.config`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class BudgetLimits(BaseModel):
    """spec/engine.md §5. Zero / None means "no limit" for that dimension."""

    max_total_tokens: int = 0
    max_cost_cents: int = 0
    max_wall_time: float | None = None  # seconds

    @property
    def active(self) -> bool:
        return bool(self.max_total_tokens or self.max_cost_cents or self.max_wall_time)

    def merged_over(self, fallback: BudgetLimits) -> BudgetLimits:
        """First non-zero wins per dimension: self (flags/library) before `fallback` (dip)."""
        return BudgetLimits(
            max_total_tokens=self.max_total_tokens or fallback.max_total_tokens,
            max_cost_cents=self.max_cost_cents or fallback.max_cost_cents,
            max_wall_time=self.max_wall_time or fallback.max_wall_time,
        )


class RunConfig(BaseModel):
    """Everything about a run that is not in the graph.

    `workdir` is where tools and agents run; `artifact_dir` is the parent of run directories
    (None = keep no run directory and no checkpoint, as the golden harness does)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    workdir: Path = Field(default_factory=Path.cwd)
    artifact_dir: Path | None = None
    checkpoint_path: Path | None = None
    auto_approve: bool = False
    backend: str = "native"
    model: str = ""
    provider: str = ""
    # tool safety (cli-tui.md §4.12)
    tool_allowlist: list[str] = Field(default_factory=list)
    tool_denylist_add: list[str] = Field(default_factory=list)
    bypass_denylist: bool = False
    max_output_limit: int = 10 * 1024 * 1024
    budget: BudgetLimits = Field(default_factory=BudgetLimits)
    verbose: bool = False
    params: dict[str, str] = Field(default_factory=dict)
    scripted_file: Path | None = None
    git_artifacts: bool = False
    stylesheet_resolution: bool = True
