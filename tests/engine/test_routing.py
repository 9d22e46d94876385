"""Edge selection precedence (spec/engine.md §2.4) and conditions as written (design.md)."""

from __future__ import annotations

import pytest
from tracker.engine.events import PipelineEvent
from tracker.engine.routing import ConditionError, NoMatchingEdgeError, select_edge
from tracker.graph.model import GraphEdge


def edge(to: str, condition: str = "", label: str = "", weight: int = 0) -> GraphEdge:
    attrs = {"weight": str(weight)} if weight else {}
    return GraphEdge(**{"from": "N"}, to=to, condition=condition, label=label, attrs=attrs)


def pick(edges: list[GraphEdge], **values: str) -> tuple[str, str, list[PipelineEvent]]:
    events: list[PipelineEvent] = []
    sel = select_edge("N", edges, values, {}, events.append)
    return sel.edge.to, sel.priority, events


@pytest.mark.parametrize(
    ("edges", "values", "expected"),
    [
        # 1. a true condition beats everything else
        (
            [edge("A", label="go"), edge("B", "ctx.outcome = success"), edge("C", weight=9)],
            {"outcome": "success", "preferred_label": "go", "suggested_next_nodes": "C"},
            ("B", "condition"),
        ),
        # first true condition in declaration order wins
        (
            [edge("A", "ctx.outcome = success"), edge("B", "ctx.outcome = success")],
            {"outcome": "success"},
            ("A", "condition"),
        ),
        # 2. preferred label (exact) beats suggested ids and weight, and may pick an edge
        #    whose condition was false
        (
            [edge("A", weight=5), edge("B", "ctx.outcome = fail", label="Retry"), edge("C")],
            {"outcome": "success", "preferred_label": "Retry", "suggested_next_nodes": "C"},
            ("B", "label"),
        ),
        # label matching is case-sensitive
        (
            [edge("A", label="retry"), edge("B", weight=1)],
            {"preferred_label": "Retry"},
            ("B", "weight"),
        ),
        # 3. suggested ids, first in edge order
        (
            [edge("A", weight=5), edge("B"), edge("C")],
            {"suggested_next_nodes": " C , B "},
            ("B", "suggested"),
        ),
        # 4. highest weight among unconditional edges
        ([edge("A", weight=1), edge("B", weight=3), edge("C")], {}, ("B", "weight")),
        # a single unconditional edge still logs "weight"
        ([edge("A", "ctx.outcome = fail"), edge("B")], {"outcome": "success"}, ("B", "weight")),
        # equal weights: lexical order of the target id
        ([edge("Zed"), edge("Beta"), edge("alpha")], {}, ("Beta", "lexical")),
    ],
)
def test_precedence(edges, values, expected) -> None:
    to, priority, _ = pick(edges, **values)
    assert (to, priority) == expected


def test_decision_events_and_snapshot() -> None:
    edges = [edge("A", "ctx.outcome = fail"), edge("B", "ctx.outcome = success")]
    _, _, events = pick(edges, outcome="success", tool_stdout="ok", last_response="not kept")
    assert [e.type for e in events] == ["decision_condition", "decision_condition", "decision_edge"]
    first, second, chosen = events
    assert (first.edge_to, first.condition_match) == ("A", False)
    assert (second.edge_to, second.condition_match) == ("B", True)
    assert chosen.edge_priority == "condition"
    assert chosen.edge_condition == "ctx.outcome = success"
    assert chosen.context_snapshot == {"outcome": "success", "tool_stdout": "ok"}
    line = first.activity_dict()
    assert line["condition_match"] is False and "run_id" not in line


def test_lexical_tiebreak_emits_tiebreaker_first() -> None:
    _, _, events = pick([edge("B"), edge("A")])
    assert [e.type for e in events] == ["edge_tiebreaker", "decision_edge"]


def test_all_conditions_false_is_an_error_listing_each_edge() -> None:
    with pytest.raises(NoMatchingEdgeError) as err:
        pick([edge("A", "ctx.x = 1"), edge("B", "ctx.x = 2")], outcome="success")
    text = str(err.value)
    assert "all 2 edges have conditions that evaluated to false" in text
    assert '  N->A condition="ctx.x = 1" (outcome="success")' in text


@pytest.mark.parametrize(
    ("condition", "values", "matches"),
    [
        # `and`/`or` are real operators (the reference's runtime ignored them)
        ("ctx.x != a and ctx.x != b", {"x": "b"}, False),
        ("ctx.x != a and ctx.x != b", {"x": "c"}, True),
        ("ctx.x = a or ctx.x = b", {"x": "b"}, True),
        ("ctx.x = a || ctx.y = 1", {"x": "z", "y": "1"}, True),
        ("(ctx.x = a or ctx.x = b) && ctx.y = 1", {"x": "a", "y": "2"}, False),
        ("not ctx.x contains err", {"x": "fine"}, True),
        ("ctx.n >= 3", {"n": "10"}, True),
        ("outcome = success", {"outcome": "success"}, True),
        ('ctx.tier in "gold,silver"', {"tier": "silver"}, True),
        ("ctx.node.T.outcome = fail", {"node.T.outcome": "fail"}, True),
        ("ctx.x = ${params.want}", {"x": "7", "graph.params.want": "7"}, True),
    ],
)
def test_conditions_are_evaluated_as_written(condition, values, matches) -> None:
    to, priority, _ = pick([edge("Yes", condition), edge("No")], **values)
    assert (to == "Yes") is matches


def test_unparsable_condition_aborts() -> None:
    with pytest.raises(ConditionError):
        pick([edge("A", "ctx.x ~~ 1")])


def test_preferred_label_matches_an_edge_choice_key() -> None:
    ship = GraphEdge(**{"from": "N"}, to="Ship", label="Ship it now", choice="ship")
    edges = [edge("Hold", label="hold"), ship, edge("Other", weight=3)]
    assert pick(edges, preferred_label="ship")[:2] == ("Ship", "label")
