"""Edge conditions: parse once into an AST, evaluate it as written, render it canonically.

Why an AST: the reference runtime split conditions on `&&`/`||` only, so a `.dip` edge such
as `ctx.x != a and ctx.x != b` silently became one clause. We parse every condition once
(spec/dippin.md §4.2 plus the extensions settled in design.md "Decisions": `&&`, `||`,
parentheses and numeric `<`, `<=`, `>`, `>=`) and lint, simulate and the engine all share
`evaluate_condition`.

The parser is a small hand-written recursive descent over a tokenizer: the grammar is four
rules deep and hand-written code gives the precise, user-facing error messages DIP010 needs.

    expr    := or
    or      := and { ("or" | "||") and }
    and     := unary { ("and" | "&&") unary }
    unary   := "not" unary | "(" expr ")" | compare
    compare := VAR [ "not" ] OP VALUE
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

from .ir import CondAnd, CondCompare, CondExpr, CondNot, CondOr, Edge, Workflow

__all__ = [
    "ConditionSyntaxError",
    "OPERATORS",
    "attach_parsed_conditions",
    "evaluate_condition",
    "is_extension_syntax",
    "iter_compares",
    "parse_condition",
    "render_condition",
]

WORD_OPERATORS = frozenset({"contains", "startswith", "endswith", "in"})
SYMBOL_OPERATORS = frozenset({"=", "==", "!=", "<", "<=", ">", ">="})
NUMERIC_OPERATORS = frozenset({"<", "<=", ">", ">="})
OPERATORS = WORD_OPERATORS | SYMBOL_OPERATORS
_OPERATOR_LIST = "=, ==, !=, contains, startswith, endswith, in, <, <=, >, >="

_OP_CHARS = frozenset("=!<>")
_SAFE_VALUE = re.compile(r"[A-Za-z0-9_\-./:]+")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_PLACEHOLDER = re.compile(r"\$\{([^{}]+)\}")
_MAX_NESTING = 64  # parentheses and `not`s; keeps hostile input from exhausting the stack


class ConditionSyntaxError(ValueError):
    """A condition the grammar rejects; `message` is written for the pipeline author."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --------------------------------------------------------------------------- tokenizer

TokenKind = Literal["word", "quoted", "op", "lparen", "rparen", "comma", "andand", "oror"]
_PUNCT: dict[str, TokenKind] = {"(": "lparen", ")": "rparen", ",": "comma"}


@dataclass(frozen=True)
class _Token:
    kind: TokenKind
    text: str  # decoded value for quoted tokens, the lexeme otherwise
    lexeme: str  # as written, for error messages

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text in words


def _tokenize(raw: str) -> list[_Token]:
    """Split a condition into tokens (§4.2 plus `(`, `)`, `,`, `&&`, `||`)."""
    tokens: list[_Token] = []
    i, n = 0, len(raw)
    while i < n:
        ch = raw[i]
        if ch.isspace():
            i += 1
        elif ch in _PUNCT:
            tokens.append(_Token(_PUNCT[ch], ch, ch))
            i += 1
        elif raw.startswith("&&", i) or raw.startswith("||", i):
            kind: TokenKind = "andand" if ch == "&" else "oror"
            tokens.append(_Token(kind, raw[i : i + 2], raw[i : i + 2]))
            i += 2
        elif ch in _OP_CHARS:
            j = i
            while j < n and raw[j] in _OP_CHARS:
                j += 1
            tokens.append(_Token("op", raw[i:j], raw[i:j]))
            i = j
        elif ch in "\"'":
            i = _read_quoted(raw, i, tokens)
        else:
            j = i
            while j < n and not _ends_word(raw, j):
                j += 1
            tokens.append(_Token("word", raw[i:j], raw[i:j]))
            i = j
    return tokens


def _ends_word(raw: str, j: int) -> bool:
    ch = raw[j]
    return (
        ch.isspace()
        or ch in _OP_CHARS
        or ch in _PUNCT
        or raw.startswith("&&", j)
        or raw.startswith("||", j)
    )


