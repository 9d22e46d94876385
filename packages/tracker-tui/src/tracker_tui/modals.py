"""Gate modals (cli-tui.md §9.8): choice list, freeform, hybrid. Each dismisses with the
answer, or with None when cancelled (the interviewer turns None into a gate error)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static, TextArea

MODAL_CSS = """
ModalScreen { align: center middle; }
#box { width: 80%; height: auto; max-height: 90%; border: double $accent;
       background: $surface; padding: 0 1; }
#box TextArea { height: 6; }
"""


class _Gate(ModalScreen[str | None]):
    """Common layout: prompt, body, hint."""

    DEFAULT_CSS = MODAL_CSS
    HINT = ""

    def __init__(self, prompt: str) -> None:
        super().__init__()
        self.prompt = prompt

    def compose(self) -> ComposeResult:
        with Vertical(id="box"):
            yield Static(Text(self.prompt, style="bold"), id="prompt")
            yield from self.body()
            yield Static(Text(self.HINT, style="dim"), id="hint")

    def body(self) -> ComposeResult:
        yield from ()


class ChoiceModal(_Gate):
    """Options with a `  > ` cursor; ↑/↓ move, Enter selects, Esc cancels."""

    HINT = "arrow keys navigate  enter select"
    BINDINGS = [
        Binding("up", "move(-1)", show=False),
        Binding("down", "move(1)", show=False),
        Binding("enter", "select", show=False),
        Binding("escape", "dismiss_none", show=False),
    ]

    def __init__(self, prompt: str, choices: list[str], default: str = "") -> None:
        super().__init__(prompt)
        self.choices = choices
        lowered = [c.lower() for c in choices]
        self.cursor = lowered.index(default.lower()) if default.lower() in lowered else 0

    def body(self) -> ComposeResult:
        yield Static(self._render_options(), id="options")

    def _render_options(self) -> Text:
        text = Text()
        for index, choice in enumerate(self.choices):
            if index == self.cursor:
                text.append(f"  > {choice}\n", style="bold green")
            else:
                text.append(f"    {choice}\n")
        return text

    def action_move(self, delta: int) -> None:
        self.cursor = (self.cursor + delta) % len(self.choices)
        self.query_one("#options", Static).update(self._render_options())

    def action_select(self) -> None:
        self.dismiss(self.choices[self.cursor])

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class FreeformModal(_Gate):
    """Multi-line input; Enter inserts a newline, Ctrl+S submits (not when blank), Esc
    submits non-empty text else cancels."""

    HINT = "enter newline  ctrl+s submit  esc submit/cancel"
    BINDINGS = [
        Binding("ctrl+s", "submit", priority=True, show=False),
        Binding("escape", "escape", priority=True, show=False),
    ]

    def body(self) -> ComposeResult:
        area = TextArea(id="answer")
        area.placeholder = "Type your response..."
        yield area

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def _text(self) -> str:
        return self.query_one(TextArea).text.strip()

    def action_submit(self) -> None:
        if self._text():
            self.dismiss(self._text())

    def action_escape(self) -> None:
        self.dismiss(self._text() or None)


class HybridModal(_Gate):
    """Radio rows for the edge labels plus `other (provide feedback)` (§9.8 Hybrid)."""

    HINT = "↑↓ navigate  enter select  ctrl+s submit  esc cancel"
    BINDINGS = [
        Binding("up", "move(-1)", priority=True, show=False),
        Binding("down", "move(1)", show=False),
        Binding("enter", "select", show=False),
        Binding("ctrl+s", "submit", priority=True, show=False),
        Binding("escape", "escape", priority=True, show=False),
    ]

    def __init__(self, prompt: str, labels: list[str], default: str = "") -> None:
        head, _, context = prompt.partition("\n\n---\n")
        if context:
            lines = context.splitlines()
            shown = "\n".join(lines[:5])
            if len(lines) > 5:
                shown += f"\n... ({len(lines) - 5} more lines in activity log)"
            head = f"{head}\n\n{shown}"
        super().__init__(head)
        self.labels = labels
        lowered = [label.lower() for label in labels]
        self.cursor = lowered.index(default.lower()) if default.lower() in lowered else 0
        self.typing = False

    def body(self) -> ComposeResult:
        yield Static(self._render_rows(), id="options")
        area = TextArea(id="feedback", disabled=True)
        area.placeholder = "Type specific feedback..."
        area.display = False
        yield area

    def _render_rows(self) -> Text:
        text = Text()
        for index, label in enumerate([*self.labels, "other (provide feedback)"]):
            on = index == self.cursor
            if index == len(self.labels) and on and self.typing:
                label = "other:"
            text.append(f"  {'●' if on else '○'} {label}\n", style="green" if on else "")
        return text

    def _redraw(self) -> None:
        self.query_one("#options", Static).update(self._render_rows())
        hint = (
            "type feedback  ctrl+s submit  esc back to options  ↑ back"
            if self.typing
            else self.HINT
        )
        self.query_one("#hint", Static).update(Text(hint, style="dim"))

    def _leave_text(self) -> None:
        self.typing = False
        area = self.query_one(TextArea)
        area.display = False
        area.disabled = True
        self.set_focus(None)
        self._redraw()

    def action_move(self, delta: int) -> None:
        if self.typing:
            if delta < 0:
                self._leave_text()
            return
        self.cursor = (self.cursor + delta) % (len(self.labels) + 1)
        self._redraw()

    def action_select(self) -> None:
        if self.cursor < len(self.labels):
            self.dismiss(self.labels[self.cursor])
            return
        self.typing = True
        area = self.query_one(TextArea)
        area.display = True
        area.disabled = False
        area.focus()
        self._redraw()

    def action_submit(self) -> None:
        if not self.typing:
            self.action_select()
            return
        text = self.query_one(TextArea).text.strip()
        if text:
            self.dismiss(text)

    def action_escape(self) -> None:
        if self.typing:
            self._leave_text()
        else:
            self.dismiss(None)
