"""Every parse-time error of spec/dippin.md §3.11, with its message gist and exact line.

Each case is a small .dip text whose only problem is the one under test; the parser must
report it as a DIP000 error at the right line (and column where it is meaningful), must
not bury it under cascading errors, and must keep going so independent errors in one
file are all reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from tracker.dippin.parser import parse

HDR = ["workflow W", "  start: A", "  exit: A"]  # lines 1-3
AB = ["  agent A", "    label: a", "  agent B", "    label: b"]  # lines 4-7 after HDR


def src(*lines: str) -> str:
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Case:
    id: str
    text: str
    gist: str  # regex searched (case-insensitive) in the message
    line: int
    column: int | None = None
    help: str | None = None  # regex the diagnostic's help must match
    count: int = 1  # how many diagnostics the file must produce (all matching gist)
    xfail: str = ""


CASES = [
    # ---------------------------------------------------------------- structure
    Case(
        "unexpected-top-level-identifier",
        src(*HDR, "  bogus thing", "  agent A", "    label: x"),
        r"unexpected top-level identifier.*bogus",
        4,
        3,
    ),
    Case(
        "unexpected-top-level-field",
        src(*HDR, "  model: x", "  agent A", "    label: x"),
        r"unexpected top-level identifier.*model",
        4,
        3,
    ),
    Case(
        "workflow-name-with-spaces",
        src("workflow My Flow", "  start: A", "  exit: A", "  agent A", "    label: x"),
        r"Flow",
        1,
        13,
    ),
    Case(
        "workflow-without-body",
        src("workflow W"),
        r"expected .*indent",
        1,
    ),
    Case(
        "node-declaration-extra-word",
        src(*HDR, "  agent A B", "    label: x"),
        r"\bB\b",
        4,
        11,
    ),
    Case(
        "yaml-style-prompt-pipe",
        src(*HDR, "  agent A", "    prompt: |", "      Do the thing.", "      More."),
        r"expected (':'|`:`|colon)",
        6,
        help=r"`prompt:` alone on its line",
    ),
    Case(
        "edge-without-arrow",
        src(*HDR, *AB, "  edges", "    A B"),
        r"expected .*(->|arrow)",
        9,
    ),
    Case(
        "fan-in-without-back-arrow",
        src(*HDR, *AB, "  fan_in J A, B"),
        r"expected .*(<-|back ?arrow)",
        8,
    ),
    Case(
        "defaults-without-body",
        src(*HDR, "  defaults", *AB),
        r"expected .*indent",
        4,
    ),
    Case(
        "edges-without-body",
        src(*HDR, *AB, "  edges"),
        r"expected .*indent",
        8,
    ),
    Case(
        "section-header-with-colon",
        src(*HDR, "  defaults:", "    model: x", *AB),
        r"expected|colon|section",
        4,
    ),
    Case(
        "empty-node-body",
        src(*HDR, "  agent A", "  agent B", "    label: b"),
        r"empty node body",
        4,
    ),
    # ---------------------------------------------------------------- value types
    Case(
        "invalid-integer",
        src(*HDR, "  agent A", "    max_turns: lots"),
        r"invalid integer.*max_turns",
        5,
        5,
    ),
    Case(
        "invalid-integer-edge-weight",
        src(*HDR, *AB, "  edges", "    A -> B weight: heavy"),
        r"invalid integer.*weight",
        9,
    ),
    Case(
        "invalid-float",
        src(*HDR, "  agent A", "    compaction_threshold: high"),
        r"invalid float.*compaction_threshold",
        5,
    ),
    Case(
        "invalid-duration-bare-number",
        src(*HDR, "  tool A", "    timeout: 30", "    command: ls"),
        r"invalid duration.*timeout",
        5,
    ),
    Case(
        "invalid-duration-days",
        src(*HDR, "  tool A", "    command: ls", "    timeout: 1d"),
        r"invalid duration.*timeout",
        6,
    ),
    Case(
        "invalid-duration-defaults",
        src(*HDR, "  defaults", "    max_wall_time: 2 days", "  agent A", "    label: a"),
        r"invalid duration.*max_wall_time",
        5,
    ),
    Case(
        "invalid-boolean",
        src(*HDR, "  agent A", "    goal_gate: maybe"),
        r"invalid boolean.*goal_gate",
        5,
    ),
    Case(
        "invalid-boolean-input-attribute",
        src(
            *HDR,
            "  inputs",
            "    idea: text",
            "      required: perhaps",
            "  agent A",
            "    label: a",
        ),
        r"invalid boolean.*required",
        6,
    ),
    Case(
        "invalid-timeout-action",
        src(*HDR, "  human A", "    timeout: 5m", "    timeout_action: explode"),
        r"invalid timeout_action.*explode",
        6,
    ),
    Case(
        "negative-output-limit",
        src(*HDR, "  tool A", "    command: ls", "    output_limit: -5"),
        r"output_limit.*(non-negative|negative)",
        6,
    ),
    Case(
        "blank-writable-paths-agent",
        src(*HDR, "  agent A", "    writable_paths: ,"),
        r"writable_paths.*no paths",
        5,
    ),
    Case(
        "blank-writable-paths-branch",
        src(
            *HDR,
            "  parallel P",
            "    branch: A",
            '      writable_paths: " "',
            "    branch: B",
            *AB,
        ),
        r"writable_paths.*no paths",
        6,
    ),
    # ---------------------------------------------------------------- exclusive pairs
    Case(
        "prompt-and-prompt-file",
        src(*HDR, "  agent A", "    prompt: hi", "    prompt_file: p.md"),
        r"both `prompt` and `prompt_file`",
        6,
    ),
    Case(
        "system-prompt-and-file",
        src(*HDR, "  agent A", "    system_prompt: hi", "    system_prompt_file: s.md"),
        r"both `system_prompt` and `system_prompt_file`",
        6,
    ),
    Case(
        "command-and-command-file",
        src(*HDR, "  tool A", "    command: ls", "    command_file: run.sh"),
        r"both `command` and `command_file`",
        6,
    ),
    # ---------------------------------------------------------------- unknown fields
    Case(
        "unrecognized-agent-field",
        src(*HDR, "  agent A", "    temperature: 0.2"),
        r'unrecognized agent field "temperature"',
        5,
        5,
        help=r"params",
    ),
    Case(
        "unrecognized-tool-field",
        src(*HDR, "  tool A", "    command: ls", "    prompt: nope"),
        r'unrecognized tool field "prompt"',
        6,
    ),
    Case(
        "unrecognized-human-field",
        src(*HDR, "  human A", "    command: ls"),
        r'unrecognized human field "command"',
        5,
    ),
    Case(
        "unrecognized-conditional-field",
        src(*HDR, "  conditional A", "    prompt: x"),
        r'unrecognized conditional field "prompt"',
        5,
    ),
    Case(
        "unrecognized-branch-field",
        src(*HDR, "  parallel P", "    branch: A", "      temperature: 1", "    branch: B", *AB),
        r'unrecognized branch field "temperature"',
        6,
    ),
    Case(
        "unrecognized-input-field",
        src(*HDR, "  inputs", "    idea: text", "      colour: red", "  agent A", "    label: a"),
        r'unrecognized input field "colour"',
        6,
    ),
    Case(
        "unknown-defaults-field",
        src(*HDR, "  defaults", "    model: m", "    temperature: 1", "  agent A", "    label: a"),
        r'unknown defaults field "temperature"',
        6,
    ),
    Case(
        "defaults-inline-system-prompt",
        src(*HDR, "  defaults", "    system_prompt: be nice", "  agent A", "    label: a"),
        r'unknown defaults field "system_prompt"',
        5,
    ),
    Case(
        "nested-retry-block",
        src(*HDR, "  agent A", "    label: a", "    retry", "      max_retries: 3"),
        r"nested retry",
        6,
    ),
    # ---------------------------------------------------------------- duplicates
    Case(
        "duplicate-params-key",
        src(*HDR, "  agent A", "    params:", "      k: 1", "      k: 2"),
        r'duplicate params key "k"',
        7,
    ),
    Case(
        "duplicate-subgraph-params-key",
        src(
            *HDR,
            "  subgraph A",
            "    ref: c.dip",
            "    params:",
            "      k: 1",
            "      j: 2",
            "      k: 3",
        ),
        r'duplicate params key "k"',
        9,
    ),
    Case(
        "duplicate-vars-key",
        src(*HDR, "  vars", "    k: 1", "    k: 2", "  agent A", "    label: a"),
        r'duplicate vars key "k"',
        6,
    ),
    Case(
        "duplicate-steer-context-key-inline",
        src(*HDR, "  manager_loop A", "    subgraph_ref: c.dip", "    steer_context: a=1, a=2"),
        r'duplicate steer_context key "a"',
        6,
    ),
    Case(
        "duplicate-steer-context-key-block",
        src(
            *HDR,
            "  manager_loop A",
            "    subgraph_ref: c.dip",
            "    steer_context:",
            "      a: 1",
            "      b: 2",
            "      a: 3",
        ),
        r'duplicate steer_context key "a"',
        9,
    ),
    Case(
        "duplicate-input",
        src(*HDR, "  inputs", "    idea: text", "    idea: text", "  agent A", "    label: a"),
        r'duplicate input "idea"',
        6,
    ),
    Case(
        "steer-context-entry-without-equals",
        src(*HDR, "  manager_loop A", "    subgraph_ref: c.dip", "    steer_context: a=1, oops"),
        r'steer_context entry "oops" must be key=value',
        6,
    ),
    Case(
        "steer-context-key-with-colon",
        src(*HDR, "  manager_loop A", "    subgraph_ref: c.dip", "    steer_context: a=1, b:c=2"),
        r"steer_context key \"b:c\".*':'",
        6,
    ),
    # ---------------------------------------------------------------- edges
    Case(
        "bracket-edge-syntax",
        src(*HDR, *AB, "  edges", "    A -> B [label: go]"),
        r"bracket syntax",
        9,
        12,
    ),
    Case(
        "unknown-edge-attribute",
        src(*HDR, *AB, "  edges", "    A -> B colour: red"),
        r'unknown edge attribute "colour"',
        9,
        12,
    ),
    Case(
        "multi-word-label",
        src(*HDR, *AB, "  edges", "    A -> B label: Request Changes"),
        r'unknown edge attribute "Changes"',
        9,
        27,
        help=r"quote",
    ),
    Case(
        "chained-edge",
        src(*HDR, *AB, "  agent C", "    label: c", "  edges", "    A -> B -> C"),
        r"unknown edge attribute",
        11,
        count=2,
    ),
    Case(
        "loop-with-value",
        src(*HDR, *AB, "  edges", "    A -> B", "    B -> A loop: true"),
        r"loop.*takes no value",
        10,
        16,
    ),
    Case(
        "on-without-channel",
        src(
            *HDR,
            "  human A",
            "    label: a",
            "  agent B",
            "    label: b",
            "  edges",
            "    A -> B on approve",
        ),
        r"`on`.*outcome channel",
        9,
        12,
    ),
    Case(
        "on-from-tool-without-marker-grep",
        src(
            *HDR,
            "  tool A",
            "    command: ls",
            "  agent B",
            "    label: b",
            "  edges",
            "    A -> B on done",
        ),
        r"`on`.*outcome channel",
        9,
    ),
    Case(
        "on-without-token",
        src(*HDR, *AB, "  edges", "    A -> B on"),
        r"`on`.*requires an outcome token",
        9,
    ),
    Case(
        "on-with-quoted-token",
        src(*HDR, *AB, "  edges", '    A -> B on "x y"'),
        r"bare identifier",
        9,
        15,
    ),
    Case(
        "on-with-glued-token",
        src(*HDR, *AB, "  edges", "    A -> B on a:b"),
        r'"a:b".*bare identifier',
        9,
        15,
    ),
    Case(
        "else-without-arrow",
        src(*HDR, "  agent A", "    label: a", "  edges", "    else A"),
        r"`else` must be followed by `->",
        7,
    ),
    Case(
        "else-without-target",
        src(*HDR, "  agent A", "    label: a", "  edges", "    else ->"),
        r"`else ->` requires a target",
        7,
    ),
    Case(
        "duplicate-else",
        src(*HDR, *AB, "  edges", "    else -> A", "    else -> B"),
        r"duplicate `else`",
        10,
    ),
    Case(
        "unterminated-quote-in-condition",
        src(*HDR, *AB, "  edges", '    A -> B when ctx.x = "open'),
        r"unterminated double-quoted literal",
        9,
        25,
    ),
    # ---------------------------------------------------------------- version pragma
    Case(
        "dip-without-number",
        src("dip", *HDR, "  agent A", "    label: a"),
        r"invalid version declaration",
        1,
    ),
    Case(
        "dip-zero",
        src("dip 0", *HDR, "  agent A", "    label: a"),
        r"invalid version declaration.*0",
        1,
    ),
    Case(
        "dip-not-a-number",
        src("dip two", *HDR, "  agent A", "    label: a"),
        r"invalid version declaration.*two",
        1,
    ),
    # ---------------------------------------------------------------- dip 2 gates
    Case(
        "dip2-fallback-target",
        src("dip 2", *HDR, "  agent A", "    fallback_target: A"),
        r"fallback_target.*dip 2",
        6,
    ),
    Case(
        "dip2-subgraph-params",
        src("dip 2", *HDR, "  subgraph A", "    ref: child.dip", "    params:", "      k: v"),
        r"inputs:.*dip 2|dip 2.*inputs",
        7,
    ),
    Case(
        "dip2-redundant-fork-and-join-edges",
        src(
            "dip 2",
            *HDR,
            "  parallel P -> A, B",
            *AB,
            "  fan_in J <- A, B",
            "  edges",
            "    P -> A",
            "    A -> J",
        ),
        r"redundant edge",
        12,
        count=2,
    ),
]


def _params() -> list:
    out = []
    for case in CASES:
        marks = [pytest.mark.xfail(reason=case.xfail, strict=False)] if case.xfail else []
        out.append(pytest.param(case, id=case.id, marks=marks))
    return out


@pytest.mark.parametrize("case", _params())
def test_parse_error_is_reported_at_its_line(case: Case) -> None:
    result = parse(case.text, "case.dip")
    assert not result.ok, f"expected a parse error for {case.id}"
    diags = result.diagnostics
    for d in diags:
        assert d.code == "DIP000" and d.severity == "error"
        assert d.file == "case.dip"
        assert d.line >= 1
    rendered = "\n".join(d.render() for d in diags)
    hits = [d for d in diags if re.search(case.gist, d.message, re.IGNORECASE)]
    assert hits, f"no diagnostic matches {case.gist!r}:\n{rendered}"
    assert hits[0].line == case.line, rendered
    if case.column is not None:
        assert hits[0].column == case.column, rendered
    if case.help is not None:
        assert re.search(case.help, hits[0].help), rendered
    # the error is not buried under cascading ones
    assert len(diags) == case.count and len(hits) == case.count, rendered


@pytest.mark.parametrize(
    ("text", "word"),
    [
        (src("workflow My Flow", "  start: A", "  exit: A", "  agent A", "    label: x"), "Flow"),
        (src(*HDR, "  agent A B", "    label: x"), "B"),
    ],
    ids=["workflow-name", "node-id"],
)
def test_extra_word_on_declaration_line_says_end_of_line_expected(text: str, word: str) -> None:
    (diag,) = parse(text, "case.dip").diagnostics
    assert word in diag.message
    assert re.search(r"end of line|newline", diag.message, re.IGNORECASE)
    assert "->" not in diag.message and "edge" not in diag.help


def test_independent_errors_are_all_reported() -> None:
    text = src(
        *HDR,  # 1-3
        "  defaults",  # 4
        "    colour: red",  # 5  unknown defaults field
        "  agent A",  # 6
        "    max_turns: many",  # 7  invalid integer
        "    goal_gate: perhaps",  # 8  invalid boolean (same node)
        "  agent B",  # 9
        "    prompt: |",  # 10
        "      text",  # 11 indented text after an inline value
        "  agent C",  # 12
        "    label: c",  # 13
        "  edges",  # 14
        "    A -> C shade: dark",  # 15 unknown edge attribute
    )
    result = parse(text, "multi.dip")
    got = sorted((d.line, d.message) for d in result.diagnostics)
    lines = [line for line, _ in got]
    assert lines == [5, 7, 8, 11, 15], got
    assert re.search("unknown defaults field", got[0][1])
    assert re.search("invalid integer", got[1][1])
    assert re.search("invalid boolean", got[2][1])
    assert re.search('unknown edge attribute "shade"', got[4][1])
    # the good parts of the file are still there
    assert [n.id for n in result.workflow.nodes] == ["A", "B", "C"]
    assert [(e.from_, e.to) for e in result.workflow.edges] == [("A", "C")]


def test_error_lines_survive_crlf_tabs_and_a_header_comment() -> None:
    text = "# header\r\n\r\ndip 2\r\nworkflow W\r\n\tstart: A\r\n\texit: A\r\n\tagent A\r\n\t\tmax_turns: x\r\n"
    (diag,) = parse(text, "crlf.dip").diagnostics
    assert diag.line == 8 and "max_turns" in diag.message


@pytest.mark.parametrize(
    "text",
    [
        # `on` from a node declared after the edges block: silently unconditional
        src(*HDR, "  edges", "    A -> B on success", *AB),
        # dip 2 re-admits retry_target and adds fallback_retry_target and subgraph inputs:
        src(
            "dip 2",
            *HDR,
            "  agent A",
            "    retry_target: A",
            "    fallback_retry_target: A",
            "  subgraph S",
            "    ref: c.dip",
            "    inputs:",
            "      k: v",
        ),
        # a value keyword without a colon is part of the condition
        src(*HDR, *AB, "  edges", "    A -> B when ctx.reason = override  label: x"),
        # a loop written as a value must be quoted, then it is fine
        src(*HDR, *AB, "  edges", '    A -> B when ctx.x = "loop"  loop'),
        # `on` from a tool with marker_grep uses the marker channel
        src(
            *HDR,
            "  tool A",
            "    command: ls",
            "    marker_grep: ^DONE",
            *AB[2:],
            "  edges",
            "    A -> B on done",
        ),
    ],
    ids=[
        "on-later-source",
        "dip2-accepted-fields",
        "bare-keyword-value",
        "quoted-loop",
        "on-marker",
    ],
)
def test_near_misses_are_not_errors(text: str) -> None:
    result = parse(text, "ok.dip")
    assert result.ok, "\n".join(d.render() for d in result.diagnostics)


def test_on_from_later_declared_source_is_unconditional() -> None:
    result = parse(src(*HDR, "  edges", "    A -> B on success", *AB), "ok.dip")
    (edge,) = result.workflow.edges
    assert edge.condition is None
