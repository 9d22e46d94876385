"""`tracker doctor` (cli-tui §7.5): print the report, or the DoctorReport JSON with --json.

Exit 0 when every check passes, 1 on failures (`error: health check failed` on stderr),
2 on warnings only. The one CLI-only side effect: tracker's entries are appended to an
existing `.gitignore` that lacks them.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from tracker.cli.errors import eprint

if TYPE_CHECKING:
    from tracker.health import CheckResult, DoctorReport

#: checks whose one-line verdict is printed after their details
VERDICT_CHECKS = {"Environment Warnings", "Dippin Language", "Disk Space"}
ICONS = {"ok": "✓", "warn": "⚠", "error": "✗", "skip": "-", "hint": "→"}
COLOURS = {"ok": "32", "warn": "33", "error": "31", "skip": "2", "hint": "2"}
EXIT_LINE = "  exit codes: 0=all pass  1=failures  2=warnings only"


Painter = Callable[[str, str], str]


def _plain(_status: str, text: str) -> str:
    return text


def _painter(stream: TextIO) -> Painter:
    """Colour only on a terminal, and never with NO_COLOR set."""
    use = stream.isatty() and not os.environ.get("NO_COLOR")

    def paint(status: str, text: str) -> str:
        return f"\x1b[{COLOURS[status]}m{text}\x1b[0m" if use else text

    return paint


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def render_check(check: CheckResult, paint: Painter = _plain) -> list[str]:
    lines = [f"  {check.name}"]
    details = check.details or []
    for d in details:
        lines.append(f"    {paint(d.status, ICONS[d.status])} {d.message}")
        if d.hint:
            lines.append(f"      {paint('hint', '→')} {d.hint}")
    if check.message and (check.name in VERDICT_CHECKS or not details):
        lines.append(f"    {paint(check.status, ICONS[check.status])} {check.message}")
    if check.hint and check.status != "ok":
        lines.append(f"    {paint('hint', '→')} {check.hint}")
    return lines


def render_report(report: DoctorReport, paint: Painter = _plain) -> str:
    lines = ["", "tracker doctor", ""]
    for check in report.checks:
        lines += render_check(check, paint)
        lines.append("")
    summary = f"  {report.passed} passed"
    if report.warnings:
        summary += f", {_plural(report.warnings, 'warning')}"
    if report.errors:
        summary += f", {_plural(report.errors, 'failure')}"
    lines += [summary, "", EXIT_LINE]
    return "\n".join(lines) + "\n"


def fix_gitignore(work_dir: Path) -> list[str]:
    """Append tracker's missing entries to an existing `.gitignore`; returns them."""
    from tracker.health import missing_gitignore_entries

    missing = missing_gitignore_entries(work_dir)
    if not missing:
        return []
    path = work_dir / ".gitignore"
    try:
        text = path.read_text(encoding="utf-8")
        prefix = "" if not text or text.endswith("\n") else "\n"
        with path.open("a", encoding="utf-8") as fh:
            fh.write(prefix + "\n".join(missing) + "\n")
    except OSError:
        return []
    return missing


def run_doctor(
    pipeline: str | None = None,
    *,
    probe: bool = True,
    json_out: bool = False,
    workdir: str | None = None,
    backend: str = "",
) -> int:
    from tracker.cli.registry import cli_registry
    from tracker.cli.version import build_info, package_version
    from tracker.health import doctor

    commit, _ = build_info()
    registry = cli_registry()
    report = doctor(
        work_dir=workdir,
        backend=backend or "",
        probe_providers=probe,
        pipeline_file=pipeline or "",
        version=package_version(),
        commit=None if commit == "unknown" else commit,
        registry=registry,
    )
    work_dir = Path(workdir).expanduser().resolve() if workdir else Path.cwd()
    if json_out:
        print(json.dumps(report.to_json_dict(), indent=2, ensure_ascii=False))
        fix_gitignore(work_dir)
    else:
        sys.stdout.write(render_report(report, _painter(sys.stdout)))
        added = fix_gitignore(work_dir)
        if added:
            print(f"  added {', '.join(added)} to {work_dir / '.gitignore'}")
    if report.errors:
        eprint("error: health check failed")
    return report.exit_code
