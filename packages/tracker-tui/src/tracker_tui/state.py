"""The dashboard's model (cli-tui.md §9.3–9.6, §9.9): node states, trail, log lines.

Pure Python, no textual: the widgets only render what this holds, so the event mapping is
testable on its own and the engine never waits on drawing."""

from __future__ import annotations

import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tracker.engine.events import PipelineEvent
    from tracker.graph.model import Graph

PENDING, RUNNING, DONE, FAILED, RETRYING, SKIPPED = (
    "pending",
    "running",
    "done",
    "failed",
    "retrying",
    "skipped",
)
SPINNER = "◐◓◑◒"
LAMPS = {PENDING: "○", DONE: "●", FAILED: "✖", RETRYING: "↻", SKIPPED: "⊘"}
MAX_LINES = 10_000
VERBOSITY = ("all", "tools", "errors", "reasoning")


@dataclass
class NodeState:
    """One row of the node list."""

    id: str
    label: str
    depth: int = 0
    status: str = PENDING
    message: str = ""
    tool: str = ""
    thinking_since: float | None = None
    started: float | None = None
    cost: float = 0.0
    cost_at_start: float = 0.0

    def lamp(self, frame: int = 0) -> str:
        """The status glyph of §9.3 (spinner frame while thinking)."""
        if self.status == RUNNING:
            if self.thinking_since is not None:
                return SPINNER[frame % len(SPINNER)]
            return "»" if self.tool else "◉"
        return LAMPS[self.status]

    def suffix(self, now: float) -> str:
        if self.status == RUNNING:
            if self.thinking_since is not None:
                return f"{int(now - self.thinking_since)}s"
            return self.tool
        if self.status == DONE and self.cost > 0.001:
            return f"${self.cost:.2f}"
        if self.status in (FAILED, RETRYING):
            return self.message
        return ""


@dataclass
class LogLine:
    """A committed activity-log line: text, kind (general/tool/error/reasoning), style."""

    text: str
    kind: str = "general"
    style: str = ""
    node: str = ""


def node_order(graph: Graph) -> list[str]:
    """Kahn's topological order, restart edges ignored, exit last (§9.3, `[PY]`
    declaration order where the reference iterates a map)."""
    ids = list(graph.node_order or graph.nodes)
    indeg = dict.fromkeys(ids, 0)
    for edge in graph.edges:
        if edge.attrs.get("restart") != "true" and edge.to in indeg:
            indeg[edge.to] += 1
    queue: deque[str] = deque()
    if graph.start_node in indeg and indeg[graph.start_node] == 0:
        queue.append(graph.start_node)
    queue.extend(n for n in ids if indeg[n] == 0 and n != graph.start_node)
    order: list[str] = []
    seen: set[str] = set(queue)
    while queue:
        node = queue.popleft()
        order.append(node)
        for edge in graph.outgoing(node):
            if edge.attrs.get("restart") == "true" or edge.to not in indeg:
                continue
            indeg[edge.to] -= 1
            if indeg[edge.to] <= 0 and edge.to not in seen:
                seen.add(edge.to)
                queue.append(edge.to)
    order.extend(n for n in ids if n not in seen)
    if graph.exit_node in order:
        order.remove(graph.exit_node)
        order.append(graph.exit_node)
    return order


def _subject(tool: str, content: str) -> str:
    try:
        args = json.loads(content) if content else {}
    except ValueError:
        args = content
    if not isinstance(args, dict):
        return str(args)
    for key in ("path", "file_path", "command", "pattern", "task", "query", "name", "url"):
        if args.get(key):
            return str(args[key])
    return ""


