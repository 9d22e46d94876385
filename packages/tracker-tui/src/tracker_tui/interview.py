"""The interview form (cli-tui.md §9.8): one question at a time, full screen; dismisses
with an `InterviewResult` (canceled=True on Esc from the first question)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Input, Static
from tracker.gates.answers import InterviewAnswer, InterviewResult

if TYPE_CHECKING:
    from tracker.gates.questions import Question

HINT = "↑↓ move  enter confirm  y/n yes/no  esc back  ctrl+s submit all"


class InterviewScreen(Screen[InterviewResult]):
    """Answers are confirmed per question; any empty answer marks the result incomplete."""

    BINDINGS = [
        Binding("up", "move(-1)", show=False),
        Binding("down", "move(1)", show=False),
        Binding("enter", "confirm", show=False),
        Binding("y", "yes_no('Yes')", show=False),
        Binding("n", "yes_no('No')", show=False),
        Binding("escape", "back", priority=True, show=False),
        Binding("ctrl+s", "submit", priority=True, show=False),
    ]
    DEFAULT_CSS = (
        "InterviewScreen Input { display: none; } InterviewScreen .typing { display: block; }"
    )

    def __init__(self, questions: list[Question], previous: InterviewResult | None = None) -> None:
        super().__init__()
        self.questions = questions
        self.answers = ["" for _ in questions]
        self.current = 0
        self.cursor = 0
        known = previous.by_id() if previous else {}
        for index, question in enumerate(questions):
            if question.id in known:
                self.answers[index] = known[question.id].answer

    def compose(self) -> ComposeResult:
        yield Static(id="form")
        yield Input(placeholder="Type your answer...", id="text", disabled=True)

    def on_mount(self) -> None:
        self._redraw()

    # ------------------------------------------------------------------ drawing

    def _options(self) -> list[str]:
        question = self.questions[self.current]
        if question.is_yes_no:
            return ["Yes", "No"]
        return [*question.options, "Other"] if question.options else []

    def _redraw(self) -> None:
        n = len(self.questions)
        answered = sum(1 for a in self.answers if a.strip())
        text = Text(f"INTERVIEW  ({answered}/{n} answered)\n\n", style="bold")
        for index in range(self.current):
            q, answer = self.questions[index], self.answers[index]
            if answer.strip():
                text.append(f"  ✓ Q{index + 1}: {q.text} → {answer}\n", style="green")
            else:
                text.append(f"  · Q{index + 1}: {q.text} (skipped)\n", style="dim")
        question = self.questions[self.current]
        text.append(f"\nQ{self.current + 1} of {n}: {question.text}\n", style="bold")
        if question.context:
            text.append(f"{question.context}\n", style="italic")
        chosen = self.answers[self.current]
        options = self._options()
        if question.is_yes_no:
            for option in options:
                mark = "●" if option == chosen else "○"
                text.append(f"  {mark} {option}{'  ✓' if option == chosen else ''}    ")
            text.append("\n")
        elif options:
            for index, option in enumerate(options):
                hovered = index == self.cursor
                done = option == chosen
                mark = "●" if hovered or done else "○"
                style = "green" if hovered else ""
                text.append(f"  {mark} {option}{'  ✓' if done else ''}\n", style=style)
        elif chosen:
            text.append(f"  {chosen}\n")
        else:
            text.append("  (press Enter to type your answer)\n", style="dim")
        text.append(f"\n{n - answered} questions remaining\n{HINT}", style="dim")
        self.query_one("#form", Static).update(text)

    # ------------------------------------------------------------------ typing

    def _typing(self) -> bool:
        return self.query_one(Input).has_class("typing")

    def _open_text(self) -> None:
        field = self.query_one(Input)
        field.value = self.answers[self.current]
        field.disabled = False
        field.add_class("typing")
        field.focus()

    def _close_text(self) -> None:
        field = self.query_one(Input)
        field.remove_class("typing")
        field.disabled = True
        self.set_focus(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.answers[self.current] = event.value.strip()
        self._close_text()
        self._advance()

    # ------------------------------------------------------------------ navigation

    def _advance(self) -> None:
        if self.current + 1 < len(self.questions):
            self.current += 1
            self.cursor = 0
        self._redraw()

    def action_move(self, delta: int) -> None:
        options = self._options()
        if not options or self.questions[self.current].is_yes_no:
            return
        self.cursor = max(0, min(len(options) - 1, self.cursor + delta))
        self._redraw()

    def action_yes_no(self, value: str) -> None:
        if self.questions[self.current].is_yes_no and not self._typing():
            self.answers[self.current] = value
            self._advance()

    def action_confirm(self) -> None:
        question = self.questions[self.current]
        options = self._options()
        if question.is_yes_no:
            self.answers[self.current] = "No" if self.answers[self.current] == "Yes" else "Yes"
            self._advance()
        elif options and options[self.cursor] != "Other":
            self.answers[self.current] = options[self.cursor]
            self._advance()
        else:
            self._open_text()

    def action_back(self) -> None:
        if self._typing():
            self._close_text()
        elif self.current == 0:
            self.dismiss(self._result(canceled=True))
        else:
            self.current -= 1
            self.cursor = 0
        self._redraw()

    def action_submit(self) -> None:
        if self._typing():
            self.answers[self.current] = self.query_one(Input).value.strip()
        self.dismiss(self._result())

    def _result(self, canceled: bool = False) -> InterviewResult:
        answers = [
            InterviewAnswer.for_question(q, answer=a)
            for q, a in zip(self.questions, self.answers, strict=True)
        ]
        incomplete = any(not a.strip() for a in self.answers)
        return InterviewResult(questions=answers, incomplete=incomplete, canceled=canceled)
