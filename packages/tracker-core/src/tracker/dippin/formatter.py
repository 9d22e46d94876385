"""Canonical `.dip` writer behind `tracker fmt` (spec/dippin.md §16).

`format_workflow` turns a parsed IR back into source text in one canonical layout, so
that `parse(format_workflow(parse(x)))` yields the same IR as `parse(x)` and formatting is
idempotent. Every choice below that is not in §16 exists to keep that round trip exact:
values are quoted whenever the parser could otherwise misread them, and multiline text is
written as a raw block only when the block's de-indentation rule (§2.6) gives it back
unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from .conditions import render_condition
from .ir import (
    AgentConfig,
    CondCompare,
    CondExpr,
    Condition,
    ConditionalConfig,
    CondNot,
    Edge,
    FanInConfig,
    HumanConfig,
    Input,
    ManagerLoopConfig,
    Node,
    ParallelConfig,
    StylesheetRule,
    SubgraphConfig,
    ToolConfig,
    Workflow,
    WorkflowDefaults,
)
from .values import format_duration_short
from .views import outcome_channel

__all__ = ["format_workflow", "is_redundant_fan_edge", "format_scalar"]

_INDENT = "  "
_EMPTY = '""'
_BARE_RE = re.compile(r"[A-Za-z0-9_\-./:]+")
# An edge attribute value is a single lexer token: `:` would split it and a leading
# `_`/`-`/`.`/`/` would be skipped or mis-lexed, so the bare form is stricter there.
_EDGE_TOKEN_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-./]*")
_OUTCOME_TOKEN_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
# Words the edge-line parser treats specially; as attribute values they are quoted.
_EDGE_WORDS = frozenset(
    {"when", "on", "loop", "label", "choice", "weight", "restart", "override", "else"}
)


# --------------------------------------------------------------------------- scalars


def _quote(value: str) -> str:
    """Double-quote so that the parser's unquote (`\\"`→`"` then `\\\\`→`\\`) inverts it."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_scalar(value: str) -> str:
    """§16 rule 6: bare when every char is an ASCII letter/digit or `_ - . / :`, else quoted."""
    if value == "":
        return '""'
    if _BARE_RE.fullmatch(value):
        return value
    return _quote(value)


def _edge_value(value: str) -> str:
    """A `label:`/`choice:` value must come back as exactly one token."""
    if _EDGE_TOKEN_RE.fullmatch(value) and value not in _EDGE_WORDS:
        return value
    return _quote(value)


def _verbatim_safe(value: str) -> bool:
    """True when `key: value` written raw re-reads as `value` (§2.5 extraction rules)."""
    if not value or value != value.strip() or "\n" in value or "\r" in value:
        return False
    if value[0] in "\"'#":
        return False
    return " #" not in value and "\t#" not in value


def _block_safe(value: str) -> bool:
    """Whether a raw block (§2.6) reproduces `value`: the first line sets the de-indent
    baseline, so it must not start with whitespace; trailing blank lines are dropped."""
    lines = value.split("\n")
    first, last = lines[0], lines[-1]
    if not first.strip() or first[0] in " \t":
        return False
    if not last.strip():
        return False
    return "\r" not in value


def _format_float(value: float) -> str:
    """Shortest round-tripping form, `.0` appended when integral (§16 rule 8)."""
    if value.is_integer() and abs(value) < 1e16:
        return f"{int(value)}.0"
    return repr(value)


def _csv(items: Iterable[str]) -> str:
    return ", ".join(items)


# --------------------------------------------------------------------------- writer


