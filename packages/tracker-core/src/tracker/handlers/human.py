"""The `wait.human` handler: stop at a gate, ask an interviewer, route on the answer
(spec/engine.md §4.5; design.md "Auto-approve on a choice gate").

| mode | asks | outcome |
|---|---|---|
| `choice` (default, also empty/unknown) | one of the outgoing edge labels (target id when unlabeled) | `success`; `preferred_label` = the edge's routing key (`choice:` else label), `human_response` = the label |
| `yes_no` | `Yes` / `No` | `Yes` → `success`, `No` → `fail` |
| `freeform` | text; with labeled edges a label or text ("hybrid") | `success`; `human_response` = text; text equal to a label (any case) routes there |
| `interview` | a form parsed from `questions_key` (else `last_response`) | answers JSON → `answers_key`, markdown summary → `human_response`; canceled → `fail`; no questions → freeform |

A node `timeout` races the interviewer: on expiry `timeout_action: fail` gives `fail` with
`human_response="timed out"`; otherwise the node's default (`default_choice`, else
`default`) is the answer (`success`), and without one `fail` with
`human_response="timed out (no default)"`.

`--auto-approve` (`RunConfig.auto_approve`) answers every gate with the auto-approve
interviewer; otherwise the run's interviewer (`env.interviewer`) is asked. An interviewer
that cannot answer (`no input received`, `invalid choice: "x"`) stops the run with a handler
error, as in the reference. Every gate emits `gate_opened` and `gate_resolved`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel

from tracker.dippin.values import parse_duration
from tracker.engine.events import GATE_OPENED, GATE_RESOLVED
from tracker.engine.handler import FAIL, SUCCESS, HandlerError, NodeEnv, Outcome
from tracker.engine.interpolate import expand
from tracker.gates.answers import InterviewResult, markdown_summary
from tracker.gates.interviewer import (
    ACTOR_UNKNOWN,
    GateError,
    GateUnsupported,
    current_gate_node,
)
from tracker.gates.questions import parse_questions
from tracker.graph.model import GraphEdge, GraphNode

HUMAN_RESPONSE = "human_response"
LAST_RESPONSE = "last_response"
DEFAULT_QUESTIONS_KEY = "interview_questions"
DEFAULT_ANSWERS_KEY = "interview_answers"
TIMED_OUT = "timed out"
TIMED_OUT_NO_DEFAULT = "timed out (no default)"
NO_QUESTIONS_PROMPT = "No questions were generated. Please provide any input."
#: longest prompt carried on a gate_opened event (the full text is in the node's context)
EVENT_PROMPT_LIMIT = 4096

_SUPPORT_WORDS = {
    "freeform": "freeform input",
    "interview": "interviews",
    "choice": "choices",
    "yes_no": "choices",
}


class HumanConfig(BaseModel):
    """The gate's string attributes, parsed once."""

    mode: str = "choice"
    default: str = ""
    timeout: float = 0.0  # seconds; 0 = wait for ever
    timeout_action: str = ""
    questions_key: str = DEFAULT_QUESTIONS_KEY
    answers_key: str = DEFAULT_ANSWERS_KEY

    @classmethod
    def of(cls, node: GraphNode) -> HumanConfig:
        a = node.attrs
        mode = a.get("mode", "").strip()
        if mode not in ("freeform", "yes_no", "interview"):
            mode = "choice"
        return cls(
            mode=mode,
            default=a.get("default_choice", "") or a.get("default", ""),
            timeout=_seconds(a.get("timeout", "")),
            timeout_action=a.get("timeout_action", "").strip(),
            questions_key=a.get("questions_key", "") or DEFAULT_QUESTIONS_KEY,
            answers_key=a.get("answers_key", "") or DEFAULT_ANSWERS_KEY,
        )


def _seconds(text: str) -> float:
    """A Go duration; like the reference, an unparsable or non-positive one means none."""
    text = text.strip()
    if not text:
        return 0.0
    try:
        ns = parse_duration(text)
    except ValueError:
        return 0.0
    return max(ns, 0) / 1e9


class _GateTimeout(Exception):
    pass


