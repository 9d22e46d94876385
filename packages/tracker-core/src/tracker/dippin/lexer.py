"""Line-level lexing of Dippin source (spec/dippin.md §2).

Dippin is line oriented: comments, raw field values and multiline blocks are defined on
source lines, not on tokens. This module turns text into `Line` records (comment-stripped
content, raw value text, captured blocks) laid out as an indentation event stream
(INDENT / DEDENT / line), and tokenizes a line's content into `RawTok`s per §2.4. The
parser (parser.py) decides, per context, which grammar terminals those tokens become.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

# --------------------------------------------------------------------------- lines


@dataclass(slots=True)
class Line:
    """One logical source line (blank and comment-only lines never become a Line)."""

    lineno: int  # 1-based
    indent: int  # leading space/tab bytes (a tab counts as one)
    content: str  # after the indent, trailing comment and whitespace removed
    raw: str  # the whole source line, trailing whitespace and \r removed
    block: str | None = None  # raw block text when this is a key line with a deeper block
    block_line: int = 0  # line number of the block's first content line
    block_indent: int = 0  # baseline indent of the block
    _toks: list[RawTok] | None = field(default=None, repr=False)

    @property
    def tokens(self) -> list[RawTok]:
        if self._toks is None:
            self._toks = tokenize(self.content, self.indent + 1)
        return self._toks

    @property
    def has_tokens(self) -> bool:
        """Cheap check: a line starting with an ASCII letter/digit always has a token."""
        c = self.content[0]
        if self.block is not None or ("a" <= c <= "z") or ("A" <= c <= "Z") or ("0" <= c <= "9"):
            return True
        return bool(self.tokens)

    @property
    def key(self) -> str:
        """The `identifier` of a key line (`identifier:`), else ""."""
        return self.content[:-1] if self.block is not None else ""


@dataclass(slots=True)
class Event:
    kind: Literal["indent", "dedent", "line"]
    lineno: int
    line: Line | None = None


def _indent_width(s: str) -> int:
    return len(s) - len(s.lstrip(" \t"))


def _is_blank_or_comment(s: str) -> bool:
    t = s.strip()
    return not t or t[0] == "#"


def _quoted_end(s: str, i: int) -> int:
    """Index just past the quoted span opening at s[i] (len(s) if unterminated)."""
    q = s[i]
    j = i + 1
    n = len(s)
    while j < n:
        c = s[j]
        if q == '"' and c == "\\":
            j += 2
            continue
        if c == q:
            if q == "'" and j + 1 < n and s[j + 1] == "'":
                j += 2
                continue
            return j + 1
        j += 1
    return n


_SQ_OPENERS = frozenset(" \t:=(,>")


def _single_quote_opens(s: str, i: int, start: int) -> bool:
    """A `'` opens a quoted span only at a token start (§2.3), so `it's` is prose."""
    return i == start or s[i - 1] in _SQ_OPENERS


def find_comment(s: str, start: int = 0) -> int:
    """Index of the `#` starting a trailing comment in s (from `start`), or -1.

    A `#` is a comment when it is outside quotes and is the first non-blank character or
    is preceded by a space or tab (§2.3)."""
    i = start
    n = len(s)
    first = start + _indent_width(s[start:])
    while i < n:
        c = s[i]
        if c == '"':
            i = _quoted_end(s, i)
            continue
        if c == "'" and _single_quote_opens(s, i, first):
            i = _quoted_end(s, i)
            continue
        if c == "#" and (i == first or s[i - 1] in " \t"):
            return i
        i += 1
    return -1


def strip_comment(s: str) -> str:
    if "#" not in s:
        return s.rstrip(" \t")
    idx = find_comment(s)
    return (s[:idx] if idx >= 0 else s).rstrip(" \t")


_KEY_LINE = re.compile(r"\w+:")


def is_key_line(content: str) -> bool:
    """`identifier:` alone (identifier = letters, digits, `_`)."""
    return content[-1] == ":" and _KEY_LINE.fullmatch(content) is not None


def raw_value(raw_line: str) -> str:
    """The inline value of a `key: value` line, extracted from the raw source line and
    unquoted (§2.5)."""
    colon = raw_line.find(":")
    if colon < 0:
        return ""
    val = raw_line[colon + 1 :].strip()
    if not val:
        return ""
    if val[0] in "\"'":
        end = _quoted_end(val, 0)
        val = val[:end]
    elif val[0] != "#" and "#" in val:
        idx = find_comment(val)
        if idx >= 0:
            val = val[:idx].rstrip(" \t")
    return unquote(val)


def unquote(val: str) -> str:
    """§2.5 unquoting: `"…"` decodes only `\\"` and `\\\\`; `'…'` decodes `''`."""
    if len(val) >= 2 and val[0] == val[-1] and val[0] in "\"'":
        inner = val[1:-1]
        if val[0] == '"':
            return inner.replace('\\"', '"').replace("\\\\", "\\")
        return inner.replace("''", "'")
    return val


def split_lines(text: str) -> tuple[list[str], list[Line]]:
    """Split source into physical lines and the logical `Line`s (blocks captured)."""
    physical = text.split("\n")
    out: list[Line] = []
    i = 0
    n = len(physical)
    while i < n:
        src = physical[i]
        trimmed = src.rstrip(" \t\r")
        if _is_blank_or_comment(trimmed):
            i += 1
            continue
        stripped = strip_comment(trimmed)
        indent = _indent_width(stripped)
        content = stripped[indent:]
        if not content:
            i += 1
            continue
        line = Line(lineno=i + 1, indent=indent, content=content, raw=trimmed)
        out.append(line)
        i += 1
        if is_key_line(content):
            j = i
            while j < n and not physical[j].strip():
                j += 1
            if j < n and _indent_width(physical[j]) > indent:
                base = _indent_width(physical[j])
                end = j
                while end < n:
                    bl = physical[end].rstrip(" \t\r")
                    if bl.strip() and _indent_width(bl) <= indent:
                        break
                    end += 1
                body = [_strip_prefix(physical[k], base) for k in range(j, end)]
                while body and not body[-1].strip():
                    body.pop()
                line.block = "\n".join(body)
                line.block_line = j + 1
                line.block_indent = base
                i = end
    return physical, out


def _strip_prefix(s: str, width: int) -> str:
    s = s.rstrip("\r")
    j = 0
    while j < len(s) and j < width and s[j] in " \t":
        j += 1
    return s[j:]


def indentation_events(lines: list[Line]) -> list[Event]:
    """The INDENT/DEDENT/line stream of §2.2 (stack of widths; dedenting to a width that
    was never pushed pops until top ≤ width)."""
    stack = [0]
    events: list[Event] = []
    for ln in lines:
        top = stack[-1]
        if ln.indent > top:
            stack.append(ln.indent)
            events.append(Event("indent", ln.lineno))
        else:
            while ln.indent < stack[-1] and len(stack) > 1:
                stack.pop()
                events.append(Event("dedent", ln.lineno))
        events.append(Event("line", ln.lineno, ln))
    last = lines[-1].lineno if lines else 1
    while len(stack) > 1:
        stack.pop()
        events.append(Event("dedent", last))
    return events


def header_comment(physical: list[str]) -> list[str]:
    """The leading run of comment/blank lines, blank edges dropped, kept verbatim."""
    end = 0
    while end < len(physical) and _is_blank_or_comment(physical[end].rstrip("\r")):
        end += 1
    block = [p.rstrip("\r") for p in physical[:end]]
    while block and not block[0].strip():
        block.pop(0)
    while block and not block[-1].strip():
        block.pop()
    return block


# --------------------------------------------------------------------------- tokens

TokKind = Literal[
    "ident", "string", "colon", "comma", "lparen", "rparen", "lbracket", "arrow", "backarrow", "op"
]


@dataclass(slots=True)
class RawTok:
    """A §2.4 token. `value` is the decoded text; `lexeme` the source text."""

    kind: TokKind
    value: str
    lexeme: str
    col: int  # 1-based column of the first character
    end: int  # 1-based column just past the token
    quote: str = ""  # '"' or "'" for strings
    closed: bool = True  # False for an unterminated quoted string


_PUNCT: dict[str, TokKind] = {
    ":": "colon",
    ",": "comma",
    "(": "lparen",
    ")": "rparen",
    "[": "lbracket",
}


_TOKEN_RE = re.compile(
    r"""
     (?P<ws>[ \t\r\n\v\f]+)
    |(?P<arrow>->)
    |(?P<backarrow><-)
    |(?P<op>==|!=|<=|>=|&&|\|\||[=!<>])
    |(?P<punct>[:,()\[])
    |(?P<dq>"(?:[^"\\]|\\.?)*"?)
    |(?P<sq>'(?:[^']|'')*'?)
    |(?P<ident>[A-Za-z0-9][A-Za-z0-9_./-]*)
    """,
    re.VERBOSE | re.DOTALL,
)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


def tokenize(content: str, col0: int = 1) -> list[RawTok]:
    """Tokenize one line's content per §2.4; `col0` is the column of content[0].

    Unknown characters are skipped silently, except that `&&` and `||` are kept as
    operators (design.md accepts them in conditions)."""
    toks: list[RawTok] = []
    i = 0
    n = len(content)
    match = _TOKEN_RE.match
    while i < n:
        m = match(content, i)
        if m is None:
            i += 1  # anything else is skipped silently (§2.4)
            continue
        kind = m.lastgroup
        text = m.group()
        end = m.end()
        if kind == "ws":
            i = end
            continue
        col = col0 + i
        if kind == "ident":
            toks.append(RawTok("ident", text, text, col, col0 + end))
        elif kind == "punct":
            toks.append(RawTok(_PUNCT[text], text, text, col, col + 1))
        elif kind == "dq":
            closed = len(text) >= 2 and text.endswith('"') and not _odd_escape(text)
            inner = text[1:-1] if closed else text[1:]
            toks.append(
                RawTok("string", _ESCAPE.sub(r"\1", inner), text, col, col0 + end, '"', closed)
            )
        elif kind == "sq":
            if i > 0 and content[i - 1] not in _SQ_OPENERS:
                i += 1  # a prose apostrophe is not a quote
                continue
            closed = _sq_closed(text)
            inner = text[1:-1] if closed else text[1:]
            toks.append(
                RawTok("string", inner.replace("''", "'"), text, col, col0 + end, "'", closed)
            )
        else:  # arrow, backarrow, op
            toks.append(RawTok(kind, text, text, col, col0 + end))  # type: ignore[arg-type]
        i = end
    return toks


def _odd_escape(text: str) -> bool:
    """True when the final `"` of a double-quoted match is itself escaped."""
    k = len(text) - 2
    count = 0
    while k >= 1 and text[k] == "\\":
        count += 1
        k -= 1
    return count % 2 == 1


def _sq_closed(text: str) -> bool:
    """A single-quoted match is closed when it ends in a quote that is not half of `''`."""
    body = text[1:]
    if not body.endswith("'"):
        return False
    run = len(body) - len(body.rstrip("'"))
    return run % 2 == 1


def go_quote(s: str) -> str:
    """Go's `strconv.Quote` for the characters that matter in condition literals."""
    out = ['"']
    for ch in s:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)
