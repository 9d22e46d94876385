"""The dashboard model: node order, event mapping, trail, log lines (cli-tui.md §9.3–9.9)."""

from __future__ import annotations

from tracker_tui.state import DashboardState, node_order
from tui_support import ev


def test_node_order_is_topological_with_exit_last(tiny) -> None:
    graph, _ = tiny
    assert node_order(graph) == ["Start", "Build", "Done"]


def test_events_drive_lamps_trail_and_log(tiny) -> None:
    graph, _ = tiny
    state = DashboardState.from_graph(graph)
    state.apply(ev("stage_started", "Start"))
    assert state.nodes["Start"].lamp() == "◉"
    state.apply(ev("stage_completed", "Start"))
    state.apply(ev("stage_started", "Build"))
    state.apply(ev("llm_request_start", "Build", source="agent"))
    assert state.nodes["Build"].lamp(1) == "◓"
    state.apply(
        ev(
            "tool_call_start",
            "Build",
            source="agent",
            tool_name="bash",
            content='{"command": "go test ./..."}',
        )
    )
    assert state.nodes["Build"].lamp() == "»"
    state.apply(
        ev("tool_call_end", "Build", source="agent", tool_name="bash", content="a\nb\nc\nd\ne\n")
    )
    state.apply(ev("stage_failed", "Build", error="exit status 1"))
    state.apply(ev("pipeline_failed", error="exit status 1"))
    assert [state.nodes[n].lamp() for n in state.order] == ["●", "✖", "⊘"]
    texts = [line.text for line in state.lines]
    assert texts == [
        "─── Build ",
        "▸ $ go test ./...",
        "  ✓ bash (5 lines, ctrl+o to expand)",
        "FAILED: exit status 1",
    ]
    assert state.trail() == [("Build", 1), ("Start", 1)]
    assert state.outcome == "✖ Failed: exit status 1"


def test_trail_collapses_repeats_and_filters_by_kind(tiny) -> None:
    graph, _ = tiny
    state = DashboardState.from_graph(graph)
    for _ in range(3):
        state.apply(ev("stage_started", "Build"))
        state.apply(ev("stage_retrying", "Build", message="attempt failed"))
    assert state.trail() == [("Build", 3)]
    state.apply(ev("text_delta", "Build", source="agent", content="# Title\npartial"))
    assert state.partial["Build"] == "partial"
    state.cycle_verbosity()  # tools
    assert state.verbosity == "tools"
    assert [line.kind for line in state.visible_lines()] == ["separator"]
    state.cycle_verbosity()  # errors
    assert {line.text for line in state.visible_lines()} >= {"RETRYING: attempt failed"}
    assert "# Title" not in [line.text for line in state.visible_lines()]


def test_unknown_child_nodes_are_inserted_after_their_parent(tiny) -> None:
    graph, _ = tiny
    state = DashboardState.from_graph(graph)
    state.apply(ev("stage_started", "Build/inner"))
    assert state.order == ["Start", "Build", "Build/inner", "Done"]
    assert state.nodes["Build/inner"].depth == 1