def _cut(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def tool_start_line(tool: str, content: str) -> LogLine:
    """`▸ $ cmd`, `▸ read path`, ... coloured by tool family (§9.5)."""
    subject = _cut(_subject(tool, content))
    if tool == "bash":
        return LogLine(f"▸ $ {subject}", "tool", "gold3")
    if tool in ("read", "write"):
        return LogLine(f"▸ {tool} {subject}", "tool", "steel_blue1")
    if tool in ("edit", "apply_patch"):
        return LogLine(f"▸ edit {subject}", "tool", "tan")
    if tool in ("grep", "glob"):
        return LogLine(f"▸ {tool} {subject}", "tool", "green")
    if tool == "spawn":
        return LogLine(f"▸ spawn: {subject}", "tool", "magenta")
    return LogLine(f"▸ {tool} {subject}".rstrip(), "tool", "")


@dataclass
class DashboardState:
    """Everything the dashboard shows, updated by `apply(event)`."""

    pipeline: str = ""
    run_id: str = ""
    nodes: dict[str, NodeState] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    path: list[str] = field(default_factory=list)
    lines: deque[LogLine] = field(default_factory=lambda: deque(maxlen=MAX_LINES))
    partial: dict[str, str] = field(default_factory=dict)
    last_source: str = ""
    verbosity: str = "all"
    focus: str = ""
    expand: bool = False
    verbose: bool = False
    cost: float = 0.0
    tokens: int = 0
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    outcome: str = ""
    durations: list[float] = field(default_factory=list)

    @classmethod
    def from_graph(cls, graph: Graph, pipeline: str = "", run_id: str = "") -> DashboardState:
        state = cls(pipeline=pipeline or graph.name, run_id=run_id)
        for node_id in node_order(graph):
            node = graph.nodes[node_id]
            state.nodes[node_id] = NodeState(node_id, node.label or node_id)
            state.order.append(node_id)
        return state

    # ------------------------------------------------------------------ queries

    def node(self, node_id: str) -> NodeState:
        """The row of `node_id`, inserting unknown `a/b` children after their parent."""
        if node_id not in self.nodes:
            parent = node_id.rsplit("/", 1)[0] if "/" in node_id else ""
            label = node_id.rsplit("/", 1)[-1]
            self.nodes[node_id] = NodeState(node_id, label, depth=node_id.count("/"))
            if parent in self.order:
                at = self.order.index(parent) + 1
                while at < len(self.order) and self.order[at].startswith(parent + "/"):
                    at += 1
                self.order.insert(at, node_id)
            else:
                self.order.append(node_id)
        return self.nodes[node_id]

    def running(self) -> list[NodeState]:
        return [self.nodes[n] for n in self.order if self.nodes[n].status == RUNNING]

    def done_count(self) -> int:
        return sum(1 for n in self.nodes.values() if n.status == DONE)

    def trail(self) -> list[tuple[str, int]]:
        """The visit path newest first, consecutive repeats collapsed to (id, count)."""
        out: list[tuple[str, int]] = []
        for node_id in reversed(self.path):
            if out and out[-1][0] == node_id:
                out[-1] = (node_id, out[-1][1] + 1)
            else:
                out.append((node_id, 1))
        return out

    def visible_lines(self) -> list[LogLine]:
        """Committed lines after the verbosity filter and the drill-down focus."""
        out = []
        for line in self.lines:
            if line.kind == "separator":
                if not self.focus:
                    out.append(line)
                continue
            if self.focus and line.node != self.focus:
                continue
            if self.verbosity != "all" and line.kind != self.verbosity.rstrip("s"):
                if not (self.verbosity == "errors" and line.kind == "error"):
                    continue
            out.append(line)
        return out

    def cycle_verbosity(self) -> str:
        self.verbosity = VERBOSITY[(VERBOSITY.index(self.verbosity) + 1) % len(VERBOSITY)]
        return self.verbosity

    # ------------------------------------------------------------------ the log

    def commit(self, node_id: str, line: LogLine) -> None:
        """Append one finished line, with a `─── <node>` separator on a change of source."""
        if node_id and node_id != self.last_source:
            self.lines.append(LogLine(f"─── {node_id} ", "separator", "dim", node_id))
            self.last_source = node_id
        line.node = node_id
        self.lines.append(line)

    def _text(self, node_id: str, chunk: str, kind: str) -> None:
        buffer = self.partial.get(node_id, "") + chunk
        *done, rest = buffer.split("\n")
        self.partial[node_id] = rest
        for text in done:
            if kind == "reasoning":
                if text.strip():
                    self.commit(node_id, LogLine(text, "reasoning", "grey50"))
            else:
                self.commit(node_id, LogLine(text, "general", _markdown_style(text)))

    # ------------------------------------------------------------------ events

    def apply(self, event: PipelineEvent) -> None:
        """Map one engine/agent event onto the state (§9.9)."""
        now = time.monotonic()
        node_id = event.node_id or (self.running()[0].id if self.running() else "")
        if event.run_id and not self.run_id:
            self.run_id = event.run_id
        if event.total_cost_usd:
            self.cost = event.total_cost_usd
        if event.total_tokens:
            self.tokens = event.total_tokens
        etype = event.type
        if event.source == "pipeline":
            self._pipeline(etype, node_id, event, now)
        else:
            self._agent(etype, node_id, event, now)

    def _pipeline(self, etype: str, node_id: str, event: PipelineEvent, now: float) -> None:
        if etype == "stage_started" and node_id:
            node = self.node(node_id)
            node.status, node.message, node.tool = RUNNING, "", ""
            node.started, node.cost_at_start = now, self.cost
            self.path.append(node_id)
        elif etype == "stage_completed" and node_id:
            node = self.node(node_id)
            node.status, node.thinking_since, node.tool = DONE, None, ""
            node.cost = max(0.0, self.cost - node.cost_at_start)
            if node.started is not None:
                self.durations.append(now - node.started)
        elif etype == "stage_failed" and node_id:
            node = self.node(node_id)
            node.status, node.thinking_since, node.tool = FAILED, None, ""
            node.message = event.error or event.message
            self.commit(node_id, LogLine(f"FAILED: {node.message}", "error", "red"))
        elif etype == "stage_retrying" and node_id:
            node = self.node(node_id)
            node.status, node.message = RETRYING, event.message
            self.commit(node_id, LogLine(f"RETRYING: {event.message}", "error", "dark_orange"))
        elif etype in ("pipeline_completed", "pipeline_failed", "budget_exceeded"):
            for node in self.nodes.values():
                if node.status == PENDING:
                    node.status = SKIPPED
            self.finished = now
            if etype == "pipeline_completed":
                self.outcome = "● Completed"
            elif etype == "budget_exceeded":
                self.outcome = "✖ Budget exceeded"
            elif not self.outcome:
                self.outcome = f"✖ Failed: {event.error or event.message}"
        elif etype == "validation_overridden":
            self.outcome = f"● Completed — validation override ({event.message})"

    def _agent(self, etype: str, node_id: str, event: PipelineEvent, now: float) -> None:
        node = self.node(node_id) if node_id else None
        content = event.content or ""
        if etype == "llm_request_start" and node is not None:
            node.thinking_since = now
        elif etype in ("llm_finish", "llm_request_end") and node is not None:
            node.thinking_since = None
        elif etype == "tool_call_start":
            if node is not None:
                node.tool, node.thinking_since = event.tool_name, None
            self.commit(node_id, tool_start_line(event.tool_name, content))
        elif etype == "tool_call_end":
            if node is not None:
                node.tool = ""
            self._tool_end(node_id, event.tool_name, content, event.error)
        elif etype == "text_delta" or (event.source == "llm" and etype == "text"):
            self._text(node_id, content, "general")
        elif etype in ("reasoning", "reasoning_delta"):
            self._text(node_id, content, "reasoning")
        elif etype == "error":
            self.commit(node_id, LogLine(f"ERROR: {event.error or content}", "error", "red"))
        elif etype == "verify":
            ok = "passed" in content
            text = f"✔ {content}" if ok else f"⚠ {content}"
            self.commit(node_id, LogLine(text, "general", "green" if ok else "dark_orange"))
        elif etype == "checkpoint":
            self.commit(node_id, LogLine(f"⏱ checkpoint: {content}", "general", "dim"))
        elif etype == "provider_raw" and self.verbose:
            self.commit(node_id, LogLine(content, "general", "dim"))

    def _tool_end(self, node_id: str, tool: str, content: str, error: str) -> None:
        if error:
            self.commit(node_id, LogLine(f"  ✗ {tool}: {error}", "error", "red"))
            return
        out = content.rstrip("\n").splitlines()
        if not out:
            self.commit(node_id, LogLine(f"  ✓ {tool}", "tool", "green"))
        elif len(out) > 4 and not self.expand:
            text = f"  ✓ {tool} ({len(out)} lines, ctrl+o to expand)"
            self.commit(node_id, LogLine(text, "tool", "green"))
        else:
            for text in out:
                self.commit(node_id, LogLine(f"  {text}", "tool", "dim"))

    def indicator(self, now: float) -> str:
        """The reserved bottom row: one entry per running node (§9.5)."""
        parts = []
        for node in self.running():
            if node.tool:
                parts.append(f"» {node.label}: {node.tool}")
            elif node.thinking_since is not None:
                parts.append(f"⟳ {node.label}: thinking... ({now - node.thinking_since:.1f}s)")
        return "   ".join(parts)


def _markdown_style(text: str) -> str:
    if text.startswith("# "):
        return "bold blue"
    if text.startswith("## "):
        return "bold grey70"
    if text.startswith("### "):
        return "bold"
    return ""


def fmt_tokens(n: int) -> str:
    if n < 1000:
        return str(n)
    if n < 1_000_000:
        return f"{n / 1000:.1f}k"
    return f"{n / 1_000_000:.1f}m"


def fmt_elapsed(seconds: float) -> str:
    s = int(seconds)
    return f"{s}s" if s < 60 else f"{s // 60}m{s % 60:02d}s"


def header_right(state: DashboardState, now: float) -> str:
    """`$0.42  12.3kt  1m05s` (§9.2)."""
    parts: list[str] = []
    if state.cost > 0:
        parts.append(f"${state.cost:.2f}")
    if state.tokens > 0:
        parts.append(f"{fmt_tokens(state.tokens)}t")
    parts.append(fmt_elapsed((state.finished or now) - state.started))
    return "  ".join(parts)


def progress(state: DashboardState, width: int = 20) -> str:
    """The status bar's left part (§9.6)."""
    total = len(state.nodes)
    done = state.done_count()
    if state.outcome:
        return state.outcome
    if state.running():
        filled = int(width * done / total) if total else 0
        text = "━" * filled + "─" * (width - filled) + f" {done}/{total}"
        recent = state.durations[-5:]
        if len(state.durations) >= 2 and sum(recent) / len(recent) >= 1:
            text += f" ~{fmt_elapsed(sum(recent) / len(recent) * (total - done))} left"
        return text
    lamps = "━".join(state.nodes[n].lamp() for n in state.order)
    return f"{lamps} {done}/{total}"
