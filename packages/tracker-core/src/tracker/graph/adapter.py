"""IR → Graph adapter (spec/dippin.md §11): flattens a Dippin Workflow into the string-attr
Graph the engine walks, with the same attribute names a legacy DOT file uses.

Only non-empty / non-zero values become attributes, so handlers apply their own defaults.
Designated start and exit nodes always get the `start` / `exit` handlers (design.md
Decisions), whatever kind they were declared as.
"""

from __future__ import annotations

import os

from tracker.dippin.ir import (
    AgentConfig,
    Condition,
    ConditionalConfig,
    Edge,
    FanInConfig,
    HumanConfig,
    ManagerLoopConfig,
    Node,
    ParallelConfig,
    RetryConfig,
    StylesheetRule,
    SubgraphConfig,
    ToolConfig,
    Workflow,
    WorkflowDefaults,
)
from tracker.dippin.values import format_duration_go
from tracker.gcpause import gc_paused
from tracker.graph.model import Graph, GraphEdge, GraphNode
from tracker.lint.diagnostic import Diagnostic, DippinError

#: Diagnostic code for adapter failures (tracker-owned, not a dippin code)
ADAPTER_ERROR_CODE = "TRK000"

#: IR kind -> (DOT shape, handler)
KIND_SHAPES: dict[str, tuple[str, str]] = {
    "agent": ("box", "codergen"),
    "human": ("hexagon", "wait.human"),
    "tool": ("parallelogram", "tool"),
    "parallel": ("component", "parallel"),
    "fan_in": ("tripleoctagon", "parallel.fan_in"),
    "subgraph": ("tab", "subgraph"),
    "conditional": ("diamond", "conditional"),
    "manager_loop": ("house", "stack.manager_loop"),
}

#: agent params promoted to first-class attrs (backend selection and tool policy)
PROMOTED_AGENT_PARAMS = (
    "backend",
    "acp_agent",
    "mcp_servers",
    "allowed_tools",
    "disallowed_tools",
    "max_budget_usd",
    "permission_mode",
    "tool_access",
)


def _fail(message: str, wf: Workflow, line: int = 0, column: int = 0) -> DippinError:
    diag = Diagnostic(
        code=ADAPTER_ERROR_CODE,
        severity="error",
        message=message,
        file=wf.source_file,
        line=line,
        column=column,
    )
    return DippinError([diag])


def _set(attrs: dict[str, str], key: str, value: str) -> None:
    if value:
        attrs[key] = value


def _set_int(attrs: dict[str, str], key: str, value: int) -> None:
    if value > 0:
        attrs[key] = str(value)


def _set_duration(attrs: dict[str, str], key: str, ns: int) -> None:
    if ns > 0:
        attrs[key] = format_duration_go(ns)


def _set_flag(attrs: dict[str, str], key: str, value: bool) -> None:
    if value:
        attrs[key] = "true"


def _spill(params: dict[str, str], attrs: dict[str, str]) -> None:
    """Copy params that no typed field already claimed (typed fields win)."""
    for k, v in params.items():
        attrs.setdefault(k, v)


def _sorted_pairs(m: dict[str, str], encode: bool = False) -> str:
    def enc(s: str) -> str:
        if not encode:
            return s
        return s.replace("%", "%25").replace(",", "%2C").replace("=", "%3D")

    return ",".join(f"{enc(k)}={enc(m[k])}" for k in sorted(m))


# --------------------------------------------------------------------------- graph level


def _defaults_attrs(d: WorkflowDefaults, attrs: dict[str, str]) -> None:
    _set(attrs, "llm_model", d.model)
    _set(attrs, "llm_provider", d.provider)
    _set(attrs, "tool_commands_allow", d.tool_commands_allow)
    _set(attrs, "tool_denylist_add", d.tool_denylist_add)
    _set(attrs, "default_retry_policy", d.retry_policy)
    _set_int(attrs, "default_max_retry", d.max_retries)
    _set(attrs, "default_fidelity", d.fidelity)
    _set_int(attrs, "max_restarts", d.max_restarts)
    _set(attrs, "restart_target", d.restart_target)
    _set(attrs, "fallback_target", d.on_failure)
    _set_flag(attrs, "cache_tool_results", d.cache_tools)
    _set(attrs, "context_compaction", d.compaction)
    _set(attrs, "on_resume", d.on_resume)
    _set_int(attrs, "max_total_tokens", d.max_total_tokens)
    _set_int(attrs, "max_cost_cents", d.max_cost_cents)
    _set_duration(attrs, "max_wall_time", d.max_wall_time)
    _set_duration(attrs, "stall_timeout", d.stall_timeout)


