"""`tracker simulate <pipeline>`: render the dry-run report exactly as cli-tui §7.4."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tracker.cli.errors import CliError
from tracker.cli.registry import cli_registry
from tracker.cli.report import print_load_failure, print_notices, resolve_for_command, short_form

if TYPE_CHECKING:
    from tracker.loader import LoadedPipeline
    from tracker.simulation import PlanStep, SimEdge, SimNode, SimulationReport

HEAVY = "═"
LIGHT = "─"
NODE_ATTRS = ("llm_model", "llm_provider", "retry_policy", "max_retries", "fidelity", "prompt")


def _rule(title: str, fill: str, width: int) -> str:
    return f"{fill * 3} {title} {fill * width}"


def _validation_sections(loaded: LoadedPipeline) -> list[str]:
    errors = [short_form(d) for d in loaded.errors] + list(loaded.graph_errors)
    warnings = [short_form(d) for d in loaded.warnings] + list(loaded.graph_warnings)
    lines: list[str] = []
    if errors:
        lines += ["", "=== Validation Errors ==="] + [f"  ! {e}" for e in errors]
    if warnings:
        lines += ["", "=== Validation Warnings ==="] + [f"  ~ {w}" for w in warnings]
    return lines


def _one_line(value: str, limit: int = 60) -> str:
    """Multi-line prompts would swamp the table: show the first line, clipped."""
    first, _, rest = value.strip().partition("\n")
    if len(first) > limit or rest:
        return first[:limit].rstrip() + "..."
    return first


def _node_rows(node: SimNode) -> list[str]:
    node_id = node.id if len(node.id) <= 20 else node.id[:17] + "..."
    rows = [f"  {node_id:<20}  {node.handler:<15}  {node.shape:<12}  {node.label}"]
    rows += [f"  {'':<20}  > {k}={_one_line(node.attrs[k])}" for k in NODE_ATTRS if k in node.attrs]
    return rows


def _annotation(edge: SimEdge, sep: str) -> str:
    text = f"{sep}[{edge.label}]" if edge.label else ""
    if edge.condition:
        text += f"{sep}(when: {edge.condition})"
    return text


def _plan_rows(step: PlanStep, node: SimNode | None, exit_node: str) -> list[str]:
    label = (node.label if node else "") or step.node_id
    handler = node.handler if node else ""
    rows = [f"  {step.step:>2}. {label}  ({handler})"]
    rows += [f"      └─> {e.to}{_annotation(e, ' ')}" for e in step.edges]
    if not step.edges and step.node_id != exit_node:
        rows.append("      ! dead end (no outgoing edges)")
    return rows


def render_report(report: SimulationReport, display_name: str) -> str:
    lines = ["", _rule("Pipeline Simulation", HEAVY, 38)]
    lines += [
        f"  Pipeline:  {report.name or display_name}",
        f"  Nodes:     {len(report.nodes)}",
        f"  Edges:     {len(report.edges)}",
        f"  Start:     {report.start_node}",
        f"  Exit:      {report.exit_node}",
    ]
    if report.graph_attrs:
        lines += ["", "  Graph Attributes:"]
        lines += [f"    {k} = {report.graph_attrs[k]}" for k in sorted(report.graph_attrs)]
    lines += ["", _rule("Nodes", LIGHT, 52)]
    lines.append(f"  {'ID':<20}  {'Handler':<15}  {'Shape':<12}  Label")
    lines.append(f"  {'──':<20}  {'───────':<15}  {'─────':<12}  ─────")
    for node in report.nodes:
        lines += _node_rows(node)
    lines += ["", _rule("Edges", LIGHT, 52)]
    lines += [f"  {e.from_} -> {e.to}{_annotation(e, '  ')}" for e in report.edges]
    lines += ["", _rule("Execution Plan", LIGHT, 42)]
    lines += ["  (simulated BFS traversal from start node)", ""]
    if not report.start_node:
        lines.append("  ! No start node found")
    else:
        by_id = {n.id: n for n in report.nodes}
        for step in report.execution_plan:
            lines += _plan_rows(step, by_id.get(step.node_id), report.exit_node)
        if report.unreachable:
            lines += ["", f"  ! Unreachable nodes: {', '.join(report.unreachable)}"]
    lines.append(HEAVY * 58)
    return "\n".join(lines) + "\n"


def run_simulate(pipeline: str | None, *, fmt: str | None = None) -> int:
    if not pipeline:
        raise CliError("usage: tracker simulate <pipeline.dip>")
    from tracker.loader import load_pipeline
    from tracker.simulation import simulate_graph

    cli_registry()
    source = resolve_for_command(pipeline, fmt)
    loaded = load_pipeline(source)
    print_notices(loaded)
    if loaded.failed or loaded.graph is None:
        print_load_failure(loaded)
        return 1
    text = "\n".join(_validation_sections(loaded))
    if text:
        print(text)
    report = simulate_graph(loaded.graph)
    report.format = source.format
    print(render_report(report, source.name), end="")
    return 0