class _Writer:
    """Accumulates indented lines; block content is appended without re-stripping."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.level = 0

    def line(self, text: str) -> None:
        self.lines.append((_INDENT * self.level + text).rstrip(" \t"))

    def blank(self) -> None:
        self.lines.append("")

    def push(self) -> None:
        self.level += 1

    def pop(self) -> None:
        self.level -= 1

    def block(self, key: str, content: str) -> None:
        """`key:` then every content line one level deeper; empty lines stay empty.

        The parser keeps a block line's trailing whitespace, so it is written back as-is:
        output carries trailing spaces only where the value itself does."""
        self.line(f"{key}:")
        prefix = _INDENT * (self.level + 1)
        for text in content.split("\n"):
            self.lines.append(prefix + text if text else "")

    def scalar(self, key: str, value: str) -> None:
        """A plain string field: inline (bare or quoted), or a block if it spans lines."""
        if "\n" in value:
            self.block(key, value)
        else:
            self.line(f"{key}: {format_scalar(value)}")

    def text(self, key: str, value: str) -> None:
        """A prose field (prompt, command, …): a block when that is lossless, else inline.

        Multi-line text whose first line starts with whitespace (or that ends in blank
        lines) has no exact `.dip` spelling; it is written as a block and loses that
        whitespace, as it would in any hand-written block."""
        if _block_safe(value) or "\n" in value:
            self.block(key, value)
        else:
            self.line(f"{key}: {format_scalar(value)}")

    def raw(self, key: str, value: str) -> None:
        """A field kept as raw text by the parser (manager-loop conditions): written
        verbatim when the line re-reads the same, else quoted or as a block."""
        if "\n" in value:
            self.block(key, value)
        elif _verbatim_safe(value):
            self.line(f"{key}: {value}")
        else:
            self.line(f"{key}: {format_scalar(value)}")

    def mapping(self, key: str, values: Mapping[str, str]) -> None:
        """Sorted `k: v` block (params, steer_context, subgraph inputs)."""
        if not values:
            return
        self.line(f"{key}:")
        self.push()
        for k in sorted(values):
            self.line(f"{k}: {format_scalar(values[k])}")
        self.pop()

    def render(self) -> str:
        while self.lines and not self.lines[-1].strip():
            self.lines.pop()
        return "\n".join(self.lines) + "\n"


# --------------------------------------------------------------------------- sections


def format_workflow(wf: Workflow) -> str:
    """Render `wf` in canonical Dippin form (exactly one trailing newline)."""
    w = _Writer()
    if wf.header_comment:
        for comment in wf.header_comment:
            w.line(comment)
        w.blank()
    if wf.version_int > 1:
        w.line(f"dip {wf.version_int}")
        w.blank()
    w.line(f"workflow {wf.name}")
    w.push()
    _write_header(w, wf)
    if wf.inputs:
        w.blank()
        _write_inputs(w, wf.inputs)
    if _defaults_present(wf.defaults):
        w.blank()
        _write_defaults(w, wf.defaults)
    if wf.vars:
        w.blank()
        w.line("vars")
        w.push()
        for key in sorted(wf.vars):
            w.scalar(key, wf.vars[key])
        w.pop()
    dip2 = wf.version_int > 1
    for node in wf.nodes:
        w.blank()
        _write_node(w, node, dip2)
    if wf.stylesheet:
        w.blank()
        _write_stylesheet(w, wf.stylesheet)
    visible = [e for e in wf.edges if not is_redundant_fan_edge(wf, e)]
    if visible or wf.else_target:
        w.blank()
        w.line("edges")
        w.push()
        for edge in visible:
            w.line(_edge_line(wf, edge))
        if wf.else_target:
            w.line(f"else -> {wf.else_target}")
        w.pop()
    return w.render()


def _write_header(w: _Writer, wf: Workflow) -> None:
    if wf.goal:
        w.scalar("goal", wf.goal)
    if wf.requires:
        w.line(f"requires: {_csv(wf.requires)}")
    if wf.start:
        w.line(f"start: {wf.start}")
    if wf.exit:
        w.line(f"exit: {wf.exit}")


def _write_inputs(w: _Writer, inputs: list[Input]) -> None:
    """Declaration order is meaningful (hosts render a form from it), so never sorted."""
    w.line("inputs")
    w.push()
    for inp in inputs:
        w.line(f"{inp.name}: {inp.type or _EMPTY}")
        w.push()
        if inp.required:
            w.line("required: true")
        if inp.prompt:
            w.scalar("prompt", inp.prompt)
        if inp.description:
            w.scalar("description", inp.description)
        if inp.has_default:
            w.scalar("default", inp.default)
        if inp.options:
            w.line(f"options: {_csv(inp.options)}")
        if inp.pattern:
            w.scalar("pattern", inp.pattern)
        if inp.min:
            w.scalar("min", inp.min)
        if inp.max:
            w.scalar("max", inp.max)
        if inp.max_length:
            w.line(f"max_length: {inp.max_length}")
        if inp.multiline:
            w.line("multiline: true")
        w.pop()
    w.pop()


def _defaults_present(d: WorkflowDefaults) -> bool:
    return any(
        getattr(d, name) != field.get_default(call_default_factory=True)
        for name, field in WorkflowDefaults.model_fields.items()
        if name != "source"
    )


def _write_defaults(w: _Writer, d: WorkflowDefaults) -> None:
    w.line("defaults")
    w.push()
    _opt_scalar(w, "model", d.model)
    _opt_scalar(w, "provider", d.provider)
    _opt_scalar(w, "retry_policy", d.retry_policy)
    _opt_int(w, "max_retries", d.max_retries)
    _opt_scalar(w, "fidelity", d.fidelity)
    _opt_int(w, "max_restarts", d.max_restarts)
    _opt_id(w, "restart_target", d.restart_target)
    _opt_id(w, "on_failure", d.on_failure)
    _opt_bool(w, "cache_tools", d.cache_tools)
    _opt_scalar(w, "compaction", d.compaction)
    _opt_scalar(w, "on_resume", d.on_resume)
    _opt_int(w, "max_total_tokens", d.max_total_tokens)
    _opt_int(w, "max_cost_cents", d.max_cost_cents)
    _opt_duration(w, "max_wall_time", d.max_wall_time)
    _opt_duration(w, "stall_timeout", d.stall_timeout)
    _opt_scalar(w, "tool_commands_allow", d.tool_commands_allow)
    _opt_scalar(w, "tool_denylist_add", d.tool_denylist_add)
    _opt_scalar(w, "prompt_prefix", d.prompt_prefix)
    _opt_scalar(w, "prompt_prefix_file", d.prompt_prefix_file)
    _opt_scalar(w, "prompt_suffix", d.prompt_suffix)
    _opt_scalar(w, "prompt_suffix_file", d.prompt_suffix_file)
    _opt_scalar(w, "system_prompt_file", d.system_prompt_file)
    w.pop()


# --------------------------------------------------------------------------- field helpers


def _opt_scalar(w: _Writer, key: str, value: str) -> None:
    if value:
        w.scalar(key, value)


def _opt_text(w: _Writer, key: str, value: str) -> None:
    if value:
        w.text(key, value)


def _opt_id(w: _Writer, key: str, value: str) -> None:
    if value:
        w.line(f"{key}: {value}")


def _opt_int(w: _Writer, key: str, value: int) -> None:
    if value:
        w.line(f"{key}: {value}")


def _opt_bool(w: _Writer, key: str, value: bool) -> None:
    if value:
        w.line(f"{key}: true")


def _opt_duration(w: _Writer, key: str, ns: int) -> None:
    if ns:
        w.line(f"{key}: {format_duration_short(ns)}")


def _opt_list(w: _Writer, key: str, items: list[str]) -> None:
    if items:
        w.line(f"{key}: {_csv(items)}")


# --------------------------------------------------------------------------- nodes


def _write_node(w: _Writer, node: Node, dip2: bool) -> None:
    cfg = node.config
    if isinstance(cfg, ParallelConfig):
        _write_parallel(w, node.id, cfg)
        return
    if isinstance(cfg, FanInConfig):
        w.line(f"fan_in {node.id} <- {_csv(cfg.sources)}")
        w.push()
        w.mapping("params", cfg.params)
        w.pop()
        return
    w.line(f"{node.kind} {node.id}")
    w.push()
    start = len(w.lines)
    _opt_scalar(w, "label", node.label)
    _opt_list(w, "class", node.classes)
    if isinstance(cfg, AgentConfig):
        _write_agent(w, node, cfg, dip2)
    elif isinstance(cfg, HumanConfig):
        _write_human(w, node, cfg, dip2)
    elif isinstance(cfg, ToolConfig):
        _write_tool(w, node, cfg, dip2)
    elif isinstance(cfg, SubgraphConfig):
        _opt_scalar(w, "ref", cfg.ref)
        _write_retry_io(w, node)
        w.mapping("inputs" if dip2 else "params", cfg.params)
    elif isinstance(cfg, ManagerLoopConfig):
        _write_manager_loop(w, node, cfg, dip2)
    elif isinstance(cfg, ConditionalConfig):
        _write_retry_io(w, node)
    if len(w.lines) == start:
        # An empty node body is a parse error; an explicit empty label keeps the IR.
        w.line('label: ""')
    w.pop()


def _write_retry(w: _Writer, node: Node) -> None:
    r = node.retry
    _opt_scalar(w, "retry_policy", r.policy)
    _opt_int(w, "max_retries", r.max_retries)
    _opt_duration(w, "base_delay", r.base_delay)
    _opt_id(w, "retry_target", r.retry_target)
    _opt_id(w, "fallback_target", r.fallback_target)
    _opt_id(w, "fallback_retry_target", r.fallback_retry_target)


def _write_io(w: _Writer, node: Node) -> None:
    _opt_list(w, "reads", node.io.reads)
    _opt_list(w, "writes", node.io.writes)


def _write_retry_io(w: _Writer, node: Node) -> None:
    _write_retry(w, node)
    _write_io(w, node)


def _write_agent(w: _Writer, node: Node, cfg: AgentConfig, dip2: bool) -> None:
    _opt_scalar(w, "model", cfg.model)
    _opt_scalar(w, "provider", cfg.provider)
    _opt_scalar(w, "reasoning_effort", cfg.reasoning_effort)
    _opt_scalar(w, "fidelity", cfg.fidelity)
    _opt_scalar(w, "backend", cfg.backend)
    _opt_scalar(w, "working_dir", cfg.working_dir)
    _opt_scalar(w, "tool_access", cfg.tool_access)
    _opt_list(w, "writable_paths", cfg.writable_paths)
    _opt_int(w, "last_response_truncate", cfg.last_response_truncate)
    _opt_scalar(w, "response_format", cfg.response_format)
    _opt_text(w, "response_schema", cfg.response_schema)
    _opt_bool(w, "goal_gate", cfg.goal_gate)
    _opt_bool(w, "auto_status", cfg.auto_status)
    _opt_int(w, "max_turns", cfg.max_turns)
    _opt_duration(w, "cmd_timeout", cfg.cmd_timeout)
    _opt_bool(w, "cache_tools", cfg.cache_tools)
    _opt_scalar(w, "compaction", cfg.compaction)
    if cfg.compaction_threshold:
        w.line(f"compaction_threshold: {_format_float(cfg.compaction_threshold)}")
    w.mapping("params", cfg.params)
    _write_retry_io(w, node)
    # A directive wins over resolved content: the file stays the source of truth.
    if cfg.system_prompt_file:
        w.scalar("system_prompt_file", cfg.system_prompt_file)
    else:
        _opt_text(w, "system_prompt", cfg.system_prompt)
    if cfg.prompt_file:
        w.scalar("prompt_file", cfg.prompt_file)
    else:
        _opt_text(w, "prompt", cfg.prompt)
    _opt_scalar(w, "prompt_include", cfg.prompt_include)
    _opt_scalar(w, "prompt_prefix", cfg.prompt_prefix)
    _opt_scalar(w, "prompt_suffix", cfg.prompt_suffix)


def _write_human(w: _Writer, node: Node, cfg: HumanConfig, dip2: bool) -> None:
    _opt_scalar(w, "mode", cfg.mode)
    _opt_scalar(w, "default", cfg.default)
    _opt_scalar(w, "questions_key", cfg.questions_key)
    _opt_scalar(w, "answers_key", cfg.answers_key)
    _opt_duration(w, "timeout", cfg.timeout)
    _opt_scalar(w, "timeout_action", cfg.timeout_action)
    _write_retry_io(w, node)
    _opt_text(w, "prompt", cfg.prompt)


def _write_tool(w: _Writer, node: Node, cfg: ToolConfig, dip2: bool) -> None:
    _opt_list(w, "outputs", cfg.outputs)
    _opt_scalar(w, "marker_grep", cfg.marker_grep)
    _opt_bool(w, "route_required", cfg.route_required)
    _opt_int(w, "output_limit", cfg.output_limit)
    _opt_duration(w, "timeout", cfg.timeout)
    _write_retry_io(w, node)
    if cfg.command_file:
        w.scalar("command_file", cfg.command_file)
    else:
        _opt_text(w, "command", cfg.command)


def _write_manager_loop(w: _Writer, node: Node, cfg: ManagerLoopConfig, dip2: bool) -> None:
    _write_retry_io(w, node)
    _opt_scalar(w, "subgraph_ref", cfg.subgraph_ref)
    _opt_duration(w, "poll_interval", cfg.poll_interval)
    _opt_int(w, "max_cycles", cfg.max_cycles)
    for key, cond in (
        ("stop_condition", cfg.stop_condition),
        ("steer_condition", cfg.steer_condition),
    ):
        text = _manager_condition_text(cond)
        if text:
            w.raw(key, text)
    w.mapping("steer_context", cfg.steer_context)


def _manager_condition_text(cond: Condition | None) -> str:
    """Raw wins: the field stores the author's text and the parser re-reads it verbatim."""
    if cond is None:
        return ""
    if cond.raw:
        return cond.raw
    if cond.parsed is not None:
        return render_condition(cond.parsed)
    return ""


