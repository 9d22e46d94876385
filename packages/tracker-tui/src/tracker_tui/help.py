"""The `?` help overlay (§9.7)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from tracker_tui.modals import MODAL_CSS

KEYS = (
    ("v", "cycle verbosity filter"),
    ("z", "toggle zen mode (hide the sidebar)"),
    ("/", "search the activity log"),
    ("n / N", "next / previous match"),
    ("Enter", "focus the log on the selected node"),
    ("Esc", "clear focus / search"),
    ("Up/Down", "select a node"),
    ("y", "copy the visible log"),
    ("?", "toggle this help"),
    ("Ctrl+O", "toggle tool-output expansion"),
    ("q", "quit (cancels the run)"),
    ("Ctrl+C", "cancel any gate and quit"),
)


class HelpScreen(ModalScreen[None]):
    """`KEYBOARD SHORTCUTS`, closed by `?` or Esc."""

    DEFAULT_CSS = MODAL_CSS
    BINDINGS = [
        Binding("question_mark", "dismiss", show=False),
        Binding("escape", "dismiss", show=False),
    ]

    def compose(self) -> ComposeResult:
        text = Text("KEYBOARD SHORTCUTS\n\n", style="bold")
        for key, what in KEYS:
            text.append(f"  {key:<10}", style="bold")
            text.append(f"{what}\n")
        text.append("\npress ? or esc to close", style="dim")
        with Vertical(id="box"):
            yield Static(text)
