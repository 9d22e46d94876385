"""Context, prompt and variable lint: `${…}` references, reads/writes data flow, condition
variables and workflow inputs (DIP106, 107, 112, 120–122, 124, 154–159)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from tracker.dippin.ir import (
    AgentConfig,
    Edge,
    HumanConfig,
    ManagerLoopConfig,
    SubgraphConfig,
    ToolConfig,
    Workflow,
)
from tracker.lint.context import LintContext
from tracker.lint.diagnostic import Diagnostic

from ._base import analysis, edge_leaves, levenshtein, q, rule

W, H, E = "warning", "hint", "error"

VAR_REF = re.compile(r"\$\{([^}]+)\}")
CTX_REF = re.compile(r"\$\{ctx\.[^}]+\}")
INPUT_REF = re.compile(r"\$\{inputs\.([^}]*)\}")
KNOWN_NAMESPACES = ("ctx", "graph", "params", "stack")
INPUT_TYPES = ("text", "number", "bool", "enum", "file", "secret")


def _node_scoped_ok(key: str, node_ids: dict) -> bool:
    """`node.<id>.<key>` with a declared `<id>` (callers strip a leading `ctx.`)."""
    parts = key.split(".", 2)
    return len(parts) == 3 and parts[0] == "node" and parts[1] in node_ids


def _var_ref_ok(body: str, node_ids: dict) -> bool:
    bare = body[4:] if body.startswith("ctx.") else body
    if bare.startswith("node."):
        return _node_scoped_ok(bare, node_ids)
    ns, dot, _ = body.partition(".")
    return bool(dot) and ns in KNOWN_NAMESPACES


@rule("DIP106", W, "unrecognised ${…} reference in an agent prompt")
def dip106(ctx: LintContext) -> Iterator[Diagnostic]:
    a = analysis(ctx)
    for node in ctx.workflow.nodes:
        if not isinstance(node.config, AgentConfig) or "${" not in node.config.prompt:
            continue
        for m in VAR_REF.finditer(node.config.prompt):
            body = m.group(1)
            if body.startswith("inputs.") or _var_ref_ok(body, a.node_map):
                continue
            bare = body[4:] if body.startswith("ctx.") else body
            if bare.startswith("node."):
                ref = bare.split(".", 2)
                help_ = (
                    f"node {q(ref[1])} is not declared"
                    if len(ref) >= 2 and ref[1] and ref[1] not in a.node_map
                    else "node-scoped references look like ${ctx.node.<id>.<key>}"
                )
            else:
                help_ = f"use a namespace: ${{ctx.{body}}}, ${{graph.{body}}} or ${{params.{body}}}"
            yield ctx.diag(
                "DIP106",
                W,
                f"node {q(node.id)}: prompt reference ${{{body}}} has no known namespace",
                at=node.source,
                help=help_,
            )


@rule("DIP107", W, "context key written but never read")
def dip107(ctx: LintContext) -> Iterator[Diagnostic]:
    reads = {k for n in ctx.workflow.nodes for k in n.io.reads}
    for node in ctx.workflow.nodes:
        for key in node.io.writes:
            if key and key not in reads:
                yield ctx.diag(
                    "DIP107",
                    W,
                    f"node {q(node.id)} writes {q(key)} but no node reads it",
                    at=node.source,
                    help=f"add `reads: {key}` where it is used, or drop the write",
                )


def _scoped_ref(key: str) -> str:
    """`<id>` of a `node.<id>.<key>` / `ctx.node.<id>.<key>` read, else ""."""
    parts = (key[4:] if key.startswith("ctx.") else key).split(".", 2)
    return parts[1] if len(parts) == 3 and parts[0] == "node" else ""


@rule("DIP112", W, "context key read with no upstream writer")
def dip112(ctx: LintContext) -> Iterator[Diagnostic]:
    """Kahn-order data flow, as the reference does: a node sees the writes of every
    processed ancestor (and its own once processed); nodes on an unbroken cycle are never
    processed and only see what reaches them from outside it. Keys and referenced nodes
    are bits of Python ints, and a node's set is dropped once its successors have it, so
    a 50,000-node chain stays fast and small."""
    a = analysis(ctx)
    wf = ctx.workflow
    if not a.start_ok:
        return
    written = {k for n in wf.nodes for k in n.io.writes}
    key_bit: dict[str, int] = {}
    ref_bit: dict[str, int] = {}
    for n in wf.nodes:
        for k in n.io.reads:
            if k in written:
                key_bit.setdefault(k, 1 << len(key_bit))
            ref = _scoped_ref(k)
            if ref:
                ref_bit.setdefault(ref, 1 << len(ref_bit))
    if not any(n.io.reads for n in wf.nodes):
        return
    adj = a.forward_adjacency(restart=False)
    indeg: dict[str, int] = dict.fromkeys(a.node_map, 0)
    for succs in adj.values():
        for t in succs:
            indeg[t] = indeg.get(t, 0) + 1
    avail: dict[str, int] = {}
    upstream: dict[str, int] = {}
    seen: dict[str, tuple[int, int]] = {}  # what each node with reads could see
    readers = {n.id for n in wf.nodes if n.io.reads}
    queue = [nid for nid in a.node_map if indeg[nid] == 0]
    i = 0
    while i < len(queue):
        cur = queue[i]
        i += 1
        mine = avail.pop(cur, 0)
        node = a.node_map.get(cur)
        if node is not None:
            for k in node.io.writes:
                mine |= key_bit.get(k, 0)
        up = upstream.pop(cur, 0)
        if cur in readers:
            seen[cur] = (mine, up)
        up |= ref_bit.get(cur, 0)
        for nxt in adj.get(cur, ()):
            prev = avail.get(nxt)
            avail[nxt] = mine if prev is None else prev | mine
            prev = upstream.get(nxt)
            upstream[nxt] = up if prev is None else prev | up
            indeg[nxt] -= 1
            if indeg[nxt] == 0:
                queue.append(nxt)
    for node in wf.nodes:
        if not node.io.reads:
            continue
        have, ups = seen.get(node.id) or (avail.get(node.id, 0), upstream.get(node.id, 0))
        for k in node.io.reads:
            if have & key_bit.get(k, 0):
                continue
            ref = _scoped_ref(k)
            if ref:
                if ref not in a.node_map:
                    msg = f"node {q(node.id)} reads {q(k)} but node {q(ref)} is not declared"
                elif not ups & ref_bit[ref]:
                    msg = f"node {q(node.id)} reads {q(k)} but node {q(ref)} is not upstream of it"
                else:
                    continue
            else:
                msg = f"node {q(node.id)} reads {q(k)} but no upstream node writes it"
            yield ctx.diag(
                "DIP112",
                W,
                msg,
                at=node.source,
                help=f"add `writes: {k}` to a node that runs before {node.id}",
            )


def _namespace_known(var: str, node_ids: dict) -> bool:
    if var.startswith("inputs.") and len(var) > 7:
        return True
    return _var_ref_ok(var, node_ids)


@rule("DIP120", W, "condition variable without a namespace")
def dip120(ctx: LintContext) -> Iterator[Diagnostic]:
    a = analysis(ctx)
    for e in ctx.workflow.edges:
        for cmp, _neg in edge_leaves(e):
            if _namespace_known(cmp.variable, a.node_map):
                continue
            yield ctx.diag(
                "DIP120",
                W,
                f"edge {e.from_} -> {e.to}: condition variable {q(cmp.variable)} has no "
                "namespace (ctx., graph., params., stack., inputs.)",
                at=e.source,
                help=f"write ctx.{cmp.variable}",
                fix=f"replace {cmp.variable} with ctx.{cmp.variable}",
            )


RESERVED_PREFIXES = (
    "ctx.outcome",
    "ctx.status",
    "ctx.tool_stdout",
    "ctx.tool_stderr",
    "ctx.tool_marker",
    "ctx.internal.",
    "graph.",
    "params.",
)


@rule("DIP121", W, "condition reads a key its source node does not write")
def dip121(ctx: LintContext) -> Iterator[Diagnostic]:
    a = analysis(ctx)
    for e in ctx.workflow.edges:
        src = a.node_map.get(e.from_)
        if src is None or not src.io.writes:
            continue
        writes = set(src.io.writes)
        for cmp, _neg in edge_leaves(e):
            var = cmp.variable
            if var.startswith(RESERVED_PREFIXES):
                continue
            key = var.split(".", 1)[1] if "." in var else var
            if key in writes:
                continue
            yield ctx.diag(
                "DIP121",
                W,
                f"edge {e.from_} -> {e.to}: condition reads {q(var)} but {e.from_} declares "
                f"writes: {', '.join(src.io.writes)}",
                at=e.source,
                help=f"add {key} to {e.from_}'s writes, or fix the variable name",
            )


@rule("DIP122", W, "condition value not among the tool's outputs")
def dip122(ctx: LintContext) -> Iterator[Diagnostic]:
    a = analysis(ctx)
    for e in ctx.workflow.edges:
        src = a.node_map.get(e.from_)
        if src is None or not isinstance(src.config, ToolConfig) or not src.config.outputs:
            continue
        outputs = set(src.config.outputs)
        for cmp, _neg in edge_leaves(e):
            values = [v.strip() for v in cmp.value.split(",")] if cmp.op == "in" else [cmp.value]
            for v in values:
                if v in outputs:
                    continue
                yield ctx.diag(
                    "DIP122",
                    W,
                    f"edge {e.from_} -> {e.to}: value {q(v)} is not one of tool "
                    f"{q(e.from_)}'s outputs ({', '.join(src.config.outputs)})",
                    at=e.source,
                    help="add it to `outputs:` or fix the value",
                )


@rule("DIP124", W, "${ctx.…} in a tool command")
def dip124(ctx: LintContext) -> Iterator[Diagnostic]:
    for node in ctx.workflow.nodes:
        if not isinstance(node.config, ToolConfig) or "${ctx." not in node.config.command:
            continue
        for m in CTX_REF.finditer(node.config.command):
            yield ctx.diag(
                "DIP124",
                W,
                f"tool {q(node.id)}: command uses {m.group(0)}, which tool commands may not "
                "expand (the node fails if the key is set, expands to nothing otherwise)",
                at=node.source,
                help="pass data through a file or ${params.…}/${graph.…} instead",
            )


@rule("DIP154", H, "prompt_prefix/suffix: none with no cascade to opt out of")
def dip154(ctx: LintContext) -> Iterator[Diagnostic]:
    d = ctx.workflow.defaults
    for node in ctx.workflow.nodes:
        cfg = node.config
        if not isinstance(cfg, AgentConfig):
            continue
        for side, value, has in (
            ("prefix", cfg.prompt_prefix, d.prompt_prefix or d.prompt_prefix_file),
            ("suffix", cfg.prompt_suffix, d.prompt_suffix or d.prompt_suffix_file),
        ):
            if value == "none" and not has:
                yield ctx.diag(
                    "DIP154",
                    H,
                    f"node {q(node.id)} opts out of the prompt {side} but defaults declare none",
                    at=node.source,
                    fix=f"remove `prompt_{side}: none` from {node.id}",
                )


@rule("DIP155", E, "unknown input type")
def dip155(ctx: LintContext) -> Iterator[Diagnostic]:
    for inp in ctx.workflow.inputs:
        if inp.type not in INPUT_TYPES:
            yield ctx.diag(
                "DIP155",
                E,
                f"input {q(inp.name)} has unknown type {q(inp.type)}",
                at=inp.source,
                help="types: " + ", ".join(INPUT_TYPES),
            )


def _condition_input_refs(wf: Workflow) -> Iterator[tuple[Edge, str]]:
    for e in wf.edges:
        for cmp, _neg in edge_leaves(e):
            if cmp.variable.startswith("inputs."):
                yield e, cmp.variable[7:]


@rule("DIP156", E, "reference to an undeclared input")
def dip156(ctx: LintContext) -> Iterator[Diagnostic]:
    wf = ctx.workflow
    declared = {i.name for i in wf.inputs}
    for node in wf.nodes:
        if not isinstance(node.config, AgentConfig) or "${inputs." not in node.config.prompt:
            continue
        for m in INPUT_REF.finditer(node.config.prompt):
            if m.group(1) not in declared:
                yield ctx.diag(
                    "DIP156",
                    E,
                    f"node {q(node.id)}: prompt references undeclared input {q(m.group(1))}",
                    at=node.source,
                    help=_declare_help(m.group(1), declared),
                )
    for e, name in _condition_input_refs(wf):
        if name not in declared:
            yield ctx.diag(
                "DIP156",
                E,
                f"edge {e.from_} -> {e.to}: condition references undeclared input {q(name)}",
                at=e.source,
                help=_declare_help(name, declared),
            )


def _declare_help(name: str, declared: set[str]) -> str:
    near = sorted(d for d in declared if levenshtein(name, d) <= 2)
    if near:
        return f"did you mean {q(near[0])}?"
    return f"declare it in the `inputs` block: `{name}: text`"


@rule("DIP157", E, "${inputs.…} in a tool command")
def dip157(ctx: LintContext) -> Iterator[Diagnostic]:
    for node in ctx.workflow.nodes:
        if not isinstance(node.config, ToolConfig) or "${inputs." not in node.config.command:
            continue
        for m in INPUT_REF.finditer(node.config.command):
            yield ctx.diag(
                "DIP157",
                E,
                f"tool {q(node.id)}: command uses ${{inputs.{m.group(1)}}}; inputs are never "
                "expanded into shell commands",
                at=node.source,
                help="have an agent or a file carry the value instead",
            )


_CONSTRAINT_TYPES = {
    "options": ("enum",),
    "pattern": ("text", "secret"),
    "max_length": ("text", "secret"),
    "multiline": ("text", "secret"),
    "min": ("number",),
    "max": ("number",),
}


def _float(s: str) -> float | None:
    try:
        return float(s)
    except ValueError:
        return None


@rule("DIP158", E, "inconsistent input constraints")
def dip158(ctx: LintContext) -> Iterator[Diagnostic]:
    for inp in ctx.workflow.inputs:
        problems: list[str] = []
        if inp.type == "enum" and inp.has_default and inp.default not in inp.options:
            problems.append(f"default {q(inp.default)} is not one of its options")
        if inp.type == "number" and inp.min and inp.max:
            lo, hi = _float(inp.min), _float(inp.max)
            if lo is not None and hi is not None and lo > hi:
                problems.append(f"min {inp.min} is greater than max {inp.max}")
        if inp.pattern:
            try:
                re.compile(inp.pattern)
            except re.error as exc:
                problems.append(f"pattern {q(inp.pattern)} is not a valid regex ({exc})")
        if inp.type in INPUT_TYPES:
            present = {
                "options": bool(inp.options),
                "pattern": bool(inp.pattern),
                "max_length": bool(inp.max_length),
                "multiline": inp.multiline,
                "min": bool(inp.min),
                "max": bool(inp.max),
            }
            for attr, allowed in _CONSTRAINT_TYPES.items():
                if present[attr] and inp.type not in allowed:
                    problems.append(f"`{attr}` does not apply to type {inp.type}")
        for p in problems:
            yield ctx.diag("DIP158", E, f"input {q(inp.name)}: {p}", at=inp.source)


def _input_mentions(wf: Workflow) -> set[str]:
    """Every input name referenced anywhere a value can flow from."""
    texts: list[str] = []
    for node in wf.nodes:
        cfg = node.config
        if isinstance(cfg, AgentConfig):
            texts += [cfg.prompt, cfg.system_prompt, *cfg.params.values()]
        elif isinstance(cfg, HumanConfig):
            texts.append(cfg.prompt)
        elif isinstance(cfg, ToolConfig):
            texts.append(cfg.command)
        elif isinstance(cfg, SubgraphConfig):
            texts += list(cfg.params.values())
        elif isinstance(cfg, ManagerLoopConfig):
            for c in (cfg.stop_condition, cfg.steer_condition):
                if c is not None:
                    texts.append(c.raw)
    found = {m.group(1) for t in texts if "${inputs." in t for m in INPUT_REF.finditer(t)}
    found |= {name for _e, name in _condition_input_refs(wf)}
    found |= {
        m.group(1) for t in texts for m in re.finditer(r"(?<![\w.])inputs\.([A-Za-z0-9_-]+)", t)
    }
    return found


@rule("DIP159", W, "declared input never used")
def dip159(ctx: LintContext) -> Iterator[Diagnostic]:
    wf = ctx.workflow
    if not wf.inputs:
        return
    used = _input_mentions(wf)
    for inp in wf.inputs:
        if inp.name not in used:
            yield ctx.diag(
                "DIP159",
                W,
                f"input {q(inp.name)} is declared but never referenced",
                at=inp.source,
                help=f"use ${{inputs.{inp.name}}} in a prompt, or remove the input",
            )
