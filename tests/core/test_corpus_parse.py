"""Every .dip file of the reference corpus parses the way the reference parses it.

All files must parse without a single diagnostic, except the one that is broken on
purpose for the current language: testdata/expand_child.dip uses the DOT attribute name
`llm_model` directly on an agent, which Dippin rejects since v0.19 ("unrecognized agent
field", spec §3.7). The parsed IR is also checked against facts users rely on: source
locations point at the declaring line, conditions stop before edge attributes, and the
golden conformance traces only visit nodes and edges the file declares.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from tracker.dippin.ir import ParallelConfig
from tracker.dippin.parser import parse
from tracker.dippin.views import all_edges

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "tracker"
DIP_FILES = sorted(CORPUS.rglob("*.dip")) if CORPUS.is_dir() else []
GOLDEN = sorted(
    (CORPUS / "cmd" / "tracker-conformance" / "testdata" / "golden").glob("*.golden.json")
)

# file (relative to the corpus) -> (line, message regex) of its one expected parse error
BROKEN_ON_PURPOSE = {
    "testdata/expand_child.dip": (6, r'unrecognized agent field "llm_model"'),
}

pytestmark = pytest.mark.skipif(not DIP_FILES, reason=f"reference corpus not found at {CORPUS}")


def _rel(path: Path) -> str:
    return path.relative_to(CORPUS).as_posix()


def _parse(path: Path):
    return parse(path.read_text(encoding="utf-8"), str(path))


def test_corpus_is_complete() -> None:
    assert len(DIP_FILES) == 61


@pytest.mark.parametrize("path", DIP_FILES, ids=_rel)
def test_corpus_file_parses(path: Path) -> None:
    result = _parse(path)
    rel = _rel(path)
    rendered = "\n".join(d.render() for d in result.diagnostics)
    if rel in BROKEN_ON_PURPOSE:
        line, gist = BROKEN_ON_PURPOSE[rel]
        (diag,) = result.diagnostics
        assert diag.line == line and re.search(gist, diag.message), rendered
        assert diag.file == str(path)
        return
    assert result.diagnostics == [], rendered
    wf = result.workflow
    assert wf.name and wf.start and wf.exit
    assert wf.nodes
    assert wf.source_file == str(path)


@pytest.mark.parametrize("path", DIP_FILES, ids=_rel)
def test_corpus_source_locations_point_at_declarations(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").split("\n")
    wf = _parse(path).workflow
    for node in wf.nodes:
        if isinstance(node.config, ParallelConfig) or node.kind == "fan_in":
            continue  # the IR gives inline fork/join nodes no source location (spec §7)
        text = lines[node.source.line - 1]
        assert re.search(rf"\b{node.kind}\s+{re.escape(node.id)}\b", text), (node.id, text)
    for edge in wf.edges:
        text = lines[edge.source.line - 1]
        assert "->" in text and edge.from_ in text and edge.to in text, (edge, text)


@pytest.mark.parametrize("path", DIP_FILES, ids=_rel)
def test_corpus_conditions_stop_before_edge_attributes(path: Path) -> None:
    wf = _parse(path).workflow
    for edge in wf.edges:
        if edge.condition is None:
            continue
        raw = edge.condition.raw
        assert raw, edge
        assert not re.search(r"\b(label|choice|weight|restart|override)\s*:", raw), raw
        assert not re.search(r"(^|\s)loop($|\s)", raw), raw
        assert "  " not in raw and raw == raw.strip(), raw
        assert edge.condition.parsed is None  # conditions.py fills it, not the parser


@pytest.mark.parametrize("golden", GOLDEN, ids=lambda p: p.name)
def test_golden_traces_only_visit_declared_nodes_and_edges(golden: Path) -> None:
    trace = json.loads(golden.read_text(encoding="utf-8"))
    result = _parse(golden.parent / trace["pipeline"])
    assert result.ok
    wf = result.workflow
    ids = {n.id for n in wf.nodes}
    kinds = {n.id: n.kind for n in wf.nodes}
    pairs = {(e.from_, e.to) for e in all_edges(wf)}
    assert set(trace["completed_nodes"]) <= ids
    for entry in trace["trace_entries"]:
        src, dst = entry["node_id"], entry.get("edge_to")
        assert src in ids
        if not dst:
            continue
        assert dst in ids
        if dst != src and kinds[src] != "parallel":  # retries and fork→join are engine moves
            assert (src, dst) in pairs, (src, dst)


_WHEN = re.compile(r"\bwhen\s+(.*?)(?=\s+(?:label|choice|weight|restart|override):|\s+loop\b|$)")
_ON = re.compile(r"\bon\s+([A-Za-z0-9][A-Za-z0-9_-]*)")


@pytest.mark.parametrize("path", DIP_FILES, ids=_rel)
def test_corpus_conditions_match_the_source_text(path: Path) -> None:
    """Corpus conditions are written with spaced tokens, so §4.1's token join must give back
    the source text after `when`; `on X` must become `<channel> = X`."""
    lines = path.read_text(encoding="utf-8").split("\n")
    wf = _parse(path).workflow
    for edge in wf.edges:
        if edge.condition is None:
            continue
        text = re.sub(r"\s#.*$", "", lines[edge.source.line - 1])
        when = _WHEN.search(text)
        if when:
            assert edge.condition.raw == " ".join(when.group(1).split()), text
        else:
            token = _ON.search(text)
            assert token, text
            channel = "ctx.tool_marker" if wf.node(edge.from_).kind == "tool" else "ctx.outcome"
            assert edge.condition.raw == f"{channel} = {token.group(1)}", text


def test_corpus_values_spot_checks() -> None:
    """A few values a user would notice if they came out wrong."""
    path = CORPUS / "cmd" / "tracker-conformance" / "testdata" / "golden" / "control_flow.dip"
    wf = _parse(path).workflow
    assert wf.name == "control_flow"
    assert (wf.start, wf.exit) == ("Start", "Done")
    assert wf.defaults.on_failure == "Done"
    setup = wf.node("Setup")
    assert setup is not None and setup.kind == "tool"
    assert setup.config.command == "printf 'setup-ok'"  # raw block, de-indented
    assert setup.config.timeout == 10 * 10**9
    approve = wf.node("Approve")
    assert approve is not None and approve.config.mode == "yes_no"
    assert wf.node("Ship").config.prompt == "Ship it"
    raws = [e.condition.raw for e in wf.edges if e.condition]
    assert raws == ["ctx.outcome = success", "ctx.outcome = fail"]
