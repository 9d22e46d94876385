"""`tracker simulate` (cli-tui §7.4): the exact plan layout and BFS order."""

from __future__ import annotations

from tracker.cli.app import run_cli
from tracker.cli.simulate import render_report
from tracker.graph.model import Graph, GraphEdge, GraphNode
from tracker.simulation import simulate_graph


def _edge(a: str, b: str, label: str = "", condition: str = "") -> GraphEdge:
    return GraphEdge(**{"from": a, "to": b, "label": label, "condition": condition})


def sample_graph() -> Graph:
    nodes = {
        "S": GraphNode(id="S", shape="Mdiamond", label="S", handler="start"),
        "Work": GraphNode(
            id="Work",
            shape="box",
            label="Do work",
            handler="codergen",
            attrs={"llm_model": "m1", "prompt": "go", "other": "x"},
        ),
        "Check": GraphNode(id="Check", shape="diamond", handler="conditional"),
        "Stuck": GraphNode(id="Stuck", shape="box", handler="codergen"),
        "E": GraphNode(id="E", shape="Msquare", handler="exit"),
        "AVeryLongNodeIdentifierHere": GraphNode(id="AVeryLongNodeIdentifierHere", shape="box"),
        "Orphan": GraphNode(id="Orphan", shape="box", handler="codergen"),
    }
    edges = [
        _edge("S", "Work"),
        _edge("Work", "Check", label="done"),
        _edge("Check", "E", condition="ctx.outcome = success"),
        _edge("Check", "Stuck", label="retry", condition="ctx.outcome = fail"),
        _edge("Check", "Work"),
    ]
    return Graph(
        name="Sample",
        start_node="S",
        exit_node="E",
        attrs={"goal": "test", "a": "1"},
        nodes=nodes,
        edges=edges,
    )


EXPECTED = """
═══ Pipeline Simulation ══════════════════════════════════════
  Pipeline:  Sample
  Nodes:     7
  Edges:     5
  Start:     S
  Exit:      E

  Graph Attributes:
    a = 1
    goal = test

─── Nodes ────────────────────────────────────────────────────
  ID                    Handler          Shape         Label
  ──                    ───────          ─────         ─────
  S                     start            Mdiamond      
  Work                  codergen         box           Do work
                        > llm_model=m1
                        > prompt=go
  Check                 conditional      diamond       
  E                     exit             Msquare       
  Stuck                 codergen         box           
  AVeryLongNodeIden...                   box           
  Orphan                codergen         box           

─── Edges ────────────────────────────────────────────────────
  S -> Work
  Work -> Check  [done]
  Check -> E  (when: ctx.outcome = success)
  Check -> Stuck  [retry]  (when: ctx.outcome = fail)
  Check -> Work

─── Execution Plan ──────────────────────────────────────────
  (simulated BFS traversal from start node)

   1. S  (start)
      └─> Work
   2. Do work  (codergen)
      └─> Check [done]
   3. Check  (conditional)
      └─> E (when: ctx.outcome = success)
      └─> Stuck [retry] (when: ctx.outcome = fail)
      └─> Work
   4. E  (exit)
   5. Stuck  (codergen)
      ! dead end (no outgoing edges)

  ! Unreachable nodes: AVeryLongNodeIdentifierHere, Orphan
══════════════════════════════════════════════════════════
"""


def test_report_layout_is_exact():
    report = simulate_graph(sample_graph())
    assert [n.id for n in report.nodes][:5] == ["S", "Work", "Check", "E", "Stuck"]
    assert report.unreachable == ["AVeryLongNodeIdentifierHere", "Orphan"]
    assert render_report(report, "sample.dip") == EXPECTED.lstrip("\n").replace(
        "═══ Pipeline", "\n═══ Pipeline", 1
    )


def test_no_start_node():
    graph = sample_graph()
    graph.start_node = ""
    text = render_report(simulate_graph(graph), "x.dip")
    assert "  ! No start node found\n" in text
    assert "Unreachable" not in text


def test_pipeline_name_falls_back_to_display_name():
    graph = sample_graph()
    graph.name = ""
    assert "  Pipeline:  x.dip\n" in render_report(simulate_graph(graph), "x.dip")


def test_simulate_corpus_pipeline(corpus_dir, capsys):
    path = corpus_dir / "cmd" / "tracker-conformance" / "testdata" / "golden" / "control_flow.dip"
    code = run_cli(["simulate", str(path)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.startswith("\n═══ Pipeline Simulation ")
    assert "  Pipeline:  control_flow\n" in out
    assert "  Start:     Start\n  Exit:      Done\n" in out
    plan = out.split("─── Execution Plan ")[1]
    steps = [
        line.split(".", 1)[1].split("  (")[0].strip()
        for line in plan.splitlines()
        if line[:5].strip().rstrip(".").isdigit()
    ]
    assert steps == ["Start", "Setup", "Approve", "Ship", "Done"]
    assert "      └─> Ship (when: ctx.outcome = success)" in plan
    assert out.rstrip("\n").endswith("═" * 58)


def test_simulate_dot_pipeline(corpus_dir, capsys):
    path = corpus_dir / "pipeline" / "testdata" / "simple.dot"
    code = run_cli(["simulate", str(path)])
    out, err = capsys.readouterr()
    assert code == 0
    assert err == "WARNING: DOT format is deprecated. Migrate pipelines to .dip format.\n"
    assert "   2. Generate Code  (codergen)\n      └─> done [success]\n" in out


def test_simulate_missing_argument_and_parse_failure(tmp_path, monkeypatch, capsys):
    assert run_cli(["simulate"]) == 1
    assert capsys.readouterr().err == "error: usage: tracker simulate <pipeline.dip>\n"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.dip").write_text("workflow X\n  start: A\n  exit: B\n\n  agent\n")
    assert run_cli(["simulate", "bad.dip"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("error: load pipeline: bad.dip:")
