"""`--json` output (cli-tui.md §6): every event as one JSON line on a stream, with the
same keys as activity.jsonl. Thread-safe; the first write error is reported once on stderr
and later events are dropped, so a closed pipe never crashes a run."""

from __future__ import annotations

import json
import sys
import threading
from typing import TextIO

from tracker.engine.events import PipelineEvent


class NDJSONWriter:
    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream if stream is not None else sys.stdout
        self._lock = threading.Lock()
        self._failed = False

    def __call__(self, event: PipelineEvent) -> None:
        line = json.dumps(event.activity_dict(), ensure_ascii=False, separators=(",", ":"))
        with self._lock:
            if self._failed:
                return
            try:
                self._stream.write(line + "\n")
                self._stream.flush()
            except (OSError, ValueError) as exc:
                self._failed = True
                print(f"tracker: NDJSON stream write error: {exc}", file=sys.stderr)
