"""The interviewer contract: the one seam between a human gate and whoever answers it.

A gate asks in one of four shapes (spec/engine.md §4.5). `ask` is required; the other
three have defaults here, so an interviewer overrides only what it can answer:

- `ask(prompt, choices, default)` — pick one of `choices` (choice and yes/no gates);
- `ask_freeform(prompt)` — open text;
- `ask_freeform_with_labels(prompt, labels, default)` — open text or one of the edge labels
  ("hybrid"); by default it degrades to plain `ask_freeform`, as the console does;
- `ask_interview(questions, previous)` — a form of parsed questions.

All four are coroutines: the engine never blocks on a UI. An interviewer that cannot
produce an answer raises `GateError` (the handler turns it into a run-stopping handler
error, as the reference does); an interview the user cancels is not an error but an
`InterviewResult(canceled=True)`, which routes as `fail`.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from tracker.gates.answers import InterviewResult
    from tracker.gates.questions import Question

#: who stands behind an interviewer, reported on `gate_resolved`
ACTOR_HUMAN = "human"
ACTOR_AUTOPILOT = "autopilot"
ACTOR_UNKNOWN = "unknown"

#: the human node whose gate is being asked; set by the gate handler (in the gate's own
#: task) for interviewers that report it, e.g. the webhook payload's `node_id`
current_gate_node: ContextVar[str] = ContextVar("tracker_current_gate_node", default="")


class GateError(Exception):
    """The interviewer could not produce an answer (`no input received`, `invalid choice`,
    an autopilot provider error, a closed UI)."""


class GateUnsupported(GateError):
    """The interviewer does not offer this kind of gate (e.g. no interview form)."""


class Interviewer:
    """Base class with the optional methods filled in. Subclasses set `actor` and `name`."""

    name: ClassVar[str] = "interviewer"
    actor: ClassVar[str] = ACTOR_UNKNOWN

    async def ask(self, prompt: str, choices: list[str], default: str = "") -> str:
        raise GateUnsupported("choice")

    async def ask_freeform(self, prompt: str) -> str:
        raise GateUnsupported("freeform")

    async def ask_freeform_with_labels(
        self, prompt: str, labels: list[str], default: str = ""
    ) -> str:
        return await self.ask_freeform(prompt)

    async def ask_interview(
        self, questions: list[Question], previous: InterviewResult | None = None
    ) -> InterviewResult:
        raise GateUnsupported("interview")

    def cancel(self) -> None:
        """Called when a gate times out, so a pending question can be torn down. Must be
        idempotent and safe after the question was answered."""
