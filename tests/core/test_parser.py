"""What the Dippin parser puts in the IR (spec/dippin.md §2, §3, §4.1, §7)."""

from __future__ import annotations

import pytest
from tracker.dippin.ir import (
    AgentConfig,
    FanInConfig,
    HumanConfig,
    ManagerLoopConfig,
    ParallelConfig,
    SubgraphConfig,
    ToolConfig,
    Workflow,
)
from tracker.dippin.parser import parse

S = 1_000_000_000


def ok(text: str) -> Workflow:
    result = parse(text, file="t.dip")
    assert result.ok, [d.render() for d in result.diagnostics]
    assert result.workflow.source_file == "t.dip"
    return result.workflow


def body(*lines: str) -> str:
    """A workflow whose body is the given lines (already indented by two)."""
    return "workflow W\n  start: A\n  exit: A\n" + "".join(f"{ln}\n" for ln in lines)


def agent(wf: Workflow, node_id: str = "A") -> AgentConfig:
    node = wf.node(node_id)
    assert node is not None and isinstance(node.config, AgentConfig)
    return node.config


# --------------------------------------------------------------------------- file structure


def test_header_comment_pragma_and_header_fields() -> None:
    wf = ok(
        "# Release pipeline\n"
        "#\n"
        "# owned by the infra team\n"
        "\n"
        "dip 2\n"
        "workflow Release\n"
        '  goal: "Ship it" # trailing comment\n'
        "  requires: git, , docker\n"
        "  start: A\n"
        "  exit: A\n"
        "  agent A\n"
        "    label: a\n"
    )
    assert wf.header_comment == ["# Release pipeline", "#", "# owned by the infra team"]
    assert (wf.version, wf.version_int, wf.name) == ("2", 2, "Release")
    assert (wf.goal, wf.start, wf.exit) == ("Ship it", "A", "A")
    assert wf.requires == ["git", "docker"]


def test_version_defaults_to_1_and_workflow_may_be_indented() -> None:
    wf = ok("    workflow Indented\n      start: A\n      agent A\n        label: x\n")
    assert wf.version == "1" and wf.name == "Indented" and wf.node("A") is not None


def test_crlf_tabs_and_top_level_noise() -> None:
    text = "stray words here\r\nworkflow W\r\n\tstart: A\r\n\tagent A\r\n\t\tlabel: x  \r\n"
    wf = ok(text)
    assert wf.start == "A" and wf.node("A").label == "x"


def test_goal_as_block_and_later_assignments_win() -> None:
    wf = ok(body("  goal:", "    first line", "    second line", "  start: B"))
    assert wf.goal == "first line\nsecond line"
    assert wf.start == "B"


def test_inputs_block() -> None:
    wf = ok(
        body(
            "  inputs",
            "    idea: text",
            "      required: true",
            '      prompt: "What should we build?"',
            "      max_length: 200",
            "    risk: enum",
            "      default: medium",
            "      options: low, , medium, high",
            "    notes: text",
            "      multiline: yes",
            "    weird: colour",
        )
    )
    idea, risk, notes, weird = wf.inputs
    assert (idea.name, idea.type, idea.required, idea.max_length) == ("idea", "text", True, 200)
    assert idea.prompt == "What should we build?" and not idea.has_default
    assert (risk.default, risk.has_default, risk.options) == (
        "medium",
        True,
        ["low", "medium", "high"],
    )
    assert notes.multiline is True
    assert weird.type == "colour"  # unknown types parse; DIP155 flags them
    assert (idea.source.line, idea.source.column) == (5, 5)


def test_defaults_block_types() -> None:
    wf = ok(
        body(
            "  defaults",
            "    model: claude-sonnet-4-6",
            "    max_retries: 2",
            "    fidelity: summary:high",
            "    cache_tools: on",
            "    max_wall_time: 1h30m",
            "    stall_timeout: 90s",
            "    tool_commands_allow: git *, make *",
            "    on_failure: Cleanup",
            "    system_prompt_file: prompts/sys.md",
        )
    )
    d = wf.defaults
    assert d.model == "claude-sonnet-4-6" and d.max_retries == 2
    assert d.fidelity == "summary:high"  # the value is everything after the first colon
    assert d.cache_tools is True
    assert d.max_wall_time == 5400 * S and d.stall_timeout == 90 * S
    assert d.tool_commands_allow == "git *, make *"
    assert d.on_failure == "Cleanup" and d.system_prompt_file == "prompts/sys.md"
    assert (d.source.line, d.source.column) == (4, 3)


