"""`--autopilot <persona>`: an LLM judge answers every gate (cli-tui.md §4.8).

One call per gate (temperature 0.1, at most 1024 tokens — 2048 for an interview — 30 s
timeout) asking for ``{"choice": "...", "reasoning": "..."}``. The reply's choice is matched
against the options: exact (any case), else the longest option the reply contains;
unmatched → the default, else the first option (with a warning). A reply that is not such
a JSON object is asked once more, then the gate fails. Provider errors fail the gate at
once (no fallback: an unattended run must not silently approve on an outage). Freeform
gates receive the reasoning (or the choice when there is none). Interview gates send all
questions in one call and read ``{"answers": [{"id": "q1", "answer": "...",
"elaboration": "..."}]}``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, ValidationError

from tracker.gates.answers import InterviewAnswer, InterviewResult
from tracker.gates.interviewer import ACTOR_AUTOPILOT, GateError, Interviewer
from tracker.gates.questions import Question, first_json_object

if TYPE_CHECKING:
    from tracker.llm.client import Client

log = logging.getLogger("tracker.gates.autopilot")

PERSONAS = ("lax", "mid", "hard", "mentor")
CALL_TIMEOUT = 30.0
TEMPERATURE = 0.1
#: cheap, capable judge per default provider; anything else uses FALLBACK_MODEL
DEFAULT_MODELS = {
    "anthropic": "claude-sonnet-4-6",
    "openai": "gpt-4.1-mini",
    "gemini": "gemini-2.5-flash",
}
FALLBACK_MODEL = "claude-sonnet-4-6"

PERSONA_PROMPTS = {
    "lax": (
        "You decide gates in an automated software pipeline, and your bias is momentum. "
        "Approve plans, accept reviews and mark milestones done unless the work is plainly "
        "broken or makes no sense. When unsure, pick the option that moves forward."
    ),
    "mid": (
        "You decide gates in an automated software pipeline with the judgment of an "
        "experienced senior engineer. Approve solid work; push back on clear gaps or "
        "unfinished pieces; allow one more attempt when something is close but not there. "
        "Neither rubber-stamp nor nitpick."
    ),
    "hard": (
        "You decide gates in an automated software pipeline and you hold a high bar. "
        "Look for missing edge cases, thin plans and unverified claims. Prefer retrying, "
        "adjusting or rejecting whenever quality is in doubt; approve only work that truly "
        "meets its criteria."
    ),
    "mentor": (
        "You decide gates in an automated software pipeline as a mentor. Always choose the "
        "option that keeps the pipeline moving, and use the reasoning field for three to "
        "five sentences of specific, actionable feedback: what to improve, which risks "
        "remain, what a human reviewer should check. No generic praise."
    ),
}


def parse_persona(value: str | None) -> str:
    """Case-insensitive, trimmed; empty means `mid`; unknown names are a user error."""
    name = (value or "").strip().lower() or "mid"
    if name not in PERSONAS:
        raise ValueError(f"unknown autopilot persona {value!r} (valid: {', '.join(PERSONAS)})")
    return name


class _Decision(BaseModel):
    choice: str = ""
    reasoning: str = ""


class _RawAnswer(BaseModel):
    id: str = ""
    answer: str = ""
    elaboration: str = ""


class _RawAnswers(BaseModel):
    answers: list[_RawAnswer] = Field(default_factory=list)


class AutopilotInterviewer(Interviewer):
    name = "autopilot"
    actor = ACTOR_AUTOPILOT

    def __init__(
        self,
        client: Client,
        persona: str = "mid",
        *,
        model: str = "",
        provider: str = "",
        timeout: float = CALL_TIMEOUT,
    ) -> None:
        self.client = client
        self.persona = parse_persona(persona)
        self.model = model
        self.provider = provider
        self.timeout = timeout

    # gate shapes ----------------------------------------------------------------------

    async def ask(self, prompt: str, choices: list[str], default: str = "") -> str:
        return await self._decide(prompt, choices, default)

    async def ask_freeform(self, prompt: str) -> str:
        decision = await self._ask_json(
            _decision_prompt(prompt, [], ""), _parse_decision, 1024, "freeform gate"
        )
        return decision.reasoning or decision.choice

    async def ask_freeform_with_labels(
        self, prompt: str, labels: list[str], default: str = ""
    ) -> str:
        return await self._decide(prompt, labels, default)

    async def ask_interview(
        self, questions: list[Question], previous: InterviewResult | None = None
    ) -> InterviewResult:
        return await self._ask_json(
            _interview_prompt(questions, previous),
            lambda text: _parse_interview(text, questions),
            2048,
            "interview",
        )

    # internals ------------------------------------------------------------------------

    async def _decide(self, prompt: str, options: list[str], default: str) -> str:
        decision = await self._ask_json(
            _decision_prompt(prompt, options, default), _parse_decision, 1024, "gate decision"
        )
        picked = match_option(decision.choice, options)
        if picked:
            return picked
        log.warning(
            "autopilot chose %r, which matches no option; using %s",
            decision.choice,
            "the default" if default else "the first option",
        )
        return default or (options[0] if options else decision.choice)

    async def _ask_json(self, user_prompt: str, parse: Any, max_tokens: int, what: str) -> Any:
        """Ask, parse; on a parse failure ask once more; provider errors fail at once."""
        last_error: ValueError | None = None
        for _ in range(2):
            text = await self._complete(user_prompt, max_tokens, what)
            try:
                return parse(text)
            except ValueError as exc:
                last_error = exc
        raise GateError(f"autopilot {what} failed: {last_error}")

    async def _complete(self, user_prompt: str, max_tokens: int, what: str) -> str:
        from tracker.llm.types import Message, Request

        model, provider = self._model_and_provider()
        request = Request(
            model=model,
            provider=provider,
            messages=[Message.system(PERSONA_PROMPTS[self.persona]), Message.user(user_prompt)],
            temperature=TEMPERATURE,
            max_tokens=max_tokens,
            metadata={"purpose": "autopilot"},
        )
        try:
            response = await asyncio.wait_for(self.client.complete(request), self.timeout)
        except TimeoutError:
            raise GateError(
                f"autopilot {what} failed: no answer within {self.timeout:g}s"
            ) from None
        except Exception as exc:  # noqa: BLE001 - any provider error fails the gate
            raise GateError(f"autopilot {what} failed: {exc}") from exc
        return response.text

    def _model_and_provider(self) -> tuple[str, str]:
        if self.model:
            return self.model, self.provider
        default = self.provider or getattr(self.client, "default_provider", "") or ""
        return DEFAULT_MODELS.get(default, FALLBACK_MODEL), default


# prompts --------------------------------------------------------------------------------


def _decision_prompt(gate_prompt: str, options: list[str], default: str) -> str:
    parts = ["You are at a decision gate in a pipeline. The gate shows:", "", gate_prompt, ""]
    if options:
        parts.append("Options:")
        for i, opt in enumerate(options, start=1):
            marker = "* " if opt == default else "  "
            parts.append(f"{marker}{i}. {json.dumps(opt, ensure_ascii=False)}")
        if default:
            parts.append(f"(* marks the default: {json.dumps(default, ensure_ascii=False)})")
    else:
        parts.append("This gate takes free text: put your answer in the reasoning field.")
    parts += [
        "",
        "Reply with only a JSON object:",
        '{"choice": "<the exact option text>", "reasoning": "<why, in 1-3 sentences>"}',
    ]
    return "\n".join(parts)


def _interview_prompt(questions: list[Question], previous: InterviewResult | None) -> str:
    parts = [
        "Answer every question below. Where options are listed, answer with one of them.",
        "Reply with only a JSON object:",
        '{"answers": [{"id": "q1", "answer": "...", "elaboration": "optional detail"}]}',
        "",
        "Questions:",
    ]
    for q in questions:
        line = f"{q.id}. {q.text}"
        if q.options:
            line += f" (options: {', '.join(q.options)})"
        elif q.is_yes_no:
            line += " (yes or no)"
        parts.append(line)
        if q.context:
            parts.append(f"    context: {q.context}")
    earlier = [a for a in (previous.questions if previous else []) if a.answer]
    if earlier:
        parts += ["", "Answered before:"]
        parts += [f"- {a.text}: {a.answer}" for a in earlier]
    return "\n".join(parts)


# parsing --------------------------------------------------------------------------------


def _json_object(text: str) -> dict[str, Any]:
    blob = first_json_object(text or "")
    if not blob:
        raise ValueError(f"no JSON object in reply: {(text or '')[:100]!r}")
    try:
        data = json.loads(blob)
    except json.JSONDecodeError as exc:
        raise ValueError(f"reply is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError("reply is not a JSON object")
    return data


def _parse_decision(text: str) -> _Decision:
    try:
        decision = _Decision.model_validate(_json_object(text))
    except ValidationError as exc:
        raise ValueError(f"unexpected reply shape: {exc}") from exc
    if not decision.choice.strip():
        raise ValueError("reply has an empty choice")
    return decision


def _parse_interview(text: str, questions: list[Question]) -> InterviewResult:
    try:
        raw = _RawAnswers.model_validate(_json_object(text))
    except ValidationError as exc:
        raise ValueError(f"unexpected reply shape: {exc}") from exc
    by_id = {a.id: a for a in raw.answers}
    answers: list[InterviewAnswer] = []
    for q in questions:
        got = by_id.get(q.id)
        answer = _normalise(got.answer, q) if got else ""
        answers.append(InterviewAnswer.for_question(q, answer, got.elaboration if got else ""))
    if not any(a.answer for a in answers):
        raise ValueError(f"reply answers none of the {len(questions)} questions")
    return InterviewResult(questions=answers, incomplete=any(not a.answer for a in answers))


def _normalise(raw: str, q: Question) -> str:
    """Yes/no questions answer `yes`/`no` (as the console and auto-approve do); select
    questions one of their options; open questions anything."""
    if q.is_yes_no:
        value = raw.strip().lower()
        if value in ("yes", "y", "true"):
            return "yes"
        if value in ("no", "n", "false"):
            return "no"
        return ""
    if q.options:
        return match_option(raw, q.options)
    return raw


def match_option(reply: str, options: list[str]) -> str:
    """Exact match ignoring case, else the longest option the reply contains, else ``""``."""
    wanted = reply.strip().lower()
    for opt in options:
        if opt.lower() == wanted:
            return opt
    best = ""
    for opt in options:
        if opt.lower() in wanted and len(opt) > len(best):
            best = opt
    return best
