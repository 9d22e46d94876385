"""The PIPELINE node list (§9.3): one row per node with its lamp, label and suffix."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tracker_tui.state import DONE, FAILED, PENDING, RETRYING, RUNNING, SKIPPED, DashboardState

COLOURS = {
    PENDING: "grey42",
    RUNNING: "dark_orange",
    DONE: "green",
    FAILED: "red",
    RETRYING: "dark_orange",
    SKIPPED: "dim",
}


class NodeList(Static):
    """Rows `[▸] indent lamp label [suffix]`; `selected` is the row index or -1."""

    DEFAULT_CSS = "NodeList { height: 3fr; }"
    shown: str = ""  # the last rendering as plain text

    def show(self, state: DashboardState, frame: int, now: float, selected: int) -> None:
        text = Text("PIPELINE\n", style="bold")
        width = max(8, self.size.width - 6)
        for index, node_id in enumerate(state.order):
            node = state.nodes[node_id]
            colour = "gold3" if node.status == RUNNING and node.tool else COLOURS[node.status]
            text.append("▸ " if index == selected else "  ")
            text.append("  " * node.depth)
            text.append(node.lamp(frame), style=colour)
            label = node.label if len(node.label) <= width else node.label[: width - 1] + "…"
            text.append(f" {label}")
            suffix = node.suffix(now)
            if suffix:
                text.append(f" {suffix}", style="red" if node.status == FAILED else "dim")
            text.append("\n")
        self.shown = text.plain
        self.update(text)
