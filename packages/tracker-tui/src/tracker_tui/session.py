"""What the CLI gets from the `tui` gate UI: one object that is the run's interviewer,
an event sink (callable), and the runner that shows the dashboard while the engine runs.

textual is imported only when the dashboard starts, so building a session is cheap."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, ClassVar

from tracker.gates.interviewer import ACTOR_HUMAN, GateError, Interviewer

if TYPE_CHECKING:
    from tracker.engine.events import PipelineEvent
    from tracker.gates.answers import InterviewResult
    from tracker.gates.questions import Question
    from tracker.graph.model import Graph

    from tracker_tui.app import DashboardApp

CLOSED = "TUI program closed before responding to gate"


class DashboardSession(Interviewer):
    """Gates push a modal and await its answer; events go to the app's queue."""

    name: ClassVar[str] = "tui"
    actor: ClassVar[str] = ACTOR_HUMAN
    is_tui_dashboard: ClassVar[bool] = True

    def __init__(
        self,
        graph: Graph,
        *,
        pipeline: str = "",
        tags: list[str] | None = None,
        resumed: list[str] | None = None,
        verbose: bool = False,
    ) -> None:
        from tracker_tui.state import DONE, DashboardState

        self.state = DashboardState.from_graph(graph, pipeline=pipeline)
        self.state.verbose = verbose
        for node_id in resumed or []:
            if node_id in self.state.nodes:
                self.state.nodes[node_id].status = DONE
        self.tags = tags or []
        self.app: DashboardApp | None = None
        self._pending: set[asyncio.Future[Any]] = set()
        self._early: list[PipelineEvent] = []

    # ------------------------------------------------------------------ sink

    def __call__(self, event: PipelineEvent) -> None:
        if self.app is None:
            self._early.append(event)
        else:
            self.app.post(event)

    # ------------------------------------------------------------------ running

    def build_app(self, engine: Any = None) -> DashboardApp:
        """The App, running `engine` (anything with `run()` and `cancelled`) if given."""
        from tracker_tui.app import DashboardApp

        run = engine.run if engine is not None else None
        cancel = engine.cancelled.set if engine is not None else None
        self.app = DashboardApp(
            self.state, run=run, cancel=cancel, tags=self.tags, on_close=self.close_gates
        )
        for event in self._early:
            self.app.post(event)
        self._early.clear()
        return self.app

    def run(self, engine: Any) -> Any:
        """Show the dashboard until the run ends or the user quits. Returns the engine's
        result, or None when the user quit first; raises what the engine raised."""
        app = self.build_app(engine)
        app.run()
        if app.error is not None:
            raise app.error
        return app.result

    def close_gates(self) -> None:
        """Fail every gate still waiting for an answer (the UI is going away)."""
        for future in list(self._pending):
            if not future.done():
                future.set_exception(GateError(CLOSED))
        self._pending.clear()

    # ------------------------------------------------------------------ gates

    async def _modal(self, screen: Any) -> Any:
        if self.app is None:
            raise GateError(CLOSED)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.add(future)

        def answered(value: Any) -> None:
            if not future.done():
                future.set_result(value)

        self.app.push_screen(screen, callback=answered)
        try:
            return await future
        finally:
            self._pending.discard(future)
            if (not future.done() or future.cancelled()) and screen.is_current:
                screen.dismiss(None)

    async def _text(self, screen: Any) -> str:
        answer = await self._modal(screen)
        if answer is None:
            raise GateError(CLOSED)
        return str(answer)

    async def ask(self, prompt: str, choices: list[str], default: str = "") -> str:
        from tracker_tui.modals import ChoiceModal

        return await self._text(ChoiceModal(prompt, choices, default))

    async def ask_freeform(self, prompt: str) -> str:
        from tracker_tui.modals import FreeformModal

        return await self._text(FreeformModal(prompt))

    async def ask_freeform_with_labels(
        self, prompt: str, labels: list[str], default: str = ""
    ) -> str:
        if not labels:
            return await self.ask_freeform(prompt)
        from tracker_tui.modals import HybridModal

        return await self._text(HybridModal(prompt, labels, default))

    async def ask_interview(
        self, questions: list[Question], previous: InterviewResult | None = None
    ) -> InterviewResult:
        from tracker_tui.interview import InterviewScreen

        if not questions:
            raise GateError("no interview questions")
        result = await self._modal(InterviewScreen(questions, previous))
        if result is None:
            raise GateError(CLOSED)
        return result

    def cancel(self) -> None:
        self.close_gates()
