"""Interview answers: the JSON stored under `answers_key` and the markdown summary stored
under `human_response` (spec/engine.md §4.5).

The JSON keeps the reference's shape, so pipelines and earlier run directories read alike::

    {"questions":[{"id":"q1","text":"…","options":["a","b"],"answer":"a",
                   "elaboration":"…"}],"incomplete":false,"canceled":false}

(`options` and `elaboration` are left out when empty.)
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from tracker.gates.questions import Question


class InterviewAnswer(BaseModel):
    id: str
    text: str
    options: list[str] = Field(default_factory=list)
    answer: str = ""
    elaboration: str = ""

    @classmethod
    def for_question(cls, question: Question, answer: str = "", elaboration: str = ""):
        return cls(
            id=question.id,
            text=question.text,
            options=list(question.options),
            answer=answer,
            elaboration=elaboration,
        )


class InterviewResult(BaseModel):
    questions: list[InterviewAnswer] = Field(default_factory=list)
    incomplete: bool = False
    canceled: bool = False

    def to_json(self) -> str:
        """Compact JSON in the reference's key order; empty options/elaboration omitted."""
        items: list[dict[str, Any]] = []
        for a in self.questions:
            item: dict[str, Any] = {"id": a.id, "text": a.text}
            if a.options:
                item["options"] = a.options
            item["answer"] = a.answer
            if a.elaboration:
                item["elaboration"] = a.elaboration
            items.append(item)
        doc = {"questions": items, "incomplete": self.incomplete, "canceled": self.canceled}
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> InterviewResult | None:
        """The stored result, or None when `text` is empty or not one (then no pre-fill)."""
        if not text:
            return None
        try:
            return cls.model_validate_json(text)
        except (ValidationError, ValueError):
            return None

    def by_id(self) -> dict[str, InterviewAnswer]:
        return {a.id: a for a in self.questions}

    def answered(self) -> int:
        return sum(1 for a in self.questions if a.answer.strip())

    def answers_object(self) -> dict[str, str]:
        """Flat `{q1: answer, <question_as_key>: answer}` for declared `writes:` keys; empty
        answers skipped, the first question claiming a key wins."""
        out: dict[str, str] = {}
        for a in self.questions:
            answer = a.answer.strip()
            if not answer:
                continue
            for key in (a.id.strip(), question_key(a.text)):
                if key and key not in out:
                    out[key] = answer
        return out


def question_key(text: str) -> str:
    """`"Which storage backend?"` → `which_storage_backend`."""
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")


def markdown_summary(result: InterviewResult) -> str:
    """The human-readable answers handed to downstream agents via `human_response`."""
    lines = ["## Interview Answers"]
    for i, a in enumerate(result.questions, start=1):
        lines.append("")
        lines.append(f"**Q{i}: {a.text}**")
        if not a.answer.strip():
            lines.append("(skipped)")
        elif a.elaboration:
            lines.append(f"{a.answer} — {a.elaboration}")
        else:
            lines.append(a.answer)
    lines.append("")
    lines.append("---")
    lines.append(f"*{result.answered()} of {len(result.questions)} questions answered*")
    if result.canceled:
        lines.append("*Interview was canceled.*")
    return "\n".join(lines)