def _read_quoted(raw: str, start: int, tokens: list[_Token]) -> int:
    """Read a quoted token: in `"…"` a backslash takes the next character literally; in
    `'…'` there are no escapes except `''` for one quote (as in the .dip lexer)."""
    quote = raw[start]
    out: list[str] = []
    j = start + 1
    while j < len(raw):
        ch = raw[j]
        if quote == '"' and ch == "\\" and j + 1 < len(raw):
            out.append(raw[j + 1])
            j += 2
            continue
        if quote == "'" and ch == "'" and raw.startswith("''", j):
            out.append("'")
            j += 2
            continue
        if ch == quote:
            tokens.append(_Token("quoted", "".join(out), raw[start : j + 1]))
            return j + 1
        out.append(ch)
        j += 1
    raise ConditionSyntaxError(f"unterminated quote in {_q(raw)}")


def _q(text: str) -> str:
    """Quote text for an error message."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --------------------------------------------------------------------------- parser


class _Parser:
    def __init__(self, raw: str) -> None:
        self.raw = raw.strip()
        self.tokens = _tokenize(raw)
        self.pos = 0
        self.depth = 0

    def peek(self, offset: int = 0) -> _Token | None:
        i = self.pos + offset
        return self.tokens[i] if i < len(self.tokens) else None

    def take(self) -> _Token:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def fail(self, message: str, hint: str = "") -> ConditionSyntaxError:
        text = f"{message} in {_q(self.raw)}"
        return ConditionSyntaxError(f"{text} ({hint})" if hint else text)

    # -- grammar

    def parse(self) -> CondExpr:
        if not self.tokens:
            raise ConditionSyntaxError("empty condition")
        expr = self.parse_or()
        tok = self.peek()
        if tok is not None:
            if tok.kind == "rparen":
                raise self.fail('unmatched ")"')
            raise self.fail(f"unexpected {_q(tok.lexeme)}")
        return expr

    def parse_or(self) -> CondExpr:
        left = self.parse_and()
        while (tok := self.peek()) is not None and (tok.is_word("or") or tok.kind == "oror"):
            self.take()
            left = CondOr(left=left, right=self.parse_and(after=tok.lexeme))
        return left

    def parse_and(self, after: str = "") -> CondExpr:
        left = self.parse_unary(after)
        while (tok := self.peek()) is not None and (tok.is_word("and") or tok.kind == "andand"):
            self.take()
            left = CondAnd(left=left, right=self.parse_unary(after=tok.lexeme))
        return left

    def parse_unary(self, after: str = "") -> CondExpr:
        tok = self.peek()
        if tok is None:
            where = f"after {_q(after)}" if after else "at the end"
            raise self.fail(f"expected a comparison {where}")
        if not (tok.is_word("not") or tok.kind == "lparen"):
            return self.parse_compare()
        self.depth += 1
        if self.depth > _MAX_NESTING:
            raise ConditionSyntaxError(f"condition is nested more than {_MAX_NESTING} deep")
        self.take()
        if tok.kind == "lparen":
            inner = self.parse_or()
            close = self.peek()
            if close is None or close.kind != "rparen":
                raise self.fail('missing ")"')
            self.take()
        else:
            inner = CondNot(inner=self.parse_unary(after="not"))
        self.depth -= 1
        return inner

    def parse_compare(self) -> CondExpr:
        var_tok = self.take()
        if var_tok.kind != "word" or var_tok.is_word("and", "or"):
            raise self.fail(f"expected a variable name, got {_q(var_tok.lexeme)}")
        variable = _strip_placeholder(var_tok.text)
        negated = False
        op_tok = self.peek()
        if op_tok is not None and op_tok.is_word("not") and _is_operator(self.peek(1)):
            self.take()
            negated = True
            op_tok = self.peek()
        if op_tok is None or _ends_clause(op_tok):
            if len(self.tokens) == 1:
                raise ConditionSyntaxError(f"condition {_q(self.raw)} has no operator")
            raise self.fail(f"{_q(var_tok.lexeme)} has no operator")
        if not _is_operator(op_tok):
            raise self.fail(f"unknown operator {_q(op_tok.lexeme)}", f"use one of {_OPERATOR_LIST}")
        self.take()
        value_tok = self.peek()
        if value_tok is None or value_tok.kind not in ("word", "quoted"):
            raise self.fail(f"missing value after {_q(op_tok.lexeme)}")
        self.take()
        node = CondCompare(variable=variable, op=op_tok.text, value=value_tok.text)
        self.check_after_value(node, value_tok)
        return CondNot(inner=node) if negated else node

    def check_after_value(self, node: CondCompare, value_tok: _Token) -> None:
        """Turn the common leftover-token mistakes into specific messages."""
        nxt = self.peek()
        if nxt is None or _ends_clause(nxt):
            return
        if nxt.kind == "comma":
            items = [value_tok.text]
            i = self.pos
            while i + 1 < len(self.tokens) and self.tokens[i].kind == "comma":
                if self.tokens[i + 1].kind not in ("word", "quoted"):
                    break
                items.append(self.tokens[i + 1].text)
                i += 2
            example = f"{node.variable} {node.op} {_q(','.join(items))}"
            if node.op == "in":
                raise ConditionSyntaxError(
                    f'unquoted comma list after "in": quote it, e.g. {example}'
                )
            raise self.fail('unexpected ","', f"quote values that contain commas, e.g. {example}")
        if nxt.kind in ("word", "quoted"):
            words = [value_tok.text]
            i = self.pos
            while i < len(self.tokens) and self.tokens[i].kind in ("word", "quoted"):
                if _ends_clause(self.tokens[i]) or _is_operator(self.tokens[i]):
                    break
                words.append(self.tokens[i].text)
                i += 1
            if len(words) == 1:
                raise self.fail(f"unexpected {_q(nxt.lexeme)}")
            if i < len(self.tokens) and _is_operator(self.tokens[i]):
                raise self.fail(f'missing "and"/"or" before {_q(nxt.lexeme)}')
            phrase = " ".join(words)
            raise ConditionSyntaxError(
                f"multi-word value {_q(phrase)} must be quoted: "
                f"{node.variable} {node.op} {_q(phrase)}"
            )


def _is_operator(tok: _Token | None) -> bool:
    if tok is None:
        return False
    if tok.kind == "op":
        return tok.text in SYMBOL_OPERATORS
    return tok.kind == "word" and tok.text in WORD_OPERATORS


def _ends_clause(tok: _Token) -> bool:
    return tok.kind in ("rparen", "andand", "oror") or tok.is_word("and", "or")


def _strip_placeholder(variable: str) -> str:
    """`${ctx.x}` written as a condition variable means `ctx.x` (the dip lexer drops `${}`)."""
    m = _PLACEHOLDER.fullmatch(variable)
    return m.group(1) if m else variable


#: raw text -> AST, or the error message when it does not parse. Pipelines repeat the
#: same few conditions on thousands of edges (and lint, the graph checks and the engine
#: all parse them), so each distinct text is parsed once. The ASTs are shared: treat them
#: as immutable values.
_PARSED: dict[str, CondExpr | str] = {}
_PARSED_MAX = 4096


def parse_condition(raw: str) -> CondExpr:
    """Parse condition text into an AST; raises ConditionSyntaxError with a clear message."""
    hit = _PARSED.get(raw)
    if hit is None:
        try:
            hit = _Parser(raw).parse()
        except ConditionSyntaxError as err:
            hit = err.message
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()
        _PARSED[raw] = hit
    if isinstance(hit, str):
        raise ConditionSyntaxError(hit)
    return hit


# --------------------------------------------------------------------------- evaluation


def _to_number(text: str) -> float | None:
    text = text.strip()
    return float(text) if _NUMBER.fullmatch(text) else None


def _compare(actual: str, op: str, value: str) -> bool:
    if op in ("=", "=="):
        return actual == value
    if op == "!=":
        return actual != value
    if op == "contains":
        return value in actual
    if op == "startswith":
        return actual.startswith(value)
    if op == "endswith":
        return actual.endswith(value)
    if op == "in":
        return actual in [item.strip() for item in value.split(",")]
    if op in NUMERIC_OPERATORS:
        left, right = _to_number(actual), _to_number(value)
        if left is None or right is None:
            return False
        if op == "<":
            return left < right
        if op == "<=":
            return left <= right
        if op == ">":
            return left > right
        return left >= right
    raise ValueError(f"unknown condition operator {op!r}")


def evaluate_condition(expr: CondExpr, lookup: Callable[[str], str]) -> bool:
    """Evaluate an AST; `lookup(variable)` returns the variable's value ("" when missing)."""
    if isinstance(expr, CondCompare):
        return _compare(lookup(expr.variable), expr.op, expr.value)
    if isinstance(expr, CondNot):
        return not evaluate_condition(expr.inner, lookup)
    if isinstance(expr, CondAnd):
        return evaluate_condition(expr.left, lookup) and evaluate_condition(expr.right, lookup)
    if isinstance(expr, CondOr):
        return evaluate_condition(expr.left, lookup) or evaluate_condition(expr.right, lookup)
    raise TypeError(f"not a condition expression: {expr!r}")


