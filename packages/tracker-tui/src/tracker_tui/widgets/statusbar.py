"""Status bar (§9.6): progress or outcome, verbosity badge, flash; key hints right."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from tracker_tui.state import DashboardState, progress

HINTS = "v filter  z zen  / search  ? help  q quit"


class StatusBar(Static):
    """One row at the bottom of the dashboard."""

    DEFAULT_CSS = "StatusBar { height: 1; background: $boost; }"
    shown: str = ""  # the last rendering as plain text

    def show(self, state: DashboardState, flash: str = "") -> None:
        left = Text(progress(state, max(10, self.size.width // 3)))
        if state.outcome.startswith("●"):
            left.stylize("green")
        elif state.outcome:
            left.stylize("red")
        if state.verbosity != "all":
            left.append(f"  [{state.verbosity}]", style="bold")
        if flash:
            left.append(f"  {flash}", style="green")
        grid = Table.grid(expand=True)
        grid.add_column(ratio=1, no_wrap=True)
        grid.add_column(justify="right", no_wrap=True)
        grid.add_row(left, Text(HINTS, style="dim"))
        self.shown = f"{left.plain}  {HINTS}"
        self.update(grid)
