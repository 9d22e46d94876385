"""Legacy DOT input: every corpus file loads, attributes and handlers come out as the
reference's loader produces them, and bad input is a located DIP000 error."""

from __future__ import annotations

from pathlib import Path

import pytest
from tracker.dippin.dot import parse_dot
from tracker.lint.diagnostic import DippinError


def _corpus_dot_files(corpus: Path) -> list[Path]:
    return sorted(corpus.rglob("*.dot"))


def test_every_corpus_dot_file_parses(corpus_dir: Path) -> None:
    files = _corpus_dot_files(corpus_dir)
    assert len(files) == 21
    for path in files:
        graph = parse_dot(path.read_text(encoding="utf-8"), str(path))
        assert graph.nodes, path
        assert graph.start_node and graph.exit_node, path
        assert graph.nodes[graph.start_node].handler == "start"
        assert graph.nodes[graph.exit_node].handler == "exit"
        for edge in graph.edges:
            assert edge.from_ in graph.nodes and edge.to in graph.nodes, (path, edge)


def test_simple_corpus_pipeline_attributes(corpus_dir: Path) -> None:
    path = corpus_dir / "pipeline" / "testdata" / "simple.dot"
    graph = parse_dot(path.read_text(encoding="utf-8"), str(path))
    assert graph.name == "simple_pipeline"
    assert graph.attrs == {"label": "Simple Pipeline", "default_max_retry": "2"}
    assert graph.node_order == ["start", "generate", "done"]
    gen = graph.nodes["generate"]
    assert (gen.shape, gen.label, gen.handler) == ("box", "Generate Code", "codergen")
    assert gen.attrs == {"prompt": "Write hello world", "llm_model": "claude-sonnet-4-5"}
    (first, second) = graph.edges
    assert (first.from_, first.to, first.label) == ("start", "generate", "")
    assert (second.from_, second.to, second.label) == ("generate", "done", "success")


def test_diamond_corpus_conditions(corpus_dir: Path) -> None:
    path = corpus_dir / "pipeline" / "testdata" / "diamond.dot"
    graph = parse_dot(path.read_text(encoding="utf-8"))
    assert graph.nodes["check"].handler == "conditional"
    conds = {(e.from_, e.to): e.condition for e in graph.edges}
    assert conds[("check", "pass_path")] == "outcome=success"
    assert conds[("check", "fail_path")] == "outcome!=success"
    assert all("condition" not in e.attrs for e in graph.edges)


def test_escapes_are_decoded_and_unknown_backslashes_kept() -> None:
    graph = parse_dot(
        r"""digraph G {
          s [shape=Mdiamond];
          t [shape=parallelogram, tool_command="printf 'a\nb'\t| grep '^- \\[ \]' \"q\" \d"];
          e [shape=Msquare];
        }"""
    )
    assert graph.nodes["t"].attrs["tool_command"] == "printf 'a\nb'\t| grep '^- \\[ \\]' \"q\" \\d"


def test_multiline_quoted_values_and_concatenation() -> None:
    graph = parse_dot('digraph G { a [shape=box, prompt="line one\nline two" + " and more"]; }')
    assert graph.nodes["a"].attrs["prompt"] == "line one\nline two and more"


def test_handler_inference_from_shape_type_and_diamond_content() -> None:
    graph = parse_dot(
        """digraph G {
          h [shape=hexagon]; tl [shape=parallelogram]; p [shape=component];
          j [shape=tripleoctagon]; sg [shape=tab]; m [shape=house]; c [shape=diamond];
          dt [shape=diamond, tool_command="ls"];
          dp [shape=diamond, prompt="judge it"];
          dq [shape=diamond, prompt="judge it", auto_status=false];
          custom [shape=box, type="my.handler"];
          odd [shape=ellipse];
        }"""
    )
    handlers = {n: graph.nodes[n].handler for n in graph.node_order}
    assert handlers == {
        "h": "wait.human",
        "tl": "tool",
        "p": "parallel",
        "j": "parallel.fan_in",
        "sg": "subgraph",
        "m": "stack.manager_loop",
        "c": "conditional",
        "dt": "tool",
        "dp": "codergen",
        "dq": "codergen",
        "custom": "my.handler",
        "odd": "",
    }
    assert graph.nodes["dp"].attrs["auto_status"] == "true"
    assert graph.nodes["dq"].attrs["auto_status"] == "false"
    assert "auto_status" not in graph.nodes["c"].attrs


