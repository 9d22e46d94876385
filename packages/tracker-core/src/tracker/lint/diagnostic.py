"""The diagnostic every parser error, validation finding and lint rule produces."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

Severity = Literal["error", "warning", "info", "hint"]


class Diagnostic(BaseModel):
    code: str  # "DIP003", "TRK101", "DIP000" for parse errors
    severity: Severity
    message: str
    file: str = ""
    line: int = 0
    column: int = 0
    help: str = ""
    fix: str = ""

    def render(self) -> str:
        """Compiler-style text: `file:line:col: severity[CODE]: message` plus help/fix lines."""
        where = self.file or "<unknown>"
        if self.line:
            where += f":{self.line}:{self.column or 1}"
        head = f"{where}: {self.severity}[{self.code}]: {self.message}"
        lines = [head]
        if self.help:
            lines.append(f"  = help: {self.help}")
        if self.fix:
            lines.append(f"  = fix: {self.fix}")
        return "\n".join(lines)

    def to_check_json(self) -> dict[str, object]:
        """The entry shape of the check document (spec/dippin.md §10)."""
        out: dict[str, object] = {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
        }
        if self.line:
            out["line"] = self.line
        if self.fix:
            out["fix"] = self.fix
        return out


class DippinError(Exception):
    """Raised when a pipeline cannot be loaded; carries every diagnostic found."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = diagnostics
        first = diagnostics[0] if diagnostics else None
        super().__init__(first.render() if first else "invalid pipeline")
