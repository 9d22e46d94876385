"""The ACTIVITY LOG (§9.5): committed lines, open partial lines, the indicator row."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tracker_tui.state import DashboardState


class ActivityLog(Static):
    """Shows the newest lines that fit; the bottom row is reserved for the indicator."""

    DEFAULT_CSS = "ActivityLog { width: 1fr; height: 1fr; padding: 0 1; }"
    shown: str = ""  # the last rendering as plain text

    def show(self, state: DashboardState, now: float, search: str = "") -> None:
        title = f"ACTIVITY LOG [{state.focus}]" if state.focus else "ACTIVITY LOG"
        text = Text(title + "\n", style="bold")
        lines = state.visible_lines()
        partial = [(n, p) for n, p in state.partial.items() if p]
        room = max(1, self.size.height - 3 - len(partial))
        if not lines and not partial:
            text.append("awaiting activity...\n", style="dim")
        for line in list(lines)[-room:]:
            row = Text(line.text, style=line.style)
            if search:
                row.highlight_words([search], style="black on yellow", case_sensitive=False)
            text.append_text(row)
            text.append("\n")
        for node_id, rest in partial:
            prefix = f"{node_id}: " if len(partial) > 1 else ""
            text.append(prefix + rest + "\n")
        text.append(state.indicator(now), style="dark_orange")
        self.shown = text.plain
        self.update(text)

    def plain(self, state: DashboardState) -> str:
        """The filtered log as plain text (for `y`)."""
        return "\n".join(line.text for line in state.visible_lines())
