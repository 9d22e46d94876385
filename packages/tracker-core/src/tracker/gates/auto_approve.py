"""`--auto-approve`: deterministic answers, no LLM, no human (cli-tui.md §4.8).

choice → the default (the handler passes `default_choice`, falling back to `default`), else
the first option; yes/no → `Yes`; freeform → `auto-approved`; labeled freeform → the default
label, else the first label; interview → `yes` for yes/no questions, the first option for
select questions, `auto-approved` for open ones.
"""

from __future__ import annotations

from tracker.gates.answers import InterviewAnswer, InterviewResult
from tracker.gates.interviewer import ACTOR_AUTOPILOT, GateError, Interviewer
from tracker.gates.questions import Question

AUTO_APPROVED = "auto-approved"


class AutoApproveInterviewer(Interviewer):
    name = "auto-approve"
    actor = ACTOR_AUTOPILOT

    async def ask(self, prompt: str, choices: list[str], default: str = "") -> str:
        if not choices:
            raise GateError("no choices available")
        return default or choices[0]

    async def ask_freeform(self, prompt: str) -> str:
        return AUTO_APPROVED

    async def ask_freeform_with_labels(
        self, prompt: str, labels: list[str], default: str = ""
    ) -> str:
        return default or (labels[0] if labels else AUTO_APPROVED)

    async def ask_interview(
        self, questions: list[Question], previous: InterviewResult | None = None
    ) -> InterviewResult:
        return InterviewResult(
            questions=[InterviewAnswer.for_question(q, auto_answer(q)) for q in questions]
        )


def auto_answer(question: Question) -> str:
    if question.is_yes_no:
        return "yes"
    if question.options:
        return question.options[0]
    return AUTO_APPROVED