def _requires(requires: list[str]) -> str:
    cleaned = [r.strip() for r in requires if r.strip()]
    return ", ".join(dict.fromkeys(cleaned))


def serialize_stylesheet(rules: list[StylesheetRule]) -> str:
    """`selector { k: v; k2: v2; }` per rule, properties sorted, rules joined by a space."""
    parts: list[str] = []
    for rule in rules:
        sel = rule.selector
        selector = {"universal": "*", "class": "." + sel.value, "id": "#" + sel.value}.get(
            sel.kind, sel.value
        )
        props = "; ".join(f"{k}: {rule.properties[k]}" for k in sorted(rule.properties))
        parts.append(f"{selector} {{ {props}; }}")
    return " ".join(parts)


# --------------------------------------------------------------------------- node level


def _agent_attrs(cfg: AgentConfig, prompt: str, attrs: dict[str, str]) -> None:
    _set(attrs, "prompt", prompt)
    _set(attrs, "system_prompt", cfg.system_prompt)
    _set(attrs, "llm_model", cfg.model)
    _set(attrs, "llm_provider", cfg.provider)
    _set_int(attrs, "max_turns", cfg.max_turns)
    _set_duration(attrs, "command_timeout", cfg.cmd_timeout)
    _set_flag(attrs, "cache_tool_results", cfg.cache_tools)
    _set(attrs, "context_compaction", cfg.compaction)
    if cfg.compaction_threshold > 0:
        attrs["context_compaction_threshold"] = f"{cfg.compaction_threshold:.2f}"
    _set_int(attrs, "last_response_truncate", cfg.last_response_truncate)
    _set(attrs, "reasoning_effort", cfg.reasoning_effort)
    _set(attrs, "fidelity", cfg.fidelity)
    _set_flag(attrs, "auto_status", cfg.auto_status)
    _set_flag(attrs, "goal_gate", cfg.goal_gate)
    _set(attrs, "response_format", cfg.response_format)
    _set(attrs, "response_schema", cfg.response_schema)
    for key in PROMOTED_AGENT_PARAMS:
        _set(attrs, key, cfg.params.get(key, ""))
    _set(attrs, "backend", cfg.backend)
    _set(attrs, "working_dir", cfg.working_dir)
    if cfg.writable_paths:
        attrs["writable_paths"] = ",".join(cfg.writable_paths)
    elif "writable_paths" in cfg.params:
        # claim the key so a params spill cannot grant write access the typed field did not
        attrs["writable_paths"] = ""
    if cfg.tool_access.strip():
        attrs["tool_access"] = cfg.tool_access
    _spill(cfg.params, attrs)


def _human_attrs(cfg: HumanConfig, attrs: dict[str, str]) -> None:
    _set(attrs, "mode", cfg.mode)
    _set(attrs, "default_choice", cfg.default)
    _set(attrs, "questions_key", cfg.questions_key)
    _set(attrs, "answers_key", cfg.answers_key)
    _set(attrs, "prompt", cfg.prompt)
    _set_duration(attrs, "timeout", cfg.timeout)
    _set(attrs, "timeout_action", cfg.timeout_action)


def _tool_attrs(cfg: ToolConfig, attrs: dict[str, str]) -> None:
    _set(attrs, "tool_command", cfg.command)
    _set_duration(attrs, "timeout", cfg.timeout)
    _set(attrs, "marker_grep", cfg.marker_grep)
    _set_flag(attrs, "route_required", cfg.route_required)
    _set_int(attrs, "output_limit", cfg.output_limit)
    if cfg.outputs:
        attrs["outputs"] = ",".join(cfg.outputs)


def _parallel_attrs(cfg: ParallelConfig, attrs: dict[str, str]) -> None:
    if cfg.targets:
        attrs["parallel_targets"] = ",".join(cfg.targets)
    for i, branch in enumerate(cfg.branches):
        prefix = f"branch.{i}."
        attrs[prefix + "target"] = branch.target
        _set(attrs, prefix + "llm_model", branch.model)
        _set(attrs, prefix + "llm_provider", branch.provider)
        _set(attrs, prefix + "fidelity", branch.fidelity)
        if branch.tool_access.strip():
            attrs[prefix + "tool_access"] = branch.tool_access
        if branch.writable_paths:
            attrs[prefix + "writable_paths"] = ",".join(branch.writable_paths)
        _set_int(attrs, prefix + "last_response_truncate", branch.last_response_truncate)
    _spill(cfg.params, attrs)


