"""The `codergen` handler: agent nodes (spec engine.md §4.2, agent-llm.md §7).

One node = one agent run on a backend (native session, `claude` CLI, or a plugin's):

1. prompt: the node's expanded `prompt` (else its label), with the fidelity summary
   prepended for non-`full` levels (§3.6);
2. backend: node `backend` attr, else the run default; settings from node attrs over
   graph attrs over the run config;
3. run it, forwarding every agent event to the pipeline's sinks (source `agent`);
4. classify: a bad configuration, a rejected key, a missing model or exhausted credit
   stops the run (another node would hit it too); other session errors and empty
   answers ask for a `retry`; a turn limit or tool loop is a routable `fail`;
   otherwise `success`, or with `auto_status` the answer's last `STATUS:` line;
   declared `writes:` must parse from the answer's JSON or the node fails;
5. context `last_response`, `response.<id>`, episode memory, `turn_limit_msg`, writes;
   artifacts `prompt.md`, `response.md`, `status.json`; the session's numbers as stats.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tracker.agent.prompts import STATUS_INSTRUCTION
from tracker.agent.result import SessionResult
from tracker.agent.status import parse_status
from tracker.backends.base import AgentBackend, AgentRunConfig, BackendError, BackendUnavailable
from tracker.backends.events import EventForwarder
from tracker.backends.pool import BackendPool, UnknownBackendError, canonical_backend
from tracker.backends.settings import NodeSettings
from tracker.backends.transcript import TranscriptCollector
from tracker.engine.checkpoint import write_atomic
from tracker.engine.context import RESUME_DEGRADE_KEY
from tracker.engine.events import WARNING
from tracker.engine.handler import (
    FAIL,
    RETRY,
    SUCCESS,
    BillingPausedError,
    HandlerError,
    NodeEnv,
    Outcome,
    SessionStats,
)
from tracker.graph.model import GraphNode
from tracker.handlers import fidelity
from tracker.handlers.outputs import apply_declared_writes, write_status_json
from tracker.llm.errors import (
    PROVIDER_ENV_KEYS,
    ConfigurationError,
    ProviderError,
    QuotaExceededError,
    explain,
    is_fatal,
    missing_key_message,
)

LAST_RESPONSE = "last_response"
TURN_LIMIT_MSG = "turn_limit_msg"
EPISODE_SUMMARY = "episode_summary"
EPISODE_SUMMARIES = "episode_summaries"
MAX_PRIOR_EPISODES = 8
MAX_PRIOR_CHARS = 4000

_BILLING = re.compile(
    r"credit balance|too low to access|insufficient_quota|insufficient quota|"
    r"quota exceeded|exceeded your current quota",
    re.IGNORECASE,
)
_NO_CLIENT = (
    "native backend requires an LLM client — configure API keys or use --backend acp/claude-code"
)


class CodergenHandler:
    """Runs agent nodes. One instance per run: backends are created once and shared."""

    name = "codergen"

    def __init__(
        self, *, registry: Any = None, backends: Mapping[str, AgentBackend] | None = None
    ) -> None:
        self._pool = BackendPool(registry, backends)

    async def execute(self, node: GraphNode, env: NodeEnv) -> Outcome:
        if node.id in (env.graph.start_node, env.graph.exit_node):
            return Outcome(status=SUCCESS)  # design.md: designated start/exit never run agents
        settings = NodeSettings(node, env.graph.attrs, env.config)
        try:
            backend_name = canonical_backend(settings.backend, node.id)
            working_dir = settings.working_dir(env.workdir)
            working_dir.mkdir(parents=True, exist_ok=True)
            prompt = build_prompt(node, env)
            prior = prior_episodes(env.context.snapshot(), node.id)
            run_cfg = self._run_config(backend_name, settings, prompt, working_dir, prior)
        except (UnknownBackendError, ConfigurationError) as exc:
            raise HandlerError(str(exc)) from None
        backend = self._backend(backend_name, env)
        collector = TranscriptCollector()
        forward = EventForwarder(node.id, env.emit, run_cfg.model)

        def emit(event: Any) -> None:
            collector(event)
            forward(event)

        try:
            result = await _run_cancellable(backend.run(run_cfg, emit), env.cancelled)
        except BackendError as exc:
            return self._backend_failed(node, env, prompt, collector, exc, prior)
        except ConfigurationError as exc:
            raise HandlerError(config_message(exc, settings)) from None
        raise_if_fatal(node, result, settings)
        outcome = classify(node, result, collector.text(), prior, settings)
        if "writes_warning" in outcome.context_updates:
            env.event(WARNING, outcome.context_updates["writes_warning"])
        _write_artifacts(env, node, prompt, collector, result, outcome)
        return outcome

    # -- setup -------------------------------------------------------------------------

    def _run_config(
        self,
        backend_name: str,
        settings: NodeSettings,
        prompt: str,
        working_dir: Path,
        prior: list[str],
    ) -> AgentRunConfig:
        node = settings.node
        system_prompt = settings.raw("system_prompt")
        cfg = AgentRunConfig(
            prompt=prompt,
            system_prompt=system_prompt,
            model=settings.model,
            provider=settings.provider,
            working_dir=str(working_dir),
            max_turns=settings.max_turns(),
            timeout=settings.seconds("timeout"),
            node_id=node.id,
            tool_access=settings.raw("tool_access", graph=False),
        )
        if backend_name == "native":
            cfg.extra = settings.session_config(working_dir, prior)
            cfg.timeout = None
        else:
            if settings.flag("auto_status", graph=False):
                cfg.system_prompt = "\n\n".join(p for p in (system_prompt, STATUS_INSTRUCTION) if p)
            if backend_name == "claude-code":
                from tracker.backends.claude_code import ClaudeCodeConfig

                cfg.extra = ClaudeCodeConfig.from_settings(settings)
            else:  # plugin backends (acp) read their own node attrs, e.g. `acp_agent`
                cfg.extra = dict(node.attrs)
        return cfg

    def _backend(self, name: str, env: NodeEnv) -> AgentBackend:
        if name == "native":
            try:
                env.llm_client()
            except HandlerError:
                raise HandlerError(_NO_CLIENT) from None
            except ConfigurationError as exc:
                raise HandlerError(
                    config_message(exc, NodeSettings(env.node, env.graph.attrs, env.config))
                ) from None
        try:
            return self._pool.get(name, env)
        except BackendUnavailable as exc:
            raise HandlerError(f'node "{env.node.id}": {exc}') from None

    # -- a broken backend run ------------------------------------------------------------

    def _backend_failed(
        self,
        node: GraphNode,
        env: NodeEnv,
        prompt: str,
        collector: TranscriptCollector,
        exc: BackendError,
        prior: list[str],
    ) -> Outcome:
        message = str(exc)
        if exc.status is None:
            raise HandlerError(f'node "{node.id}": {message}')
        result = exc.result or SessionResult(session_id="")
        updates = {LAST_RESPONSE: message, f"response.{node.id}": message}
        _episode_updates(updates, result, prior)
        outcome = Outcome(
            status=exc.status, context_updates=updates, stats=session_stats(result), error=message
        )
        _write_artifacts(env, node, prompt, collector, result, outcome, fallback=message)
        return outcome


# --------------------------------------------------------------------------- prompt


def build_prompt(node: GraphNode, env: NodeEnv) -> str:
    """The expanded prompt (label, then id, when empty) with the fidelity summary."""
    prompt = node.attrs.get("prompt", "") or node.label or node.id
    level = fidelity.resolve(node.attrs, env.graph.attrs)
    if env.context.internal.get(RESUME_DEGRADE_KEY) == node.id:
        env.context.internal.pop(RESUME_DEGRADE_KEY)  # once, for the resumed node
        level = fidelity.degrade(level)
    pinned = [k.strip() for k in node.attrs.get("reads", "").split(",") if k.strip()]
    return fidelity.apply_fidelity(
        prompt, env.context.snapshot(), level, pinned=pinned, run_dir=env.run_dir
    )


# --------------------------------------------------------------------------- episodes


def parse_episodes(raw: str) -> list[str]:
    """A JSON array of summaries (a plain non-JSON value counts as one summary)."""
    raw = raw.strip()
    if not raw:
        return []
    try:
        value = json.loads(raw)
    except ValueError:
        return [raw]
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [str(value)] if str(value).strip() else []


def _bounded(summaries: list[str]) -> list[str]:
    """The newest summaries, at most 8 and 4000 characters in total."""
    kept: list[str] = []
    total = 0
    for summary in reversed(summaries[-MAX_PRIOR_EPISODES:]):
        if total + len(summary) > MAX_PRIOR_CHARS and kept:
            break
        kept.insert(0, summary[-MAX_PRIOR_CHARS:])
        total += len(summary)
    return kept


def prior_episodes(values: Mapping[str, str], node_id: str) -> list[str]:
    """This node's earlier attempts (retry memory), from its scoped context copy."""
    return _bounded(parse_episodes(values.get(f"node.{node_id}.{EPISODE_SUMMARIES}", "")))


