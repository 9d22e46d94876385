"""Header row (§9.2): pipeline name, run ID and tags left; cost, tokens, elapsed right."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from tracker_tui.state import DashboardState, header_right


class HeaderBar(Static):
    """One row; `show` redraws it from the state."""

    DEFAULT_CSS = "HeaderBar { height: 1; background: $boost; }"
    shown: str = ""  # the last rendering as plain text

    def show(self, state: DashboardState, now: float, tags: list[str]) -> None:
        left = Text(state.pipeline, style="bold")
        if state.run_id:
            left.append(f"  {state.run_id}", style="dim")
        for tag in tags:
            left.append(f"  [{tag}]", style="dark_orange")
        grid = Table.grid(expand=True)
        grid.add_column(ratio=1)
        grid.add_column(justify="right")
        right = header_right(state, now)
        grid.add_row(left, Text(right))
        self.shown = f"{left.plain}  {right}"
        self.update(grid)