def _write_parallel(w: _Writer, node_id: str, cfg: ParallelConfig) -> None:
    """Inline unless the IR holds branch entries (only the block form produces them)."""
    if not cfg.branches:
        w.line(f"parallel {node_id} -> {_csv(cfg.targets)}")
        w.push()
        w.mapping("params", cfg.params)
        w.pop()
        return
    w.line(f"parallel {node_id}")
    w.push()
    for b in cfg.branches:
        w.line(f"branch: {b.target}")
        w.push()
        _opt_scalar(w, "model", b.model)
        _opt_scalar(w, "provider", b.provider)
        _opt_scalar(w, "fidelity", b.fidelity)
        _opt_scalar(w, "tool_access", b.tool_access)
        _opt_list(w, "writable_paths", b.writable_paths)
        _opt_int(w, "last_response_truncate", b.last_response_truncate)
        w.pop()
    w.mapping("params", cfg.params)
    w.pop()


# --------------------------------------------------------------------------- stylesheet


def _selector_text(rule: StylesheetRule) -> str:
    sel = rule.selector
    return {"universal": "*", "class": "." + sel.value, "id": "#" + sel.value}.get(
        sel.kind, sel.value
    )


def _write_stylesheet(w: _Writer, rules: list[StylesheetRule]) -> None:
    """Rules by specificity then selector value; properties sorted by key."""
    ordered = sorted(rules, key=lambda r: (r.selector.specificity, r.selector.value))
    chunks: list[str] = []
    for rule in ordered:
        body = [_selector_text(rule)]
        body += [
            f"{_INDENT}{k}: {format_scalar(rule.properties[k])}" for k in sorted(rule.properties)
        ]
        chunks.append("\n".join(body))
    w.block("stylesheet", "\n\n".join(chunks))


