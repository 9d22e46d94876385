"""The activity log sink (spec/engine.md §7.2): `<run_dir>/activity.jsonl`, one JSON line
per event, appended and flushed line by line so a crash loses at most the line in flight."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import IO

from tracker.engine.events import PipelineEvent


class ActivityLog:
    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / "activity.jsonl"
        self._fh: IO[bytes] | None = None
        self._lock = threading.Lock()

    def __call__(self, event: PipelineEvent) -> None:
        line = event.activity_line()
        with self._lock:
            if self._fh is None:
                if not event.run_id:
                    return
                self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                self._fh = self.path.open("ab")
            self._fh.write(line)
            self._fh.flush()

    def close(self) -> None:
        with self._lock:
            if self._fh is not None:
                self._fh.close()
                self._fh = None
