"""Context fidelity (engine.md §3.6): what each level keeps, the degrade chain, and the
summary an agent node's prompt actually carries in a pipeline run."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_codergen_pipeline import pipeline, run_agents
from tracker.handlers import fidelity

VALUES = {
    "graph.goal": "ship it",
    "graph.other": "x",
    "outcome": "success",
    "last_response": "word " * 200,
    "tool_stdout": "ok",
    "notes": "pinned " * 200,
    "node.Plan.outcome": "success",
    "node.Plan.last_response": "plan",
    "node.Test.outcome": "fail",
}


@pytest.mark.parametrize(
    ("level", "after"),
    [
        ("full", "summary:high"),
        ("summary:high", "summary:medium"),
        ("summary:medium", "summary:low"),
        ("summary:low", "compact"),
        ("compact", "truncate"),
        ("truncate", "truncate"),
        ("bogus", "truncate"),
    ],
)
def test_degrade_chain(level: str, after: str) -> None:
    assert fidelity.degrade(level) == after


def test_resolution_prefers_the_node_then_the_graph() -> None:
    assert fidelity.resolve({"fidelity": "compact"}, {"default_fidelity": "truncate"}) == "compact"
    assert fidelity.resolve({}, {"default_fidelity": "truncate"}) == "truncate"
    assert fidelity.resolve({"fidelity": "nonsense"}, {}) == "full"


def test_medium_keeps_decisions_only() -> None:
    out = fidelity.compact_context(VALUES, "summary:medium")
    assert set(out) == {"graph.goal", "outcome", "last_response", "tool_stdout"}
    assert out["last_response"] == VALUES["last_response"]


def test_truncate_cuts_values_at_a_word_but_never_pinned_keys() -> None:
    out = fidelity.compact_context(VALUES, "truncate", pinned=["notes"])
    assert len(out["last_response"]) <= 503 and out["last_response"].endswith("word...")
    assert out["notes"] == VALUES["notes"]


def test_low_lists_completed_nodes_with_their_outcome() -> None:
    out = fidelity.compact_context(VALUES, "summary:low")
    assert out == {"graph.goal": "ship it", "completed_summary": "Plan: success\nTest: fail"}


def test_compact_keeps_goal_and_outcome() -> None:
    assert fidelity.compact_context(VALUES, "compact") == {
        "graph.goal": "ship it",
        "outcome": "success",
    }


def test_high_adds_response_excerpts_from_the_run_directory(tmp_path: Path) -> None:
    (tmp_path / "Plan").mkdir()
    (tmp_path / "Plan" / "response.md").write_text("P" * 3000)
    out = fidelity.compact_context(VALUES, "summary:high", run_dir=tmp_path)
    assert out["summary.Plan"] == "P" * 2000
    assert out["graph.other"] == "x"


def test_full_prompt_is_unchanged_and_others_get_a_summary_section() -> None:
    assert fidelity.apply_fidelity("Do it.", VALUES, "full") == "Do it."
    text = fidelity.apply_fidelity("Do it.", VALUES, "compact")
    assert text == (
        "# Context Summary (fidelity: compact)\n\n## graph.goal\nship it\n\n"
        "## outcome\nsuccess\n\n---\n\nDo it."
    )


def test_agent_prompt_carries_the_summary_of_its_level(tmp_path: Path) -> None:
    body = (
        "  agent Plan\n    prompt: Plan.\n\n"
        "  agent Build\n    prompt: Build from the plan.\n    fidelity: summary:medium\n"
    )
    edges = "    Start -> Plan\n    Plan -> Build\n    Build -> Done\n"
    expect = ["# Context Summary (fidelity: summary:medium)", "## last_response\nThe plan."]
    script = {"nodes": {"Plan": ["The plan."], "Build": [{"text": "built", "expect": expect}]}}
    run = run_agents(tmp_path, pipeline(body, edges), script)

    assert run.result.status == "success", run.result.error
    prompt = run.artifact("Build", "prompt.md")
    assert prompt.startswith("# Context Summary (fidelity: summary:medium)")
    assert prompt.endswith("---\n\nBuild from the plan.")