# --------------------------------------------------------------------------- rendering

_PRECEDENCE = {CondOr: 1, CondAnd: 2, CondNot: 3, CondCompare: 4}


def _render_value(value: str) -> str:
    if _SAFE_VALUE.fullmatch(value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _render_compare(c: CondCompare, negated: bool = False) -> str:
    op = f"not {c.op}" if negated else c.op
    return f"{c.variable} {op} {_render_value(c.value)}"


def render_condition(expr: CondExpr) -> str:
    """Canonical text (formatter form); parse_condition(render_condition(e)) == e."""
    if isinstance(expr, CondCompare):
        return _render_compare(expr)
    if isinstance(expr, CondNot):
        inner = expr.inner
        if isinstance(inner, CondCompare) and inner.op in WORD_OPERATORS:
            return _render_compare(inner, negated=True)
        return "not " + _render_child(inner, _PRECEDENCE[CondNot], right=False)
    if isinstance(expr, CondAnd | CondOr):
        prec = _PRECEDENCE[type(expr)]
        word = "and" if isinstance(expr, CondAnd) else "or"
        left = _render_child(expr.left, prec, right=False)
        right = _render_child(expr.right, prec, right=True)
        return f"{left} {word} {right}"
    raise TypeError(f"not a condition expression: {expr!r}")


def _render_child(child: CondExpr, parent_prec: int, right: bool) -> str:
    """Parenthesise a lower-precedence child, and a same-precedence right operand (the
    operators are left-associative, so `a and (b and c)` must keep its grouping)."""
    text = render_condition(child)
    prec = _PRECEDENCE[type(child)]
    if prec < parent_prec or (right and prec == parent_prec and prec < _PRECEDENCE[CondNot]):
        return f"({text})"
    return text


# --------------------------------------------------------------------------- helpers


def iter_compares(expr: CondExpr, negated: bool = False) -> Iterator[tuple[CondCompare, bool]]:
    """Yield every comparison leaf with whether an odd number of `not`s encloses it."""
    if isinstance(expr, CondCompare):
        yield expr, negated
    elif isinstance(expr, CondNot):
        yield from iter_compares(expr.inner, not negated)
    elif isinstance(expr, CondAnd | CondOr):
        yield from iter_compares(expr.left, negated)
        yield from iter_compares(expr.right, negated)


def is_extension_syntax(raw: str) -> bool:
    """True when a condition uses syntax plain Dippin rejects but tracker accepts
    (`&&`, `||`, parentheses, numeric comparisons) — lint may hint about it."""
    try:
        tokens = _tokenize(raw)
    except ConditionSyntaxError:
        return False
    return any(
        t.kind in ("andand", "oror", "lparen", "rparen")
        or (t.kind == "op" and t.text in NUMERIC_OPERATORS)
        for t in tokens
    )


def attach_parsed_conditions(wf: Workflow) -> list[tuple[Edge, ConditionSyntaxError]]:
    """Fill `condition.parsed` on every edge with a non-empty condition; return the edges
    that failed (DIP010). Manager-loop conditions are parsed too when they can be, but
    their failures are not reported (the spec exempts them from DIP010)."""
    failures: list[tuple[Edge, ConditionSyntaxError]] = []
    for edge in wf.edges:
        cond = edge.condition
        if cond is None or not cond.raw.strip():
            continue
        try:
            cond.parsed = parse_condition(cond.raw)
        except ConditionSyntaxError as err:
            cond.parsed = None
            failures.append((edge, err))
    for node in wf.nodes:
        if node.config.kind != "manager_loop":
            continue
        for cond in (node.config.stop_condition, node.config.steer_condition):
            if cond is None or not cond.raw.strip():
                continue
            try:
                cond.parsed = parse_condition(cond.raw)
            except ConditionSyntaxError:
                cond.parsed = None
    return failures
