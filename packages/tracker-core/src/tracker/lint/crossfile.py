"""Checks that need a workflow's children: tool restrictions that stop at a subgraph
boundary (DIP146, deep DIP143) and required child inputs a call site omits (DIP160).

They read other files, so they are not lint rules; the CLI/loader runs them after
`check_workflow` when the workflow came from disk (not from a `.dipx` bundle).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tracker.dippin.ir import (
    AgentConfig,
    ManagerLoopConfig,
    Node,
    ParallelConfig,
    SubgraphConfig,
    Workflow,
)
from tracker.lint.context import LintContext
from tracker.lint.diagnostic import Diagnostic
from tracker.lint.rules._base import q

LoadChild = Callable[[str], Workflow | None]

#: how deep subgraph chains are followed (deeper boundaries stay unresolved)
MAX_DEPTH = 32


class Posture(enum.Enum):
    """A child workflow's tool_access stance."""

    UNRESOLVED = "unresolved"  # missing, unparsable or too deep
    NO_INTENT = "no-intent"  # has agents, none restricts tools
    FULL = "full"  # every agent restricted
    PARTIAL = "partial"  # some restricted, at least one agent still open
    AGENTLESS = "agentless"  # no agents at all


def boundary_ref(node: Node) -> str:
    cfg = node.config
    if isinstance(cfg, SubgraphConfig):
        return cfg.ref
    if isinstance(cfg, ManagerLoopConfig):
        return cfg.subgraph_ref
    return ""


def declares_tool_access(wf: Workflow) -> bool:
    for n in wf.nodes:
        cfg = n.config
        if isinstance(cfg, AgentConfig) and cfg.tool_access.strip():
            return True
        if isinstance(cfg, ParallelConfig) and any(b.tool_access.strip() for b in cfg.branches):
            return True
    return False


def classify(child: Workflow) -> Posture:
    """Only agents count: a branch's restriction is path-local, so it never makes a child
    fully restricted (but it does keep it out of NO_INTENT)."""
    agents = [n for n in child.nodes if isinstance(n.config, AgentConfig)]
    if not agents:
        return Posture.AGENTLESS
    if not declares_tool_access(child):
        return Posture.NO_INTENT
    restricted = sum(1 for n in agents if n.config.tool_access.strip())  # type: ignore[union-attr]
    return Posture.FULL if restricted == len(agents) else Posture.PARTIAL


def _kind(node: Node) -> str:
    return "manager_loop" if isinstance(node.config, ManagerLoopConfig) else "subgraph"


@dataclass
class _Walk:
    ctx: LintContext
    load_child: LoadChild
    diagnostics: list[Diagnostic] = field(default_factory=list)
    #: posture of each entry-level boundary node (by node id) — decides DIP143 supersession
    entry_postures: dict[str, Posture] = field(default_factory=dict)
    visited: set[str] = field(default_factory=set)

    def load(
        self, ref: str, parent_dir: Path | None, depth: int
    ) -> tuple[Workflow | None, Path | None]:
        """Load a child; entry-level refs go to `load_child` as written, deeper ones as a
        path resolved against their parent's directory."""
        if depth == 0 or parent_dir is None:
            arg = ref
            base = self.ctx.base_dir
            path = (
                (Path(base) / ref)
                if base is not None and not Path(ref).is_absolute()
                else Path(ref)
            )
        else:
            path = Path(ref) if Path(ref).is_absolute() else parent_dir / ref
            arg = str(path)
        try:
            child = self.load_child(arg)
        except Exception:  # noqa: BLE001 - a broken child is "unresolved", never a crash
            child = None
        return child, path

    def walk(self, wf: Workflow, wf_dir: Path | None, intent: bool, depth: int) -> None:
        for node in wf.nodes:
            ref = boundary_ref(node)
            if not ref:
                continue
            child, path = self.load(ref, wf_dir, depth)
            posture = classify(child) if child is not None else Posture.UNRESOLVED
            if depth == 0:
                self.entry_postures[node.id] = posture
            if intent and posture is Posture.NO_INTENT:
                self.diagnostics.append(
                    self.ctx.diag(
                        "DIP146",
                        "hint",
                        f"{_kind(node)} {q(node.id)} runs {q(ref)}, whose agents have no "
                        "tool_access restriction, while a workflow on this path restricts "
                        "tools; the restriction does not cross the boundary",
                        at=node.source,
                        help="give the child's agents their own tool_access (e.g. none)",
                    )
                )
            elif intent and depth > 0 and posture in (Posture.PARTIAL, Posture.UNRESOLVED):
                self.diagnostics.append(
                    self.ctx.diag(
                        "DIP143",
                        "hint",
                        f"{_kind(node)} {q(node.id)} (inside a child workflow) runs {q(ref)}; "
                        "tool_access restrictions on the path above do not apply there",
                        at=node.source,
                        help="set tool_access in that workflow too",
                    )
                )
            if child is None or path is None or depth + 1 >= MAX_DEPTH:
                continue
            key = _key(path)
            if key in self.visited:
                continue
            self.visited.add(key)
            self.walk(child, path.parent, intent or declares_tool_access(child), depth + 1)