def _episode_updates(updates: dict[str, str], result: SessionResult, prior: list[str]) -> None:
    updates[EPISODE_SUMMARY] = result.episode_summary
    if result.episode_summary.strip():
        summaries = _bounded([*prior, result.episode_summary])
        updates[EPISODE_SUMMARIES] = json.dumps(summaries, ensure_ascii=False)


# --------------------------------------------------------------------------- classification


def is_billing_error(exc: BaseException) -> bool:
    """Exhausted credit or quota — never a retryable rate limit."""
    if isinstance(exc, QuotaExceededError):
        return True
    return (
        isinstance(exc, ProviderError)
        and not exc.retryable
        and bool(_BILLING.search(f"{exc} {exc.raw_body or ''}"))
    )


def config_message(exc: ConfigurationError, settings: NodeSettings) -> str:
    """A configuration error naming the node, and for an unconfigured provider the key
    variable and `tracker setup`."""
    node_id = settings.node.id
    text = str(exc)
    if "no providers configured" in text:
        provider = settings.provider
        if not provider:
            from tracker.llm.catalog import default_catalog

            provider = default_catalog().provider_for(settings.model) or "anthropic"
        return missing_key_message(provider, node_id)
    provider = settings.provider
    if text.startswith("unknown provider") and provider in PROVIDER_ENV_KEYS:
        return missing_key_message(provider, node_id)
    return f'node "{node_id}": {explain(exc)}'


