"""Which interviewer answers a run's gates (cli-tui.md §4.8).

Priority: `--auto-approve` > `--webhook-url` > `--autopilot` > interactive. Autopilot needs
an LLM client; without one the caller decides what happens (`on_missing_client`): the
console falls back to auto-approve, the TUI to its interactive gates (both with a warning),
the library refuses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from tracker.gates.interviewer import Interviewer

if TYPE_CHECKING:
    from tracker.llm.client import Client


class InterviewerChoice(tuple):
    """`(interviewer, warning)`; `warning` is "" when the request was honoured as asked."""

    __slots__ = ()

    def __new__(cls, interviewer: Interviewer | None, warning: str = "") -> InterviewerChoice:
        return super().__new__(cls, (interviewer, warning))

    @property
    def interviewer(self) -> Interviewer | None:
        return self[0]

    @property
    def warning(self) -> str:
        return self[1]


def choose_interviewer(
    *,
    auto_approve: bool = False,
    webhook: Interviewer | None = None,
    autopilot: str | None = None,
    llm_client: Client | None = None,
    autopilot_model: str = "",
    interactive: Interviewer | None = None,
    on_missing_client: Literal["auto-approve", "interactive", "error"] = "auto-approve",
) -> InterviewerChoice:
    """Pick the interviewer. `autopilot` is the persona (None = no autopilot; "" = `mid`).
    Raises ValueError for an unknown persona, or for autopilot without a client when
    `on_missing_client="error"`."""
    if auto_approve:
        from tracker.gates.auto_approve import AutoApproveInterviewer

        return InterviewerChoice(AutoApproveInterviewer())
    if webhook is not None:
        return InterviewerChoice(webhook)
    if autopilot is not None:
        from tracker.gates.autopilot import AutopilotInterviewer, parse_persona

        persona = parse_persona(autopilot)
        if llm_client is not None:
            return InterviewerChoice(
                AutopilotInterviewer(llm_client, persona, model=autopilot_model)
            )
        if on_missing_client == "error":
            raise ValueError("autopilot needs an LLM client, and none is configured")
        if on_missing_client == "interactive":
            return InterviewerChoice(
                interactive,
                "autopilot needs an LLM provider; none is configured — gates stay interactive",
            )
        from tracker.gates.auto_approve import AutoApproveInterviewer

        return InterviewerChoice(
            AutoApproveInterviewer(),
            "autopilot needs an LLM provider; none is configured — auto-approving gates",
        )
    return InterviewerChoice(interactive)