def _key(path: Path) -> str:
    try:
        return str(path.resolve())
    except OSError:
        return str(path)


def _tool_access_pass(ctx: LintContext, load_child: LoadChild) -> _Walk:
    w = _Walk(ctx, load_child)
    if ctx.file:
        w.visited.add(_key(Path(ctx.file)))
    base = Path(ctx.base_dir) if ctx.base_dir is not None else None
    w.walk(ctx.workflow, base, declares_tool_access(ctx.workflow), 0)
    return w


def _missing_inputs(ctx: LintContext, load_child: LoadChild) -> Iterator[Diagnostic]:
    for node in ctx.workflow.nodes:
        cfg = node.config
        if not isinstance(cfg, SubgraphConfig) or not cfg.ref:
            continue
        try:
            child = load_child(cfg.ref)
        except Exception:  # noqa: BLE001
            child = None
        if child is None:
            continue
        for inp in child.inputs:
            if inp.required and inp.name not in cfg.params:
                yield ctx.diag(
                    "DIP160",
                    "warning",
                    f"subgraph {q(node.id)} does not pass required input {q(inp.name)} of "
                    f"{q(cfg.ref)}; the child starts with it unset",
                    at=node.source,
                    help=f"bind {inp.name} in this node's params (`inputs:` under dip 2), "
                    "or give the child input a default",
                )


def cross_file_checks(ctx: LintContext, load_child: LoadChild) -> list[Diagnostic]:
    """DIP146 and deep DIP143 (tool-access boundaries, followed transitively), then
    DIP160 (required child inputs). `load_child(ref)` resolves a ref relative to
    `ctx.base_dir` (absolute paths for deeper children) and returns None when the file
    is missing or does not parse."""
    walk = _tool_access_pass(ctx, load_child)
    return walk.diagnostics + list(_missing_inputs(ctx, load_child))


def apply_cross_file_checks(
    diagnostics: list[Diagnostic], ctx: LintContext, load_child: LoadChild
) -> list[Diagnostic]:
    """`diagnostics` (from `check_workflow`) with the cross-file findings appended and
    each entry-level DIP143 dropped where the child was resolved conclusively (no
    intent → DIP146 replaces it; fully restricted or agent-less → nothing to warn)."""
    walk = _tool_access_pass(ctx, load_child)
    conclusive = {Posture.NO_INTENT, Posture.FULL, Posture.AGENTLESS}
    settled = {
        (n.source.line, n.source.column)
        for n in ctx.workflow.nodes
        if walk.entry_postures.get(n.id) in conclusive
    }
    kept = [d for d in diagnostics if not (d.code == "DIP143" and (d.line, d.column) in settled)]
    return kept + walk.diagnostics + list(_missing_inputs(ctx, load_child))
