"""How the Dippin front end scales with pipeline size.

Generates workflows of 500, 5,000 and 50,000 nodes with a realistic mix - chains of
tool -> agent -> test tool with fix loops, parallel fan-out to three agents and a fan-in,
a review agent and a human gate per segment, conditional edges throughout - and prints,
per size, the time to parse, to validate + lint, and to adapt to the runtime graph and run
tracker's graph checks, plus the growth ratio between sizes (target: 5,000 nodes < 1 s in
total; time per node roughly constant, i.e. linear growth).

    .venv/bin/python bench/parse_scale.py [--sizes 500,5000,50000] [--repeat 3] [--write DIR]

Standard library + tracker only.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

NODES_PER_SEGMENT = 11
TARGET_5000_SECONDS = 1.0


def segment(k: int, prev: str, nodes: list[str], edges: list[str]) -> str:
    """Append one 11-node segment after node `prev`; return its last node."""
    s = f"S{k}"
    nodes.append(
        f"""
  tool {s}Build
    label: "Build step {k}"
    timeout: 2m
    command:
      set -eu
      make build 2>&1
      printf 'built-{k}\\n'

  agent {s}Implement
    label: "Implement step {k}"
    model: claude-sonnet-4-6
    provider: anthropic
    reasoning_effort: high
    prompt:
      Implement part {k} of the plan in .ai/plan.md.
      Previous build output: ${{ctx.node.{s}Build.tool_stdout}}

  tool {s}Test
    label: "Test step {k}"
    timeout: 10m
    command:
      make test 2>&1

  agent {s}Fix
    label: "Fix step {k}"
    prompt:
      The tests failed: ${{ctx.tool_stdout}}
      Fix the code, not the tests.

  parallel {s}Fan -> {s}ReviewA, {s}ReviewB, {s}ReviewC

  agent {s}ReviewA
    label: "Correctness review {k}"
    model: claude-opus-4-6
    prompt: Review part {k} for correctness.

  agent {s}ReviewB
    label: "Security review {k}"
    model: gpt-5.2
    provider: openai
    prompt: Review part {k} for security problems.

  agent {s}ReviewC
    label: "Design review {k}"
    model: gemini-3-pro-preview
    provider: gemini
    prompt: Review part {k} for design problems.

  fan_in {s}Join <- {s}ReviewA, {s}ReviewB, {s}ReviewC

  agent {s}Synthesize
    label: "Synthesise reviews {k}"
    auto_status: true
    prompt:
      Merge the three reviews of part {k}. End with STATUS: success or STATUS: fail.

  human {s}Gate
    label: "Approve step {k}?"
    mode: freeform
    default: approve
"""
    )
    edges += [
        f"    {prev} -> {s}Build",
        f"    {s}Build -> {s}Implement  when ctx.outcome = success",
        f"    {s}Build -> Escalate",
        f"    {s}Implement -> {s}Test",
        f"    {s}Test -> {s}Fan  when ctx.outcome = success and ctx.tool_stdout not contains FAIL",
        f"    {s}Test -> {s}Fix",
        f"    {s}Fix -> {s}Test  loop",
        f"    {s}Fan -> Escalate  when ctx.outcome = fail",
        f"    {s}Join -> {s}Synthesize",
        f"    {s}Synthesize -> {s}Gate  when ctx.outcome = success",
        f"    {s}Synthesize -> {s}Fix  when ctx.outcome = fail",
        f"    {s}Gate -> {s}Implement  when ctx.preferred_label = revise  label: revise  loop",
    ]
    return f"{s}Gate"


def generate(target_nodes: int) -> str:
    """A valid workflow of about `target_nodes` nodes (whole segments + 3 fixed nodes)."""
    nodes: list[str] = []
    edges: list[str] = []
    prev = "Start"
    for k in range(max(1, (target_nodes - 3) // NODES_PER_SEGMENT)):
        prev = segment(k, prev, nodes, edges)
    edges += [
        f"    {prev} -> Done",
        "    Escalate -> Done",
    ]
    header = """workflow ScaleBench
  goal: "Synthetic pipeline for parser and lint scaling benchmarks"
  start: Start
  exit: Done

  defaults
    model: claude-sonnet-4-6
    provider: anthropic
    max_retries: 2
    max_restarts: 100000
    on_failure: Escalate

  agent Start
    label: Start

  agent Done
    label: Done

  human Escalate
    label: "Something failed"
    mode: freeform