def raise_if_fatal(node: GraphNode, result: SessionResult, settings: NodeSettings) -> None:
    """Errors another node would hit too stop the run here (agent-llm.md §3.1)."""
    exc = result.exception
    if exc is None:
        return
    if is_billing_error(exc):
        raise BillingPausedError(f'node "{node.id}": {explain(exc)}')
    if is_fatal(exc):
        raise HandlerError(f'node "{node.id}": {explain(exc)}')
    if isinstance(exc, ConfigurationError):
        raise HandlerError(config_message(exc, settings))


def turn_limit_message(node_id: str, result: SessionResult) -> str:
    if result.loop_detected:
        return (
            f'node "{node_id}": agent entered tool call loop (detected after {result.turns} turns)'
        )
    if result.max_turns_used:
        return f'node "{node_id}": agent exhausted turn limit ({result.turns} turns) without completing'
    return ""


def classify(
    node: GraphNode,
    result: SessionResult,
    text: str,
    prior: list[str],
    settings: NodeSettings,
) -> Outcome:
    """The outcome of a finished run (engine.md §4.2 item 6)."""
    stats = session_stats(result)
    if result.error is not None:
        message = str(result.exception) if result.exception is not None else result.error
        updates = {LAST_RESPONSE: message, f"response.{node.id}": message}
        _episode_updates(updates, result, prior)
        return Outcome(status=RETRY, context_updates=updates, stats=stats, error=message)
    calls = result.total_tool_calls
    if not text.strip() and calls == 0 and (result.turns == 0 or result.usage.output_tokens == 0):
        if result.turns == 0:
            status = FAIL
            message = (
                f'node "{node.id}": agent session produced no output (0 tokens, 0 tool calls) '
                "— check provider/model configuration"
            )
        else:
            status = RETRY
            message = (
                f'node "{node.id}": provider returned empty API response '
                "(0 output tokens, 0 tool calls); retrying session"
            )
        updates = {LAST_RESPONSE: message, f"response.{node.id}": message}
        return Outcome(status=status, context_updates=updates, stats=stats, error=message)

    status, error = SUCCESS, ""
    updates = {LAST_RESPONSE: text, f"response.{node.id}": text}
    _episode_updates(updates, result, prior)
    limit_msg = turn_limit_message(node.id, result)
    if limit_msg:
        status, error = FAIL, limit_msg
        updates[TURN_LIMIT_MSG] = limit_msg
    elif settings.flag("auto_status", graph=False):
        status = parse_status(text) or SUCCESS
        if status != SUCCESS:
            error = f'node "{node.id}": agent reported STATUS: {status}'
    ok, extras = apply_declared_writes(node, text, updates)
    if not ok:
        status = FAIL
        error = error or updates.get("writes_error", "").split("\n", 1)[0]
    elif extras:
        updates["writes_warning"] = (
            f'node "{node.id}" produced extra JSON fields not declared in writes: '
            f"[{', '.join(extras)}]"
        )
    return Outcome(status=status, context_updates=updates, stats=stats, error=error)


