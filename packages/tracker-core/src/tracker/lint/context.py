"""What a lint rule sees: the workflow, where it came from, and lint options."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tracker.dippin.ir import SourceLocation, Workflow

from .diagnostic import Diagnostic, Severity


@dataclass
class LintContext:
    workflow: Workflow
    file: str = ""
    base_dir: Path | None = None  # directory of the .dip file (None for built-ins / stdin)
    extra_models: dict[str, list[str]] = field(default_factory=dict)  # --extra-models
    in_bundle: bool = False  # .dipx: DIP126 is dropped

    def diag(
        self,
        code: str,
        severity: Severity,
        message: str,
        at: SourceLocation | None = None,
        help: str = "",
        fix: str = "",
    ) -> Diagnostic:
        """Build a diagnostic located at `at` (a node's, edge's or input's source)."""
        return Diagnostic(
            code=code,
            severity=severity,
            message=message,
            file=(at.file if at and at.file else self.file),
            line=at.line if at else 0,
            column=at.column if at else 0,
            help=help,
            fix=fix,
        )