"""
    return header + "".join(nodes) + "\n  edges\n" + "\n".join(edges) + "\n"


def best_of(repeat: int, fn: Callable[[], T]) -> tuple[float, T]:
    best = float("inf")
    result: T | None = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    assert result is not None
    return best, result


def measure(text: str, repeat: int) -> dict[str, float | int]:
    from tracker.dippin.parser import parse
    from tracker.graph.adapter import workflow_to_graph
    from tracker.graph.checks import check_graph
    from tracker.lint.context import LintContext
    from tracker.lint.runner import check_workflow
    from tracker.plugins.manager import get_registry

    handlers = set(get_registry().handlers)
    parse_s, result = best_of(repeat, lambda: parse(text, file="bench.dip"))
    if not result.ok:
        raise SystemExit(f"generated workflow does not parse: {result.diagnostics[:3]}")
    wf = result.workflow

    def lint() -> list:
        return check_workflow(LintContext(workflow=wf.model_copy(deep=True), file="bench.dip"))

    lint_s, diags = best_of(repeat, lint)
    errors = [d for d in diags if d.severity == "error"]
    if errors:
        raise SystemExit(f"generated workflow has errors: {[d.render() for d in errors[:3]]}")
    graph_s, _ = best_of(repeat, lambda: check_graph(workflow_to_graph(wf), handlers))
    return {
        "nodes": len(wf.nodes),
        "edges": len(wf.edges),
        "bytes": len(text.encode()),
        "warnings": sum(1 for d in diags if d.severity == "warning"),
        "parse": parse_s,
        "lint": lint_s,
        "graph": graph_s,
        "total": parse_s + lint_s + graph_s,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="500,5000,50000", help="comma-separated node counts")
    parser.add_argument("--repeat", type=int, default=3, help="best of N (1 for > 20k nodes)")
    parser.add_argument("--write", type=Path, help="also write the generated .dip files here")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]

    print(f"{'nodes':>7} {'edges':>7} {'KiB':>7} {'parse s':>9} {'lint s':>9} {'graph s':>9}"
          f" {'total s':>9} {'µs/node':>8} {'growth':>7}")  # fmt: skip
    previous: dict[str, float | int] | None = None
    rows = []
    for size in sizes:
        text = generate(size)
        if args.write:
            args.write.mkdir(parents=True, exist_ok=True)
            (args.write / f"scale_{size}.dip").write_text(text, encoding="utf-8")
        row = measure(text, 1 if size > 20_000 else args.repeat)
        growth = ""
        if previous:
            time_ratio = float(row["total"]) / float(previous["total"])
            node_ratio = int(row["nodes"]) / int(previous["nodes"])
            growth = f"{time_ratio / node_ratio:6.2f}x"
        per_node = float(row["total"]) / int(row["nodes"]) * 1e6
        print(
            f"{row['nodes']:>7} {row['edges']:>7} {int(row['bytes']) / 1024:>7.0f}"
            f" {row['parse']:>9.3f} {row['lint']:>9.3f} {row['graph']:>9.3f}"
            f" {row['total']:>9.3f} {per_node:>8.1f} {growth:>7}"
        )
        previous = row
        rows.append(row)
    print("\ngrowth = (time ratio) / (node ratio) against the previous size; 1.00x is linear.")
    near_5000 = [r for r in rows if 4000 <= int(r["nodes"]) <= 6000]
    for r in near_5000:
        verdict = "ok" if float(r["total"]) < TARGET_5000_SECONDS else "ABOVE TARGET"
        print(f"{r['nodes']} nodes: {float(r['total']):.3f} s total "
              f"(target < {TARGET_5000_SECONDS:.0f} s: {verdict})")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
