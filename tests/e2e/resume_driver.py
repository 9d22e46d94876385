"""Run (or resume) one pipeline through the library API in its own process, so a test can
SIGKILL it mid-run. Usage: resume_driver.py PIPELINE WORKDIR [RUN_ID_TO_RESUME].

Prints one JSON line {run_id, status, error} when the run ends."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import tracker.engine.api as api


def main(argv: list[str]) -> int:
    pipeline, workdir = Path(argv[0]), Path(argv[1])
    resume = argv[2] if len(argv) > 2 else ""
    script = workdir / "script.yaml"
    config = api.Config(
        workdir=workdir,
        artifact_dir=workdir / "runs",
        auto_approve=True,
        scripted_file=script if script.exists() else None,
        resume_run_id=resume,
    )
    result = api.run_sync(pipeline, config)
    print(json.dumps({"run_id": result.run_id, "status": result.status, "error": result.error}))
    return 0 if result.succeeded else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
