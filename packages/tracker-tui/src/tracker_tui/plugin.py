"""Entry point of tracker-tui: the `tui` gate UI (the dashboard session the CLI runs a
pipeline in) and the `tui` event sink. Nothing here imports textual."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tracker.plugins import hookimpl
from tracker.plugins.specs import EventSinkSpec, GateUISpec


def make_session(graph: Any, **options: Any) -> Any:
    """A `DashboardSession` for `graph` (options: pipeline, tags, resumed, verbose)."""
    from tracker_tui.session import DashboardSession

    return DashboardSession(graph, **options)


def dashboard_sink(run_dir: Path | None = None, config: Any = None, **_: Any) -> Any:
    """The dashboard as an event sink, when the run's interviewer is a dashboard session
    that is not already among the configured sinks; otherwise opt out (None)."""
    interviewer = getattr(config, "interviewer", None)
    if not getattr(interviewer, "is_tui_dashboard", False):
        return None
    if any(sink is interviewer for sink in getattr(config, "sinks", None) or []):
        return None
    return interviewer


@hookimpl
def register_gate_uis(register: Any) -> None:
    register(GateUISpec(name="tui", description="terminal dashboard gates", factory=make_session))


@hookimpl
def register_event_sinks(register: Any) -> None:
    register(EventSinkSpec(name="tui", description="terminal dashboard", factory=dashboard_sink))
