"""Tool-safety lint: `tool_access`, `writable_paths` and data flowing from a tool-less
agent into one with tools (DIP139–DIP143, DIP147)."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from pathlib import Path

from tracker.dippin.ir import (
    AgentConfig,
    BranchConfig,
    ManagerLoopConfig,
    Node,
    ParallelConfig,
    SubgraphConfig,
)
from tracker.lint.context import LintContext
from tracker.lint.diagnostic import Diagnostic

from ._base import analysis, bfs, q, rule
from .nodes import resolve_ref

W, H = "warning", "hint"

TOOL_PARAM_KEYS = ("allowed_tools", "disallowed_tools", "tool_choice", "permission_mode")


def _holders(ctx: LintContext) -> Iterator[tuple[Node, AgentConfig | BranchConfig, str]]:
    """Agents and parallel branches (with a label for messages)."""
    for node in ctx.workflow.nodes:
        cfg = node.config
        if isinstance(cfg, AgentConfig):
            yield node, cfg, f"agent {q(node.id)}"
        elif isinstance(cfg, ParallelConfig):
            for b in cfg.branches:
                yield node, b, f"parallel {q(node.id)} branch {q(b.target)}"


def _where(node: Node, cfg: AgentConfig | BranchConfig):
    return cfg.source if isinstance(cfg, BranchConfig) else node.source


@rule("DIP139", W, "unknown tool_access value")
def dip139(ctx: LintContext) -> Iterator[Diagnostic]:
    for node, cfg, who in _holders(ctx):
        if cfg.tool_access.strip().lower() not in ("", "none"):
            yield ctx.diag(
                "DIP139",
                W,
                f"{who} has tool_access {q(cfg.tool_access)}; only `none` is supported and "
                "anything else fails closed at run time",
                at=_where(node, cfg),
                fix="use `tool_access: none` or remove the field",
            )


@rule("DIP140", W, "params re-enable tools on a restricted agent")
def dip140(ctx: LintContext) -> Iterator[Diagnostic]:
    for node in ctx.workflow.nodes:
        cfg = node.config
        if not isinstance(cfg, AgentConfig) or not cfg.tool_access.strip():
            continue
        for k in sorted(cfg.params):
            if k in TOOL_PARAM_KEYS:
                yield ctx.diag(
                    "DIP140",
                    W,
                    f"agent {q(node.id)} sets tool_access but params.{k} configures tools "
                    "behind its back",
                    at=node.source,
                    fix=f"remove params.{k}",
                )


@rule("DIP141", W, "writable_paths on an agent with no tools")
def dip141(ctx: LintContext) -> Iterator[Diagnostic]:
    for node, cfg, who in _holders(ctx):
        if cfg.writable_paths and cfg.tool_access.strip().lower() == "none":
            yield ctx.diag(
                "DIP141",
                W,
                f"{who} has writable_paths but tool_access: none, so it cannot write anything",
                at=_where(node, cfg),
            )


_DRIVE = re.compile(r"^[A-Za-z]:")


def writable_path_problem(entry: str) -> str:
    """Why a writable_paths glob escapes the workspace, or ""."""
    norm = entry.replace("\\", "/")
    if entry.startswith(("/", "\\")) or _DRIVE.match(entry):
        return "is absolute"
    if entry.startswith("~"):
        return "points into a home directory"
    if "{" in entry or "}" in entry:
        return "contains a brace fragment (commas split `*.{a,b}` into pieces)"
    if ".." in posixpath.normpath(norm).split("/"):
        return "climbs out of the workspace with .."
    return ""


@rule("DIP142", W, "writable_paths entry escapes the workspace")
def dip142(ctx: LintContext) -> Iterator[Diagnostic]:
    for node, cfg, who in _holders(ctx):
        for entry in cfg.writable_paths:
            why = writable_path_problem(entry)
            if why:
                yield ctx.diag(
                    "DIP142",
                    W,
                    f"{who}: writable_paths entry {q(entry)} {why}",
                    at=_where(node, cfg),
                    help="use workspace-relative globs such as src/**",
                )


def declares_tool_access(ctx: LintContext) -> bool:
    return any(cfg.tool_access.strip() for _n, cfg, _w in _holders(ctx))


def child_refs(ctx: LintContext) -> Iterator[tuple[Node, str]]:
    """(node, ref) for every subgraph / manager_loop pointing at another file."""
    for node in ctx.workflow.nodes:
        cfg = node.config
        ref = (
            cfg.ref
            if isinstance(cfg, SubgraphConfig)
            else cfg.subgraph_ref
            if isinstance(cfg, ManagerLoopConfig)
            else ""
        )
        if ref and not _is_self(ctx, ref):
            yield node, ref


def _is_self(ctx: LintContext, ref: str) -> bool:
    if not ctx.file:
        return False
    target = resolve_ref(ctx, ref)
    if target is None:
        return Path(ref).name == Path(ctx.file).name
    try:
        return target.resolve() == Path(ctx.file).resolve()
    except OSError:
        return False


@rule("DIP143", H, "tool restrictions do not reach subgraph children")
def dip143(ctx: LintContext) -> Iterator[Diagnostic]:
    if not declares_tool_access(ctx):
        return
    for node, ref in child_refs(ctx):
        yield ctx.diag(
            "DIP143",
            H,
            f"node {q(node.id)} runs {q(ref)}; tool_access restrictions in this workflow do "
            "not apply to the child's agents",
            at=node.source,
            help="set tool_access in the child workflow too",
        )


@rule("DIP147", H, "tool-restricted agent's output read by an agent with tools")
def dip147(ctx: LintContext) -> Iterator[Diagnostic]:
    a = analysis(ctx)
    agents = [n for n in a.node_map.values() if isinstance(n.config, AgentConfig)]
    readers: dict[str, list[Node]] = {}
    for n in agents:
        assert isinstance(n.config, AgentConfig)
        if not n.config.tool_access.strip():
            for k in n.io.reads:
                readers.setdefault(k, []).append(n)
    if not readers:
        return
    adj = None
    for w in agents:
        assert isinstance(w.config, AgentConfig)
        if w.config.tool_access.strip().lower() != "none":
            continue
        keys = [k for k in dict.fromkeys(w.io.writes) if k in readers]
        if not keys:
            continue
        if adj is None:
            adj = a.forward_adjacency(restart=True)
        downstream = bfs(adj.get(w.id, ()), adj)
        for k in keys:
            for r in readers[k]:
                if r.id in downstream and r.id != w.id:
                    yield ctx.diag(
                        "DIP147",
                        H,
                        f"agent {q(r.id)} (with tools) reads {q(k)}, written by tool-restricted "
                        f"agent {q(w.id)}; untrusted text can steer a tool-bearing agent",
                        at=r.source,
                        help=f"restrict {r.id} too, or review what {w.id} can write",
                    )
