"""The reference's golden traces reproduce byte for byte (spec/engine.md §9)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tracker.conformance.golden import golden_document, render

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "tracker"
GOLDEN = CORPUS / "cmd" / "tracker-conformance" / "testdata" / "golden"

#: every fixture, with the handlers (beyond start/exit/conditional) it exercises
NEEDS: dict[str, list[str]] = {
    "agent_linear": ["codergen"],
    "budget_exceeded": ["codergen"],
    "control_flow": ["tool", "wait.human", "codergen"],
    "interview": ["codergen", "wait.human"],
    "manager_loop": ["stack.manager_loop", "codergen"],
    "parallel_fanin": ["parallel", "parallel.fan_in", "codergen"],
    "paused_billing": ["codergen"],
    "retry_exhausted": ["codergen"],
    "subgraph": ["subgraph", "codergen"],
    "tool_failure": ["tool"],
    "validation_overridden": ["tool", "wait.human", "codergen"],
}


def test_every_fixture_is_listed() -> None:
    if not GOLDEN.is_dir():
        pytest.skip("reference corpus not available")
    assert sorted(p.stem for p in GOLDEN.glob("*.dip")) == sorted(NEEDS)


@pytest.mark.parametrize("name", sorted(NEEDS))
def test_golden_trace_matches(name: str) -> None:
    fixture: Path = GOLDEN / f"{name}.dip"
    if not fixture.is_file():
        pytest.skip("reference corpus not available")
    expected = (GOLDEN / f"{name}.golden.json").read_text(encoding="utf-8")
    assert render(golden_document(fixture)) == expected
