"""Writing the results directory (cli-tui §12.3): predictions, run metadata, per-instance
logs and empty-patch diagnostics. Whole files are written atomically; predictions are
appended one flushed line at a time so an interrupted run loses nothing."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from tracker_swebench.models import EmptyPatchDiagnostic, Prediction, RunMeta


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` through a temp file in the same directory + os.replace."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def indented_json(data: Any) -> str:
    """Two-space indented JSON, UTF-8 kept as is."""
    return json.dumps(data, indent=2, ensure_ascii=False)


def read_prediction_line(line: str) -> Prediction | None:
    """Parse one predictions.jsonl line; None for blank, unparsable or ID-less lines."""
    line = line.strip()
    if not line:
        return None
    try:
        raw = json.loads(line)
    except json.JSONDecodeError:
        return None
    if not isinstance(raw, dict):
        return None
    try:
        pred = Prediction.model_validate(raw)
    except ValidationError:
        return None
    return pred if pred.instance_id else None


def iter_predictions(path: Path) -> list[Prediction]:
    """Every usable prediction of a file, in file order."""
    with path.open(encoding="utf-8", errors="replace", newline="\n") as fh:
        preds = (read_prediction_line(line) for line in fh)
        return [p for p in preds if p is not None]


class PredictionsFile:
    """The append-only predictions.jsonl plus the set of instances already done.

    "Done" means a line with a non-empty patch exists: empty-patch instances (timeouts,
    errors) are retried when a run is resumed.
    """

    def __init__(self, path: Path, model: str) -> None:
        self.path = path
        self.model = model
        self.completed: set[str] = set()
        if path.is_file():
            self.completed = {p.instance_id for p in iter_predictions(path) if p.model_patch}
        self._fh: IO[str] | None = None

    def is_completed(self, instance_id: str) -> bool:
        return instance_id in self.completed

    def open(self) -> None:
        """Open for appending (creating the file and its directory if needed)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = self.path.open("a", encoding="utf-8")

    def write(self, instance_id: str, patch: str) -> None:
        """Append one prediction line and flush it to disk."""
        if self._fh is None:
            self.open()
        assert self._fh is not None
        pred = Prediction(instance_id=instance_id, model_name_or_path=self.model, model_patch=patch)
        self._fh.write(json.dumps(pred.model_dump(), ensure_ascii=False) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())
        if patch:
            self.completed.add(instance_id)

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def write_run_meta(path: Path, meta: RunMeta) -> None:
    """results/run_meta.json, indented."""
    write_atomically(path, indented_json(meta.to_json()))


def patch_line_count(patch: str) -> int:
    """Number of non-empty lines of a patch (the progress line's `patch: N lines`)."""
    return sum(1 for line in patch.split("\n") if line)


def instance_log_text(
    instance_id: str,
    elapsed: str,
    turns: int,
    input_tokens: int,
    output_tokens: int,
    patch: str,
    *,
    write_error: str | None = None,
    error: str | None = None,
) -> str:
    """The `key: value` lines of logs/<id>.log, in the order analyze expects; the
    (possibly multi-line) error is always last."""
    lines = [
        f"instance_id: {instance_id}",
        f"elapsed: {elapsed}",
        f"turns: {turns}",
        f"input_tokens: {input_tokens}",
        f"output_tokens: {output_tokens}",
        f"patch_lines: {patch_line_count(patch)}",
    ]
    if write_error is not None:
        lines.append(f"write_prediction_error: {write_error}")
    if error is not None:
        lines.append(f"error: {error}")
    return "\n".join(lines) + "\n"


def write_instance_log(logs_dir: Path, instance_id: str, text: str) -> None:
    write_atomically(logs_dir / f"{instance_id}.log", text)


def write_transcript(logs_dir: Path, instance_id: str, transcript: str) -> None:
    write_atomically(logs_dir / f"{instance_id}.transcript.log", transcript)


def write_empty_patch_diagnostic(logs_dir: Path, diag: EmptyPatchDiagnostic) -> None:
    """logs/<id>.empty-patch.json, indented; last_tool_calls is always a list."""
    write_atomically(
        logs_dir / f"{diag.instance_id}.empty-patch.json", indented_json(diag.model_dump())
    )
