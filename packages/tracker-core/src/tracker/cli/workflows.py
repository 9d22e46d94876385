"""`tracker workflows` (cli-tui §7.1) and `tracker init <name>` (§7.2)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tracker.cli.errors import CliError, eprint
from tracker.cli.registry import cli_registry


@dataclass
class WorkflowInfo:
    name: str
    display_name: str
    goal: str


def parse_header(text: str) -> tuple[str, str]:
    """(display name, goal) from the header: the `workflow` line and the `goal:` line,
    scanning stops at `goal:` or `start:`. Quotes around the goal are removed."""
    display, goal = "", ""
    for line in text.splitlines():
        trimmed = line.strip()
        if trimmed.startswith("workflow "):
            display = trimmed[len("workflow ") :].strip()
            continue
        if trimmed.startswith("goal:"):
            goal = trimmed[len("goal:") :].strip().strip('"')
            break
        if trimmed.startswith("start:"):
            break
    return display, goal


def builtin_workflows() -> list[WorkflowInfo]:
    """Every registered workflow, sorted by name, with its header facts."""
    out: list[WorkflowInfo] = []
    for name, spec in sorted(cli_registry().workflows.items()):
        try:
            display, goal = parse_header(spec.load())
        except (OSError, UnicodeDecodeError):
            display, goal = "", ""
        out.append(WorkflowInfo(name, display, goal or spec.description))
    return out


def render_workflows(workflows: list[WorkflowInfo]) -> str:
    if not workflows:
        return "No built-in workflows available.\n"
    lines = ["", "Built-in workflows:", ""]
    lines.append(f"  {'NAME':<35}  DESCRIPTION")
    lines.append(f"  {'────':<35}  ───────────")
    for wf in workflows:
        goal = wf.goal if len(wf.goal) <= 80 else wf.goal[:77] + "..."
        lines.append(f"  {wf.name + ' (' + wf.display_name + ')':<35}  {goal}")
    lines += [
        "",
        "  Run directly:     tracker <workflow_name>",
        "  Copy to edit:     tracker init <workflow_name>",
        "  Validate:         tracker validate <workflow_name>",
        "",
    ]
    return "\n".join(lines) + "\n"


def run_workflows() -> int:
    print(render_workflows(builtin_workflows()), end="")
    return 0


def run_init(name: str | None, cwd: Path | None = None) -> int:
    workflows = cli_registry().workflows
    if not name:
        eprint("Usage: tracker init <workflow_name>", "", "Available workflows:")
        eprint(*(f"  {n}" for n in sorted(workflows)))
        raise CliError("workflow name required")
    spec = workflows.get(name)
    if spec is None:
        raise CliError(f'unknown workflow "{name}" (available: {", ".join(sorted(workflows))})')
    out_name = f"{name}.dip"
    target = (cwd or Path.cwd()) / out_name
    if target.exists():
        raise CliError(f"{out_name} already exists — remove it first or edit it directly")
    data = spec.load().encode("utf-8")
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        raise CliError(f"{out_name} already exists — remove it first or edit it directly") from None
    except OSError as exc:
        raise CliError(f"write {out_name}: {exc.strerror or exc}") from None
    os.fchmod(fd, 0o644)  # exact mode, whatever the umask
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    print(f"Created {out_name} — edit it, then run with: tracker {out_name}")
    return 0