def test_vars_block_with_quotes() -> None:
    wf = ok(body("  vars", "    who: world", "    greeting: 'it''s fine'", '    q: "say \\"hi\\""'))
    assert wf.vars == {"who": "world", "greeting": "it's fine", "q": 'say "hi"'}


# --------------------------------------------------------------------------- nodes


def test_agent_fields_of_every_type() -> None:
    wf = ok(
        body(
            "  agent A",
            "    label: Plan it",
            "    class: fast, ,slow",
            "    reads: spec, notes",
            "    writes: plan",
            "    model: claude-opus-4",
            "    provider: anthropic",
            "    backend: claude-code",
            "    working_dir: ./work",
            "    tool_access: none",
            "    writable_paths: src/**, ,docs/**",
            "    max_turns: 7",
            "    cmd_timeout: 2m30s",
            "    cache_tools: true",
            "    compaction: auto",
            "    compaction_threshold: 0.8",
            "    reasoning_effort: high",
            "    fidelity: full",
            "    auto_status: YES",
            "    goal_gate: false",
            "    response_format: json_object",
            '    response_schema: {"type": "object"}',
            "    last_response_truncate: 4000",
            "    prompt_include: prompts/footer.md",
            "    prompt_prefix: none",
            "    system_prompt: Be brief.",
            "    retry_policy: exponential",
            "    max_retries: 3",
            "    base_delay: 500ms",
            "    retry_target: A",
            "    fallback_target: B",
            "    params:",
            "      temperature: 0.2",
            '      style: "terse"',
            "      url: http://x:8080/y",
            "    prompt: Do it.",
        )
    )
    node = wf.node("A")
    cfg = agent(wf)
    assert node.label == "Plan it"
    assert node.classes == ["fast", "", "slow"]  # class keeps empty items
    assert node.io.reads == ["spec", "notes"] and node.io.writes == ["plan"]
    assert cfg.writable_paths == ["src/**", "docs/**"]  # writable_paths drops them
    assert (cfg.model, cfg.provider, cfg.backend, cfg.working_dir) == (
        "claude-opus-4",
        "anthropic",
        "claude-code",
        "./work",
    )
    assert cfg.tool_access == "none" and cfg.max_turns == 7 and cfg.cmd_timeout == 150 * S
    assert cfg.cache_tools and cfg.auto_status and not cfg.goal_gate
    assert cfg.compaction == "auto" and cfg.compaction_threshold == pytest.approx(0.8)
    assert cfg.reasoning_effort == "high" and cfg.fidelity == "full"
    assert cfg.response_format == "json_object" and cfg.response_schema == '{"type": "object"}'
    assert cfg.last_response_truncate == 4000
    assert cfg.prompt_include == "prompts/footer.md" and cfg.prompt_prefix == "none"
    assert cfg.system_prompt == "Be brief." and cfg.prompt == "Do it."
    assert cfg.params == {"temperature": "0.2", "style": "terse", "url": "http://x:8080/y"}
    r = node.retry
    assert (r.policy, r.max_retries, r.base_delay, r.retry_target, r.fallback_target) == (
        "exponential",
        3,
        500_000_000,
        "A",
        "B",
    )
    assert (node.source.file, node.source.line, node.source.column) == ("t.dip", 4, 3)