# --------------------------------------------------------------------------- edges


def is_redundant_fan_edge(wf: Workflow, edge: Edge) -> bool:
    """An unconditional, attribute-free edge that repeats an inline fork/join (§3.9)."""
    if edge.condition is not None or edge.label or edge.choice or edge.weight:
        return False
    if edge.restart or edge.override:
        return False
    src, dst = wf.node(edge.from_), wf.node(edge.to)
    if src is not None and isinstance(src.config, ParallelConfig):
        if edge.to in src.config.targets:
            return True
    if dst is not None and isinstance(dst.config, FanInConfig):
        if edge.from_ in dst.config.sources:
            return True
    return False


_PRECEDENCE = {"or": 1, "and": 2, "not": 3, "compare": 4}
_WORD_OPS = frozenset({"contains", "startswith", "endswith", "in"})


def _render_edge_condition(expr: CondExpr) -> str:
    """`render_condition`'s canonical shape, but with values quoted whenever the edge-line
    lexer would not give them back as one token (`a:b`, `_x`, `loop`, …)."""
    if isinstance(expr, CondCompare):
        return f"{expr.variable} {expr.op} {_edge_value(expr.value)}"
    if isinstance(expr, CondNot):
        inner = expr.inner
        if isinstance(inner, CondCompare) and inner.op in _WORD_OPS:
            return f"{inner.variable} not {inner.op} {_edge_value(inner.value)}"
        return "not " + _render_edge_child(inner, _PRECEDENCE["not"], right=False)
    prec = _PRECEDENCE[expr.type]
    left = _render_edge_child(expr.left, prec, right=False)
    right = _render_edge_child(expr.right, prec, right=True)
    return f"{left} {expr.type} {right}"


