"""The TRAIL (§9.4): the visit path newest first, repeats collapsed with `×N`."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tracker_tui.state import DashboardState
from tracker_tui.widgets.nodelist import COLOURS


class Trail(Static):
    """Empty until a node has started."""

    DEFAULT_CSS = "Trail { height: 2fr; }"
    shown: str = ""  # the last rendering as plain text

    def show(self, state: DashboardState, frame: int) -> None:
        if not state.path:
            self.shown = ""
            self.update("")
            return
        text = Text("TRAIL\n", style="bold")
        for node_id, count in state.trail():
            node = state.node(node_id)
            text.append("  ")
            text.append(node.lamp(frame), style=COLOURS[node.status])
            text.append(f" {node.label}")
            if count > 1:
                text.append(f" ×{count}", style="dark_orange")
            text.append("\n")
        self.shown = text.plain
        self.update(text)
