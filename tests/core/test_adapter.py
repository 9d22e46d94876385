"""IR → Graph adapter: every node kind's attributes, graph attributes, implicit fork/join
edges, start/exit forcing and the adapter's own errors (spec/dippin.md §11)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tracker.dippin.ir import (
    AgentConfig,
    BranchConfig,
    CondCompare,
    Condition,
    ConditionalConfig,
    Edge,
    FanInConfig,
    HumanConfig,
    Input,
    ManagerLoopConfig,
    Node,
    NodeIO,
    ParallelConfig,
    RetryConfig,
    Selector,
    SourceLocation,
    StylesheetRule,
    SubgraphConfig,
    ToolConfig,
    Workflow,
    WorkflowDefaults,
)
from tracker.graph.adapter import workflow_to_graph
from tracker.lint.diagnostic import DippinError

SEC = 1_000_000_000


def _edge(src: str, dst: str, **kw: object) -> Edge:
    return Edge(**{"from": src, "to": dst}, **kw)


def _wf(*nodes: Node, edges: list[Edge] | None = None, **kw: object) -> Workflow:
    base = [
        Node(id="Start", kind="agent", config=AgentConfig()),
        Node(id="Done", kind="agent", config=AgentConfig()),
    ]
    return Workflow(
        name="W", start="Start", exit="Done", nodes=base + list(nodes), edges=edges or [], **kw
    )


def _node_attrs(node: Node) -> dict[str, str]:
    return workflow_to_graph(_wf(node)).nodes[node.id].attrs


def test_kind_shape_handler_table() -> None:
    nodes = [
        Node(id="A", kind="agent", config=AgentConfig(prompt="p")),
        Node(id="H", kind="human", config=HumanConfig()),
        Node(id="T", kind="tool", config=ToolConfig(command="ls")),
        Node(id="P", kind="parallel", config=ParallelConfig(targets=["A"])),
        Node(id="J", kind="fan_in", config=FanInConfig(sources=["A"])),
        Node(id="S", kind="subgraph", config=SubgraphConfig(ref="c.dip")),
        Node(id="C", kind="conditional", config=ConditionalConfig()),
        Node(id="M", kind="manager_loop", config=ManagerLoopConfig(subgraph_ref="c.dip")),
    ]
    graph = workflow_to_graph(_wf(*nodes))
    got = {n.id: (graph.nodes[n.id].shape, graph.nodes[n.id].handler) for n in nodes}
    assert got == {
        "A": ("box", "codergen"),
        "H": ("hexagon", "wait.human"),
        "T": ("parallelogram", "tool"),
        "P": ("component", "parallel"),
        "J": ("tripleoctagon", "parallel.fan_in"),
        "S": ("tab", "subgraph"),
        "C": ("diamond", "conditional"),
        "M": ("house", "stack.manager_loop"),
    }
    assert graph.node_order == ["Start", "Done", "A", "H", "T", "P", "J", "S", "C", "M"]


def test_agent_attrs() -> None:
    cfg = AgentConfig(
        prompt="Do it.",
        system_prompt="Be brief.",
        model="claude-sonnet-4-5",
        provider="anthropic",
        max_turns=12,
        cmd_timeout=300 * SEC,
        cache_tools=True,
        compaction="auto",
        compaction_threshold=0.8,
        last_response_truncate=4000,
        reasoning_effort="high",
        fidelity="summary:high",
        auto_status=True,
        goal_gate=True,
        response_format="json_schema",
        response_schema='{"type":"object"}',
        backend="claude-code",
        working_dir="sub",
        tool_access="none",
        writable_paths=["src/**", "docs/*.md"],
        params={"permission_mode": "plan", "custom": "x", "llm_model": "ignored"},
    )
    node = Node(id="A", kind="agent", label="Agent A", config=cfg)
    graph = workflow_to_graph(_wf(node))
    assert graph.nodes["A"].label == "Agent A"
    assert graph.nodes["A"].attrs == {
        "prompt": "Do it.",
        "system_prompt": "Be brief.",
        "llm_model": "claude-sonnet-4-5",
        "llm_provider": "anthropic",
        "max_turns": "12",
        "command_timeout": "5m0s",
        "cache_tool_results": "true",
        "context_compaction": "auto",
        "context_compaction_threshold": "0.80",
        "last_response_truncate": "4000",
        "reasoning_effort": "high",
        "fidelity": "summary:high",
        "auto_status": "true",
        "goal_gate": "true",
        "response_format": "json_schema",
        "response_schema": '{"type":"object"}',
        "permission_mode": "plan",
        "backend": "claude-code",
        "working_dir": "sub",
        "writable_paths": "src/**,docs/*.md",
        "tool_access": "none",
        "custom": "x",
    }


def test_agent_typed_fields_win_over_params() -> None:
    cfg = AgentConfig(
        backend="native",
        params={"backend": "acp", "tool_access": "none", "writable_paths": "/etc/**"},
    )
    attrs = _node_attrs(Node(id="A", kind="agent", config=cfg))
    assert attrs["backend"] == "native"
    assert attrs["tool_access"] == "none"  # promoted param (typed field was blank)
    assert attrs["writable_paths"] == ""  # claimed: a param never grants write access


def test_agent_zero_values_are_omitted() -> None:
    assert _node_attrs(Node(id="A", kind="agent", config=AgentConfig(tool_access="  "))) == {}


def test_human_attrs() -> None:
    cfg = HumanConfig(
        mode="choice",
        default="approve",
        prompt="Ship?",
        questions_key="qs",
        answers_key="as",
        timeout=90 * SEC,
        timeout_action="default",
    )
    assert _node_attrs(Node(id="H", kind="human", config=cfg)) == {
        "mode": "choice",
        "default_choice": "approve",
        "questions_key": "qs",
        "answers_key": "as",
        "prompt": "Ship?",
        "timeout": "1m30s",
        "timeout_action": "default",
    }


def test_tool_attrs() -> None:
    cfg = ToolConfig(
        command="make test",
        timeout=500_000_000,
        outputs=["pass", "fail"],
        marker_grep="^(ok|bad)$",
        route_required=True,
        output_limit=2048,
    )
    assert _node_attrs(Node(id="T", kind="tool", config=cfg)) == {
        "tool_command": "make test",
        "timeout": "500ms",
        "marker_grep": "^(ok|bad)$",
        "route_required": "true",
        "output_limit": "2048",
        "outputs": "pass,fail",
    }


def test_parallel_branches_and_params() -> None:
    cfg = ParallelConfig(
        targets=["A", "B"],
        branches=[
            BranchConfig(
                target="A",
                model="claude-haiku-4-5",
                provider="anthropic",
                fidelity="compact",
                tool_access="none",
                writable_paths=["out/**"],
                last_response_truncate=100,
            ),
            BranchConfig(target="B"),
        ],
        params={"fan_in_policy": "quorum", "parallel_targets": "ignored"},
    )
    assert _node_attrs(Node(id="P", kind="parallel", config=cfg)) == {
        "parallel_targets": "A,B",
        "branch.0.target": "A",
        "branch.0.llm_model": "claude-haiku-4-5",
        "branch.0.llm_provider": "anthropic",
        "branch.0.fidelity": "compact",
        "branch.0.tool_access": "none",
        "branch.0.writable_paths": "out/**",
        "branch.0.last_response_truncate": "100",
        "branch.1.target": "B",
        "fan_in_policy": "quorum",
    }


def test_fan_in_and_subgraph_attrs() -> None:
    fan_in = FanInConfig(sources=["A", "B"], params={"quorum": "2"})
    assert _node_attrs(Node(id="J", kind="fan_in", config=fan_in)) == {
        "fan_in_sources": "A,B",
        "quorum": "2",
    }
    sub = SubgraphConfig(ref="child.dip", params={"topic": "x", "depth": "2"})
    assert _node_attrs(Node(id="S", kind="subgraph", config=sub)) == {
        "subgraph_ref": "child.dip",
        "subgraph_params": "depth=2,topic=x",
    }


def test_manager_loop_attrs() -> None:
    cfg = ManagerLoopConfig(
        subgraph_ref="child.dip",
        poll_interval=30 * SEC,
        max_cycles=10,
        stop_condition=Condition(raw="stack.child.status = done"),
        steer_condition=Condition(raw="stack.child.cycles = 3"),
        steer_context={"hint": "a=b,c", "focus": "100%"},
    )
    assert _node_attrs(Node(id="M", kind="manager_loop", config=cfg)) == {
        "subgraph_ref": "child.dip",
        "poll_interval": "30s",
        "max_cycles": "10",
        "stop_condition": "stack.child.status = done",
        "steer_condition": "stack.child.cycles = 3",
        "steer_context": "focus=100%25,hint=a%3Db%2Cc",
    }
    bare = _node_attrs(Node(id="M", kind="manager_loop", config=ManagerLoopConfig()))
    assert bare == {}  # zero poll/cycles omitted so the handler's defaults apply


def test_retry_and_io_attrs() -> None:
    node = Node(
        id="A",
        kind="agent",
        config=AgentConfig(prompt="p"),
        retry=RetryConfig(
            policy="aggressive",
            max_retries=3,
            base_delay=2 * SEC,
            retry_target="Start",
            fallback_target="Done",
        ),
        io=NodeIO(reads=["plan"], writes=["code", "notes"]),
    )
    attrs = _node_attrs(node)
    assert {k: attrs[k] for k in attrs if k != "prompt"} == {
        "retry_policy": "aggressive",
        "max_retries": "3",
        "base_delay": "2s",
        "retry_target": "Start",
        "fallback_retry_target": "Done",
        "reads": "plan",
        "writes": "code,notes",
    }


def test_graph_attrs(tmp_path: Path) -> None:
    wf = _wf(
        goal="Build it",
        version="2",
        requires=[" git", "docker", "git", ""],
        vars={"lang": "go", "tier": "gold"},
        defaults=WorkflowDefaults(
            model="gpt-5",
            provider="openai",
            retry_policy="standard",
            max_retries=2,
            fidelity="full",
            max_restarts=4,
            restart_target="Start",
            cache_tools=True,
            compaction="auto",
            on_resume="degrade",
            max_total_tokens=100000,
            max_cost_cents=500,
            max_wall_time=3600 * SEC,
            tool_commands_allow="git *,make *",
            tool_denylist_add="rm -rf *",
            on_failure="Done",
            stall_timeout=600 * SEC,
        ),
        stylesheet=[
            StylesheetRule(
                selector=Selector(kind="universal"),
                properties={"llm_provider": "anthropic", "llm_model": "m1"},
            ),
            StylesheetRule(selector=Selector(kind="class", value="fast"), properties={"x": "1"}),
            StylesheetRule(selector=Selector(kind="id", value="Start"), properties={"y": "2"}),
            StylesheetRule(selector=Selector(kind="kind", value="box"), properties={"z": "3"}),
        ],
        inputs=[Input(name="idea", type="text", required=True)],
    )
    graph = workflow_to_graph(wf, str(tmp_path))
    assert graph.name == "W"
    assert (graph.start_node, graph.exit_node) == ("Start", "Done")
    assert graph.attrs == {
        "goal": "Build it",
        "version": "2",
        "llm_model": "gpt-5",
        "llm_provider": "openai",
        "tool_commands_allow": "git *,make *",
        "tool_denylist_add": "rm -rf *",
        "default_retry_policy": "standard",
        "default_max_retry": "2",
        "default_fidelity": "full",
        "max_restarts": "4",
        "restart_target": "Start",
        "fallback_target": "Done",
        "cache_tool_results": "true",
        "context_compaction": "auto",
        "on_resume": "degrade",
        "max_total_tokens": "100000",
        "max_cost_cents": "500",
        "max_wall_time": "1h0m0s",
        "stall_timeout": "10m0s",
        "params.lang": "go",
        "params.tier": "gold",
        "requires": "git, docker",
        "model_stylesheet": "* { llm_model: m1; llm_provider: anthropic; } "
        ".fast { x: 1; } #Start { y: 2; } box { z: 3; }",
        "workflow_dir": str(tmp_path.resolve()),
    }
    assert [i.name for i in graph.inputs] == ["idea"]
    assert not graph.dippin_validated  # the loader marks it after Validate


def test_minimal_workflow_has_only_version() -> None:
    graph = workflow_to_graph(_wf())
    assert graph.attrs == {"version": "1"}


def test_explicit_edges() -> None:
    nodes = [Node(id="A", kind="human", config=HumanConfig())]
    edges = [
        _edge("Start", "A"),
        _edge(
            "A",
            "Done",
            label="Ship",
            choice="ship",
            override=True,
            weight=3,
            condition=Condition(raw="ctx.outcome = success"),
        ),
        _edge("A", "Start", restart=True, condition=Condition(raw="")),
    ]
    graph = workflow_to_graph(_wf(*nodes, edges=edges))
    first, second, third = graph.edges
    assert (first.from_, first.to, first.condition, first.attrs) == ("Start", "A", "", {})
    assert (second.label, second.choice, second.override) == ("Ship", "ship", True)
    assert second.condition == "ctx.outcome = success"
    assert second.attrs == {"condition": "ctx.outcome = success", "weight": "3"}
    # an empty `when` is unconditional for tracker
    assert third.condition == "" and third.attrs == {"restart": "true"}


def test_parsed_only_condition_is_rendered() -> None:
    cond = Condition(parsed=CondCompare(variable="ctx.outcome", op="=", value="fail"))
    graph = workflow_to_graph(_wf(edges=[_edge("Start", "Done", condition=cond)]))
    assert graph.edges[0].condition == "ctx.outcome = fail"


def test_implicit_fork_and_join_edges() -> None:
    nodes = [
        Node(id="P", kind="parallel", config=ParallelConfig(targets=["A", "B"])),
        Node(id="A", kind="agent", config=AgentConfig(prompt="a")),
        Node(id="B", kind="agent", config=AgentConfig(prompt="b")),
        Node(id="J", kind="fan_in", config=FanInConfig(sources=["A", "B"])),
    ]
    edges = [
        _edge("Start", "P"),
        _edge("P", "A"),  # explicit duplicate of an implicit fork edge
        _edge("J", "Done"),
    ]
    graph = workflow_to_graph(_wf(*nodes, edges=edges))
    pairs = [(e.from_, e.to) for e in graph.edges]
    assert pairs == [
        ("Start", "P"),
        ("P", "A"),
        ("J", "Done"),
        ("P", "B"),
        ("P", "J"),
        ("A", "J"),
        ("B", "J"),
    ]
    assert graph.nodes["P"].attrs["parallel_join"] == "J"


def test_parallel_join_follows_first_target_only() -> None:
    nodes = [
        Node(id="P", kind="parallel", config=ParallelConfig(targets=["A", "B"])),
        Node(id="J", kind="fan_in", config=FanInConfig(sources=["B"])),
    ]
    graph = workflow_to_graph(_wf(*nodes))
    assert "parallel_join" not in graph.nodes["P"].attrs
    assert ("P", "J") not in {(e.from_, e.to) for e in graph.edges}


@pytest.mark.parametrize(
    "config",
    [
        AgentConfig(prompt="Say hello"),
        ToolConfig(command="echo hi"),
        HumanConfig(prompt="Go?"),
    ],
)
def test_designated_start_and_exit_always_use_start_exit_handlers(config: object) -> None:
    wf = Workflow(
        name="W",
        start="S",
        exit="E",
        nodes=[
            Node(id="S", kind=config.kind, config=config),  # type: ignore[attr-defined]
            Node(id="E", kind=config.kind, config=config.model_copy()),  # type: ignore[attr-defined]
        ],
        edges=[_edge("S", "E")],
    )
    graph = workflow_to_graph(wf)
    assert (graph.nodes["S"].shape, graph.nodes["S"].handler) == ("Mdiamond", "start")
    assert (graph.nodes["E"].shape, graph.nodes["E"].handler) == ("Msquare", "exit")


def test_single_node_workflow_keeps_its_handler() -> None:
    wf = Workflow(
        name="Child",
        start="Only",
        exit="Only",
        nodes=[Node(id="Only", kind="agent", config=AgentConfig(prompt="Do the work."))],
    )
    node = workflow_to_graph(wf).nodes["Only"]
    assert (node.shape, node.handler) == ("Msquare", "codergen")


def test_agent_prompt_is_composed_with_defaults_cascade() -> None:
    node = Node(id="A", kind="agent", config=AgentConfig(prompt="Body"))
    quiet = Node(id="Q", kind="agent", config=AgentConfig(prompt="Body", prompt_suffix="none"))
    wf = _wf(node, quiet, defaults=WorkflowDefaults(prompt_prefix="Prefix", prompt_suffix="Suffix"))
    graph = workflow_to_graph(wf)
    assert graph.nodes["A"].attrs["prompt"] == "Prefix\n\nBody\n\nSuffix"
    assert graph.nodes["Q"].attrs["prompt"] == "Prefix\n\nBody"
    assert "prompt" not in graph.nodes["Start"].attrs  # a bare agent gets no cascade prompt


def _error(wf: Workflow) -> str:
    with pytest.raises(DippinError) as info:
        workflow_to_graph(wf)
    (diag,) = info.value.diagnostics
    assert diag.severity == "error"
    return diag.message


def test_error_empty_start_or_exit() -> None:
    assert "no start node" in _error(_wf().model_copy(update={"start": ""}))
    assert "no exit node" in _error(_wf().model_copy(update={"exit": ""}))


def test_error_start_or_exit_absent() -> None:
    assert _error(_wf().model_copy(update={"start": "Nope"})) == (
        'start node "Nope" is not declared in the workflow'
    )
    assert _error(_wf().model_copy(update={"exit": "Gone"})) == (
        'exit node "Gone" is not declared in the workflow'
    )


def test_error_override_on_non_human_edge() -> None:
    edge = _edge("Start", "Done", override=True, source=SourceLocation(file="f.dip", line=9))
    with pytest.raises(DippinError) as info:
        workflow_to_graph(_wf(edges=[edge]))
    (diag,) = info.value.diagnostics
    assert diag.line == 9
    assert "override: true is only valid on edges from human gate nodes" in diag.message
    assert "Start -> Done" in diag.message


def test_error_steer_context_key_with_colon() -> None:
    cfg = ManagerLoopConfig(subgraph_ref="c.dip", steer_context={"a:b": "x"})
    message = _error(_wf(Node(id="M", kind="manager_loop", config=cfg)))
    assert '"a:b"' in message and "':'" in message


# --------------------------------------------------------------------------- from source

SOURCE = """workflow Review
  goal: Review the change
  start: Start
  exit: Done

  defaults
    model: claude-sonnet-4-5
    max_retries: 2

  vars
    repo: tracker

  agent Start
    prompt: Kick off.

  parallel Fork -> Lint, Test

  tool Lint
    command: make lint
    timeout: 2m

  tool Test
    command: make test
    marker_grep: ^(pass|fail)$

  fan_in Join <- Lint, Test

  human Gate
    mode: choice
    default: ship

  agent Done
    label: Done

  edges
    Start -> Fork
    Join -> Gate
    Gate -> Done  label: Ship  choice: ship  override: true
    Gate -> Start  label: Again  loop
