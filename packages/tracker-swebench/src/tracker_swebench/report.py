"""The `analyze` report (cli-tui §12.4 step 8): pydantic models whose field order is the
JSON key order, and the JSON rendering."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from tracker_swebench.models import RunMeta


class Counts(BaseModel):
    total: int = 0
    resolved: int = 0
    unresolved: int = 0
    patched_unverified: int = 0
    empty: int = 0
    errors: int = 0
    resolved_pct: float = 0.0
    unresolved_pct: float = 0.0
    patched_unverified_pct: float = 0.0
    empty_pct: float = 0.0
    errors_pct: float = 0.0
    resolved_known: bool = False


class RepoRow(BaseModel):
    repo: str
    total: int = 0
    resolved: int = 0
    unresolved: int = 0
    patched_unverified: int = 0
    empty: int = 0
    errors: int = 0
    rate: float = 0.0
    resolved_known: bool = False


class EmptyPatchEntry(BaseModel):
    instance_id: str
    turns: int = 0
    termination_reason: str = ""
    final_message: str = ""
    last_tool_calls: list[str] = []


class EmptyPatchSection(BaseModel):
    diagnostics_available: bool = False
    notes: str | None = None
    total_empty: int = 0
    diagnostics_found: int = 0
    instances: list[EmptyPatchEntry] = []


class UnresolvedRow(BaseModel):
    instance_id: str
    turns: int = 0
    elapsed: str = ""
    elapsed_secs: int = 0
    input_tokens: int = 0
    output_tokens: int = 0


class ErrorSample(BaseModel):
    # "class" is a Python keyword: the field is class_, written as "class" in JSON.
    class_: str
    instance_id: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"class": self.class_, "instance_id": self.instance_id, "message": self.message}


class ErrorClasses(BaseModel):
    total: int = 0
    setup: int = 0
    patch: int = 0
    harness: int = 0
    samples: list[ErrorSample] = []


class AnalyzeReport(BaseModel):
    results_dir: str
    run_meta: RunMeta | None = None
    evaluator_report_path: str | None = None
    counts: Counts = Counts()
    per_repo: list[RepoRow] = []
    top_empty_patches: EmptyPatchSection = EmptyPatchSection()
    top_longest_unresolved: list[UnresolvedRow] = []
    error_classes: ErrorClasses = ErrorClasses()

    def to_json(self) -> dict[str, Any]:
        """The documented JSON shape: optional keys omitted when absent."""
        data = self.model_dump(exclude={"run_meta"})
        if self.run_meta is not None:
            data["run_meta"] = self.run_meta.to_json()
        if self.evaluator_report_path is None:
            data.pop("evaluator_report_path")
        if self.top_empty_patches.notes is None:
            data["top_empty_patches"].pop("notes")
        data["error_classes"]["samples"] = [s.to_json() for s in self.error_classes.samples]
        ordered = {key: data[key] for key in AnalyzeReport.model_fields if key in data}
        return _integral_floats_as_ints(ordered)

    def json_text(self) -> str:
        """Indented JSON with a trailing newline (what `analyze --json` prints)."""
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"


def _integral_floats_as_ints(value: Any) -> Any:
    """Render 25.0 as 25, as the reference's encoder does; other values unchanged."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _integral_floats_as_ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_integral_floats_as_ints(v) for v in value]
    return value