def test_human_tool_subgraph_conditional_nodes() -> None:
    wf = ok(
        body(
            "  human H",
            "    mode: freeform",
            "    default: approve",
            "    questions_key: qs",
            "    answers_key: as",
            "    timeout: 10m",
            "    timeout_action: fail",
            "    prompt: Approve?",
            "  tool T",
            "    command:",
            "      set -e",
            "      make test",
            "    timeout: 45s",
            "    outputs: out, ,log",
            "    marker_grep: ^RESULT=(\\w+)",
            "    route_required: true",
            "    output_limit: 0",
            "  subgraph S",
            "    ref: child.dip",
            "    params:",
            "      task: review",
            "  conditional C",
            "    label: route",
        )
    )
    h, t, s, c = (wf.node(x) for x in "HTSC")
    assert isinstance(h.config, HumanConfig)
    assert (h.config.mode, h.config.default, h.config.prompt) == ("freeform", "approve", "Approve?")
    assert (h.config.questions_key, h.config.answers_key) == ("qs", "as")
    assert (h.config.timeout, h.config.timeout_action) == (600 * S, "fail")
    assert isinstance(t.config, ToolConfig)
    assert t.config.command == "set -e\nmake test" and t.config.timeout == 45 * S
    assert t.config.outputs == ["out", "", "log"]
    assert t.config.marker_grep == "^RESULT=(\\w+)" and t.config.route_required
    assert isinstance(s.config, SubgraphConfig)
    assert s.config.ref == "child.dip" and s.config.params == {"task": "review"}
    assert c.kind == "conditional" and c.label == "route"


def test_manager_loop_with_both_steer_context_forms() -> None:
    wf = ok(
        body(
            "  manager_loop M",
            "    subgraph_ref: child.dip",
            "    poll_interval: 15s",
            "    max_cycles: 20",
            "    stop_condition: stack.child.status = success",
            "    steer_condition: stack.child.cycles = 5",
            '    steer_context: hint=halfway, level = "2"',
            "  manager_loop N",
            "    steer_context:",
            "      hint: halfway_through",
            "      priority: high",
        )
    )
    m, n = wf.node("M").config, wf.node("N").config
    assert isinstance(m, ManagerLoopConfig) and isinstance(n, ManagerLoopConfig)
    assert (m.subgraph_ref, m.poll_interval, m.max_cycles) == ("child.dip", 15 * S, 20)
    assert m.stop_condition.raw == "stack.child.status = success"
    assert m.steer_condition.raw == "stack.child.cycles = 5"
    assert m.steer_context == {"hint": "halfway", "level": "2"}
    assert n.steer_context == {"hint": "halfway_through", "priority": "high"}


def test_inline_parallel_and_fan_in_with_params() -> None:
    wf = ok(
        body(
            "  parallel P -> A, B, C",
            "    params:",
            "      fan_in_policy: quorum",
            "    ignored: words here",
            "  fan_in J <- A, B, C",
            "    params:",
            "      merge: concat",
        )
    )
    p, j = wf.node("P"), wf.node("J")
    assert isinstance(p.config, ParallelConfig) and isinstance(j.config, FanInConfig)
    assert p.config.targets == ["A", "B", "C"] and p.config.params == {"fan_in_policy": "quorum"}
    assert j.config.sources == ["A", "B", "C"] and j.config.params == {"merge": "concat"}
    assert p.config.branches == []


def test_block_parallel_with_branches() -> None:
    wf = ok(
        body(
            "  parallel P",
            "    branch: A",
            "      model: claude-haiku-4-5",
            "      tool_access: none",
            "      writable_paths: out/**",
            "      last_response_truncate: 100",
            "    branch: B",
            "    params:",
            "      fan_in_policy: all",
        )
    )
    cfg = wf.node("P").config
    assert isinstance(cfg, ParallelConfig)
    assert cfg.targets == ["A", "B"]
    a, b = cfg.branches
    assert (a.target, a.model, a.tool_access, a.writable_paths) == (
        "A",
        "claude-haiku-4-5",
        "none",
        ["out/**"],
    )
    assert a.last_response_truncate == 100 and (a.source.line, a.source.column) == (5, 5)
    assert b.target == "B" and b.model == ""  # omitted values inherit at run time
    assert cfg.params == {"fan_in_policy": "all"}


# --------------------------------------------------------------------------- blocks and values


def test_multiline_block_deindent_rules() -> None:
    text = (
        "workflow W\n"
        "  agent A\n"
        "    prompt:\n"
        "        first\n"  # baseline = 8
        "          deeper keeps two\n"
        "      shallower loses all\n"  # still deeper than the key (4): inside the block
        "\n"
        "           \n"  # whitespace beyond the baseline survives on blank lines
        "        # a literal hash line, not a comment\n"
        "        last  # also literal\n"
        "\n"
        "\n"
        "    # a comment at the key column ends the block\n"
        "    label: x\n"
    )
    cfg = agent(ok(text))
    assert cfg.prompt == (
        "first\n"
        "  deeper keeps two\n"
        "shallower loses all\n"
        "\n"
        "   \n"
        "# a literal hash line, not a comment\n"
        "last  # also literal"
    )
    assert ok(text).node("A").label == "x"


