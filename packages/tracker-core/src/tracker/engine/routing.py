"""Edge selection (spec/engine.md §2.4), in exactly the reference's precedence order:
condition → preferred label → suggested ids → weight (lexical tiebreak). Emits the
decision_condition / edge_tiebreaker / decision_edge events as it goes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from tracker.dippin.conditions import ConditionSyntaxError, evaluate_condition, parse_condition
from tracker.engine import events as ev
from tracker.engine.events import PipelineEvent
from tracker.engine.interpolate import expand, lookup_variable
from tracker.graph.model import GraphEdge

SNAPSHOT_KEYS = (
    "outcome",
    "preferred_label",
    "tool_stdout",
    "human_response",
    "suggested_next_nodes",
)


class NoMatchingEdgeError(Exception):
    """Every outgoing edge is conditional and none matched (rule 5)."""


class ConditionError(Exception):
    """A condition could not be expanded or evaluated: aborts the run."""


@dataclass(frozen=True)
class Selection:
    edge: GraphEdge
    priority: str  # condition | label | suggested | weight | lexical


def routing_snapshot(values: Mapping[str, str]) -> dict[str, str]:
    """The few context keys decision events carry, when non-empty."""
    return {k: values[k] for k in SNAPSHOT_KEYS if values.get(k)}


def edge_weight(edge: GraphEdge) -> int:
    try:
        return int(edge.attrs.get("weight", "0") or 0)
    except ValueError:
        return 0


def condition_matches(
    condition: str, values: Mapping[str, str], internal: Mapping[str, str]
) -> bool:
    """Expand `${…}` in the condition text, then evaluate it as written (design.md)."""
    text = expand(condition, values)
    try:
        expr = parse_condition(text)
    except ConditionSyntaxError as exc:
        raise ConditionError(f'invalid condition "{condition}": {exc.message}') from exc
    return evaluate_condition(expr, lambda var: lookup_variable(var, values, internal))


def select_edge(
    node_id: str,
    edges: list[GraphEdge],
    values: Mapping[str, str],
    internal: Mapping[str, str],
    emit: Callable[[PipelineEvent], None],
) -> Selection:
    snapshot = routing_snapshot(values)

    def decided(edge: GraphEdge, priority: str) -> Selection:
        emit(
            PipelineEvent(
                type=ev.DECISION_EDGE,
                node_id=node_id,
                message=f"edge selected {edge.from_}->{edge.to} via {priority}",
                edge_from=edge.from_,
                edge_to=edge.to,
                edge_condition=edge.condition,
                condition_match=True if edge.condition else None,
                edge_priority=priority,
                context_snapshot=snapshot,
            )
        )
        return Selection(edge, priority)

    # 1. conditions, in declaration order
    for edge in edges:
        if not edge.condition:
            continue
        matched = condition_matches(edge.condition, values, internal)
        emit(
            PipelineEvent(
                type=ev.DECISION_CONDITION,
                node_id=node_id,
                message=(
                    f'condition "{edge.condition}" on edge {edge.from_}->{edge.to} '
                    f"evaluated to {'true' if matched else 'false'}"
                ),
                edge_from=edge.from_,
                edge_to=edge.to,
                edge_condition=edge.condition,
                condition_match=matched,
                context_snapshot=snapshot,
            )
        )
        if matched:
            return decided(edge, "condition")

    # 2. preferred label (exact), conditional edges included; an edge's `choice:` key is its
    #    routing name when set (dippin.md §12), so a gate can answer with either
    label = values.get("preferred_label", "")
    if label:
        for edge in edges:
            if edge.label == label or (edge.choice and edge.choice == label):
                return decided(edge, "label")

    # 3. suggested next node ids, first in edge order
    suggested = {s.strip() for s in values.get("suggested_next_nodes", "").split(",") if s.strip()}
    if suggested:
        for edge in edges:
            if edge.to in suggested:
                return decided(edge, "suggested")

    # 4. highest weight among unconditional edges, ties by target id
    plain = [e for e in edges if not e.condition]
    if not plain:
        lines = [
            f'  {e.from_}->{e.to} condition="{e.condition}" (outcome="{values.get("outcome", "")}")'
            for e in edges
        ]
        raise NoMatchingEdgeError(
            f"no matching edges: all {len(edges)} edges have conditions that evaluated to "
            "false:\n" + "\n".join(lines)
        )
    ranked = sorted(plain, key=lambda e: (-edge_weight(e), e.to.encode()))
    if len(ranked) > 1 and edge_weight(ranked[0]) == edge_weight(ranked[1]):
        emit(
            PipelineEvent(
                type=ev.EDGE_TIEBREAKER,
                node_id=node_id,
                message=(
                    f"{len([e for e in ranked if edge_weight(e) == edge_weight(ranked[0])])} "
                    f"edges tied at weight {edge_weight(ranked[0])}; chose {ranked[0].to} "
                    "(lexical order)"
                ),
                edge_from=ranked[0].from_,
                edge_to=ranked[0].to,
                context_snapshot=snapshot,
            )
        )
        return decided(ranked[0], "lexical")
    return decided(ranked[0], "weight")