class HumanHandler:
    name = "wait.human"

    def __init__(self, interviewer: Any = None) -> None:
        #: overrides the run's interviewer (tests, embedders)
        self._interviewer = interviewer

    async def execute(self, node: GraphNode, env: NodeEnv) -> Outcome:
        interviewer = self._pick_interviewer(node, env)
        cfg = HumanConfig.of(node)
        edges = env.graph.outgoing(node.id)
        prompt = gate_prompt(node, env)
        actor = str(getattr(interviewer, "actor", ACTOR_UNKNOWN))
        if getattr(interviewer, "name", "") == "auto-approve":
            actor = "auto-approve"  # say which automation answered, not just "autopilot"
        env.event(
            GATE_OPENED,
            f"gate opened ({cfg.mode}): {node.label or node.id}",
            content=prompt[:EVENT_PROMPT_LIMIT],
        )
        timed_out = False
        try:
            outcome = await _answer_within(
                self._dispatch(interviewer, cfg, node, env, prompt, edges),
                cfg.timeout,
                env.cancelled,
                interviewer,
            )
        except _GateTimeout:
            timed_out = True
            outcome = timeout_outcome(node, cfg, edges)
        except GateUnsupported:
            err = HandlerError(
                f'human gate node "{node.id}" has mode={cfg.mode} but interviewer does not '
                f"support {_SUPPORT_WORDS.get(cfg.mode, cfg.mode)}"
            )
            self._resolved(env, node, None, actor, False, str(err))
            raise err from None
        except GateError as exc:
            err = HandlerError(f'human gate {cfg.mode} input failed for node "{node.id}": {exc}')
            self._resolved(env, node, None, actor, False, str(err))
            raise err from exc
        except HandlerError as exc:
            self._resolved(env, node, None, actor, False, str(exc))
            raise
        self._resolved(env, node, outcome, actor, timed_out, "")
        _write_status(env, outcome)
        return outcome

    # interviewer ----------------------------------------------------------------------

    def _pick_interviewer(self, node: GraphNode, env: NodeEnv) -> Any:
        """`--auto-approve` first (cli-tui.md §4.8), then this handler's own, then the run's."""
        if getattr(env.config, "auto_approve", False):
            from tracker.gates.auto_approve import AutoApproveInterviewer

            return AutoApproveInterviewer()
        interviewer = self._interviewer or env.interviewer
        if interviewer is None:
            raise HandlerError(
                f'human gate node "{node.id}" needs an answer but no interviewer is configured '
                "(run in a terminal, or use --auto-approve / --autopilot)"
            )
        return interviewer

    async def _dispatch(
        self,
        interviewer: Any,
        cfg: HumanConfig,
        node: GraphNode,
        env: NodeEnv,
        prompt: str,
        edges: list[GraphEdge],
    ) -> Outcome:
        current_gate_node.set(node.id)  # runs in its own task: the value stays with this gate
        if cfg.mode == "interview":
            return await self._interview(interviewer, cfg, node, env, edges)
        if cfg.mode == "freeform":
            return await self._freeform(interviewer, cfg, node, prompt, edges)
        if cfg.mode == "yes_no":
            return await self._yes_no(interviewer, node, prompt)
        return await self._choice(interviewer, cfg, node, prompt, edges)

    # modes ----------------------------------------------------------------------------

    async def _choice(
        self,
        interviewer: Any,
        cfg: HumanConfig,
        node: GraphNode,
        prompt: str,
        edges: list[GraphEdge],
    ) -> Outcome:
        if not edges:
            raise HandlerError(
                f'human gate node "{node.id}" has no outgoing edges to derive choices from'
            )
        choices = [_display(e) for e in edges]
        default_edge = _find_edge(edges, cfg.default) if cfg.default else None
        default = _display(default_edge) if default_edge else cfg.default
        selected = await _call(interviewer, "ask", prompt, choices, default)
        return choice_outcome(node, edges, selected)

    async def _yes_no(self, interviewer: Any, node: GraphNode, prompt: str) -> Outcome:
        selected = await _call(interviewer, "ask", prompt, ["Yes", "No"], "")
        status = FAIL if selected.strip().lower() == "no" else SUCCESS
        return Outcome(
            status=status,
            preferred_label=selected,
            context_updates={HUMAN_RESPONSE: selected, f"response.{node.id}": selected},
        )

    async def _freeform(
        self,
        interviewer: Any,
        cfg: HumanConfig,
        node: GraphNode,
        prompt: str,
        edges: list[GraphEdge],
    ) -> Outcome:
        labels = [e.label for e in edges if e.label]
        if labels and callable(getattr(interviewer, "ask_freeform_with_labels", None)):
            text = await _call(interviewer, "ask_freeform_with_labels", prompt, labels, cfg.default)
        else:
            text = await _call(interviewer, "ask_freeform", prompt)
        return Outcome(
            status=SUCCESS,
            preferred_label=match_freeform_label(edges, text, cfg.default),
            context_updates={HUMAN_RESPONSE: text, f"response.{node.id}": text},
        )

    async def _interview(
        self,
        interviewer: Any,
        cfg: HumanConfig,
        node: GraphNode,
        env: NodeEnv,
        edges: list[GraphEdge],
    ) -> Outcome:
        source = env.context.get(cfg.questions_key) or env.context.get(LAST_RESPONSE)
        questions = parse_questions(source)
        if not questions:
            prompt = (
                node.attrs.get("prompt", "") or _expanded_label(node, env) or NO_QUESTIONS_PROMPT
            )
            if source:
                prompt += "\n\n---\n" + source
            outcome = await self._freeform(interviewer, cfg, node, prompt, edges)
            outcome.context_updates[cfg.answers_key] = outcome.context_updates[HUMAN_RESPONSE]
            return outcome
        previous = InterviewResult.from_json(env.context.get(cfg.answers_key))
        result = await _call(interviewer, "ask_interview", questions, previous)
        summary = markdown_summary(result)
        updates = {
            cfg.answers_key: result.to_json(),
            HUMAN_RESPONSE: summary,
            f"response.{node.id}": summary,
        }
        status = FAIL if result.canceled else SUCCESS
        if node.attrs.get("writes", "").strip():
            from tracker.handlers.tool import apply_declared_writes

            ok, _ = apply_declared_writes(node, json.dumps(result.answers_object()), updates)
            if not ok:
                status = FAIL
        return Outcome(status=status, context_updates=updates)

    # events ---------------------------------------------------------------------------

    def _resolved(
        self,
        env: NodeEnv,
        node: GraphNode,
        outcome: Outcome | None,
        actor: str,
        timed_out: bool,
        error: str,
    ) -> None:
        if outcome is None:
            message = f"gate failed ({actor})"
        else:
            response = outcome.context_updates.get(f"response.{node.id}") or outcome.preferred_label
            how = "timed out" if timed_out else f"answered by {actor}"
            message = f"gate resolved ({how}): {response}" if response else f"gate resolved ({how})"
        env.event(
            GATE_RESOLVED,
            message,
            error=error,
            outcome_status=outcome.status if outcome else "",
        )


