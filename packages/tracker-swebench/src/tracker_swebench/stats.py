"""Running totals of a benchmark run and the end-of-run summary (cli-tui §12.2 step 6)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from tracker.dippin.values import SECOND, format_duration_go

from tracker_swebench.classify import ErrorClass


def go_seconds(seconds: float) -> str:
    """A duration rounded to whole seconds in Go form (`45s`, `2m3s`, `1h0m0s`)."""
    return format_duration_go(int(seconds + 0.5) * SECOND)


@dataclass
class RunStats:
    """Counters shown in the summary; errors are also split by class."""

    total: int = 0
    completed: int = 0
    skipped: int = 0
    errors: int = 0
    timed_out: int = 0
    patched: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    by_class: dict[str, int] = field(default_factory=lambda: {"setup": 0, "patch": 0, "harness": 0})
    started: float = field(default_factory=time.monotonic)

    def add_error(self, error_class: ErrorClass) -> None:
        self.errors += 1
        self.by_class[error_class] += 1

    def summary(self) -> str:
        """The multi-line `Run complete` block."""
        elapsed = go_seconds(time.monotonic() - self.started)
        completed_pct = self.completed / self.total * 100 if self.total else 0.0
        patched_pct = self.patched / self.completed * 100 if self.completed else 0.0
        lines = [
            f"Run complete \u2014 elapsed: {elapsed}",
            f"  Total:     {self.total}",
            f"  Completed: {self.completed} ({completed_pct:.1f}%)",
            f"  Skipped:   {self.skipped}",
            f"  Errors:    {self.errors}",
            f"  Timed out: {self.timed_out}",
            f"  Patched:   {self.patched} ({patched_pct:.1f}% of completed)",
            f"  Tokens:    {self.input_tokens / 1e6:.2f}M in / {self.output_tokens / 1e6:.2f}M out",
        ]
        labels = {
            "setup": "Setup errors:  ",
            "patch": "Patch errors:  ",
            "harness": "Harness errors:",
        }
        for cls, label in labels.items():
            if self.by_class[cls]:
                lines.append(f"  {label} {self.by_class[cls]}")
        return "\n".join(lines)
