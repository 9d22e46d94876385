"""Core's gate UIs, registered through the `register_gate_uis` hook like any plugin's.

Each factory takes keyword options and returns an `Interviewer`:

- `console(input=None, output=None)` — line prompts on stdin / stderr;
- `auto-approve()` — deterministic answers;
- `autopilot(client, persona="mid", model="")` — an LLM judge;
- `webhook(url, callback_addr=":8789", timeout=600.0, timeout_action="fail",
  auth_header="", run_id="")` — headless gates over HTTP (`--webhook-url`).

Nothing is imported until a factory is called.
"""

from __future__ import annotations

from typing import Any

from tracker.plugins import GateUISpec, hookimpl


def _console(**options: Any) -> Any:
    from tracker.gates.console import ConsoleInterviewer

    return ConsoleInterviewer(**options)


def _auto_approve(**options: Any) -> Any:
    from tracker.gates.auto_approve import AutoApproveInterviewer

    return AutoApproveInterviewer(**options)


def _autopilot(client: Any, persona: str = "mid", **options: Any) -> Any:
    from tracker.gates.autopilot import AutopilotInterviewer

    return AutopilotInterviewer(client, persona, **options)


def _webhook(**options: Any) -> Any:
    from tracker.gates.webhook import WebhookInterviewer

    return WebhookInterviewer(**options)


GATE_UIS = (
    GateUISpec(
        name="console", factory=_console, description="line prompts when stdin is not a terminal"
    ),
    GateUISpec(
        name="auto-approve",
        factory=_auto_approve,
        description="answer every gate with its default or first option (--auto-approve)",
    ),
    GateUISpec(
        name="autopilot",
        factory=_autopilot,
        description="an LLM persona answers gates (--autopilot lax|mid|hard|mentor)",
    ),
    GateUISpec(
        name="webhook",
        factory=_webhook,
        description="POST gates to a URL and wait for a callback answer (--webhook-url)",
    ),
)


@hookimpl
def register_gate_uis(register: Any) -> None:
    for spec in GATE_UIS:
        register(spec)
