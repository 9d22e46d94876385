"""Edge conditions: what parses, what it means at run time, what is rejected, and how the
formatter writes it back."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tracker.dippin.conditions import (
    ConditionSyntaxError,
    attach_parsed_conditions,
    evaluate_condition,
    is_extension_syntax,
    iter_compares,
    parse_condition,
    render_condition,
)
from tracker.dippin.ir import (
    CondAnd,
    CondCompare,
    Condition,
    CondNot,
    CondOr,
    Edge,
    ManagerLoopConfig,
    Node,
    SourceLocation,
    Workflow,
)

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "tracker"


def C(variable: str, op: str, value: str) -> CondCompare:
    return CondCompare(variable=variable, op=op, value=value)


def run(raw: str, **ctx: str) -> bool:
    """Evaluate `raw` against a context given as keyword args (`ctx_x` means `ctx.x`)."""
    values = {k.replace("_", ".", 1): v for k, v in ctx.items()}
    return evaluate_condition(parse_condition(raw), lambda name: values.get(name, ""))


# --------------------------------------------------------------------------- accepted

ACCEPTED = [
    ("ctx.outcome = success", C("ctx.outcome", "=", "success")),
    ("ctx.outcome == success", C("ctx.outcome", "==", "success")),
    ("ctx.outcome=success", C("ctx.outcome", "=", "success")),
    ("outcome!=success", C("outcome", "!=", "success")),
    ("ctx.tool_stdout contains all-done", C("ctx.tool_stdout", "contains", "all-done")),
    ("ctx.x startswith validation_failed", C("ctx.x", "startswith", "validation_failed")),
    ("ctx.x endswith .md", C("ctx.x", "endswith", ".md")),
    ('ctx.tier in "gold,silver"', C("ctx.tier", "in", "gold,silver")),
    ('ctx.x = "hello world"', C("ctx.x", "=", "hello world")),
    ("ctx.x = 'it''s'", C("ctx.x", "=", "it's")),
    (r'ctx.x = "say \"hi\" \\o/"', C("ctx.x", "=", 'say "hi" \\o/')),
    ('ctx.x = ""', C("ctx.x", "=", "")),
    ("ctx.x not contains all-done", CondNot(inner=C("ctx.x", "contains", "all-done"))),
    ('ctx.x not in "a,b"', CondNot(inner=C("ctx.x", "in", "a,b"))),
    ("not ctx.x = a", CondNot(inner=C("ctx.x", "=", "a"))),
    ("ctx.n > 5", C("ctx.n", ">", "5")),
    ("ctx.n >= 2.5", C("ctx.n", ">=", "2.5")),
    ("ctx.n < -1", C("ctx.n", "<", "-1")),
    ("ctx.n <= 0", C("ctx.n", "<=", "0")),
    ("${ctx.x} = y", C("ctx.x", "=", "y")),
    (
        "ctx.x != a and ctx.x != b",
        CondAnd(left=C("ctx.x", "!=", "a"), right=C("ctx.x", "!=", "b")),
    ),
    (
        "context.tool_stdout!=format_ok && context.tool_stdout!=fail_retries_exhausted",
        CondAnd(
            left=C("context.tool_stdout", "!=", "format_ok"),
            right=C("context.tool_stdout", "!=", "fail_retries_exhausted"),
        ),
    ),
    ("ctx.a = 1 || ctx.b = 2", CondOr(left=C("ctx.a", "=", "1"), right=C("ctx.b", "=", "2"))),
    ("( ctx.a = 1 )", C("ctx.a", "=", "1")),
]


@pytest.mark.parametrize(("raw", "ast"), ACCEPTED, ids=[a for a, _ in ACCEPTED])
def test_accepted_conditions_parse_to_their_ast(raw: str, ast: object) -> None:
    assert parse_condition(raw) == ast


EVALUATIONS = [
    # (condition, context, expected)
    ("ctx.outcome = success", {"ctx.outcome": "success"}, True),
    ("ctx.outcome = success", {"ctx.outcome": "Success"}, False),  # case-sensitive
    ("ctx.outcome = success", {}, False),
    ("ctx.outcome != success", {}, True),
    ('ctx.x = ""', {}, True),
    ("ctx.x contains pass", {"ctx.x": "all tests passed"}, True),
    ("ctx.x contains PASS", {"ctx.x": "all tests passed"}, False),
    ("ctx.x not contains pass", {"ctx.x": "all tests passed"}, False),
    ("ctx.x startswith val", {"ctx.x": "validation_failed: 3"}, True),
    ("ctx.x endswith .go", {"ctx.x": "main.go"}, True),
    ("ctx.x endswith .go", {"ctx.x": "main.py"}, False),
    ('ctx.t in "gold, silver ,bronze"', {"ctx.t": "silver"}, True),
    ('ctx.t in "gold, silver ,bronze"', {"ctx.t": "bronze"}, True),
    ('ctx.t in "gold,silver"', {"ctx.t": "gol"}, False),
    ('ctx.t not in "gold,silver"', {"ctx.t": "tin"}, True),
    ("ctx.n > 5", {"ctx.n": "7"}, True),
    ("ctx.n > 5", {"ctx.n": "10"}, True),  # numeric, not string, ordering
    ("ctx.n > 5", {"ctx.n": "5"}, False),
    ("ctx.n >= 5", {"ctx.n": "5.0"}, True),
    ("ctx.n < 5", {"ctx.n": "abc"}, False),  # non-numeric side → false
    ("ctx.n < 5", {}, False),
    ("ctx.n <= 1e3", {"ctx.n": " 999 "}, True),
    ("ctx.n > 1", {"ctx.n": "inf"}, False),
    ("not ctx.x = a", {"ctx.x": "a"}, False),
    ("not not ctx.x = a", {"ctx.x": "a"}, True),
]


@pytest.mark.parametrize(("raw", "ctx", "expected"), EVALUATIONS)
def test_evaluation(raw: str, ctx: dict[str, str], expected: bool) -> None:
    got = evaluate_condition(parse_condition(raw), lambda name: ctx.get(name, ""))
    assert got is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("a", False), ("b", False), ("c", True), ("", True)],
)
def test_not_equal_and_means_what_it_says(value: str, expected: bool) -> None:
    """The reference runtime read this as one clause `ctx.x != "a and ctx.x != b"` and so
    routed almost everything through it; we evaluate the AST as written."""
    assert run("ctx.x != a and ctx.x != b", ctx_x=value) is expected
    assert run("ctx.x != a && ctx.x != b", ctx_x=value) is expected


def test_or_is_true_when_either_side_is() -> None:
    raw = "ctx.outcome = fail or ctx.tool_stdout contains error"
    assert run(raw, ctx_outcome="fail") is True
    assert run(raw, ctx_tool_stdout="an error occurred") is True
    assert run(raw, ctx_outcome="success", ctx_tool_stdout="ok") is False


def test_lookup_receives_the_variable_as_written() -> None:
    seen: list[str] = []

    def lookup(name: str) -> str:
        seen.append(name)
        return ""

    evaluate_condition(parse_condition("ctx.a = 1 or context.b = 2 or graph.goal = x"), lookup)
    assert seen == ["ctx.a", "context.b", "graph.goal"]


# --------------------------------------------------------------------------- precedence


def test_and_binds_tighter_than_or() -> None:
    a, b, c = C("a", "=", "1"), C("b", "=", "1"), C("c", "=", "1")
    assert parse_condition("a = 1 or b = 1 and c = 1") == CondOr(
        left=a, right=CondAnd(left=b, right=c)
    )
    assert parse_condition("a = 1 and b = 1 or c = 1") == CondOr(
        left=CondAnd(left=a, right=b), right=c
    )
    # True or (False and False) → True; (True or False) and False would be False.
    assert run("ctx.a = 1 or ctx.b = 1 and ctx.c = 1", ctx_a="1") is True


def test_not_binds_tighter_than_and() -> None:
    assert parse_condition("not a = 1 and b = 1") == CondAnd(
        left=CondNot(inner=C("a", "=", "1")), right=C("b", "=", "1")
    )


def test_symbol_and_word_connectives_share_precedence() -> None:
    assert parse_condition("a = 1 || b = 1 and c = 1") == parse_condition("a = 1 or b = 1 && c = 1")


def test_binary_operators_are_left_associative() -> None:
    a, b, c = C("a", "=", "1"), C("b", "=", "1"), C("c", "=", "1")
    assert parse_condition("a = 1 and b = 1 and c = 1") == CondAnd(
        left=CondAnd(left=a, right=b), right=c
    )


def test_parentheses_group() -> None:
    raw = "(ctx.a = 1 or ctx.b = 1) and ctx.c = 1"
    assert parse_condition(raw) == CondAnd(
        left=CondOr(left=C("ctx.a", "=", "1"), right=C("ctx.b", "=", "1")),
        right=C("ctx.c", "=", "1"),
    )
    assert run(raw, ctx_a="1") is False
    assert run(raw, ctx_a="1", ctx_c="1") is True
    assert run("not (ctx.a = 1 or ctx.b = 1)", ctx_b="1") is False
    assert run("not (ctx.a = 1 or ctx.b = 1)") is True


def test_moderate_nesting_is_fine() -> None:
    assert parse_condition("(" * 30 + "ctx.a = 1" + ")" * 30) == C("ctx.a", "=", "1")
    assert run("not " * 30 + "ctx.a = 1", ctx_a="1") is True


def test_token_joined_raw_from_the_dip_parser_parses() -> None:
    """§4.1: the .dip parser joins tokens with single spaces, parens included."""
    assert parse_condition('( ctx.a = 1 or ctx.b = "x y" ) and not ctx.c in "p,q"')


# --------------------------------------------------------------------------- rejected

REJECTED = [
    ("ctx.x >> 5", 'unknown operator ">>" in "ctx.x >> 5"'),
    ("ctx.x matches ^a", 'unknown operator "matches"'),
    ("ctx.x equals a", 'unknown operator "equals"'),
    ("ctx.x", 'condition "ctx.x" has no operator'),
    ("ctx.a and ctx.b = c", '"ctx.a" has no operator'),
    (
        "ctx.tier in gold , silver , bronze",
        'unquoted comma list after "in": quote it, e.g. ctx.tier in "gold,silver,bronze"',
    ),
    ("ctx.tier in gold,silver", 'unquoted comma list after "in"'),
    (
        "ctx.x contains hello world",
        'multi-word value "hello world" must be quoted: ctx.x contains "hello world"',
    ),
    ("ctx.x = a ctx.y = b", 'missing "and"/"or" before "ctx.y"'),
    ("ctx.x = a , b", 'unexpected ","'),
    ("ctx.x =", 'missing value after "="'),
    ("ctx.x = a and", 'expected a comparison after "and"'),
    ("ctx.x = a or", 'expected a comparison after "or"'),
    ("(ctx.a = 1", 'missing ")"'),
    ("ctx.a = 1)", 'unmatched ")"'),
    ("( )", "expected a variable name"),
    ('ctx.x = "open', "unterminated quote"),
    ("(" * 500 + "ctx.a = 1" + ")" * 500, "nested more than"),
    ("not " * 500 + "ctx.a = 1", "nested more than"),
    ("", "empty condition"),
    ("   ", "empty condition"),
]


@pytest.mark.parametrize(("raw", "message"), REJECTED, ids=[r[:40] for r, _ in REJECTED])
def test_rejected_conditions_explain_why(raw: str, message: str) -> None:
    with pytest.raises(ConditionSyntaxError) as info:
        parse_condition(raw)
    assert message in info.value.message
    assert str(info.value) == info.value.message


# --------------------------------------------------------------------------- rendering

RENDERED = [
    ("ctx.outcome=success", "ctx.outcome = success"),
    ("ctx.x == a", "ctx.x == a"),
    ("ctx.x = 'hello world'", 'ctx.x = "hello world"'),
    ('ctx.x = "plain"', "ctx.x = plain"),
    ('ctx.x = ""', 'ctx.x = ""'),
    ('ctx.x = "a\\"b"', 'ctx.x = "a\\"b"'),
    ("ctx.x = a/b-c_d.e:f", "ctx.x = a/b-c_d.e:f"),
    ('ctx.t in "gold,silver"', 'ctx.t in "gold,silver"'),
    ("not ctx.x contains a", "ctx.x not contains a"),
    ("ctx.x not startswith a", "ctx.x not startswith a"),
    ("not ctx.x = a", "not ctx.x = a"),
    ("a = 1 && b = 2 || c = 3", "a = 1 and b = 2 or c = 3"),
    ("(a = 1 || b = 2) && c = 3", "(a = 1 or b = 2) and c = 3"),
    ("a = 1 and (b = 2 and c = 3)", "a = 1 and (b = 2 and c = 3)"),
    ("(a = 1 and b = 2) and c = 3", "a = 1 and b = 2 and c = 3"),
    ("not (a = 1 and b = 2)", "not (a = 1 and b = 2)"),
    ("ctx.n >= 5", "ctx.n >= 5"),
]


@pytest.mark.parametrize(("raw", "canonical"), RENDERED, ids=[r for r, _ in RENDERED])
def test_render_canonical_form(raw: str, canonical: str) -> None:
    assert render_condition(parse_condition(raw)) == canonical


_VARIABLES = st.from_regex(r"(ctx|graph|params|inputs)\.[a-z_][a-z0-9_.]{0,12}", fullmatch=True)
_VALUES = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
_OPS = st.sampled_from(
    ["=", "==", "!=", "contains", "startswith", "endswith", "in", "<", "<=", ">", ">="]
)
_LEAVES = st.builds(CondCompare, variable=_VARIABLES, op=_OPS, value=_VALUES)
_EXPRS = st.recursive(
    _LEAVES,
    lambda sub: st.one_of(
        st.builds(CondNot, inner=sub),
        st.builds(CondAnd, left=sub, right=sub),
        st.builds(CondOr, left=sub, right=sub),
    ),
    max_leaves=8,
)


@given(_EXPRS)
def test_render_round_trips_any_ast(expr: object) -> None:
    assert parse_condition(render_condition(expr)) == expr  # type: ignore[arg-type]


_EDGE_WHEN = re.compile(r"^\s*[A-Za-z0-9][\w.-]*\s*->\s*[A-Za-z0-9][\w.-]*\s+when\s+(.*)$")
_EDGE_ATTR = re.compile(r"\s+(?:label|weight|choice|restart|override):.*$")
_DOT_CONDITION = re.compile(r'condition\s*=\s*"((?:[^"\\]|\\.)*)"')


def _corpus_conditions() -> list[str]:
    found: set[str] = set()
    for path in sorted(CORPUS.rglob("*.dip")):
        for line in path.read_text(encoding="utf-8").splitlines():
            m = _EDGE_WHEN.match(line)
            if not m:
                continue
            text = re.sub(r"\s+loop\s*$", "", _EDGE_ATTR.sub("", m.group(1))).strip()
            if text:
                found.add(text)
    for path in sorted(CORPUS.rglob("*.dot")):
        found.update(_DOT_CONDITION.findall(path.read_text(encoding="utf-8")))
    return sorted(found)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="reference corpus not available")
def test_every_corpus_condition_parses_and_round_trips() -> None:
    conditions = _corpus_conditions()
    assert len(conditions) > 20
    for raw in conditions:
        expr = parse_condition(raw)
        rendered = render_condition(expr)
        assert parse_condition(rendered) == expr, raw
        assert render_condition(parse_condition(rendered)) == rendered


# --------------------------------------------------------------------------- helpers


def test_iter_compares_reports_negation() -> None:
    expr = parse_condition("ctx.a = 1 and not (ctx.b = 2 or ctx.c not contains x)")
    leaves = [(c.variable, neg) for c, neg in iter_compares(expr)]
    assert leaves == [("ctx.a", False), ("ctx.b", True), ("ctx.c", False)]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ctx.a = 1 and ctx.b = 2", False),
        ('ctx.t in "a,b"', False),
        ("ctx.x not contains y", False),
        ("ctx.a = 1 && ctx.b = 2", True),
        ("ctx.a = 1 || ctx.b = 2", True),
        ("( ctx.a = 1 )", True),
        ("ctx.n > 5", True),
        ("ctx.n<=5", True),
        ('ctx.x = "a && b"', False),  # inside quotes it is just text
        ('ctx.x = "(x)"', False),
    ],
)
def test_is_extension_syntax(raw: str, expected: bool) -> None:
    assert is_extension_syntax(raw) is expected


def _edge(src: str, dst: str, raw: str | None, line: int) -> Edge:
    cond = Condition(raw=raw) if raw is not None else None
    return Edge(from_=src, to=dst, condition=cond, source=SourceLocation(file="w.dip", line=line))


def test_attach_parsed_conditions_fills_good_edges_and_returns_bad_ones() -> None:
    wf = Workflow(
        name="W",
        edges=[
            _edge("A", "B", "ctx.outcome = success", 10),
            _edge("A", "C", "ctx.tier in gold , silver", 11),
            _edge("A", "D", None, 12),
            _edge("A", "E", "", 13),
            _edge("B", "C", "ctx.n > 5 && ctx.ok = yes", 14),
        ],
    )
    failures = attach_parsed_conditions(wf)
    assert [(e.to, e.source.line) for e, _ in failures] == [("C", 11)]
    assert "unquoted comma list" in failures[0][1].message
    ok, bad, none, empty, ext = wf.edges
    assert ok.condition is not None and ok.condition.parsed == C("ctx.outcome", "=", "success")
    assert bad.condition is not None and bad.condition.parsed is None
    assert none.condition is None
    assert empty.condition is not None and empty.condition.parsed is None
    assert ext.condition is not None and ext.condition.parsed is not None


def test_manager_loop_conditions_are_parsed_but_never_reported() -> None:
    loop = Node(
        id="M",
        kind="manager_loop",
        config=ManagerLoopConfig(
            stop_condition=Condition(raw="stack.child.status = success"),
            steer_condition=Condition(raw="stack.child.cycles is five"),
        ),
    )
    wf = Workflow(name="W", nodes=[loop])
    assert attach_parsed_conditions(wf) == []
    cfg = loop.config
    assert isinstance(cfg, ManagerLoopConfig)
    assert cfg.stop_condition is not None
    assert cfg.stop_condition.parsed == C("stack.child.status", "=", "success")
    assert cfg.steer_condition is not None and cfg.steer_condition.parsed is None


@pytest.mark.skipif(not CORPUS.is_dir(), reason="reference corpus not available")
def test_every_corpus_edge_through_the_dip_parser_attaches_and_round_trips() -> None:
    """Same check on the token-joined Raw the .dip parser actually produces (§4.1)."""
    parser = pytest.importorskip("tracker.dippin.parser")
    checked = 0
    for path in sorted(CORPUS.rglob("*.dip")):
        wf = parser.parse(path.read_text(encoding="utf-8"), str(path)).workflow
        assert attach_parsed_conditions(wf) == [], path
        for edge in wf.edges:
            if edge.condition is not None and edge.condition.parsed is not None:
                expr = edge.condition.parsed
                assert parse_condition(render_condition(expr)) == expr
                checked += 1
    assert checked > 100
