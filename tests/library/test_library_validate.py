"""`validate_source`, `simulate`, `simulate_graph`, `resolve_budget_limits`."""

from __future__ import annotations

import json

import pytest
import tracker
from library_helpers import DOT, TOOL_ONLY


def test_validate_source_reports_warnings_on_a_valid_pipeline() -> None:
    result = tracker.validate_source(TOOL_ONLY)
    assert result.errors == []
    assert result.graph is not None and set(result.graph.nodes) == {"Start", "Greet", "Done"}
    assert any(w.startswith("DIP144: ") for w in result.warnings)


def test_validate_source_raises_with_the_first_error() -> None:
    with pytest.raises(tracker.ValidationError) as err:
        tracker.validate_source("workflow x\n  start: A\n  exit: B\n")
    found = err.value.result
    assert str(err.value) == f"validation failed: {found.errors[0]}"
    assert found.errors[0].startswith("DIP001: ")


def test_validate_source_parse_failure_raises() -> None:
    with pytest.raises(tracker.ValidationError, match="^validation failed: DIP000"):
        tracker.validate_source("workflow x\n  start: A\n  exit: B\n\n  edges\n    A -> -> B\n")


def test_validate_source_dot_by_sniffing_and_by_format() -> None:
    assert tracker.validate_source(DOT).graph is not None
    assert tracker.validate_source("\n  " + DOT, format="dot").graph is not None
    with pytest.raises(ValueError, match='unknown pipeline format: "yaml"'):
        tracker.validate_source(DOT, format="yaml")


def test_simulate_dump_has_exactly_the_spec_keys() -> None:
    report = tracker.simulate(TOOL_ONLY)
    data = json.loads(report.model_dump_json())
    assert data == report.model_dump()
    assert set(data) <= {
        "format", "name", "start_node", "exit_node", "graph_attrs", "nodes", "edges",
        "execution_plan", "unreachable",
    }  # fmt: skip
    assert {"format", "nodes", "edges", "execution_plan"} <= set(data)
    assert data["format"] == "dip" and data["name"] == "lib"
    assert "unreachable" not in data  # empty optional keys are omitted
    for node in data["nodes"]:
        assert {"id"} <= set(node) <= {"id", "handler", "shape", "label", "attrs"}
    assert data["edges"][0] == {"from": "Start", "to": "Greet"}
    plan = data["execution_plan"]
    assert [s["node_id"] for s in plan] == ["Start", "Greet", "Done"]
    assert plan[-1] == {"step": 3, "node_id": "Done"}
    assert report.model_dump(by_alias=True) == data


def test_simulate_graph_and_unreachable() -> None:
    text = TOOL_ONLY.replace(
        "  edges", "  tool Orphan\n    command:\n      true\n    timeout: 1s\n\n  edges"
    )
    # validation errors (DIP004 here) do not stop a simulation
    assert tracker.simulate(text).model_dump()["unreachable"] == ["Orphan"]
    graph = tracker.validate_source(TOOL_ONLY).graph
    assert graph is not None
    from_graph = tracker.simulate_graph(graph).model_dump()
    assert from_graph["format"] == ""  # a bare graph has no source format
    assert {**from_graph, "format": "dip"} == tracker.simulate(TOOL_ONLY).model_dump()


def test_simulate_dot_format() -> None:
    assert tracker.simulate(DOT).model_dump()["format"] == "dot"


def test_resolve_budget_limits_prefers_caller_then_workflow() -> None:
    graph = tracker.validate_source(TOOL_ONLY).graph
    assert graph is not None
    graph.attrs.update(max_total_tokens="500", max_cost_cents="-3", max_wall_time="2m")
    limits = tracker.resolve_budget_limits(tracker.BudgetLimits(max_cost_cents=7), graph)
    assert limits.max_total_tokens == 500
    assert limits.max_cost_cents == 7
    assert limits.max_wall_time == 120
    only_dip = tracker.resolve_budget_limits(None, graph)
    assert only_dip.max_cost_cents == 0  # non-positive workflow values are ignored
