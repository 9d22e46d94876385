"""Interview questions: parsed from the upstream agent's output (spec/engine.md §4.5).

Two readers, tried in order:

1. **Structured JSON** — the first `{...}` object in the text (code-fence lines ignored)
   of the shape ``{"questions": [{"text": ..., "context": ..., "options": [...]}]}``.
   Rejected (so the markdown reader runs) when it is not valid JSON, has no questions,
   more than 100, or a question without text.
2. **Markdown heuristics** — outside fenced code blocks, a line is a question when it is a
   numbered item (`1. …`, `2) …`), starts with an imperative verb (`Describe`, `Explain`,
   `List`, `Specify`, `Provide`, `Choose`, `Select`, `Confirm`, `Rate`, `Rank`, optionally
   after a bullet), is a bullet ending in `?`, or is any line ending in `?` (ignoring a
   trailing parenthetical). Emphasis markers are stripped; a trailing `(a, b, c)` becomes
   the options. At most 100 questions.

In both, options spelled "other…" are dropped (every UI offers its own "Other"), and a
question is yes/no when its options are exactly yes/no, or when it has no options and
starts with do/does/is/are/can/will/would/should/have/has.
"""

from __future__ import annotations

import json
import re

from pydantic import BaseModel, Field, ValidationError

MAX_QUESTIONS = 100

_NUMBERED = re.compile(r"^\s*\d+[.)]\s+(.+)", re.ASCII)
_BULLET_QUESTION = re.compile(r"^\s*[-*]\s+(.+\?)\s*$", re.ASCII)
_IMPERATIVE = re.compile(
    r"^\s*[-*]?\s*(describe|explain|list|specify|provide|choose|select|confirm|rate|rank)\b",
    re.ASCII | re.IGNORECASE,
)
_TRAILING_OPTIONS = re.compile(r"\(([^)]+)\)\s*$", re.ASCII)
_FENCE = re.compile(r"^\s*```", re.ASCII)
_EMPHASIS = re.compile(r"\*{1,2}([^*]+)\*{1,2}")
_UNDERLINE = re.compile(r"_{1,2}([^_]+)_{1,2}")
_YES_NO_PREFIXES = (
    "do ",
    "does ",
    "is ",
    "are ",
    "can ",
    "will ",
    "would ",
    "should ",
    "have ",
    "has ",
)


class Question(BaseModel):
    """One interview question; `index` is 1-based and gives the answer id `q<index>`."""

    index: int
    text: str
    context: str = ""
    options: list[str] = Field(default_factory=list)
    is_yes_no: bool = False

    @property
    def id(self) -> str:
        return f"q{self.index}"


def parse_questions(text: str) -> list[Question]:
    """Structured JSON first, markdown heuristics otherwise; `[]` when nothing parses."""
    try:
        return parse_structured_questions(text)
    except ValueError:
        return parse_markdown_questions(text)


# structured JSON ------------------------------------------------------------------------


class _RawQuestion(BaseModel):
    text: str = ""
    context: str = ""
    options: list[str] | None = None


class _RawQuestions(BaseModel):
    questions: list[_RawQuestion] | None = None


def parse_structured_questions(text: str) -> list[Question]:
    """Questions from a `{"questions": [...]}` object; ValueError says why it is not one."""
    if not text:
        raise ValueError("empty input")
    blob = first_json_object(_drop_fence_lines(text))
    if not blob:
        raise ValueError("no JSON object found in input")
    try:
        data = json.loads(blob)
        raw = _RawQuestions.model_validate(data)
    except (json.JSONDecodeError, ValidationError) as exc:
        raise ValueError(f"invalid JSON: {exc}") from exc
    items = raw.questions or []
    if not items:
        raise ValueError("questions array is empty")
    if len(items) > MAX_QUESTIONS:
        raise ValueError(f"too many questions ({len(items)} > {MAX_QUESTIONS})")
    out: list[Question] = []
    for i, item in enumerate(items, start=1):
        body = item.text.strip()
        if not body:
            raise ValueError(f"question {i} has empty text")
        options = drop_other_options(item.options or [])
        out.append(
            Question(
                index=i,
                text=body,
                context=item.context.strip(),
                options=options,
                is_yes_no=is_yes_no(options, body),
            )
        )
    return out


def _drop_fence_lines(text: str) -> str:
    return "\n".join(line for line in text.split("\n") if not line.strip().startswith("```"))


def first_json_object(text: str) -> str:
    """The first balanced `{...}` in `text` (braces inside strings ignored), or ``""``."""
    start = text.find("{")
    if start < 0:
        return ""
    depth = 0
    in_string = False
    escaped = False
    for i in range(start, len(text)):
        ch = text[i]
        if escaped:
            escaped = False
        elif in_string and ch == "\\":
            escaped = True
        elif ch == '"':
            in_string = not in_string
        elif in_string:
            continue
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return text[start : i + 1]
    return ""


# markdown heuristics --------------------------------------------------------------------


def parse_markdown_questions(text: str) -> list[Question]:
    """Questions found line by line in markdown (see the module docstring)."""
    out: list[Question] = []
    in_fence = False
    for line in (text or "").split("\n"):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        question = _question_from_line(line, len(out) + 1)
        if question is None:
            continue
        out.append(question)
        if len(out) >= MAX_QUESTIONS:
            break
    return out


def _question_from_line(line: str, index: int) -> Question | None:
    body = _match_question(line)
    if body is None:
        return None
    body = _UNDERLINE.sub(r"\1", _EMPHASIS.sub(r"\1", body))
    options: list[str] = []
    m = _TRAILING_OPTIONS.search(body)
    if m:
        options = split_options(m.group(1))
        body = _TRAILING_OPTIONS.sub("", body).strip()
    options = drop_other_options(options)
    return Question(index=index, text=body, options=options, is_yes_no=is_yes_no(options, body))


def _match_question(line: str) -> str | None:
    """The question text when `line` looks like a question, else None."""
    m = _NUMBERED.match(line)
    if m:
        return m.group(1).strip()
    if _IMPERATIVE.match(line):
        return line.strip().lstrip("-* \t").strip()
    m = _BULLET_QUESTION.match(line)
    if m:
        return m.group(1).strip()
    trimmed = line.strip()
    if "?" in trimmed and _TRAILING_OPTIONS.sub("", trimmed).strip().endswith("?"):
        return trimmed
    return None


def split_options(raw: str) -> list[str]:
    """`a, b, c` → options; a bare `,` separates only when no `, ` is present, so commas
    inside option descriptions survive the common case."""
    parts = raw.split(", ") if ", " in raw else raw.split(",")
    return [p.strip() for p in parts if p.strip()]


def drop_other_options(options: list[str]) -> list[str]:
    """Remove "other", "Other (please specify)", "other: …" and the like."""
    return [o for o in options if not _is_other(o.strip().lower())]


def _is_other(lower: str) -> bool:
    if not lower.startswith("other"):
        return False
    rest = lower[len("other") :]
    return not rest or not (rest[0].isascii() and rest[0].isalnum())


def is_yes_no(options: list[str], text: str) -> bool:
    if len(options) == 2 and {o.strip().lower() for o in options} == {"yes", "no"}:
        return True
    if options:
        return False
    return text.strip().lower().startswith(_YES_NO_PREFIXES)