def test_key_line_without_block_is_empty_and_block_with_crlf() -> None:
    wf = ok(
        "workflow W\r\n  agent A\r\n    label:   # note\r\n    prompt:\r\n      one\r\n      two\r\n"
    )
    assert wf.node("A").label == ""
    assert agent(wf).prompt == "one\ntwo"


@pytest.mark.parametrize(
    ("line", "label"),
    [
        ("label: C#-style", "C#-style"),
        ("label: x # note", "x"),
        ('label: "a # b"', "a # b"),
        ('label: "quoted" # note', "quoted"),
        ('label: "kept" trailing', "kept"),
        ("label: it's fine # note", "it's fine"),
        ("label: 'it''s' # note", "it's"),
        ('label: "back\\\\slash \\"q\\""', 'back\\slash "q"'),
        ('label: "\\n stays"', "\\n stays"),
        ('label: say "hi"', 'say "hi"'),
        ("label:#tag", "#tag"),
        ("label: fidelity:high", "fidelity:high"),
    ],
)
def test_inline_value_extraction(line: str, label: str) -> None:
    wf = ok(f"workflow W\n  agent A\n    {line}\n")
    assert wf.node("A").label == label


# --------------------------------------------------------------------------- edges


def edges_of(*lines: str, nodes: str = "") -> Workflow:
    return ok("workflow W\n" + nodes + "  edges\n" + "".join(f"    {ln}\n" for ln in lines))


@pytest.mark.parametrize(
    ("cond", "raw"),
    [
        ("ctx.outcome=success", "ctx.outcome = success"),
        ("ctx.x in a,b", "ctx.x in a , b"),
        ("(ctx.a = 1)", "( ctx.a = 1 )"),
        ('ctx.x = "a \\"b\\""', 'ctx.x = "a \\"b\\""'),
        ("ctx.x = 'it''s'", 'ctx.x = "it\'s"'),
        ("ctx.x == ${params.want}", "ctx.x == params.want"),
        (
            "ctx.a = 1 && ctx.b != 2 || not ctx.c contains z",
            "ctx.a = 1 && ctx.b != 2 || not ctx.c contains z",
        ),
        ("ctx.n >= 3 and ctx.m < 2", "ctx.n >= 3 and ctx.m < 2"),
        ('ctx.x = "loop"', 'ctx.x = "loop"'),
        ("ctx.reason = override", "ctx.reason = override"),
        ("ctx.x = label", "ctx.x = label"),
    ],
)
def test_condition_raw_is_token_joined(cond: str, raw: str) -> None:
    edge = edges_of(f"A -> B when {cond}").edges[0]
    assert edge.condition is not None and edge.condition.raw == raw
    assert edge.condition.parsed is None  # conditions.py fills it later


def test_edge_attributes() -> None:
    wf = edges_of(
        'A -> B  when ctx.outcome = fail  label: "Retry it"  weight: 3  loop',
        "A -> C  label: Ship  choice: ship  override: true  restart: true",
        "A -> D  restart: yes",
        "A -> E",
        "A -> F  when",
    )
    b, c, d, e, f = wf.edges
    assert (b.from_, b.to, b.condition.raw, b.label, b.weight, b.restart) == (
        "A",
        "B",
        "ctx.outcome = fail",
        "Retry it",
        3,
        True,
    )
    assert (c.label, c.choice, c.override, c.restart, c.condition) == (
        "Ship",
        "ship",
        True,
        True,
        None,
    )
    assert d.restart is False  # restart/override are true only for the literal `true`
    assert e.condition is None and not e.is_conditional
    assert f.condition is not None and f.condition.raw == ""  # empty `when`
    assert (b.source.file, b.source.line, b.source.column) == ("t.dip", 3, 5)


