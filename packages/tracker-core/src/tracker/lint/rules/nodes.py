"""Node-configuration lint: values outside their enum, missing timeouts and prompts, refs
to missing files, response formats, manager loops, budgets (DIP108–DIP119 except 112,
DIP126–DIP137, DIP144, DIP145, DIP148)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from tracker.dippin.ir import (
    AgentConfig,
    HumanConfig,
    ManagerLoopConfig,
    ParallelConfig,
    SubgraphConfig,
    ToolConfig,
)
from tracker.lint import catalog
from tracker.lint.context import LintContext
from tracker.lint.diagnostic import Diagnostic

from ._base import analysis, has_failure_route, is_outcome_fail_edge, q, rule

W, H = "warning", "hint"

RETRY_POLICIES = ("standard", "aggressive", "patient", "linear", "none")
FIDELITIES = ("full", "summary:high", "summary:medium", "summary:low", "compact", "truncate")
REASONING_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")
HUMAN_MODES = ("choice", "freeform", "interview", "yes_no")
RESPONSE_FORMATS = ("json_object", "json_schema")
AGENT_FIELDS = (
    "model",
    "provider",
    "prompt",
    "system_prompt",
    "max_turns",
    "response_format",
    "response_schema",
    "reasoning_effort",
    "fidelity",
    "auto_status",
    "goal_gate",
    "cache_tools",
    "compaction",
    "compaction_threshold",
    "tool_access",
)


def _one_of(values: tuple[str, ...]) -> str:
    return "expected one of: " + ", ".join(values)


@rule("DIP108", W, "unknown provider or model")
def dip108(ctx: LintContext) -> Iterator[Diagnostic]:
    d = ctx.workflow.defaults
    extra = ctx.extra_models
    checked: dict[tuple[str, str], tuple[bool, bool]] = {}
    for node in ctx.workflow.nodes:
        cfg = node.config
        if not isinstance(cfg, AgentConfig):
            continue
        model = cfg.model or d.model
        provider = cfg.provider or d.provider
        if not model or not provider or "${" in model or "${" in provider:
            continue
        verdict = checked.get((provider, model))
        if verdict is None:
            verdict = checked[(provider, model)] = (
                catalog.provider_known(provider, extra),
                catalog.model_known(provider, model, extra),
            )
        if not verdict[0]:
            yield ctx.diag(
                "DIP108",
                W,
                f"node {q(node.id)} uses unknown provider {q(provider)}",
                at=node.source,
                help="known providers: " + ", ".join(catalog.known_providers(extra)),
            )
        elif not verdict[1]:
            known = catalog.models_for(provider, extra)
            yield ctx.diag(
                "DIP108",
                W,
                f"node {q(node.id)} uses model {q(model)}, which is not a known {provider} model",
                at=node.source,
                help=f"known {provider} models: {', '.join(known[:12])}"
                + (", …" if len(known) > 12 else "")
                + " (extend with --extra-models)",
            )


@rule("DIP109", W, "two subgraph nodes with the same ref")
def dip109(ctx: LintContext) -> Iterator[Diagnostic]:
    first: dict[str, str] = {}
    for node in ctx.workflow.nodes:
        if not isinstance(node.config, SubgraphConfig) or not node.config.ref:
            continue
        ref = node.config.ref
        if ref not in first:
            first[ref] = node.id
            continue
        yield ctx.diag(
            "DIP109",
            W,
            f"subgraph {q(node.id)} uses ref {q(ref)}, already used by {q(first[ref])}",
            at=node.source,
            help="their context keys collide; give one of them distinct params or writes",
        )


@rule("DIP110", W, "agent with an empty prompt")
def dip110(ctx: LintContext) -> Iterator[Diagnostic]:
    wf = ctx.workflow
    for node in wf.nodes:
        cfg = node.config
        if not isinstance(cfg, AgentConfig) or node.id in (wf.start, wf.exit):
            continue
        if cfg.prompt_file or cfg.prompt_include or cfg.prompt.strip():
            continue
        yield ctx.diag(
            "DIP110",
            W,
            f"agent {q(node.id)} has no prompt",
            at=node.source,
            help="add `prompt:` (or `prompt_file:`)",
        )


@rule("DIP111", W, "tool without a timeout")
def dip111(ctx: LintContext) -> Iterator[Diagnostic]:
    for node in ctx.workflow.nodes:
        if isinstance(node.config, ToolConfig) and node.config.timeout == 0:
            yield ctx.diag(
                "DIP111",
                W,
                f"tool {q(node.id)} has no timeout; a hung command blocks the run",
                at=node.source,
                fix=f"add `timeout: 60s` to {node.id}",
            )


@rule("DIP113", W, "unknown retry_policy")
def dip113(ctx: LintContext) -> Iterator[Diagnostic]:
    d = ctx.workflow.defaults
    if d.retry_policy and d.retry_policy not in RETRY_POLICIES:
        yield ctx.diag(
            "DIP113",
            W,
            f"defaults retry_policy {q(d.retry_policy)} is not a known policy",
            at=d.source,
            help=_one_of(RETRY_POLICIES),
        )
    for node in ctx.workflow.nodes:
        p = node.retry.policy
        if p and p not in RETRY_POLICIES:
            yield ctx.diag(
                "DIP113",
                W,
                f"node {q(node.id)} has unknown retry_policy {q(p)}",
                at=node.source,
                help=_one_of(RETRY_POLICIES),
            )


@rule("DIP134", W, "node retries configured where restarts are meant")
def dip134(ctx: LintContext) -> Iterator[Diagnostic]:
    wf = ctx.workflow
    d = wf.defaults
    if d.max_retries == 0 or d.max_restarts != 0:
        return
    loop = next((e for e in wf.edges if e.restart), None)
    if loop is None:
        return
    yield ctx.diag(
        "DIP134",
        W,
        f"defaults set max_retries: {d.max_retries} but not max_restarts, while edge "
        f"{loop.from_} -> {loop.to} is a loop/restart edge",
        at=d.source,
        help="max_retries retries a failing node; loops are bounded by max_restarts",
    )


@rule("DIP114", W, "unknown fidelity")
def dip114(ctx: LintContext) -> Iterator[Diagnostic]:
    d = ctx.workflow.defaults
    if d.fidelity and d.fidelity not in FIDELITIES:
        yield ctx.diag(
            "DIP114",
            W,
            f"defaults fidelity {q(d.fidelity)} is not a known level",
            at=d.source,
            help=_one_of(FIDELITIES),
        )
    for node in ctx.workflow.nodes:
        cfg = node.config
        if isinstance(cfg, AgentConfig) and cfg.fidelity and cfg.fidelity not in FIDELITIES:
            yield ctx.diag(
                "DIP114",
                W,
                f"node {q(node.id)} has unknown fidelity {q(cfg.fidelity)}",
                at=node.source,
                help=_one_of(FIDELITIES),
            )
        elif isinstance(cfg, ParallelConfig):
            for b in cfg.branches:
                if b.fidelity and b.fidelity not in FIDELITIES:
                    yield ctx.diag(
                        "DIP114",
                        W,
                        f"parallel {q(node.id)} branch {q(b.target)} has unknown fidelity "
                        f"{q(b.fidelity)}",
                        at=b.source,
                        help=_one_of(FIDELITIES),
                    )


@rule("DIP115", W, "goal gate without a failure route")
def dip115(ctx: LintContext) -> Iterator[Diagnostic]:
    a = analysis(ctx)
    for node in ctx.workflow.nodes:
        cfg = node.config
        if isinstance(cfg, AgentConfig) and cfg.goal_gate and not has_failure_route(a, node):
            yield ctx.diag(
                "DIP115",
                W,
                f"agent {q(node.id)} is a goal gate but nothing handles its failure",
                at=node.source,
                help=f"add `{node.id} -> <Node> when ctx.outcome = fail` or a fallback_target",
            )


@rule("DIP116", W, "compaction_threshold or on_resume out of range")
def dip116(ctx: LintContext) -> Iterator[Diagnostic]:
    for node in ctx.workflow.nodes:
        cfg = node.config
        if isinstance(cfg, AgentConfig):
            t = cfg.compaction_threshold
            if t != 0 and not 0 <= t <= 1:
                yield ctx.diag(
                    "DIP116",
                    W,
                    f"agent {q(node.id)} has compaction_threshold {t}, outside 0..1",
                    at=node.source,
                    help="it is a fraction of the context window, e.g. 0.8",
                )
    d = ctx.workflow.defaults
    if d.on_resume and d.on_resume not in ("preserve", "degrade"):
        yield ctx.diag(
            "DIP116",
            W,
            f"defaults on_resume {q(d.on_resume)} is not preserve or degrade",
            at=d.source,
        )
    if d.on_resume and not d.fidelity:
        yield ctx.diag(
            "DIP116",
            W,
            "defaults set on_resume without a fidelity for it to act on",
            at=d.source,
            help="add `fidelity:` to defaults",
        )


def _unknown_agent_value(
    ctx: LintContext, code: str, field: str, allowed: Iterable[str]
) -> Iterator[Diagnostic]:
    """One warning per agent whose non-empty `field` is not one of `allowed`."""
    allowed = tuple(allowed)
    for node in ctx.workflow.nodes:
        value = getattr(node.config, field, "") if isinstance(node.config, AgentConfig) else ""
        if value and value not in allowed:
            yield ctx.diag(
                code,
                W,
                f"agent {q(node.id)} has unknown {field} {q(value)}",
                at=node.source,
                help=_one_of(allowed),
            )


@rule("DIP119", W, "unknown reasoning_effort")
def dip119(ctx: LintContext) -> Iterator[Diagnostic]:
    yield from _unknown_agent_value(ctx, "DIP119", "reasoning_effort", REASONING_EFFORTS)


@rule("DIP117", W, "stylesheet class selector matches no node")
def dip117(ctx: LintContext) -> Iterator[Diagnostic]:
    classes = {c for n in ctx.workflow.nodes for c in n.classes}
    for r in ctx.workflow.stylesheet:
        if r.selector.kind == "class" and r.selector.value not in classes:
            yield ctx.diag(
                "DIP117",
                W,
                f"stylesheet selector .{r.selector.value} matches no node's class",
                at=r.source,
            )


@rule("DIP118", W, "stylesheet id selector names no node")
def dip118(ctx: LintContext) -> Iterator[Diagnostic]:
    a = analysis(ctx)
    for r in ctx.workflow.stylesheet:
        if r.selector.kind == "id" and r.selector.value not in a.node_map:
            yield ctx.diag(
                "DIP118",
                W,
                f"stylesheet selector #{r.selector.value} names no declared node",
                at=r.source,
            )


def resolve_ref(ctx: LintContext, ref: str) -> Path | None:
    """Where a subgraph ref points, or None when it cannot be resolved here."""
    p = Path(ref)
    if p.is_absolute():
        return p
    if ctx.base_dir is None:
        return None
    return Path(ctx.base_dir) / p


def ref_missing(ctx: LintContext, ref: str) -> bool:
    path = resolve_ref(ctx, ref)
    if path is None:
        return False
    if path.is_file():
        return False
    return not (path.suffix != ".dip" and path.with_name(path.name + ".dip").is_file())


@rule("DIP126", W, "subgraph ref file does not exist")
def dip126(ctx: LintContext) -> Iterator[Diagnostic]:
    for node in ctx.workflow.nodes:
        cfg = node.config
        if isinstance(cfg, SubgraphConfig) and cfg.ref and ref_missing(ctx, cfg.ref):
            yield ctx.diag(
                "DIP126",
                W,
                f"subgraph {q(node.id)}: ref {q(cfg.ref)} does not exist",
                at=node.source,
                help="refs are resolved relative to this file's directory",
            )


@rule("DIP135", W, "manager_loop without a usable subgraph_ref")
def dip135(ctx: LintContext) -> Iterator[Diagnostic]:
    for node in ctx.workflow.nodes:
        cfg = node.config
        if not isinstance(cfg, ManagerLoopConfig):
            continue
        if not cfg.subgraph_ref:
            yield ctx.diag(
                "DIP135",
                W,
                f"manager_loop {q(node.id)} has no subgraph_ref",
                at=node.source,
                help="add `subgraph_ref: <child.dip>`",
            )
        elif ref_missing(ctx, cfg.subgraph_ref):
            yield ctx.diag(
                "DIP135",
                W,
                f"manager_loop {q(node.id)}: subgraph_ref {q(cfg.subgraph_ref)} does not exist",
                at=node.source,
            )


@rule("DIP136", W, "manager_loop values out of range")
def dip136(ctx: LintContext) -> Iterator[Diagnostic]:
    for node in ctx.workflow.nodes:
        cfg = node.config
        if not isinstance(cfg, ManagerLoopConfig):
            continue
        if cfg.poll_interval < 0:
            yield ctx.diag(
                "DIP136",
                W,
                f"manager_loop {q(node.id)} has a negative poll_interval",
                at=node.source,
            )
        if cfg.max_cycles < 0:
            yield ctx.diag(
                "DIP136",
                W,
                f"manager_loop {q(node.id)} has negative max_cycles {cfg.max_cycles}",
                at=node.source,
            )
        for k in sorted(cfg.steer_context):
            v = cfg.steer_context[k]
            if any(ch in k + v for ch in ",="):
                yield ctx.diag(
                    "DIP136",
                    W,
                    f"manager_loop {q(node.id)}: steer_context entry {q(k)} contains ',' or '=', "
                    "which the k=v,k=v encoding cannot carry",
                    at=node.source,
                )


@rule("DIP137", W, "manager_loop that never stops")
def dip137(ctx: LintContext) -> Iterator[Diagnostic]:
    for node in ctx.workflow.nodes:
        cfg = node.config
        if not isinstance(cfg, ManagerLoopConfig):
            continue
        has_stop = cfg.stop_condition is not None and cfg.stop_condition.raw.strip() != ""
        if not has_stop and cfg.max_cycles == 0:
            yield ctx.diag(
                "DIP137",
                W,
                f"manager_loop {q(node.id)} has neither stop_condition nor max_cycles and "
                "may run forever",
                at=node.source,
                help="add `stop_condition:` or `max_cycles:`",
            )


@rule("DIP127", W, "unknown human mode")
def dip127(ctx: LintContext) -> Iterator[Diagnostic]:
    for node in ctx.workflow.nodes:
        cfg = node.config
        if isinstance(cfg, HumanConfig) and cfg.mode and cfg.mode not in HUMAN_MODES:
            yield ctx.diag(
                "DIP127",
                W,
                f"human {q(node.id)} has unknown mode {q(cfg.mode)}",
                at=node.source,
                help=_one_of(HUMAN_MODES),
            )


@rule("DIP128", W, "interview gate with a default")
def dip128(ctx: LintContext) -> Iterator[Diagnostic]:
    for node in ctx.workflow.nodes:
        cfg = node.config
        if isinstance(cfg, HumanConfig) and cfg.mode == "interview" and cfg.default:
            yield ctx.diag(
                "DIP128",
                W,
                f"interview gate {q(node.id)} sets default {q(cfg.default)}, which interviews ignore",
                at=node.source,
                fix=f"remove `default:` from {node.id}",
            )


@rule("DIP129", W, "interview gate with labeled edges")
def dip129(ctx: LintContext) -> Iterator[Diagnostic]:
    a = analysis(ctx)
    for node in ctx.workflow.nodes:
        cfg = node.config
        if not isinstance(cfg, HumanConfig) or cfg.mode != "interview":
            continue
        labeled = [e for e in a.out_explicit.get(node.id, ()) if e.label]
        if len(labeled) >= 2:
            yield ctx.diag(
                "DIP129",
                W,
                f"interview gate {q(node.id)} has {len(labeled)} labeled edges, but an "
                "interview does not choose between labels",
                at=node.source,
                help="use mode: choice to pick a branch, or route on the answers afterwards",
            )


@rule("DIP130", W, "unknown response_format")
def dip130(ctx: LintContext) -> Iterator[Diagnostic]:
    yield from _unknown_agent_value(ctx, "DIP130", "response_format", RESPONSE_FORMATS)


@rule("DIP131", W, "response_schema and response_format disagree")
def dip131(ctx: LintContext) -> Iterator[Diagnostic]:
    for node in ctx.workflow.nodes:
        cfg = node.config
        if not isinstance(cfg, AgentConfig):
            continue
        if cfg.response_schema and cfg.response_format != "json_schema":
            yield ctx.diag(
                "DIP131",
                W,
                f"agent {q(node.id)} sets response_schema but response_format is "
                f"{q(cfg.response_format) if cfg.response_format else 'unset'}; the schema is ignored",
                at=node.source,
                fix=f"set `response_format: json_schema` on {node.id}",
            )
        elif cfg.response_format == "json_schema" and not cfg.response_schema:
            yield ctx.diag(
                "DIP131",
                H,
                f"agent {q(node.id)} uses response_format json_schema without a response_schema",
                at=node.source,
            )


@rule("DIP132", W, "response_schema is not valid JSON")
def dip132(ctx: LintContext) -> Iterator[Diagnostic]:
    for node in ctx.workflow.nodes:
        cfg = node.config
        if not isinstance(cfg, AgentConfig) or not cfg.response_schema.strip():
            continue
        try:
            json.loads(cfg.response_schema)
        except ValueError as exc:
            yield ctx.diag(
                "DIP132",
                W,
                f"agent {q(node.id)}: response_schema is not valid JSON ({exc})",
                at=node.source,
            )


@rule("DIP133", H, "agent params key shadows a first-class field")
def dip133(ctx: LintContext) -> Iterator[Diagnostic]:
    for node in ctx.workflow.nodes:
        cfg = node.config
        if not isinstance(cfg, AgentConfig):
            continue
        for k in sorted(cfg.params):
            if k in AGENT_FIELDS:
                yield ctx.diag(
                    "DIP133",
                    H,
                    f"agent {q(node.id)}: params key {q(k)} shadows the {k} field",
                    at=node.source,
                    fix=f"move `{k}` out of params into a `{k}:` field",
                )


@rule("DIP144", W, "agent without any failure route")
def dip144(ctx: LintContext) -> Iterator[Diagnostic]:
    a = analysis(ctx)
    wf = ctx.workflow
    graph_route = bool(wf.defaults.on_failure) and a.has(wf.defaults.on_failure)
    if graph_route:
        return
    for node in a.node_map.values():
        if not isinstance(node.config, AgentConfig) or node.id == wf.exit:
            continue
        if not a.edges_from(node.id):
            continue
        r = node.retry
        if r.fallback_target or r.fallback_retry_target or (r.retry_target and r.max_retries > 0):
            continue
        if any(is_outcome_fail_edge(e) for e in a.out_explicit.get(node.id, ())):
            continue
        yield ctx.diag(
            "DIP144",
            W,
            f"agent {q(node.id)} has no failure route; if it fails the run stops",
            at=node.source,
            help=f"add `{node.id} -> <Node> when ctx.outcome = fail`, a fallback_target, "
            "or `on_failure:` in defaults",
        )


@rule("DIP145", W, "negative budget value")
def dip145(ctx: LintContext) -> Iterator[Diagnostic]:
    d = ctx.workflow.defaults
    for name in ("max_total_tokens", "max_cost_cents", "max_wall_time", "stall_timeout"):
        if getattr(d, name) < 0:
            yield ctx.diag(
                "DIP145",
                W,
                f"defaults {name} is negative",
                at=d.source,
                help="use 0 for no limit",
            )


@rule("DIP148", W, "negative last_response_truncate")
def dip148(ctx: LintContext) -> Iterator[Diagnostic]:
    for node in ctx.workflow.nodes:
        cfg = node.config
        if isinstance(cfg, AgentConfig) and cfg.last_response_truncate < 0:
            yield ctx.diag(
                "DIP148",
                W,
                f"agent {q(node.id)} has negative last_response_truncate "
                f"{cfg.last_response_truncate}",
                at=node.source,
                help="use 0 to keep the whole response",
            )
        elif isinstance(cfg, ParallelConfig):
            for b in cfg.branches:
                if b.last_response_truncate < 0:
                    yield ctx.diag(
                        "DIP148",
                        W,
                        f"parallel {q(node.id)} branch {q(b.target)} has negative "
                        f"last_response_truncate {b.last_response_truncate}",
                        at=b.source,
                    )
