"""tracker-side graph checks: the plain messages `tracker validate` prints for DOT graphs,
the handler-registration check every graph gets, and a clean bill for the corpus."""

from __future__ import annotations

from pathlib import Path

import pytest
from tracker.builtin_plugin import BUILTIN_HANDLERS
from tracker.dippin.dot import parse_dot
from tracker.graph.checks import check_graph
from tracker.graph.model import Graph, GraphEdge, GraphNode

KNOWN = set(BUILTIN_HANDLERS)


def _check(dot_body: str) -> tuple[list[str], list[str]]:
    return check_graph(parse_dot("digraph G {\n" + dot_body + "\n}"), KNOWN)


BASE = """
  Start [shape=Mdiamond]; Work [shape=box, prompt="do"]; Done [shape=Msquare];
  Start -> Work; Work -> Done;
"""


def test_corpus_dot_files_have_no_errors(corpus_dir: Path) -> None:
    """All corpus pipelines are clean except the testdata file that exists to show a cycle."""
    failing: dict[str, list[str]] = {}
    for path in sorted(corpus_dir.rglob("*.dot")):
        errors, _ = check_graph(parse_dot(path.read_text(encoding="utf-8"), str(path)), KNOWN)
        if errors:
            failing[path.relative_to(corpus_dir).as_posix()] = errors
    assert failing == {
        "pipeline/testdata/cycle.dot": [
            "graph contains a cycle of unconditional edges: a -> b -> a"
        ]
    }


def test_clean_graph() -> None:
    assert _check(BASE) == ([], [])


def test_missing_start_and_exit() -> None:
    errors, _ = _check('Work [shape=box, prompt="x"];')
    assert "graph has no start node (shape=Mdiamond)" in errors
    assert "graph has no exit node (shape=Msquare)" in errors


def test_two_exit_nodes() -> None:
    errors, _ = _check(BASE + "Other [shape=Msquare]; Work -> Other;")
    assert errors == ["graph has 2 exit nodes (shape=Msquare), expected exactly 1"]


def test_two_start_nodes() -> None:
    errors, _ = _check(BASE + "Again [shape=Mdiamond]; Again -> Work;")
    assert "graph has 2 start nodes (shape=Mdiamond), expected exactly 1" in errors


def test_undeclared_edge_endpoints() -> None:
    errors, _ = _check(BASE + 'Work -> B [condition="outcome=fail"]; Ghost -> Done;')
    assert 'edge Work->B references undeclared target node "B"' in errors
    assert 'edge Ghost->Done references undeclared source node "Ghost"' in errors


def test_exit_with_outgoing_edges() -> None:
    errors, _ = _check(BASE + 'Done -> Work [condition="outcome=fail"];')
    assert errors == ['exit node "Done" must not have outgoing edges']


def test_unreachable_node() -> None:
    errors, _ = _check(BASE + 'X [shape=box, prompt="orphan"]; X -> Done;')
    assert errors == ['node "X" is unreachable from start node']


def test_duplicate_edge() -> None:
    errors, _ = _check(BASE + 'Work -> Done [label="again"];')
    assert errors == ['duplicate edge Work->Done (condition="")']
    errors, _ = _check(
        BASE + 'Work -> Done [condition="outcome=fail"]; Work -> Done [condition="outcome=fail"];'
    )
    assert errors == ['duplicate edge Work->Done (condition="outcome=fail")']


def test_unrecognized_shape() -> None:
    errors, _ = _check(BASE + 'Odd [shape=ellipse]; Work -> Odd [condition="outcome=fail"];')
    assert 'node "Odd" has unrecognized shape "ellipse"' in errors


def test_unconditional_cycle_rejected_but_guarded_and_restart_loops_allowed() -> None:
    loop = 'Start [shape=Mdiamond]; A [shape=box, prompt="a"]; B [shape=box, prompt="b"];\n'
    loop += "Done [shape=Msquare]; Start -> A; A -> B; B -> Done;\n"
    errors, _ = _check(loop + "B -> A;")
    assert errors == ["graph contains a cycle of unconditional edges: A -> B -> A"]
    assert _check(loop + 'B -> A [condition="outcome=fail"];')[0] == []
    assert _check(loop + "B -> A [restart=true];")[0] == []
    assert _check(loop + "B -> A [loop_restart=true];")[0] == []


