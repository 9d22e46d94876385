"""Loading the SWE-bench dataset (JSONL, one instance per line; cli-tui §12.2 step 1)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from pydantic import ValidationError

from tracker_swebench.models import Instance

# IDs become container-name suffixes and file names, so they must be this tame.
INSTANCE_ID_PATTERN = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.=-]*")


class DatasetError(Exception):
    """The dataset cannot be used; the message names the file or line at fault."""


def validate_instance_id(instance_id: str) -> None:
    """Reject IDs that are unsafe as a container name or a path component."""
    if not instance_id:
        raise DatasetError("empty instance ID")
    if not INSTANCE_ID_PATTERN.fullmatch(instance_id):
        raise DatasetError(
            f'invalid instance ID "{instance_id}": must match [a-zA-Z0-9][a-zA-Z0-9_.=-]*'
        )


def _first_problem(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"])
    return f"{where}: {err['msg']}" if where else err["msg"]


def parse_instance(line: str, line_no: int) -> Instance:
    """Parse one non-blank dataset line; errors carry the line number."""
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        raise DatasetError(
            f"line {line_no}: invalid JSON: {exc.msg} (column {exc.colno})"
        ) from None
    if not isinstance(raw, dict):
        raise DatasetError(f"line {line_no}: expected a JSON object")
    try:
        inst = Instance.model_validate(raw)
    except ValidationError as exc:
        raise DatasetError(f"line {line_no}: {_first_problem(exc)}") from None
    try:
        validate_instance_id(inst.instance_id)
    except DatasetError as exc:
        raise DatasetError(f"line {line_no}: {exc}") from None
    return inst


def load_dataset(path: str | Path) -> list[Instance]:
    """Read every instance of a JSONL dataset; blank lines are skipped."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DatasetError(f'dataset "{path}" not found') from None
    except IsADirectoryError:
        raise DatasetError(f'dataset "{path}" is a directory') from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f'cannot read dataset "{path}": {exc}') from None
    instances: list[Instance] = []
    try:
        for line_no, line in enumerate(text.split("\n"), start=1):
            if line.strip():
                instances.append(parse_instance(line, line_no))
    except DatasetError as exc:
        raise DatasetError(f'dataset "{path}", {exc}') from None
    if not instances:
        raise DatasetError(f'dataset "{path}" contains no instances')
    return instances


def select_instance(instances: list[Instance], instance_id: str) -> list[Instance]:
    """Narrow the dataset to the single `--instance` asked for."""
    for inst in instances:
        if inst.instance_id == instance_id:
            return [inst]
    raise DatasetError(f'instance "{instance_id}" not found in dataset')
