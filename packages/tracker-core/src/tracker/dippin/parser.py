"""Dippin parser: source text → `Workflow` IR plus parse diagnostics (spec/dippin.md §2–§4.1).

Pipeline: `lexer.split_lines` captures raw values and blocks, `lexer.indentation_events`
gives the INDENT/DEDENT structure, this module turns each top-level item of the workflow
body into grammar terminals (keywords are contextual, so the terminal a word becomes
depends on where it stands) and parses it with the LALR grammar in `dippin.lark`; the
builder in `_parse_build` turns the trees into IR. Items are parsed one at a time and a
broken line inside an item is dropped and the item re-parsed, so errors accumulate
instead of stopping at the first. `parse` never raises.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedInput
from lark.lexer import Lexer

from tracker.gcpause import gc_paused
from tracker.lint.diagnostic import Diagnostic

from ._parse_build import Builder, FieldVal
from .ir import Workflow
from .lexer import (
    Line,
    RawTok,
    go_quote,
    header_comment,
    indentation_events,
    is_key_line,
    raw_value,
    split_lines,
)

__all__ = ["ParseResult", "parse", "parse_file"]

NODE_KINDS = frozenset({"agent", "human", "tool", "subgraph", "conditional", "manager_loop"})
SECTION_KEYWORDS = {
    "parallel": "PARALLEL",
    "fan_in": "FAN_IN",
    "defaults": "DEFAULTS",
    "vars": "VARS",
    "inputs": "INPUTS",
    "edges": "EDGES",
}
HEADER_FIELDS = frozenset({"goal", "start", "exit", "requires", "stylesheet"})
EDGE_VALUE_ATTRS = frozenset({"label", "choice", "weight", "restart", "override"})
_YAML_MARKERS = frozenset({"|", "|-", "|+", ">", ">-", ">+"})
_MAX_ERRORS_PER_ITEM = 200
_FIELD_HEAD = re.compile(r"([A-Za-z0-9][A-Za-z0-9_./-]*)[ \t]*:")

_GENERIC = {
    "ident": "NAME",
    "string": "STRING",
    "colon": "COLON",
    "comma": "COMMA",
    "lparen": "LPAR",
    "rparen": "RPAR",
    "lbracket": "LBRACKET",
    "arrow": "ARROW",
    "backarrow": "BACKARROW",
    "op": "OP",
}


@dataclass
class ParseResult:
    """What `parse` returns: the (possibly partial) workflow and every parse error."""

    workflow: Workflow
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)


# --------------------------------------------------------------------------- tokens


class DipToken(Token):
    """A lark token that remembers which child line of its item it came from (`ci`), the
    underlying §2.4 token (`raw`) and a terminal-specific payload (`extra`)."""

    ci: int | None = None
    raw: RawTok | None = None
    extra: object = None


_new_str = str.__new__


def _tok(
    type_: str,
    value: str,
    line: int,
    col: int,
    ci: int | None,
    raw: RawTok | None = None,
    extra: object = None,
) -> DipToken:
    # what `Token(type_, value, None, line, col, line)` does, minus its argument shuffling
    t = _new_str(DipToken, value)
    t.type = type_
    t.start_pos = None
    t.value = value
    t.line = line
    t.column = col
    t.end_line = line
    t.end_column = None
    t.end_pos = None
    if ci is not None:
        t.ci = ci
    if raw is not None:
        t.raw = raw
    if extra is not None:
        t.extra = extra
    return t


class _ListLexer(Lexer):
    """Lark hook: the 'text' handed to `Lark.parse` is already a token list."""

    def __init__(self, lexer_conf: object) -> None:
        pass

    def lex(self, data: list[Token], *args: object):  # type: ignore[override]
        yield from data


@functools.lru_cache(maxsize=1)
def _lark() -> Lark:
    """Built once per process (LALR tables for the item grammar)."""
    grammar = resources.files(__package__).joinpath("dippin.lark").read_text(encoding="utf-8")
    return Lark(
        grammar,
        parser="lalr",
        lexer=_ListLexer,
        start=["body", "item", "pragma", "workflow_head"],
        maybe_placeholders=False,
    )


class _FastLALR:
    """The LALR(1) loop of `Lark.parse`, over lark's own parse table and tree-building
    callbacks, without its per-token overheads (a method call, an assert comparing rules,
    a callback lookup per shift): the same trees, about twice as fast on big bodies.

    Any mismatch with what the loop expects (a syntax error, an unfamiliar lark) hands
    the tokens to `Lark.parse`, so errors and their messages come from lark as before."""

    def __init__(self, lark: Lark) -> None:
        from lark.parsers.lalr_analysis import Shift

        parser = lark.parser.parser.parser  # type: ignore[attr-defined]
        table = parser.parse_table
        callbacks = parser.callbacks
        if any(isinstance(k, str) for k in callbacks):
            raise TypeError("terminal callbacks are not supported")
        # state -> terminal/rule name -> next state (int) or (size, origin, callback)
        self.states: dict[object, dict[str, object]] = {}
        for state, actions in table.states.items():
            row: dict[str, object] = {}
            # plain-str keys: lark's symbol names are Tokens, whose __eq__ is Python code
            for sym, (action, arg) in actions.items():
                if action is Shift:
                    if not isinstance(arg, int):
                        raise TypeError("unexpected shift target")
                    row[str(sym)] = arg
                else:
                    row[str(sym)] = (len(arg.expansion), str(arg.origin.name), callbacks[arg])
            self.states[state] = row
        self.start_states = dict(table.start_states)
        self.end_states = dict(table.end_states)

    def parse(self, tokens: list[DipToken], start: str) -> Tree | None:
        """The tree, or None when the loop cannot finish (the caller asks lark)."""
        states = self.states
        end_state = self.end_states[start]
        state_stack = [self.start_states[start]]
        value_stack: list[object] = []
        for tok in tokens:
            typ = tok.type
            while True:
                act = states[state_stack[-1]].get(typ)
                if act is None:
                    return None
                if act.__class__ is int:
                    state_stack.append(act)
                    value_stack.append(tok)
                    break
                size, origin, callback = act  # type: ignore[misc]
                if size:
                    children = value_stack[-size:]
                    del state_stack[-size:]
                    del value_stack[-size:]
                else:
                    children = []
                nxt = states[state_stack[-1]].get(origin)
                if nxt.__class__ is not int:
                    return None
                state_stack.append(nxt)  # type: ignore[arg-type]
                value_stack.append(callback(children))
        while True:  # $END: reduce until the start symbol is accepted
            act = states[state_stack[-1]].get("$END")
            if act is None or act.__class__ is int:
                return None
            size, origin, callback = act  # type: ignore[misc]
            if size:
                children = value_stack[-size:]
                del state_stack[-size:]
                del value_stack[-size:]
            else:
                children = []
            nxt = states[state_stack[-1]].get(origin)
            if nxt.__class__ is not int:
                return None
            state_stack.append(nxt)  # type: ignore[arg-type]
            value_stack.append(callback(children))
            if nxt == end_state:
                return value_stack[-1]  # type: ignore[return-value]


@functools.lru_cache(maxsize=1)
def _fast_lalr() -> _FastLALR | None:
    try:
        return _FastLALR(_lark())
    except Exception:  # pragma: no cover - a lark whose internals moved: use Lark.parse
        return None


def _lalr_parse(tokens: list[DipToken], start: str) -> Tree:
    """`_lark().parse(tokens, start=start)`, through the fast loop when it can."""
    fast = _fast_lalr()
    if fast is not None:
        tree = fast.parse(tokens, start)
        if tree is not None:
            return tree
    return _lark().parse(tokens, start=start)


# --------------------------------------------------------------------------- line tree


@dataclass(slots=True)
class Chunk:
    """A line plus the deeper lines under it (None line = indentation with no parent)."""

    line: Line | None
    children: list[Chunk] = field(default_factory=list)


def _build_tree(text: str) -> tuple[list[str], list[Chunk]]:
    physical, lines = split_lines(text)
    roots: list[Chunk] = []
    stack: list[list[Chunk]] = [roots]
    for ev in indentation_events(lines):
        if ev.kind == "line":
            stack[-1].append(Chunk(ev.line))
        elif ev.kind == "indent":
            level = stack[-1]
            if not level:
                level.append(Chunk(None))
            stack.append(level[-1].children)
        elif len(stack) > 1:
            stack.pop()
    return physical, roots


def _has_tokens(chunk: Chunk) -> bool:
    return chunk.line is not None and chunk.line.has_tokens


def _first_line(chunk: Chunk) -> int:
    return chunk.line.lineno if chunk.line else 1


def _last_line(chunk: Chunk) -> int:
    while chunk.children:
        chunk = chunk.children[-1]
    return chunk.line.lineno if chunk.line else 1


# --------------------------------------------------------------------------- terminals


def _ends_condition(toks: list[RawTok], k: int) -> bool:
    """`when` stops at `loop` or at an attribute keyword followed by a colon (§3.9)."""
    t = toks[k]
    if t.kind != "ident":
        return False
    if t.value == "loop":
        return True
    return t.value in EDGE_VALUE_ATTRS and k + 1 < len(toks) and toks[k + 1].kind == "colon"


def _cond_text(t: RawTok) -> str:
    """A condition token as it appears in Condition.raw (§4.1)."""
    if t.kind == "string":
        return t.lexeme if t.quote == '"' else go_quote(t.value)
    return t.value


class _Emitter:
    """Turns lines into grammar terminals according to their context."""

    def __init__(self) -> None:
        self.out: list[DipToken] = []

    def nl(self, ln: Line, ci: int | None) -> None:
        self.out.append(_tok("_NL", "", ln.lineno, len(ln.raw) + 1, ci))

    def generic(self, toks: list[RawTok], ln: Line, ci: int | None) -> None:
        for t in toks:
            self.out.append(_tok(_GENERIC[t.kind], t.value, ln.lineno, t.col, ci, t))

    def field_line(self, ln: Line, ci: int | None) -> bool:
        """`key:` + block or `key: value` → one FIELD token; False when not field-shaped."""
        if ln.block is not None:
            col = ln.indent + 1
            fv = FieldVal(
                ln.key, ln.block, ln.lineno, col, True, ln.block_line, False, ln.block_indent + 1
            )
            self.out.append(_tok("FIELD", ln.key, ln.lineno, col, ci, extra=fv))
            return True
        m = _FIELD_HEAD.match(ln.content)
        if m is not None:
            key, col = m.group(1), ln.indent + 1
        else:
            toks = ln.tokens
            if not (len(toks) >= 2 and toks[0].kind == "ident" and toks[1].kind == "colon"):
                return False
            key, col = toks[0].value, toks[0].col
        after = ln.raw[ln.raw.find(":") + 1 :].strip()
        pipe = after in _YAML_MARKERS
        # `key:   # note` is a key line once the comment is gone: its value is empty (§2.5)
        value = "" if pipe or is_key_line(ln.content) else raw_value(ln.raw)
        fv = FieldVal(key, value, ln.lineno, col, False, ln.lineno, pipe)
        self.out.append(_tok("FIELD", key, ln.lineno, col, ci, extra=fv))
        return True

    def plain_line(self, ln: Line, ci: int | None) -> None:
        if not self.field_line(ln, ci):
            self.generic(ln.tokens, ln, ci)
            self.nl(ln, ci)

    def head_line(self, ln: Line) -> None:
        toks = ln.tokens
        first = toks[0]
        if first.kind == "ident" and first.value in NODE_KINDS:
            self.out.append(_tok("NODE_KIND", first.value, ln.lineno, first.col, None, first))
        elif first.kind == "ident" and first.value in SECTION_KEYWORDS:
            kw = SECTION_KEYWORDS[first.value]
            self.out.append(_tok(kw, first.value, ln.lineno, first.col, None, first))
        else:
            self.plain_line(ln, None)
            return
        self.generic(toks[1:], ln, None)
        self.nl(ln, None)

    def edge_line(self, ln: Line, ci: int) -> None:
        toks = ln.tokens
        if ln.block is not None:
            self.plain_line(ln, ci)
            return
        first = toks[0]
        if first.kind == "ident" and first.value == "else":
            self._else_line(toks, ln, ci)
            return
        if len(toks) < 2 or toks[1].kind != "arrow":
            self.generic(toks, ln, ci)
            self.nl(ln, ci)
            return
        self.generic(toks[:3], ln, ci)
        self._edge_attrs(toks, 3, ln, ci)
        self.nl(ln, ci)

    def _else_line(self, toks: list[RawTok], ln: Line, ci: int) -> None:
        out, lno = self.out, ln.lineno
        out.append(_tok("ELSE", "else", lno, toks[0].col, ci, toks[0]))
        k = 1
        if k < len(toks) and toks[k].kind == "arrow":
            out.append(_tok("ARROW", "->", lno, toks[k].col, ci, toks[k]))
            k += 1
            if k < len(toks):
                t = toks[k]
                out.append(_tok("ELSE_TARGET", t.value, lno, t.col, ci, t))
                k += 1
        out.extend(_tok("JUNK", t.lexeme, lno, t.col, ci, t) for t in toks[k:])
        self.nl(ln, ci)

    def _edge_attrs(self, toks: list[RawTok], k: int, ln: Line, ci: int) -> None:
        n = len(toks)
        out = self.out
        lno = ln.lineno
        while k < n:
            t = toks[k]
            if t.kind == "lbracket":
                out.append(_tok("LBRACKET", "[", lno, t.col, ci, t))
                out.extend(_tok("JUNK", r.lexeme, lno, r.col, ci, r) for r in toks[k + 1 :])
                return
            word = t.value if t.kind == "ident" else None
            if word == "when":
                out.append(_tok("WHEN", word, lno, t.col, ci, t))
                k += 1
                start = k
                while k < n and not _ends_condition(toks, k):
                    k += 1
                if k > start:
                    parts = toks[start:k]
                    raw = " ".join(_cond_text(c) for c in parts)
                    open_quotes = [c for c in parts if c.quote == '"' and not c.closed]
                    out.append(_tok("COND", raw, lno, parts[0].col, ci, None, open_quotes))
                continue
            if word == "on":
                out.append(_tok("ON", word, lno, t.col, ci, t))
                k += 1
                if k < n:
                    start = k
                    k += 1
                    while k < n and toks[k].col == toks[k - 1].end:
                        k += 1
                    glued = toks[start:k]
                    text = "".join(g.lexeme for g in glued)
                    bare = len(glued) == 1 and glued[0].kind == "ident"
                    out.append(_tok("ON_VALUE", text, lno, glued[0].col, ci, glued[0], bare))
                continue
            if word in EDGE_VALUE_ATTRS and k + 2 < n and toks[k + 1].kind == "colon":
                out.append(_tok("ATTR", word, lno, t.col, ci, t, toks[k + 2]))
                k += 3
                continue
            if word == "loop" or word in EDGE_VALUE_ATTRS:
                out.append(_tok("LOOP" if word == "loop" else "ATTR_KEY", word, lno, t.col, ci, t))
                k += 1
                if k < n and toks[k].kind == "colon":
                    out.append(_tok("COLON", ":", lno, toks[k].col, ci, toks[k]))
                    k += 1
                    if k < n:
                        v = toks[k]
                        out.append(_tok("ATTR_VALUE", v.value, lno, v.col, ci, v))
                        k += 1
                continue
            out.append(_tok("UNKNOWN_ATTR", t.lexeme, lno, t.col, ci, t))
            k += 1
            if k < n and toks[k].kind == "colon":  # its `: value` goes with it
                k += 1
                if k < n:
                    k += 1

    def chunk(self, chunk: Chunk, ci: int | None, edge_mode: bool) -> None:
        """Emit a line and the deeper lines under it."""
        ln = chunk.line
        if ln is not None and ln.has_tokens:
            if edge_mode and ci is not None:
                self.edge_line(ln, ci)
            else:
                self.plain_line(ln, ci)
        kids = [c for c in chunk.children if _has_tokens(c)]
        if kids:
            self.out.append(_tok("_INDENT", "", _first_line(kids[0]), 1, ci))
            for kid in kids:
                self.chunk(kid, ci, False)
            self.out.append(_tok("_DEDENT", "", _last_line(kids[-1]), 1, ci))


# --------------------------------------------------------------------------- errors

_WANTED = [
    ("ARROW", "'->'"),
    ("BACKARROW", "'<-'"),
    ("COLON", "':'"),
    ("_INDENT", "an indented block"),
    ("_NL", "end of line"),
    ("NAME", "a name"),
    ("STRING", "a name"),
    ("ATTR_VALUE", "a value"),
    ("FIELD", "a `key: value` field"),
]


def describe_token(tok: Token) -> str:
    t = tok.type
    if t == "_NL":
        return "end of line"
    if t == "_INDENT":
        return "an indented line"
    if t == "_DEDENT":
        return "end of block"
    if t == "$END":
        return "end of input"
    text = str(tok)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"'{text}'"


def _accepted_terminals(err: UnexpectedInput) -> set[str]:
    """Terminals really acceptable at the error (LALR state merging makes
    `err.expected` too wide, e.g. offering '->' after a workflow name)."""
    try:
        return set(err.interactive_parser.accepts())  # type: ignore[attr-defined]
    except Exception:
        return set(getattr(err, "expected", ()) or ())


def syntax_message(err: UnexpectedInput, stream: list[DipToken]) -> tuple[str, int, int, str]:
    """Message, line, column and help for a grammar error."""
    tok = getattr(err, "token", None)
    expected = _accepted_terminals(err)
    want = next((desc for name, desc in _WANTED if name in expected), "")
    got = describe_token(tok) if tok is not None else "input"
    line = getattr(tok, "line", None)
    col = getattr(tok, "column", None)
    if (tok is None or tok.type == "$END") and stream:
        line, col = stream[-1].line, stream[-1].column
    message = f"expected {want}, got {got}" if want else f"unexpected {got}"
    help_ = ""
    if tok is not None and tok.type == "_INDENT":
        message = "unexpected indented block"
        help_ = "only a `key:` line with nothing after the colon starts a multiline block"
    elif tok is not None and tok.type == "COLON" and "_NL" in expected:
        help_ = "section headers (defaults, vars, inputs, edges, parallel, fan_in) take no colon"
    elif "FIELD" in expected and tok is not None and tok.type == "NAME":
        message = f"expected ':' after '{tok}'"
        col = (col or 1) + len(str(tok))
        help_ = "fields are written `key: value`"
    elif want == "'->'":
        help_ = "edges are written `From -> To` followed by attributes"
    elif want == "an indented block":
        if (tok is None or tok.type == "$END") and stream:
            message = f"expected an indented block under '{stream[0]}', got nothing"
        help_ = "indent the block's lines under this line"
    try:
        line, col = max(int(line or 1), 1), max(int(col or 1), 1)
    except (TypeError, ValueError):
        line, col = 1, 1
    return message, line, col, help_


# --------------------------------------------------------------------------- driver


class _Driver:
    def __init__(self, text: str, file: str) -> None:
        self.text = text
        self.file = file
        self.diags: list[Diagnostic] = []
        self.wf = Workflow(source_file=file)
        self.builder = Builder(self.wf, file, self.diags)

    def error(self, message: str, line: int, col: int = 0, help_: str = "") -> None:
        self.builder.error(message, line, col, help_)

    def run(self) -> ParseResult:
        physical, roots = _build_tree(self.text)
        self.wf.header_comment = header_comment(physical)
        if roots and roots[0].line is not None:
            first = roots[0].line
            toks = first.tokens
            if toks and toks[0].kind == "ident" and toks[0].value == "dip":
                self._pragma(first)
                roots = roots[1:]
        self._scan(roots)
        self.builder.finish()
        self.diags.sort(key=lambda d: (d.line, d.column))
        return ParseResult(self.wf, self.diags)

    # -- file level

    def _pragma(self, ln: Line) -> None:
        first = ln.tokens[0]
        operand = ln.content[first.end - ln.indent - 1 :].strip()
        toks = [_tok("DIP", "dip", ln.lineno, first.col, None, first)]
        if operand:
            toks.append(_tok("VERSION", operand, ln.lineno, first.end + 1, None))
        toks.append(_tok("_NL", "", ln.lineno, len(ln.raw) + 1, None))
        tree = self._parse(toks, "pragma")
        if tree is not None:
            self.builder.pragma(tree)

    def _scan(self, chunks: list[Chunk]) -> None:
        """Top level: everything but `workflow` is skipped silently (§3.1)."""
        for chunk in chunks:
            ln = chunk.line
            if ln is not None and ln.tokens:
                first = ln.tokens[0]
                if first.kind == "ident" and first.value == "workflow":
                    self._workflow(chunk)
                    continue
            self._scan(chunk.children)

    def _workflow(self, chunk: Chunk) -> None:
        ln = chunk.line
        assert ln is not None
        em = _Emitter()
        first = ln.tokens[0]
        em.out.append(_tok("WORKFLOW", "workflow", ln.lineno, first.col, None, first))
        em.generic(ln.tokens[1:], ln, None)
        em.nl(ln, None)
        tree = self._parse(em.out, "workflow_head")
        if tree is not None:
            self.builder.workflow_head(tree)
        body = [c for c in chunk.children if _has_tokens(c)]
        if not body:
            self.error(
                "expected an indented block after the `workflow` line",
                ln.lineno,
                len(ln.raw) + 1,
                "indent the workflow's fields, nodes and edges under the `workflow` line",
            )
            return
        items = [item for item in body if self._acceptable(item)]
        if self._parse_body(items):
            return
        for item in items:
            try:
                self._parse_item(item, item.line.tokens[0].value == "edges")  # type: ignore[union-attr]
            except Exception as exc:  # a bug must not escape as a traceback on user input
                line = item.line.lineno if item.line else 1
                self.error(f"internal parser error: {type(exc).__name__}: {exc}", line, 1)

    # -- items

    def _parse_body(self, items: list[Chunk]) -> bool:
        """Fast path: one LALR parse for the whole body. False (nothing built) on any
        syntax error, so the caller can redo it item by item."""
        if not items:
            return True
        em = _Emitter()
        for item in items:
            ln = item.line
            assert ln is not None
            edge_mode = ln.tokens[0].value == "edges"
            em.head_line(ln)
            kids = [c for c in item.children if _has_tokens(c)]
            if kids:
                em.out.append(_tok("_INDENT", "", _first_line(kids[0]), 1, None))
                for i, kid in enumerate(kids):
                    em.chunk(kid, i, edge_mode)
                em.out.append(_tok("_DEDENT", "", _last_line(kids[-1]), 1, None))
        try:
            tree = _lalr_parse(em.out, "body")
        except UnexpectedInput:
            return False
        for item_tree, item in zip(tree.children, items, strict=False):
            try:
                self.builder.item(item_tree)
            except Exception as exc:  # a bug must not escape as a traceback on user input
                line = item.line.lineno if item.line else 1
                self.error(f"internal parser error: {type(exc).__name__}: {exc}", line, 1)
        return True

    def _acceptable(self, chunk: Chunk) -> bool:
        """Report body lines that cannot start an item; True for the ones that can."""
        ln = chunk.line
        assert ln is not None
        first = ln.tokens[0]
        if first.kind != "ident":
            self.error(f"unexpected '{first.lexeme}' in workflow body", ln.lineno, first.col)
            return False
        word = first.value
        if word not in NODE_KINDS and word not in SECTION_KEYWORDS and word not in HEADER_FIELDS:
            help_ = (
                "a workflow body holds goal/start/exit/requires, inputs, defaults, vars, "
                "node declarations (agent, human, tool, subgraph, conditional, manager_loop, "
                "parallel, fan_in), stylesheet: and edges"
            )
            if len(ln.tokens) > 1 and ln.tokens[1].kind == "arrow":
                help_ = "edges go inside an `edges` block"
            self.error(f"unexpected top-level identifier: {word}", ln.lineno, first.col, help_)
            return False
        return True

    def _parse_item(self, chunk: Chunk, edge_mode: bool) -> None:
        ln = chunk.line
        assert ln is not None
        kids = [c for c in chunk.children if _has_tokens(c)]
        removed: set[int] = set()
        for _ in range(min(len(kids), _MAX_ERRORS_PER_ITEM) + 1):
            live = [(i, k) for i, k in enumerate(kids) if i not in removed]
            if removed and not live and ln.tokens[0].value not in NODE_KINDS:
                return  # every line of the block was broken and already reported
            em = _Emitter()
            em.head_line(ln)
            if live:
                em.out.append(_tok("_INDENT", "", _first_line(live[0][1]), 1, None))
                for i, kid in live:
                    em.chunk(kid, i, edge_mode)
                em.out.append(_tok("_DEDENT", "", _last_line(live[-1][1]), 1, None))
            try:
                tree = _lalr_parse(em.out, "item")
            except UnexpectedInput as err:
                message, line, col, help_ = syntax_message(err, em.out)
                self.error(message, line, col, help_)
                ci = getattr(getattr(err, "token", None), "ci", None)
                if ci is None or ci in removed:
                    return
                removed.add(ci)  # drop the broken line and re-parse the rest
                continue
            self.builder.item(tree, lines_dropped=bool(removed))
            return

    def _parse(self, toks: list[DipToken], start: str) -> Tree | None:
        try:
            return _lalr_parse(toks, start)
        except UnexpectedInput as err:
            message, line, col, help_ = syntax_message(err, toks)
            self.error(message, line, col, help_)
        except Exception as exc:  # pragma: no cover - defensive
            line = (toks[0].line if toks else 1) or 1
            self.error(f"internal parser error: {type(exc).__name__}: {exc}", line, 1)
        return None


def parse(text: str, file: str = "") -> ParseResult:
    """Parse Dippin source. Never raises: problems come back as DIP000 diagnostics and the
    partial workflow is still returned for tooling."""
    with gc_paused():  # many short-lived objects, no cycles (tracker/gcpause.py)
        try:
            if not isinstance(text, str):
                text = str(text)
            return _Driver(text, file).run()
        except Exception as exc:  # pragma: no cover - last-resort guard
            diag = Diagnostic(
                code="DIP000",
                severity="error",
                message=f"internal parser error: {type(exc).__name__}: {exc}",
                file=file,
                line=1,
                column=1,
            )
            return ParseResult(Workflow(source_file=file), [diag])


def parse_file(path: str | Path) -> ParseResult:
    """Read and parse a .dip file (UTF-8); the path is recorded in the diagnostics."""
    p = Path(path)
    return parse(p.read_text(encoding="utf-8"), str(p))
