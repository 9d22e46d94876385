"""Human-gate interviewers: who answers a `wait.human` node and how.

The handler (tracker.handlers.human) builds the prompt and choices and asks an
`Interviewer`; this package holds the interviewer contract, the question parser and answer
models for interview mode, and the built-in interviewers (console, auto-approve, autopilot).
Submodules are imported on demand so `import tracker.gates` stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "Interviewer": "tracker.gates.interviewer",
    "GateError": "tracker.gates.interviewer",
    "GateUnsupported": "tracker.gates.interviewer",
    "Question": "tracker.gates.questions",
    "parse_questions": "tracker.gates.questions",
    "parse_structured_questions": "tracker.gates.questions",
    "parse_markdown_questions": "tracker.gates.questions",
    "InterviewAnswer": "tracker.gates.answers",
    "InterviewResult": "tracker.gates.answers",
    "markdown_summary": "tracker.gates.answers",
    "AutoApproveInterviewer": "tracker.gates.auto_approve",
    "ConsoleInterviewer": "tracker.gates.console",
    "AutopilotInterviewer": "tracker.gates.autopilot",
    "parse_persona": "tracker.gates.autopilot",
    "choose_interviewer": "tracker.gates.select",
    "WebhookInterviewer": "tracker.gates.webhook",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'tracker.gates' has no attribute {name!r}")
    return getattr(import_module(module), name)