def test_typed_attribute_checks() -> None:
    body = BASE.replace(
        'prompt="do"',
        'prompt="do", max_retries="-1", cache_tool_results="yes", '
        'context_compaction="sometimes", context_compaction_threshold="1.5"',
    )
    errors, _ = _check(body + 'graph [cache_tool_results="maybe", context_compaction="x"];')
    assert errors == [
        'graph has invalid cache_tool_results "maybe": must be "true" or "false"',
        'graph has invalid context_compaction "x": must be "auto" or "none"',
        'node "Work" has invalid max_retries "-1": must be a non-negative integer',
        'node "Work" has invalid cache_tool_results "yes": must be "true" or "false"',
        'node "Work" has invalid context_compaction "sometimes": must be "auto" or "none"',
        'node "Work" has invalid context_compaction_threshold "1.5": must be > 0 and <= 1.0',
    ]


@pytest.mark.parametrize("value", ["0.5", "1", "1.0"])
def test_valid_threshold_and_retries(value: str) -> None:
    body = BASE.replace(
        'prompt="do"', f'prompt="do", max_retries=3, context_compaction_threshold="{value}"'
    )
    assert _check(body) == ([], [])


def test_unregistered_handler() -> None:
    errors, _ = _check(
        BASE + 'Custom [shape=box, type="acme.deploy"]; Work -> Custom [condition="outcome=fail"];'
    )
    assert errors == ['node "Custom" has unregistered handler "acme.deploy"']
    graph = parse_dot(
        "digraph G {\n"
        + BASE
        + 'C [shape=box, type="acme.deploy"];\nWork -> C [condition="outcome=fail"];\n}'
    )
    assert check_graph(graph, KNOWN | {"acme.deploy"}) == ([], [])


def test_invalid_condition_syntax() -> None:
    errors, _ = _check(BASE + 'Work -> Start [condition="outcome"];')
    assert len(errors) == 1
    assert errors[0].startswith('edge Work->Start has invalid condition "outcome": ')


def test_diamond_warnings() -> None:
    body = """
      Start [shape=Mdiamond]; C [shape=diamond]; A [shape=box, prompt="a"];
      B [shape=box, prompt="b"]; Done [shape=Msquare];
      Start -> C; C -> A [label="yes", condition="outcome=success"];
      C -> B [condition="outcome=retry"]; A -> Done; B -> Done;
    """
    errors, warnings = _check(body)
    assert errors == []
    assert warnings == [
        'conditional node "C" has no fail edge',
        'conditional node "C" has inconsistent edge label usage (1/2 labeled)',
    ]
    fixed = body.replace('condition="outcome=retry"', 'label="no", condition="outcome=fail"')
    assert _check(fixed) == ([], [])


def _dip_graph() -> Graph:
    """A graph as the adapter builds it from an already-validated .dip."""
    g = Graph(start_node="S", exit_node="E", dippin_validated=True)
    g.nodes = {
        "S": GraphNode(id="S", shape="Mdiamond", handler="start"),
        "X": GraphNode(id="X", shape="box", handler="codergen"),
        "E": GraphNode(id="E", shape="Msquare", handler="exit"),
    }
    g.node_order = ["S", "X", "E"]
    g.edges = [GraphEdge(**{"from": "S", "to": "E"}), GraphEdge(**{"from": "X", "to": "S"})]
    return g


def test_dippin_validated_graphs_skip_structural_checks() -> None:
    g = _dip_graph()
    # X is unreachable and S->E / X->S form no problem the DIP rules have not judged already
    assert check_graph(g, KNOWN) == ([], [])
    g.nodes["X"].handler = "acme.unknown"
    errors, _ = check_graph(g, KNOWN)
    assert errors == ['node "X" has unregistered handler "acme.unknown"']
    g.dippin_validated = False
    errors, _ = check_graph(g, KNOWN)
    assert 'node "X" is unreachable from start node' in errors


def test_empty_graph() -> None:
    assert check_graph(Graph(), KNOWN) == (["graph has no nodes"], [])