def _condition_text(cond: Condition | None) -> str:
    """Raw text as written; a Parsed-only condition is rendered canonically."""
    if cond is None:
        return ""
    if cond.raw:
        return cond.raw
    if cond.parsed is not None:
        from tracker.dippin.conditions import render_condition

        return render_condition(cond.parsed)
    return ""


def _manager_loop_attrs(node: Node, cfg: ManagerLoopConfig, wf: Workflow) -> dict[str, str]:
    attrs: dict[str, str] = {}
    _set(attrs, "subgraph_ref", cfg.subgraph_ref)
    _set_duration(attrs, "poll_interval", cfg.poll_interval)
    _set_int(attrs, "max_cycles", cfg.max_cycles)
    _set(attrs, "stop_condition", _condition_text(cfg.stop_condition))
    _set(attrs, "steer_condition", _condition_text(cfg.steer_condition))
    for key in sorted(cfg.steer_context):
        if ":" in key:
            raise _fail(
                f"node {node.id}: steer_context key \"{key}\" contains ':', which cannot "
                "round-trip through the block form; rename the key",
                wf,
                node.source.line,
                node.source.column,
            )
    _set(attrs, "steer_context", _sorted_pairs(cfg.steer_context, encode=True))
    return attrs


def _retry_attrs(retry: RetryConfig, attrs: dict[str, str]) -> None:
    _set(attrs, "retry_policy", retry.policy)
    _set_int(attrs, "max_retries", retry.max_retries)
    _set_duration(attrs, "base_delay", retry.base_delay)
    _set(attrs, "retry_target", retry.retry_target)
    # dip 1 `fallback_target` and dip 2 `fallback_retry_target` are the same route
    _set(attrs, "fallback_retry_target", retry.fallback_target or retry.fallback_retry_target)


def _agent_prompt(wf: Workflow, node: Node, cfg: AgentConfig) -> str:
    """The effective prompt: the defaults prefix/suffix cascade and `prompt_include`
    composed around the body (spec §6) when the directives module can compose it."""
    try:
        from tracker.dippin.directives import compose_prompt
    except ImportError:  # pragma: no cover - directives ships with core
        return cfg.prompt
    return compose_prompt(wf, node)


def convert_node(wf: Workflow, node: Node) -> GraphNode:
    """One IR node as a graph node (shape, handler, flattened attrs)."""
    shape, handler = KIND_SHAPES[node.kind]
    attrs: dict[str, str] = {}
    cfg = node.config
    if isinstance(cfg, AgentConfig):
        _agent_attrs(cfg, _agent_prompt(wf, node, cfg), attrs)
    elif isinstance(cfg, HumanConfig):
        _human_attrs(cfg, attrs)
    elif isinstance(cfg, ToolConfig):
        _tool_attrs(cfg, attrs)
    elif isinstance(cfg, ParallelConfig):
        _parallel_attrs(cfg, attrs)
    elif isinstance(cfg, FanInConfig):
        if cfg.sources:
            attrs["fan_in_sources"] = ",".join(cfg.sources)
        _spill(cfg.params, attrs)
    elif isinstance(cfg, SubgraphConfig):
        _set(attrs, "subgraph_ref", cfg.ref)
        if cfg.params:
            attrs["subgraph_params"] = _sorted_pairs(cfg.params)
    elif isinstance(cfg, ManagerLoopConfig):
        attrs.update(_manager_loop_attrs(node, cfg, wf))
    elif not isinstance(cfg, ConditionalConfig):  # pragma: no cover - the IR union is closed
        raise _fail(f"node {node.id}: unknown config type {type(cfg).__name__}", wf)
    _retry_attrs(node.retry, attrs)
    if node.io.reads:
        attrs["reads"] = ",".join(node.io.reads)
    if node.io.writes:
        attrs["writes"] = ",".join(node.io.writes)
    return GraphNode(id=node.id, shape=shape, label=node.label, handler=handler, attrs=attrs)


def convert_edge(edge: Edge) -> GraphEdge:
    out = GraphEdge(
        **{"from": edge.from_, "to": edge.to},
        label=edge.label,
        choice=edge.choice,
        override=edge.override,
    )
    cond = _condition_text(edge.condition)
    if cond:
        out.condition = cond
        out.attrs["condition"] = cond
    if edge.weight > 0:
        out.attrs["weight"] = str(edge.weight)
    if edge.restart:
        out.attrs["restart"] = "true"
    return out