# helpers --------------------------------------------------------------------------------


async def _call(interviewer: Any, method: str, *args: Any) -> Any:
    """Call an interviewer method; a missing method means the gate shape is unsupported."""
    fn = getattr(interviewer, method, None)
    if not callable(fn):
        raise GateUnsupported(method)
    result = fn(*args)
    if asyncio.iscoroutine(result) or isinstance(result, Awaitable):
        result = await result
    return result


async def _answer_within(
    coro: Awaitable[Outcome], timeout: float, cancelled: asyncio.Event, interviewer: Any
) -> Outcome:
    """Await the answer, giving up at the gate timeout or when the run is cancelled; either
    way the pending question is abandoned and the interviewer told (`cancel()`)."""
    task = asyncio.ensure_future(coro)
    stop = asyncio.ensure_future(cancelled.wait())
    try:
        done, _ = await asyncio.wait(
            {task, stop}, timeout=timeout or None, return_when=asyncio.FIRST_COMPLETED
        )
    except BaseException:
        task.cancel()
        raise
    finally:
        stop.cancel()
    if task in done:
        return task.result()
    task.cancel()
    _cancel_interviewer(interviewer)
    await asyncio.wait({task}, timeout=1.0)  # let it unwind; never hang on a stuck UI
    if task.done() and not task.cancelled():
        task.exception()  # retrieved, so an abandoned failure is not logged as unhandled
    if stop in done:
        raise HandlerError("pipeline cancelled while waiting at a human gate")
    raise _GateTimeout