def test_condition_stops_at_attribute_keyword_followed_by_colon() -> None:
    edge = edges_of("A -> B when ctx.x = 1 label: one choice: c").edges[0]
    assert edge.condition.raw == "ctx.x = 1" and edge.label == "one" and edge.choice == "c"


def test_on_shorthand_uses_the_source_channel() -> None:
    nodes = (
        "  agent A\n    label: a\n"
        "  tool T\n    command: run\n    marker_grep: ^MARK=\n"
        "  tool U\n    command: run\n"
    )
    wf = edges_of("A -> B on success", "T -> B on green", "Later -> B on x", nodes=nodes)
    a, t, later = wf.edges
    assert a.condition.raw == "ctx.outcome = success"
    assert t.condition.raw == "ctx.tool_marker = green"
    assert later.condition is None  # unknown source: silently unconditional


def test_else_target_and_identifier_lexing() -> None:
    wf = edges_of("_Setup -> Build", "else -> Cleanup")
    assert (wf.edges[0].from_, wf.edges[0].to) == ("Setup", "Build")
    assert wf.else_target == "Cleanup"
    assert (wf.else_target_source.line, wf.else_target_source.column) == (4, 5)
    assert all(e.to != "Cleanup" for e in wf.edges)


def test_keywords_are_contextual() -> None:
    wf = ok(
        "workflow W\n  start: edges\n"
        "  agent edges\n    label: a\n"
        "  agent when\n    label: b\n"
        "  edges\n    edges -> when\n"
    )
    assert [n.id for n in wf.nodes] == ["edges", "when"]
    assert (wf.edges[0].from_, wf.edges[0].to) == ("edges", "when")


def test_several_edges_blocks_append() -> None:
    wf = ok("workflow W\n  edges\n    A -> B\n  agent A\n    label: a\n  edges\n    B -> C\n")
    assert [(e.from_, e.to) for e in wf.edges] == [("A", "B"), ("B", "C")]


# --------------------------------------------------------------------------- versions


def test_dip2_accepts_its_spellings() -> None:
    wf = ok(
        "dip 2\nworkflow W\n"
        "  agent A\n    retry_target: A\n    fallback_retry_target: B\n"
        "  subgraph S\n    ref: child.dip\n    inputs:\n      task: x\n"
        "  parallel P -> A, B\n"
        "  edges\n    P -> A  label: first\n"
    )
    node = wf.node("A")
    assert node.retry.retry_target == "A" and node.retry.fallback_retry_target == "B"
    assert wf.node("S").config.params == {"task": "x"}
    assert len(wf.edges) == 1  # an edge with attributes is not a redundant fork edge


def test_v1_keeps_redundant_fan_edges() -> None:
    wf = ok("workflow W\n  parallel P -> A, B\n  edges\n    P -> A\n    P -> B\n")
    assert len(wf.edges) == 2


# --------------------------------------------------------------------------- robustness


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n\n",
        "workflow",
        "dip",
        "workflow W\n  agent\n",
        "workflow W\n  edges\n    ->\n    -> ->\n    [\n",
        "workflow W\n\tagent A\n  \t label: x\n    prompt: |\n",
        'workflow W\n  agent A\n    label: "unterminated\n',
        "workflow W\n  parallel P ->\n  fan_in J <-\n",
        "\x00\x01 workflow \ufeff W\n  \u00e9t\u00e9: x\n",
        "workflow W\n  agent A\n    label: a\n      deeper: b\n        deepest\n   odd\n",
        "workflow W\n" + "  " * 300 + "x\n",
    ],
)
def test_never_raises_and_locates_every_error(text: str) -> None:
    result = parse(text, file="bad.dip")
    assert isinstance(result.workflow, Workflow)
    for d in result.diagnostics:
        assert d.code == "DIP000" and d.severity == "error" and d.line >= 1 and d.file == "bad.dip"


def test_partial_ir_survives_errors() -> None:
    result = parse(
        "workflow W\n  agent A\n    max_turns: many\n    label: still here\n"
        "  edges\n    A -> B\n    oops\n    B -> C\n"
    )
    assert not result.ok
    assert result.workflow.node("A").label == "still here"
    assert [(e.from_, e.to) for e in result.workflow.edges] == [("A", "B"), ("B", "C")]
    assert [d.line for d in result.diagnostics] == [3, 7]