def test_repeated_node_statements_merge_attributes() -> None:
    graph = parse_dot(
        """digraph G {
          a [shape=box, label="First", prompt="p1"];
          b [shape=box];
          a [label="Second", llm_model="m"];
        }"""
    )
    a = graph.nodes["a"]
    assert graph.node_order == ["a", "b"]
    assert a.label == "Second"
    assert a.attrs == {"prompt": "p1", "llm_model": "m"}


def test_graph_attr_forms_comments_and_optional_semicolons() -> None:
    graph = parse_dot(
        """// leading comment
        # preprocessor-style line
        digraph "My Graph" {
          graph [goal="Ship it", rankdir=LR]
          default_max_retry = 3
          /* block
             comment */
          a [shape=Mdiamond] b [shape=Msquare]
          a -> b
        }"""
    )
    assert graph.name == "My Graph"
    assert graph.attrs == {"goal": "Ship it", "rankdir": "LR", "default_max_retry": "3"}
    assert [(e.from_, e.to) for e in graph.edges] == [("a", "b")]


def test_edge_chains_defaults_ports_and_attrs() -> None:
    graph = parse_dot(
        """digraph G {
          edge [weight=1];
          node [shape=box];
          a; b; c;
          a:out -> b:in:n -> c [label="next", condition="outcome=success", restart=true];
          c -> a [weight=5];
        }"""
    )
    assert graph.nodes["a"].shape == "box"
    pairs = [(e.from_, e.to) for e in graph.edges]
    assert pairs == [("a", "b"), ("b", "c"), ("c", "a")]
    first = graph.edges[0]
    assert first.label == "next"
    assert first.condition == "outcome=success"
    assert first.attrs == {"weight": "1", "restart": "true"}
    assert graph.edges[2].attrs == {"weight": "5"}


def test_subgraph_contents_are_collected_and_its_attributes_ignored() -> None:
    graph = parse_dot(
        """digraph G {
          s [shape=Mdiamond];
          subgraph cluster_work {
            label="Work"; color=blue;
            node [shape=parallelogram];
            x [tool_command="ls"]; y [tool_command="pwd"];
            x -> y;
          }
          z [shape=box];
          s -> { x z };
        }"""
    )
    assert "label" not in graph.attrs and "color" not in graph.attrs
    assert graph.nodes["x"].handler == "tool"
    assert graph.nodes["z"].shape == "box"  # node defaults do not leak out of the subgraph
    pairs = [(e.from_, e.to) for e in graph.edges]
    assert pairs == [("x", "y"), ("s", "x"), ("s", "z")]


def test_edges_do_not_declare_nodes() -> None:
    graph = parse_dot("digraph G { a [shape=Mdiamond]; a -> ghost; }")
    assert set(graph.nodes) == {"a"}
    assert graph.edges[0].to == "ghost"


def test_start_and_exit_come_from_shapes() -> None:
    graph = parse_dot("digraph G { begin [shape=Mdiamond]; finish [shape=Msquare]; }")
    assert (graph.start_node, graph.exit_node) == ("begin", "finish")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("digraph G {\n  a [shape=box\n  b -> c;\n}", 3),
        ("digraph G {\n  a -> ;\n}", 2),
        ("digraph G {\n  a [shape=box];\n", 3),
        ("digraph G {\n  a @ b;\n}", 2),
        ("graf G { }", 1),
    ],
)
def test_syntax_errors_are_dip000_with_location(text: str, line: int) -> None:
    with pytest.raises(DippinError) as info:
        parse_dot(text, "bad.dot")
    (diag,) = info.value.diagnostics
    assert diag.code == "DIP000"
    assert diag.severity == "error"
    assert diag.file == "bad.dot"
    assert diag.line == line
    assert diag.column >= 1
    assert "DOT parse error" in diag.message


def test_empty_input_is_an_error() -> None:
    with pytest.raises(DippinError, match="empty DOT input"):
        parse_dot("  \n ")
