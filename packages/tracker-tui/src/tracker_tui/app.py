"""The dashboard App (cli-tui.md §9): runs the engine as a task in textual's event loop,
takes events through a deque drained every frame, and hosts the gate modals."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Input

from tracker_tui.help import HelpScreen
from tracker_tui.state import DashboardState
from tracker_tui.widgets import ActivityLog, HeaderBar, NodeList, StatusBar, Trail

if TYPE_CHECKING:
    from tracker.engine.events import PipelineEvent

FRAME = 0.15  # spinner period; events are drained at the same pace (batched per frame)
QUIT_GRACE = 5.0
NOT_EXITED = "pipeline did not exit within 5s after TUI closed"


class Dashboard(Screen[None]):
    """Header, sidebar (node list over trail), activity log, status bar."""

    AUTO_FOCUS = None  # keys go to the dashboard until `/` opens the search bar

    DEFAULT_CSS = """
    #sidebar { width: 25%; padding-right: 1; border-right: vkey $panel; }
    #search { dock: bottom; height: 1; border: none; display: none; }
    #search.open { display: block; }
    Dashboard.zen #sidebar { display: none; }
    """
    BINDINGS = [
        Binding("q", "app.quit_run", "quit"),
        Binding("v", "verbosity", "filter"),
        Binding("z", "zen", "zen"),
        Binding("slash", "search", "search"),
        Binding("question_mark", "help", "help"),
        Binding("up", "select(-1)", show=False),
        Binding("down", "select(1)", show=False),
        Binding("enter", "focus_node", show=False),
        Binding("escape", "clear", show=False),
        Binding("y", "copy", show=False),
        Binding("ctrl+o", "expand", show=False),
    ]

    def __init__(self, state: DashboardState, tags: list[str]) -> None:
        super().__init__()
        self.state = state
        self.tags = tags
        self.selected = -1
        self.frame = 0
        self.flash = ""
        self.flash_until = 0.0
        self.search = ""
        self.ready = False

    def on_mount(self) -> None:
        self.ready = True
        self.redraw()

    def compose(self) -> ComposeResult:
        yield HeaderBar()
        with Horizontal():
            with Vertical(id="sidebar"):
                yield NodeList()
                yield Trail()
            yield ActivityLog()
        yield Input(placeholder="search...", id="search", disabled=True)
        yield StatusBar()

    def redraw(self) -> None:
        """Render every widget from the state (called once per frame)."""
        if not self.ready:
            return
        now = time.monotonic()
        if self.flash and now > self.flash_until:
            self.flash = ""
        self.query_one(HeaderBar).show(self.state, now, self.tags)
        self.query_one(NodeList).show(self.state, self.frame, now, self.selected)
        self.query_one(Trail).show(self.state, self.frame)
        self.query_one(ActivityLog).show(self.state, now, self.search)
        self.query_one(StatusBar).show(self.state, self.flash)

    def show_flash(self, text: str, seconds: float = 2.0) -> None:
        self.flash, self.flash_until = text, time.monotonic() + seconds
        self.redraw()

    def action_verbosity(self) -> None:
        self.state.cycle_verbosity()
        self.redraw()

    def action_zen(self) -> None:
        self.toggle_class("zen")

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen())

    def action_select(self, delta: int) -> None:
        count = len(self.state.order)
        if count:
            self.selected = (
                0 if self.selected < 0 else max(0, min(count - 1, self.selected + delta))
            )
            self.redraw()

    def action_focus_node(self) -> None:
        if 0 <= self.selected < len(self.state.order):
            self.state.focus = self.state.order[self.selected]
            self.redraw()

    def action_clear(self) -> None:
        field = self.query_one("#search", Input)
        if field.has_class("open") or self.search:
            field.remove_class("open")
            field.disabled = True
            field.value = ""
            self.search = ""
            self.set_focus(None)
        else:
            self.state.focus = ""
        self.redraw()

    def action_expand(self) -> None:
        self.state.expand = not self.state.expand
        self.show_flash("expand on" if self.state.expand else "expand off")

    def action_copy(self) -> None:
        try:
            self.app.copy_to_clipboard(self.query_one(ActivityLog).plain(self.state))
        except Exception as exc:  # noqa: BLE001 - a terminal without OSC 52 support
            self.show_flash(f"Copy failed: {exc}")
            return
        self.show_flash("Copied!")

    def action_search(self) -> None:
        field = self.query_one("#search", Input)
        field.disabled = False
        field.add_class("open")
        field.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.search = event.value
        self.redraw()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.input.remove_class("open")
        event.input.disabled = True
        self.set_focus(None)


class DashboardApp(App[Any]):
    """`run` is the engine coroutine factory; `cancel` asks the engine to stop. The app
    exits by itself when the run ends; `result` / `error` hold how it ended."""

    TITLE = "tracker"
    BINDINGS = [Binding("ctrl+c", "quit_run", "quit", priority=True)]

    def __init__(
        self,
        state: DashboardState,
        run: Callable[[], Awaitable[Any]] | None = None,
        cancel: Callable[[], None] | None = None,
        tags: list[str] | None = None,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        super().__init__()
        self.state = state
        self._run = run
        self._cancel = cancel
        self._on_close = on_close
        self.tags = tags or []
        self.events: deque[PipelineEvent] = deque()
        self.result: Any = None
        self.error: BaseException | None = None
        self.cancelled = False
        self.engine_task: asyncio.Task[Any] | None = None
        self.dashboard = Dashboard(state, self.tags)
        self._quitting = False

    # ------------------------------------------------------------------ plumbing

    def post(self, event: PipelineEvent) -> None:
        """Hand an event over; safe from any thread (deque appends are atomic)."""
        self.events.append(event)

    def drain(self) -> None:
        while self.events:
            self.state.apply(self.events.popleft())

    def on_mount(self) -> None:
        self.push_screen(self.dashboard)
        self.set_interval(FRAME, self._tick)
        if self._run is not None:
            self.engine_task = asyncio.create_task(self._drive())

    def _tick(self) -> None:
        self.drain()
        self.dashboard.frame += 1
        try:
            self.dashboard.redraw()
        except NoMatches:  # the dashboard is being mounted or torn down
            pass

    async def _drive(self) -> None:
        assert self._run is not None
        try:
            self.result = await self._run()
        except asyncio.CancelledError:
            self.cancelled = True
        except Exception as exc:  # noqa: BLE001 - handed back to the caller after exit
            self.error = exc
        self.drain()
        if not self._quitting:
            self.exit(self.result)

    async def action_quit_run(self) -> None:
        """`q` / Ctrl+C: close open gates, cancel the run, wait for the engine (§9.10)."""
        if self._quitting:
            return
        self._quitting = True
        if self._on_close is not None:
            self._on_close()
        task = self.engine_task
        if task is not None and not task.done():
            self.cancelled = True
            if self._cancel is not None:
                self._cancel()
            task.cancel()
            done, _ = await asyncio.wait({task}, timeout=QUIT_GRACE)
            if not done:
                self.error = TimeoutError(NOT_EXITED)
        self.exit(self.result)
