"""Builders for tracker-swebench results directories and datasets (cli-tui §12.3 formats)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest


class ResultsBuilder:
    """Writes the files a tracker-swebench run leaves behind, in their documented formats."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.dir = root / "results"
        self.logs = self.dir / "logs"
        self.logs.mkdir(parents=True)
        self.predictions = self.dir / "predictions.jsonl"

    def prediction(self, iid: str, patch: str = "diff --git a/x b/x\n+fix") -> ResultsBuilder:
        line = {"instance_id": iid, "model_name_or_path": "claude-sonnet-4-6", "model_patch": patch}
        with self.predictions.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(line) + "\n")
        return self

    def raw_prediction_line(self, text: str) -> ResultsBuilder:
        with self.predictions.open("a", encoding="utf-8") as fh:
            fh.write(text + "\n")
        return self

    def log(
        self,
        iid: str,
        *,
        elapsed: str = "1m0s",
        turns: int = 5,
        input_tokens: int = 1000,
        output_tokens: int = 100,
        patch_lines: int = 2,
        write_error: str | None = None,
        error: str | None = None,
    ) -> ResultsBuilder:
        lines = [
            f"instance_id: {iid}",
            f"elapsed: {elapsed}",
            f"turns: {turns}",
            f"input_tokens: {input_tokens}",
            f"output_tokens: {output_tokens}",
            f"patch_lines: {patch_lines}",
        ]
        if write_error is not None:
            lines.append(f"write_prediction_error: {write_error}")
        if error is not None:
            lines.append(f"error: {error}")
        (self.logs / f"{iid}.log").write_text("\n".join(lines) + "\n", encoding="utf-8")
        return self

    def diagnostic(
        self,
        iid: str,
        *,
        turns: int = 3,
        termination_reason: str = "explicit_finish",
        final_message: str = "I could not find the bug",
        last_tool_calls: list[str] | None = None,
    ) -> ResultsBuilder:
        diag = {
            "instance_id": iid,
            "turns": turns,
            "termination_reason": termination_reason,
            "final_message": final_message,
            "last_tool_calls": ["read_file", "grep", "bash"]
            if last_tool_calls is None
            else last_tool_calls,
        }
        (self.logs / f"{iid}.empty-patch.json").write_text(json.dumps(diag, indent=2))
        return self

    def run_meta(self, **overrides: Any) -> ResultsBuilder:
        meta = {
            "model": "claude-sonnet-4-6",
            "provider": "anthropic",
            "dataset": "swebench_lite.jsonl",
            "max_turns": 50,
            "timeout": "30m0s",
            "started_at": "2026-04-24T10:00:00Z",
            "commit": "0123456789ab",
        }
        meta.update(overrides)
        (self.dir / "run_meta.json").write_text(json.dumps(meta, indent=2))
        return self

    def evaluator(self, name: str, content: Any) -> ResultsBuilder:
        text = content if isinstance(content, str) else json.dumps(content)
        (self.dir / name).write_text(text)
        return self


@pytest.fixture
def results(tmp_path: Path) -> ResultsBuilder:
    return ResultsBuilder(tmp_path)
