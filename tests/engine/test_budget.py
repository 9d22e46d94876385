"""Budgets (spec/engine.md §5): checked between nodes, strictly greater, one dimension."""

from __future__ import annotations

from engine_helpers import OutcomeScript, dip, stats
from tracker.engine.config import BudgetLimits
from tracker.engine.handler import Outcome

TWO_AGENTS = """
  agent A
    prompt: a

  agent B
    prompt: b

  edges
    Start -> A
    A -> B
    B -> Done
"""


def _script(tokens: int = 150, cost: float = 0.0) -> OutcomeScript:
    return OutcomeScript({n: [Outcome(stats=stats(tokens, cost))] for n in ("A", "B")})


def test_token_budget_halts_after_the_overspending_node(run_dip) -> None:
    run = run_dip(
        dip(TWO_AGENTS), handlers={"codergen": _script()}, budget=BudgetLimits(max_total_tokens=100)
    )
    r = run.result
    assert r.status == "budget_exceeded" and r.error == ""
    assert r.budget_limits_hit == ["tokens"]
    assert r.completed_nodes == ["Start", "A"]  # the node that overspent completes
    assert run.types("A")[-2:] == ["decision_edge", "cost_updated"]
    halt = [e for e in run.events if e.type == "budget_exceeded"]
    assert halt[0].message == "max_total_tokens exceeded" and halt[0].node_id == ""
    assert halt[0].total_tokens == 150
    assert "pipeline_failed" not in run.types()
    assert run.checkpoint()["current_node"] == "B"  # resume continues at the next node


def test_limit_equal_to_usage_does_not_halt(run_dip) -> None:
    run = run_dip(
        dip(TWO_AGENTS), handlers={"codergen": _script()}, budget=BudgetLimits(max_total_tokens=300)
    )
    assert run.result.status == "success"


def test_cost_budget(run_dip) -> None:
    run = run_dip(
        dip(TWO_AGENTS),
        handlers={"codergen": _script(cost=0.5)},
        budget=BudgetLimits(max_cost_cents=60),
    )
    assert (run.result.status, run.result.budget_limits_hit) == ("budget_exceeded", ["cost"])
    assert run.result.completed_nodes == ["Start", "A", "B"]


def test_wall_time_budget_from_workflow_defaults(run_dip) -> None:
    body = """
  tool Slow
    command:
      sleep 0.3

  edges
    Start -> Slow
    Slow -> Done
"""
    run = run_dip(dip(body, defaults="max_wall_time: 100ms"))
    assert (run.result.status, run.result.budget_limits_hit) == ("budget_exceeded", ["wall_time"])


def test_flag_limit_wins_over_workflow_default(run_dip) -> None:
    run = run_dip(
        dip(TWO_AGENTS, defaults="max_total_tokens: 100"),
        handlers={"codergen": _script()},
        budget=BudgetLimits(max_total_tokens=1000),
    )
    assert run.result.status == "success"
    assert run.result.usage is not None and run.result.usage.total_tokens == 300


CHILD = """workflow Child
  start: CS
  exit: CE

  agent CS
    label: CS

  agent X
    prompt: x

  agent Y
    prompt: y

  agent Z
    prompt: z

  agent CE
    label: CE

  edges
    CS -> X
    X -> Y
    Y -> Z
    Z -> CE
"""

PARENT = """workflow Parent
  start: Start
  exit: Done

  agent Start
    label: Start

  subgraph Sub
    ref: child.dip

  agent Done
    label: Done

  edges
    Start -> Sub
    Sub -> Done
"""


def test_subgraph_child_inherits_the_budget(run_dip, tmp_path) -> None:
    (tmp_path / "child.dip").write_text(CHILD)
    script = OutcomeScript({n: [Outcome(stats=stats(80, 0.0))] for n in ("X", "Y", "Z")})
    run = run_dip(PARENT, handlers={"codergen": script}, budget=BudgetLimits(max_total_tokens=100))
    ran = {e.node_id for e in run.events if e.type == "stage_started"}
    assert "Sub/Y" in ran and "Sub/Z" not in ran  # the child halted after Y overspent
    assert run.result.status == "budget_exceeded"
    assert run.result.budget_limits_hit == ["tokens"]
