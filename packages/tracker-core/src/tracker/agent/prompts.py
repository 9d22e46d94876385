"""System prompt and the fixed user messages the session injects (spec §5.2, §5.3).

The base prompt states the path rules the tools enforce (so the model does not waste a
turn discovering them) and an environment block: where it is working, on what system,
on which date, with which model.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform

BASE_PROMPT = """\
You are a software engineering agent working inside a project directory. You act \
through tools; nobody is watching in real time, so work until the task is done.

Rules for tools:
- File tools (read, write, edit, apply_patch, glob, grep_search) take paths RELATIVE to \
the working directory. Absolute paths, paths with .. that leave the working directory and \
symlinks that lead outside it are refused.
- bash runs in the working directory and may use absolute paths. Commands built on \
eval, exec, source or piping into a shell are refused.
- Read a file before changing it, keep edits small, and run the project's tests after \
changing code.
- Several independent tool calls may be made in one turn; their results come back together.
- When you are finished, answer with a short summary of what you did, without tool calls."""

STATUS_INSTRUCTION = """\
End your final answer with one line of the form `STATUS: success`, `STATUS: fail` or \
`STATUS: retry`, saying whether the task was completed."""


def environment_block(working_dir: str, model: str, today: _dt.date | None = None) -> str:
    root = os.path.abspath(working_dir)
    is_git = os.path.isdir(os.path.join(root, ".git"))
    day = (today or _dt.date.today()).isoformat()
    return (
        "<environment>\n"
        f"Working directory: {root}\n"
        f"Git repository: {'yes' if is_git else 'no'}\n"
        f"Platform: {platform.system().lower()} {platform.release()}\n"
        f"Date: {day}\n"
        f"Model: {model}\n"
        "</environment>"
    )


def system_prompt(working_dir: str, model: str, extra: str = "", auto_status: bool = False) -> str:
    parts = [BASE_PROMPT, environment_block(working_dir, model)]
    if auto_status:
        parts.append(STATUS_INSTRUCTION)
    text = "\n\n".join(parts)
    return f"{text}\n\n{extra}" if extra else text


def prior_attempts(summaries: list[str]) -> str:
    lines = ["Prior attempts summary (avoid repeating failed approaches):"]
    for n, summary in enumerate(summaries, 1):
        lines.append(f"Attempt {n}:")
        lines += [f"  - {ln.strip()}" for ln in summary.splitlines() if ln.strip()]
    return "\n".join(lines)


STEERING_PREFIX = "[STEERING] "

CONTINUE_AFTER_LENGTH = (
    "Your previous response was cut off by the output token limit. Continue where you "
    "left off. Prefer tool calls (write, edit, apply_patch) over long blocks of text."
)

TRUNCATED_CALL = (
    "This tool call was NOT executed: your response hit the output token limit, so its "
    "arguments may be incomplete. Re-issue the call, splitting large content into "
    "smaller pieces."
)

EMPTY_RESPONSE = (
    "Your previous response was empty. Continue with the task: call a tool or give "
    "your final answer."
)

REFLECT = (
    "One or more tool calls failed. Before the next step, state briefly what went wrong, "
    "which assumption was wrong, and the smallest fix; then continue."
)

PLAN_REQUEST = (
    "Before doing anything, write a short step-by-step plan for this task. Do not call "
    "any tools in this reply."
)

EXECUTE_PLAN = "Now carry out the plan, using the tools."