def _add_implicit_edges(wf: Workflow, graph: Graph) -> None:
    """Fork and join edges implied by inline parallel / fan_in declarations."""
    existing = {(e.from_, e.to) for e in graph.edges}

    def add(src: str, dst: str) -> None:
        if (src, dst) not in existing:
            existing.add((src, dst))
            graph.edges.append(GraphEdge(**{"from": src, "to": dst}))

    fan_in_by_source: dict[str, str] = {}
    for n in wf.nodes:
        if isinstance(n.config, FanInConfig):
            for src in n.config.sources:
                fan_in_by_source[src] = n.id  # a later fan_in wins, as in the reference

    for n in wf.nodes:
        cfg = n.config
        if isinstance(cfg, ParallelConfig):
            for target in cfg.targets:
                add(n.id, target)
            join = fan_in_by_source.get(cfg.targets[0]) if cfg.targets else None
            if join:
                add(n.id, join)
                if n.id in graph.nodes:
                    graph.nodes[n.id].attrs["parallel_join"] = join
        elif isinstance(cfg, FanInConfig):
            for src in cfg.sources:
                add(src, n.id)


def workflow_to_graph(wf: Workflow, workflow_dir: str = "") -> Graph:
    """Adapt a parsed (and directive-resolved) workflow into the engine's Graph.

    `workflow_dir` is the directory of the source file (seeded as graph attr
    `workflow_dir`); leave it empty for bundles and built-in workflows. The caller marks
    `dippin_validated` once Validate has passed. Raises DippinError on adapter errors.
    """
    if not wf.start:
        raise _fail("workflow has no start node (declare `start: <NodeID>`)", wf)
    if not wf.exit:
        raise _fail("workflow has no exit node (declare `exit: <NodeID>`)", wf)
    with gc_paused():  # the graph is acyclic and built in one go (tracker/gcpause.py)
        return _build_graph(wf, workflow_dir)


def _build_graph(wf: Workflow, workflow_dir: str) -> Graph:
    graph = Graph(name=wf.name, start_node=wf.start, exit_node=wf.exit)
    attrs = graph.attrs
    _set(attrs, "goal", wf.goal)
    _set(attrs, "version", wf.version)
    _defaults_attrs(wf.defaults, attrs)
    for key, value in wf.vars.items():
        attrs[f"params.{key}"] = value
    _set(attrs, "requires", _requires(wf.requires))
    if wf.stylesheet:
        attrs["model_stylesheet"] = serialize_stylesheet(wf.stylesheet)
    if workflow_dir:
        attrs["workflow_dir"] = os.path.abspath(workflow_dir)
    graph.inputs = [i.model_copy(deep=True) for i in wf.inputs]

    for node in wf.nodes:
        graph.nodes[node.id] = convert_node(wf, node)
    graph.node_order = list(dict.fromkeys(node.id for node in wf.nodes))

    for edge in wf.edges:
        if edge.override:
            src = graph.nodes.get(edge.from_)
            if src is None or src.shape != "hexagon":
                raise _fail(
                    f"edge {edge.from_} -> {edge.to}: override: true is only valid on edges "
                    "from human gate nodes",
                    wf,
                    edge.source.line,
                    edge.source.column,
                )
        graph.edges.append(convert_edge(edge))

    _add_implicit_edges(wf, graph)
    _force_start_exit(wf, graph)
    return graph


_PASSTHROUGH_AT_ENDS = frozenset({"", "codergen", "tool", "wait.human", "conditional"})


def _force_start_exit(wf: Workflow, graph: Graph) -> None:
    start = graph.nodes.get(wf.start)
    if start is None:
        raise _fail(f'start node "{wf.start}" is not declared in the workflow', wf)
    end = graph.nodes.get(wf.exit)
    if end is None:
        raise _fail(f'exit node "{wf.exit}" is not declared in the workflow', wf)
    if start is end:
        # A one-node workflow (start == exit, e.g. a subgraph child): its only node is the
        # work itself, so it keeps its own handler rather than becoming a no-op.
        end.shape = "Msquare"
        return
    # Agent/tool/human start and exit nodes are passthroughs (engine.md §1, design.md);
    # composite kinds keep their handler (golden `manager_loop`: its start node supervises).
    start.shape = "Mdiamond"
    if start.handler in _PASSTHROUGH_AT_ENDS:
        start.handler = "start"
    end.shape = "Msquare"
    if end.handler in _PASSTHROUGH_AT_ENDS:
        end.handler = "exit"