"""


def test_parsed_pipeline_adapts() -> None:
    from tracker.dippin.parser import parse

    result = parse(SOURCE, "review.dip")
    assert result.ok, result.diagnostics
    graph = workflow_to_graph(result.workflow)
    assert graph.attrs == {
        "goal": "Review the change",
        "version": "1",
        "llm_model": "claude-sonnet-4-5",
        "default_max_retry": "2",
        "params.repo": "tracker",
    }
    assert graph.nodes["Start"].handler == "start"
    assert graph.nodes["Start"].attrs == {"prompt": "Kick off."}
    assert graph.nodes["Lint"].attrs == {"tool_command": "make lint", "timeout": "2m0s"}
    assert graph.nodes["Fork"].attrs == {"parallel_targets": "Lint,Test", "parallel_join": "Join"}
    assert graph.nodes["Gate"].attrs == {"mode": "choice", "default_choice": "ship"}
    pairs = [(e.from_, e.to) for e in graph.edges]
    assert pairs == [
        ("Start", "Fork"),
        ("Join", "Gate"),
        ("Gate", "Done"),
        ("Gate", "Start"),
        ("Fork", "Lint"),
        ("Fork", "Test"),
        ("Fork", "Join"),
        ("Lint", "Join"),
        ("Test", "Join"),
    ]
    ship, again = graph.edges[2], graph.edges[3]
    assert (ship.label, ship.choice, ship.override) == ("Ship", "ship", True)
    assert again.attrs == {"restart": "true"}


def test_every_corpus_dip_adapts(corpus_dir: Path) -> None:
    from tracker.dippin.directives import resolve_file_directives
    from tracker.dippin.parser import parse

    adapted = 0
    for path in sorted(corpus_dir.rglob("*.dip")):
        result = parse(path.read_text(encoding="utf-8"), str(path))
        if not result.ok or resolve_file_directives(result.workflow, path.parent):
            continue  # testdata that exists to show a parse or directive error
        wf = result.workflow
        graph = workflow_to_graph(wf, str(path.parent))
        assert graph.node_order == list(dict.fromkeys(n.id for n in wf.nodes)), path
        if wf.start != wf.exit:
            # composite kinds keep their handler at the ends (golden manager_loop.dip)
            composite = {"stack.manager_loop", "subgraph", "parallel", "parallel.fan_in"}
            assert graph.nodes[wf.start].handler in {"start"} | composite, path
            assert graph.nodes[wf.exit].handler in {"exit"} | composite, path
        assert graph.attrs["workflow_dir"] == os.path.abspath(path.parent)
        adapted += 1
    assert adapted >= 55
