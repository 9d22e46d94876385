"""The four built-in workflows (cli-tui §13): clean under every check, the gates the spec
promises, and routing that does what an operator expects at each gate."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tracker.builtin_workflows import BUILTIN_NAMES, builtin_workflow_specs
from tracker.dippin.conditions import evaluate_condition, parse_condition
from tracker.dippin.ir import Edge, HumanConfig, Node, ToolConfig, Workflow
from tracker.dippin.parser import parse
from tracker.loader import load_pipeline, resolve_pipeline

EXPECTED = {
    # name: (display name, requires git, freeform gates, interview gates)
    "ask_and_execute": ("AskAndExecute", True, 3, 0),
    "build_product": ("BuildProduct", True, 3, 0),
    "build_product_with_superspec": ("BuildProductWithSuperspec", True, 2, 0),
    "deep_review": ("DeepReview", False, 2, 3),
}


def source_of(name: str) -> str:
    return {s.name: s for s in builtin_workflow_specs()}[name].load()


def workflow_of(name: str) -> Workflow:
    result = parse(source_of(name), file=f"{name}.dip")
    assert result.ok, [d.render() for d in result.diagnostics]
    return result.workflow


def test_the_four_builtins_are_shipped() -> None:
    assert sorted(BUILTIN_NAMES) == sorted(EXPECTED)
    for name in BUILTIN_NAMES:
        assert source_of(name).startswith("#")  # a header comment saying what it is for


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_builtin_loads_with_no_error_and_no_warning(name: str) -> None:
    loaded = load_pipeline(resolve_pipeline(name))
    surfaced = [d.render() for d in loaded.diagnostics if d.severity in ("error", "warning")]
    assert not loaded.failed
    assert surfaced == []
    assert loaded.graph_errors == []
    assert loaded.graph_warnings == []
    assert loaded.ok


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_builtin_header_gates_and_size_match_the_spec(name: str) -> None:
    display, needs_git, freeform, interview = EXPECTED[name]
    wf = workflow_of(name)
    assert wf.name == display
    assert wf.goal
    assert ("git" in wf.requires) is needs_git
    modes = [n.config.mode for n in wf.nodes if isinstance(n.config, HumanConfig)]
    assert modes.count("freeform") == freeform
    assert modes.count("interview") == interview
    assert len(modes) == freeform + interview
    assert 15 <= len(wf.nodes) <= 40


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_builtin_is_self_contained_and_budgeted(name: str) -> None:
    """Built-ins have no directory next to them: no *_file directives, no subgraph refs."""
    wf = workflow_of(name)
    d = wf.defaults
    assert d.model and d.provider and d.on_failure and d.fidelity
    assert d.max_total_tokens > 0 and d.max_cost_cents > 0 and d.max_wall_time > 0
    assert not (d.prompt_prefix_file or d.prompt_suffix_file or d.system_prompt_file)
    for node in wf.nodes:
        cfg = node.config
        assert node.kind not in ("subgraph", "manager_loop"), node.id
        for field in ("prompt_file", "system_prompt_file", "prompt_include", "command_file"):
            assert not getattr(cfg, field, ""), f"{node.id}.{field}"
        if isinstance(cfg, ToolConfig):
            assert cfg.timeout > 0, node.id
            assert cfg.command.strip(), node.id


@pytest.mark.skipif(shutil.which("sh") is None, reason="no POSIX sh on this machine")
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_tool_commands_are_valid_posix_shell(name: str) -> None:
    """Tool nodes run under `sh -c`, which is not bash on every system."""
    for node in workflow_of(name).nodes:
        if isinstance(node.config, ToolConfig):
            check = subprocess.run(
                ["sh", "-n"], input=node.config.command, capture_output=True, text=True
            )
            assert check.returncode == 0, f"{node.id}: {check.stderr}"


def test_ask_and_execute_races_three_providers_in_separate_worktrees() -> None:
    wf = workflow_of("ask_and_execute")
    nodes = wf.node_map()
    fork = nodes["Implement"]
    branches = [nodes[t] for t in fork.config.targets]
    assert {b.config.provider for b in branches} == {"anthropic", "openai", "gemini"}
    dirs = [b.config.working_dir for b in branches]
    assert len(set(dirs)) == 3 and all(d.startswith(".ai/worktrees/") for d in dirs)


# --------------------------------------------------------------------------- gate routing


def select_edge(edges: list[Edge], context: dict[str, str]) -> Edge:
    """The engine's first rules (engine.md §2.4): first true condition, else the single
    unconditional edge."""
    for edge in edges:
        if edge.condition and edge.condition.raw:
            expr = parse_condition(edge.condition.raw)
            if evaluate_condition(expr, lambda key: context.get(key.removeprefix("ctx."), "")):
                return edge
    unconditional = [e for e in edges if not (e.condition and e.condition.raw)]
    assert len(unconditional) == 1, [f"{e.from_}->{e.to}" for e in unconditional]
    return unconditional[0]


def labelled_gates(wf: Workflow) -> list[tuple[Node, list[Edge]]]:
    out = []
    for node in wf.nodes:
        edges = [e for e in wf.edges if e.from_ == node.id]
        if isinstance(node.config, HumanConfig) and any(e.label for e in edges):
            out.append((node, edges))
    return out


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_gate_answer_takes_its_own_edge(name: str) -> None:
    """Picking a label routes to that label's edge, whatever the node names sort as."""
    gates = labelled_gates(workflow_of(name))
    assert gates
    for node, edges in gates:
        for edge in edges:
            chosen = select_edge(edges, {"preferred_label": edge.label, "outcome": "success"})
            assert chosen is edge, f"{node.id}: answer {edge.label!r} went to {chosen.to}"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_free_text_at_a_gate_never_counts_as_approval(name: str) -> None:
    """Typed feedback matches no label: approval gates loop back for revision and
    escalation gates stop (abandon) - never ship."""
    for node, edges in labelled_gates(workflow_of(name)):
        chosen = select_edge(
            edges, {"human_response": "please rename the flag", "outcome": "success"}
        )
        labels = {e.label for e in edges}
        if "approve" in labels:
            assert chosen.label == "revise" and chosen.restart, node.id
        else:
            assert chosen.label == "abandon", node.id


def test_validate_command_reports_builtins_clean(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("tracker")
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "tracker.cli.app"]
    for name in sorted(EXPECTED):
        proc = subprocess.run(
            [*cmd, "validate", name], capture_output=True, text=True, cwd=tmp_path, timeout=60
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert proc.stdout.startswith(f"{name}: valid ("), proc.stdout
        assert proc.stderr == ""