def _cancel_interviewer(interviewer: Any) -> None:
    cancel: Callable[[], Any] | None = getattr(interviewer, "cancel", None)
    if callable(cancel):
        try:
            cancel()
        except Exception:  # noqa: BLE001 - tearing down a UI must not mask the timeout
            pass


def _expanded_label(node: GraphNode, env: NodeEnv) -> str:
    return expand(node.label, env.context.snapshot()) if node.label else ""


def gate_prompt(node: GraphNode, env: NodeEnv) -> str:
    """Label (`Human gate: <id>` when empty), then the authored `prompt` body, `${…}`
    expanded, then `---` and the last agent response when there is one."""
    values = env.context.snapshot()
    text = node.label or f"Human gate: {node.id}"
    text = expand(text, values)
    body = node.attrs.get("prompt", "").strip()
    if body:
        text = f"{text}\n\n{body}"
    if not text.strip():
        text = f"Human gate: {node.id}"
    last = values.get(LAST_RESPONSE, "")
    if last:
        text = f"{text}\n\n---\n{last}"
    return text


def _display(edge: GraphEdge) -> str:
    """What a person picks: the edge's label, else its `choice:` key, else its target."""
    return edge.label or edge.choice or edge.to


def _find_edge(edges: list[GraphEdge], answer: str) -> GraphEdge | None:
    """The edge an answer names: its display text exactly, then ignoring case, then its
    `choice:` key."""
    for e in edges:
        if _display(e) == answer:
            return e
    wanted = answer.strip().lower()
    for e in edges:
        if _display(e).lower() == wanted:
            return e
    for e in edges:
        if e.choice and e.choice.lower() == wanted:
            return e
    return None


def choice_outcome(node: GraphNode, edges: list[GraphEdge], selected: str) -> Outcome:
    """`success`; preferred label = the chosen edge's routing key; human_response = label.
    When the key is not the edge's label (a `choice:` key, an unlabeled edge), the edge's
    target also goes in `suggested_next_nodes` so routing finds it either way."""
    edge = _find_edge(edges, selected)
    label = (edge.label or edge.to) if edge else selected
    key = (edge.choice or label) if edge else selected
    suggested = [edge.to] if edge is not None and key != edge.label else []
    return Outcome(
        status=SUCCESS,
        preferred_label=key,
        suggested_next_nodes=suggested,
        context_updates={HUMAN_RESPONSE: label, f"response.{node.id}": label},
    )


def match_freeform_label(edges: list[GraphEdge], text: str, default: str = "") -> str:
    """The routing key of the edge whose label (or `choice:` key) equals `text` ignoring
    case and surrounding space; else the default label when `text` is it; else ``""``."""
    wanted = text.strip().lower()
    if not wanted:
        return ""
    for e in edges:
        if e.label and e.label.lower() == wanted:
            return e.choice or e.label
        if e.choice and e.choice.lower() == wanted:
            return e.choice
    if default and default.lower() == wanted:
        return default
    return ""


def timeout_outcome(node: GraphNode, cfg: HumanConfig, edges: list[GraphEdge]) -> Outcome:
    if cfg.timeout_action == "fail":
        return Outcome(status=FAIL, context_updates={HUMAN_RESPONSE: TIMED_OUT})
    if not cfg.default:
        return Outcome(status=FAIL, context_updates={HUMAN_RESPONSE: TIMED_OUT_NO_DEFAULT})
    if cfg.mode == "yes_no":
        status = FAIL if cfg.default.strip().lower() == "no" else SUCCESS
        return Outcome(
            status=status,
            preferred_label=cfg.default,
            context_updates={HUMAN_RESPONSE: cfg.default, f"response.{node.id}": cfg.default},
        )
    return choice_outcome(node, edges, cfg.default)


def _write_status(env: NodeEnv, outcome: Outcome) -> None:
    node_dir = env.node_dir()
    if node_dir is None:
        return
    from tracker.handlers.tool import write_status_json

    write_status_json(node_dir, outcome)