def session_stats(result: SessionResult) -> SessionStats:
    """The reference's SessionStats from a session result (engine.md §4.2 item 9)."""
    u = result.usage
    return SessionStats(
        turns=result.turns,
        tool_calls=dict(result.tool_calls),
        total_tool_calls=result.total_tool_calls,
        files_modified=list(result.files_modified),
        files_created=list(result.files_created),
        compactions=result.compactions_applied,
        longest_turn=result.longest_turn,
        cache_hits=result.tool_cache_hits,
        cache_misses=result.tool_cache_misses,
        input_tokens=u.input_tokens,
        output_tokens=u.output_tokens,
        total_tokens=u.total_tokens,
        cost_usd=u.estimated_cost,
        reasoning_tokens=u.reasoning_tokens or 0,
        cache_read_tokens=u.cache_read_tokens or 0,
        cache_write_tokens=u.cache_write_tokens or 0,
        provider=result.provider,
    )


# --------------------------------------------------------------------------- running


async def _run_cancellable(coro: Any, cancelled: asyncio.Event) -> SessionResult:
    """Await the backend, abandoning it (and raising CancelledError) when the run is
    cancelled — the engine turns that into a clean `context cancelled` stop."""
    task = asyncio.ensure_future(coro)
    stop = asyncio.ensure_future(cancelled.wait())
    try:
        await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
    if task.cancelled():
        raise asyncio.CancelledError
    return task.result()


def _write_artifacts(
    env: NodeEnv,
    node: GraphNode,
    prompt: str,
    collector: TranscriptCollector,
    result: SessionResult,
    outcome: Outcome,
    fallback: str = "",
) -> None:
    node_dir = env.node_dir(node.id)
    if node_dir is None:
        return
    body = collector.transcript() or fallback or collector.text()
    response = f"{body}\n\n{result.summary()}" if result.session_id else body
    write_atomic(node_dir / "prompt.md", prompt, mode=0o644)
    write_atomic(node_dir / "response.md", response + "\n", mode=0o644)
    write_status_json(node_dir, outcome)