def _render_edge_child(child: CondExpr, parent_prec: int, right: bool) -> str:
    """Parenthesise lower-precedence children and a same-precedence right operand
    (and/or are left-associative)."""
    text = _render_edge_condition(child)
    prec = _PRECEDENCE[child.type]
    if prec < parent_prec or (right and prec == parent_prec and prec < _PRECEDENCE["not"]):
        return f"({text})"
    return text


def _condition_text(cond: Condition) -> str:
    """Re-rendered from the AST when one is attached, else the token-joined raw text."""
    if cond.parsed is not None:
        return _render_edge_condition(cond.parsed)
    return cond.raw


def _edge_line(wf: Workflow, edge: Edge) -> str:
    parts = [f"{edge.from_} -> {edge.to}"]
    if edge.condition is not None:
        text = _condition_text(edge.condition)
        channel = outcome_channel(wf, edge.from_)
        token = text[len(channel) + 3 :] if channel else ""
        if channel and text.startswith(channel + " = ") and _OUTCOME_TOKEN_RE.fullmatch(token):
            parts.append(f"on {token}")
        elif text:
            parts.append(f"when {text}")
        else:
            # `when` with nothing after it still marks the edge conditional (§4.2).
            parts.append("when")
    if edge.label:
        parts.append(f"label: {_edge_value(edge.label)}")
    if edge.choice:
        parts.append(f"choice: {_edge_value(edge.choice)}")
    if edge.weight:
        parts.append(f"weight: {edge.weight}")
    if edge.restart:
        parts.append("loop")
    if edge.override:
        parts.append("override: true")
    return "  ".join(parts)
