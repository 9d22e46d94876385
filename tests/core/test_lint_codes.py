"""Every diagnostic code: a minimal .dip that triggers it (code, severity and line are
checked) and a near-identical one that does not."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from tracker.dippin.parser import parse
from tracker.lint.context import LintContext
from tracker.lint.diagnostic import Diagnostic
from tracker.lint.runner import check_workflow


def _indent(text: str, n: int) -> str:
    text = textwrap.dedent(text).strip("\n")
    return textwrap.indent(text, " " * n) if text else ""


def dip(
    nodes: str = "",
    edges: str = "Start -> Done",
    *,
    head: str = "",
    start: str = "Start",
    exit: str = "Done",
    base_nodes: bool = True,
) -> str:
    """A workflow with agents Start and Done (unless `base_nodes` is False)."""
    header = ["workflow T", "  goal: test"]
    if start:
        header.append(f"  start: {start}")
    if exit:
        header.append(f"  exit: {exit}")
    parts = ["\n".join(header)]
    if head:
        parts.append(_indent(head, 2))
    if base_nodes:
        parts.append(_indent("agent Start\n  label: Start\nagent Done\n  label: Done", 2))
    if nodes:
        parts.append(_indent(nodes, 2))
    parts.append("  edges\n" + _indent(edges, 4))
    return "\n".join(parts) + "\n"


def lint(text: str, base_dir: Path | None = None, **kw) -> list[Diagnostic]:
    result = parse(text, file="t.dip")
    assert result.ok, [d.message for d in result.diagnostics]
    ctx = LintContext(workflow=result.workflow, file="t.dip", base_dir=base_dir, **kw)
    return check_workflow(ctx)


def line_of(text: str, needle: str, nth: int = 1) -> int:
    seen = 0
    for i, line in enumerate(text.split("\n"), 1):
        if needle in line:
            seen += 1
            if seen == nth:
                return i
    raise AssertionError(f"{needle!r} not in text")


@dataclass
class Case:
    code: str
    severity: str
    trigger: str
    clean: str
    at: str | None  # the text of the line the diagnostic points at; None = no location
    nth: int = 1


MID = "agent Mid\n  label: Mid\n  prompt: work"

CASES: list[Case] = [
    # ---------------------------------------------------------------- structural
    Case("DIP001", "error", dip(start=""), dip(), None),
    Case("DIP002", "error", dip(exit="Dne"), dip(), None),
    Case("DIP003", "error", dip(edges="Start -> Dnoe\nStart -> Done"), dip(), "Start -> Dnoe"),
    Case(
        "DIP004",
        "error",
        dip("agent Orphan\n  prompt: x"),
        dip("agent Orphan\n  prompt: x", "Start -> Orphan\nOrphan -> Done"),
        "agent Orphan",
    ),
    Case(
        "DIP005",
        "error",
        dip(MID, "Start -> Mid\nMid -> Start when ctx.outcome = fail\nMid -> Done"),
        dip(MID, "Start -> Mid\nMid -> Start when ctx.outcome = fail loop\nMid -> Done"),
        "Mid -> Start",
    ),
    Case("DIP006", "error", dip(edges="Start -> Done\nDone -> Start"), dip(), "Done -> Start"),
    Case(
        "DIP007",
        "error",
        dip(
            "agent A\n  prompt: a\nagent B\n  prompt: b\nparallel P -> A, B\nfan_in J <- A",
            "Start -> P\nJ -> Done\nB -> Done",
        ),
        dip(
            "agent A\n  prompt: a\nagent B\n  prompt: b\nparallel P -> A, B\nfan_in J <- A, B",
            "Start -> P\nJ -> Done",
        ),
        "parallel P",
    ),
    Case(
        "DIP008",
        "error",
        dip(MID + "\n" + MID, "Start -> Mid\nMid -> Done"),
        dip(MID, "Start -> Mid\nMid -> Done"),
        "agent Mid",
        nth=2,
    ),
    Case("DIP009", "error", dip(edges="Start -> Done\nStart -> Done"), dip(), "Start -> Done", 2),
    Case(
        "DIP010",
        "error",
        dip(edges="Start -> Done when ctx.t in a,b\nStart -> Done"),
        dip(edges='Start -> Done when ctx.t in "a,b"\nStart -> Done'),
        "when ctx.t",
    ),
    # ---------------------------------------------------------------- routing
    Case(
        "DIP101",
        "warning",
        dip(MID, "Start -> Mid when ctx.x = 1\nMid -> Done"),
        dip(MID, "Start -> Mid\nMid -> Done"),
        "agent Mid",
    ),
    Case(
        "DIP102",
        "warning",
        dip(MID, "Start -> Mid when ctx.x = 1\nStart -> Done when ctx.x contains 2\nMid -> Done"),
        dip(MID, "Start -> Mid when ctx.x = 1\nStart -> Done\nMid -> Done"),
        "agent Start",
    ),
    Case(
        "DIP103",
        "warning",
        dip(
            MID,
            "Start -> Mid when ctx.o = x\nStart -> Done when ctx.o = x and ctx.p = y\n"
            "Start -> Done\nMid -> Done",
        ),
        dip(
            MID,
            "Start -> Mid when ctx.o = x\nStart -> Done when ctx.o = z and ctx.p = y\n"
            "Start -> Done\nMid -> Done",
        ),
        "ctx.p = y",
    ),
    Case(
        "DIP104",
        "warning",
        dip(MID + "\n  retry_policy: standard", "Start -> Mid\nMid -> Done"),
        dip(MID + "\n  retry_policy: standard\n  max_retries: 2", "Start -> Mid\nMid -> Done"),
        "agent Mid",
    ),
    Case(
        "DIP105",
        "warning",
        dip(MID, "Start -> Mid\nMid -> Done loop"),
        dip(MID, "Start -> Mid\nMid -> Done"),
        "agent Done",
    ),
    Case(
        "DIP149",
        "warning",
        dip(MID, "Start -> Mid\nStart -> Done\nMid -> Done"),
        dip(MID, "Start -> Mid\nMid -> Done"),
        "agent Start",
    ),
    Case(
        "DIP150",
        "hint",
        dip(
            "human Gate\n  mode: choice\n  prompt: ok?" + "\n" + MID,
            "Start -> Gate\nGate -> Done label: yes\nGate -> Mid label: no\nMid -> Done",
        ),
        dip(
            "human Gate\n  mode: choice\n  prompt: ok?" + "\n" + MID,
            "Start -> Gate\nGate -> Done label: yes choice: yes\nGate -> Mid label: no choice: no"
            "\nMid -> Done",
        ),
        "Gate -> Done",
    ),
    Case("DIP151", "warning", dip(edges="Start -> Done weight: 5"), dip(), "Start -> Done"),
    Case(
        "DIP152",
        "warning",
        dip(
            'tool T\n  command: ./check\n  timeout: 5s\n  marker_grep: "^(ok|bad)$"\n' + MID,
            "Start -> T\nT -> Done on ok\nMid -> Done",
        ),
        dip(
            'tool T\n  command: ./check\n  timeout: 5s\n  marker_grep: "^(ok|bad)$"\n' + MID,
            "Start -> T\nT -> Done on ok\nT -> Mid on bad\nMid -> Done",
        ),
        "tool T",
    ),
    Case(
        "DIP153",
        "warning",
        dip(
            "agent A\n  prompt: a\nagent B\n  prompt: b\nparallel P -> A, B\nfan_in J <- A, B",
            "Start -> P\nP -> A\nJ -> Done",
        ),
        dip(
            "agent A\n  prompt: a\nagent B\n  prompt: b\nparallel P -> A, B\nfan_in J <- A, B",
            "Start -> P\nJ -> Done",
        ),
        "P -> A",
        nth=2,
    ),
    # ---------------------------------------------------------------- context & variables
    Case(
        "DIP106",
        "warning",
        dip("agent Mid\n  prompt: Hi ${user}", "Start -> Mid\nMid -> Done"),
        dip("agent Mid\n  prompt: Hi ${ctx.user}", "Start -> Mid\nMid -> Done"),
        "agent Mid",
    ),
    Case(
        "DIP107",
        "warning",
        dip(MID + "\n  writes: plan", "Start -> Mid\nMid -> Done"),
        dip(
            MID + "\n  writes: plan\nagent Last\n  prompt: x\n  reads: plan",
            "Start -> Mid\nMid -> Last\nLast -> Done",
        ),
        "agent Mid",
    ),
    Case(
        "DIP112",
        "warning",
        dip(
            "agent W\n  prompt: w\n" + MID + "\n  reads: summary",
            "Start -> W\nW -> Mid\nMid -> Done",
        ),
        dip(
            "agent W\n  prompt: w\n  writes: summary\n" + MID + "\n  reads: summary",
            "Start -> W\nW -> Mid\nMid -> Done",
        ),
        "agent Mid",
    ),
    Case(
        "DIP120",
        "warning",
        dip(edges="Start -> Done when outcome = success\nStart -> Done"),
        dip(edges="Start -> Done when ctx.outcome = success\nStart -> Done"),
        "when outcome",
    ),
    Case(
        "DIP121",
        "warning",
        dip(MID + "\n  writes: plan", "Start -> Mid\nMid -> Done when ctx.score = hi\nMid -> Done"),
        dip(MID + "\n  writes: plan", "Start -> Mid\nMid -> Done when ctx.plan = hi\nMid -> Done"),
        "ctx.score",
    ),
    Case(
        "DIP122",
        "warning",
        dip(
            "tool T\n  command: ./t\n  timeout: 5s\n  outputs: pass, fail",
            "Start -> T\nT -> Done when ctx.tool_stdout = skip\nT -> Done",
        ),
        dip(
            "tool T\n  command: ./t\n  timeout: 5s\n  outputs: pass, fail",
            "Start -> T\nT -> Done when ctx.tool_stdout = pass\nT -> Done",
        ),
        "ctx.tool_stdout = skip",
    ),
    Case(
        "DIP124",
        "warning",
        dip("tool T\n  command: echo ${ctx.last_response}\n  timeout: 5s", "Start -> T\nT -> Done"),
        dip("tool T\n  command: echo ${graph.goal}\n  timeout: 5s", "Start -> T\nT -> Done"),
        "tool T",
    ),
    Case(
        "DIP154",
        "hint",
        dip(MID + "\n  prompt_suffix: none", "Start -> Mid\nMid -> Done"),
        dip(
            MID + "\n  prompt_suffix: none",
            "Start -> Mid\nMid -> Done",
            head="defaults\n  prompt_suffix: Be brief.",
        ),
        "agent Mid",
    ),
    Case(
        "DIP155",
        "error",
        dip(
            "agent Mid\n  prompt: ${inputs.x}",
            "Start -> Mid\nMid -> Done",
            head="inputs\n  x: string",
        ),
        dip(
            "agent Mid\n  prompt: ${inputs.x}",
            "Start -> Mid\nMid -> Done",
            head="inputs\n  x: text",
        ),
        "x: string",
    ),
    Case(
        "DIP156",
        "error",
        dip(
            "agent Mid\n  prompt: ${inputs.idee}",
            "Start -> Mid\nMid -> Done",
            head="inputs\n  idea: text",
        ),
        dip(
            "agent Mid\n  prompt: ${inputs.idea}",
            "Start -> Mid\nMid -> Done",
            head="inputs\n  idea: text",
        ),
        "agent Mid",
    ),
    Case(
        "DIP157",
        "error",
        dip(
            "tool T\n  command: echo ${inputs.idea}\n  timeout: 5s\nagent Mid\n  prompt: ${inputs.idea}",
            "Start -> T\nT -> Mid\nMid -> Done",
            head="inputs\n  idea: text",
        ),
        dip(
            "tool T\n  command: echo hi\n  timeout: 5s\nagent Mid\n  prompt: ${inputs.idea}",
            "Start -> T\nT -> Mid\nMid -> Done",
            head="inputs\n  idea: text",
        ),
        "tool T",
    ),
    Case(
        "DIP158",
        "error",
        dip(
            "agent Mid\n  prompt: ${inputs.flag}",
            "Start -> Mid\nMid -> Done",
            head="inputs\n  flag: bool\n    max_length: 3",
        ),
        dip(
            "agent Mid\n  prompt: ${inputs.flag}",
            "Start -> Mid\nMid -> Done",
            head="inputs\n  flag: bool",
        ),
        "flag: bool",
    ),
    Case(
        "DIP159",
        "warning",
        dip(MID, "Start -> Mid\nMid -> Done", head="inputs\n  idea: text"),
        dip(
            "agent Mid\n  prompt: ${inputs.idea}",
            "Start -> Mid\nMid -> Done",
            head="inputs\n  idea: text",
        ),
        "idea: text",
    ),
    # ---------------------------------------------------------------- node configuration
    Case(
        "DIP108",
        "warning",
        dip(
            "agent Mid\n  prompt: x\n  provider: anthropic\n  model: claude-opus-9",
            "Start -> Mid\nMid -> Done",
        ),
        dip(
            "agent Mid\n  prompt: x\n  provider: anthropic\n  model: claude-opus-4.6",
            "Start -> Mid\nMid -> Done",
        ),
        "agent Mid",
    ),
    Case(
        "DIP109",
        "warning",
        dip(
            "subgraph S1\n  ref: a.dip\nsubgraph S2\n  ref: a.dip",
            "Start -> S1\nS1 -> S2\nS2 -> Done",
        ),
        dip(
            "subgraph S1\n  ref: a.dip\nsubgraph S2\n  ref: b.dip",
            "Start -> S1\nS1 -> S2\nS2 -> Done",
        ),
        "subgraph S2",
    ),
    Case(
        "DIP110",
        "warning",
        dip("agent Mid\n  label: Mid", "Start -> Mid\nMid -> Done"),
        dip(MID, "Start -> Mid\nMid -> Done"),
        "agent Mid",
    ),
    Case(
        "DIP111",
        "warning",
        dip("tool T\n  command: ls", "Start -> T\nT -> Done"),
        dip("tool T\n  command: ls\n  timeout: 10s", "Start -> T\nT -> Done"),
        "tool T",
    ),
    Case(
        "DIP113",
        "warning",
        dip(MID + "\n  retry_policy: fast\n  max_retries: 2", "Start -> Mid\nMid -> Done"),
        dip(MID + "\n  retry_policy: standard\n  max_retries: 2", "Start -> Mid\nMid -> Done"),
        "agent Mid",
    ),
    Case(
        "DIP114",
        "warning",
        dip(MID + "\n  fidelity: medium", "Start -> Mid\nMid -> Done"),
        dip(MID + "\n  fidelity: summary:medium", "Start -> Mid\nMid -> Done"),
        "agent Mid",
    ),
    Case(
        "DIP115",
        "warning",
        dip(MID + "\n  goal_gate: true", "Start -> Mid\nMid -> Done"),
        dip(
            MID + "\n  goal_gate: true",
            "Start -> Mid\nMid -> Done when ctx.outcome = fail\nMid -> Done",
        ),
        "agent Mid",
    ),
    Case(
        "DIP116",
        "warning",
        dip(MID + "\n  compaction_threshold: 1.5", "Start -> Mid\nMid -> Done"),
        dip(MID + "\n  compaction_threshold: 0.5", "Start -> Mid\nMid -> Done"),
        "agent Mid",
    ),
    Case(
        "DIP117",
        "warning",
        dip(
            MID + "\nstylesheet:\n  .hot\n    model: claude-sonnet-4-6", "Start -> Mid\nMid -> Done"
        ),
        dip(
            MID + "\n  class: hot\nstylesheet:\n  .hot\n    model: claude-sonnet-4-6",
            "Start -> Mid\nMid -> Done",
        ),
        ".hot",
    ),
    Case(
        "DIP118",
        "warning",
        dip(
            MID + "\nstylesheet:\n  #Ghost\n    model: claude-sonnet-4-6",
            "Start -> Mid\nMid -> Done",
        ),
        dip(
            MID + "\nstylesheet:\n  #Mid\n    model: claude-sonnet-4-6", "Start -> Mid\nMid -> Done"
        ),
        "#Ghost",
    ),
    Case(
        "DIP119",
        "warning",
        dip(MID + "\n  reasoning_effort: extreme", "Start -> Mid\nMid -> Done"),
        dip(MID + "\n  reasoning_effort: high", "Start -> Mid\nMid -> Done"),
        "agent Mid",
    ),
    Case(
        "DIP123",
        "warning",
        dip('tool T\n  command: echo "unclosed\n  timeout: 5s', "Start -> T\nT -> Done"),
        dip('tool T\n  command: echo "closed"\n  timeout: 5s', "Start -> T\nT -> Done"),
        "tool T",
    ),
    Case(
        "DIP125",
        "hint",
        dip("tool T\n  command: no-such-program-xq7 --go\n  timeout: 5s", "Start -> T\nT -> Done"),
        dip("tool T\n  command: ls --go\n  timeout: 5s", "Start -> T\nT -> Done"),
        "tool T",
    ),
    Case(
        "DIP126",
        "warning",
        dip("subgraph S\n  ref: missing.dip", "Start -> S\nS -> Done"),
        dip("subgraph S\n  ref: exists.dip", "Start -> S\nS -> Done"),
        "subgraph S",
    ),
    Case(
        "DIP127",
        "warning",
        dip("human G\n  mode: dialog\n  prompt: ok?", "Start -> G\nG -> Done"),
        dip("human G\n  mode: freeform\n  prompt: ok?", "Start -> G\nG -> Done"),
        "human G",
    ),
    Case(
        "DIP128",
        "warning",
        dip("human G\n  mode: interview\n  default: yes", "Start -> G\nG -> Done"),
        dip("human G\n  mode: interview\n  prompt: ok?", "Start -> G\nG -> Done"),
        "human G",
    ),
    Case(
        "DIP129",
        "warning",
        dip(
            "human G\n  mode: interview\n" + MID,
            "Start -> G\nG -> Done label: a\nG -> Mid label: b\nMid -> Done",
        ),
        dip(
            "human G\n  mode: interview\n" + MID,
            "Start -> G\nG -> Done label: a\nG -> Mid\nMid -> Done",
        ),
        "human G",
    ),
    Case(
        "DIP130",
        "warning",
        dip(MID + "\n  response_format: xml", "Start -> Mid\nMid -> Done"),
        dip(MID + "\n  response_format: json_object", "Start -> Mid\nMid -> Done"),
        "agent Mid",
    ),
    Case(
        "DIP131",
        "warning",
        dip(
            MID + '\n  response_format: json_object\n  response_schema: {"type": "object"}',
            "Start -> Mid\nMid -> Done",
        ),
        dip(
            MID + '\n  response_format: json_schema\n  response_schema: {"type": "object"}',
            "Start -> Mid\nMid -> Done",
        ),
        "agent Mid",
    ),
    Case(
        "DIP132",
        "warning",
        dip(
            MID + "\n  response_format: json_schema\n  response_schema: {bad",
            "Start -> Mid\nMid -> Done",
        ),
        dip(
            MID + "\n  response_format: json_schema\n  response_schema: {}",
            "Start -> Mid\nMid -> Done",
        ),
        "agent Mid",
    ),
    Case(
        "DIP133",
        "hint",
        dip(MID + "\n  params:\n    model: x", "Start -> Mid\nMid -> Done"),
        dip(MID + "\n  params:\n    temperature: x", "Start -> Mid\nMid -> Done"),
        "agent Mid",
    ),
    Case(
        "DIP134",
        "warning",
        dip(
            MID,
            "Start -> Mid\nMid -> Start when ctx.outcome = fail loop\nMid -> Done",
            head="defaults\n  max_retries: 3",
        ),
        dip(
            MID,
            "Start -> Mid\nMid -> Start when ctx.outcome = fail loop\nMid -> Done",
            head="defaults\n  max_retries: 3\n  max_restarts: 2",
        ),
        "defaults",
    ),
    Case(
        "DIP135",
        "warning",
        dip("manager_loop M\n  max_cycles: 3", "Start -> M\nM -> Done"),
        dip("manager_loop M\n  max_cycles: 3\n  subgraph_ref: exists.dip", "Start -> M\nM -> Done"),
        "manager_loop M",
    ),
    Case(
        "DIP136",
        "warning",
        dip(
            "manager_loop M\n  subgraph_ref: exists.dip\n  max_cycles: -1", "Start -> M\nM -> Done"
        ),
        dip("manager_loop M\n  subgraph_ref: exists.dip\n  max_cycles: 2", "Start -> M\nM -> Done"),
        "manager_loop M",
    ),
    Case(
        "DIP137",
        "warning",
        dip("manager_loop M\n  subgraph_ref: exists.dip", "Start -> M\nM -> Done"),
        dip("manager_loop M\n  subgraph_ref: exists.dip\n  max_cycles: 3", "Start -> M\nM -> Done"),
        "manager_loop M",
    ),
    Case(
        "DIP144",
        "warning",
        dip(),
        dip(head="defaults\n  on_failure: Done"),
        "agent Start",
    ),
    Case(
        "DIP145",
        "warning",
        dip(head="defaults\n  max_cost_cents: -5"),
        dip(head="defaults\n  max_cost_cents: 5"),
        "defaults",
    ),
    Case(
        "DIP148",
        "warning",
        dip(MID + "\n  last_response_truncate: -1", "Start -> Mid\nMid -> Done"),
        dip(MID + "\n  last_response_truncate: 100", "Start -> Mid\nMid -> Done"),
        "agent Mid",
    ),
    # ---------------------------------------------------------------- tool safety
    Case(
        "DIP139",
        "warning",
        dip(MID + "\n  tool_access: read-only", "Start -> Mid\nMid -> Done"),
        dip(MID + "\n  tool_access: none", "Start -> Mid\nMid -> Done"),
        "agent Mid",
    ),
    Case(
        "DIP140",
        "warning",
        dip(
            MID + "\n  tool_access: none\n  params:\n    allowed_tools: Bash",
            "Start -> Mid\nMid -> Done",
        ),
        dip(
            MID + "\n  tool_access: none\n  params:\n    temperature: 1",
            "Start -> Mid\nMid -> Done",
        ),
        "agent Mid",
    ),
    Case(
        "DIP141",
        "warning",
        dip(MID + "\n  writable_paths: src/**\n  tool_access: none", "Start -> Mid\nMid -> Done"),
        dip(MID + "\n  writable_paths: src/**", "Start -> Mid\nMid -> Done"),
        "agent Mid",
    ),
    Case(
        "DIP142",
        "warning",
        dip(MID + "\n  writable_paths: /etc/**", "Start -> Mid\nMid -> Done"),
        dip(MID + "\n  writable_paths: src/**", "Start -> Mid\nMid -> Done"),
        "agent Mid",
    ),
    Case(
        "DIP143",
        "hint",
        dip(
            MID + "\n  tool_access: none\nsubgraph S\n  ref: exists.dip",
            "Start -> Mid\nMid -> S\nS -> Done",
        ),
        dip(MID + "\nsubgraph S\n  ref: exists.dip", "Start -> Mid\nMid -> S\nS -> Done"),
        "subgraph S",
    ),
    Case(
        "DIP147",
        "hint",
        dip(
            "agent R\n  prompt: r\n  tool_access: none\n  writes: notes\n"
            + MID
            + "\n  reads: notes",
            "Start -> R\nR -> Mid\nMid -> Done",
        ),
        dip(
            "agent R\n  prompt: r\n  tool_access: none\n  writes: notes\n"
            + MID
            + "\n  reads: notes\n  tool_access: none",
            "Start -> R\nR -> Mid\nMid -> Done",
        ),
        "agent Mid",
    ),
    # ---------------------------------------------------------------- tracker codes
    Case(
        "TRK101",
        "warning",
        dip(
            "tool T\n  command: pytest 2>&1\n  timeout: 60s\n" + MID,
            "Start -> T\nT -> Done when ctx.tool_stdout contains pass\nT -> Mid\nMid -> Done",
        ),
        dip(
            "tool T\n  command: pytest\n  timeout: 60s\n" + MID,
            "Start -> T\nT -> Done when ctx.tool_stdout contains pass\nT -> Mid\nMid -> Done",
        ),
        "tool T",
    ),
    Case(
        "TRK102",
        "warning",
        dip(
            "agent Build\n  prompt: b\nhuman Escalate\n  mode: choice\n  prompt: ok?",
            "Start -> Build\nBuild -> Done\nBuild -> Escalate when ctx.outcome = fail\n"
            "Escalate -> Done label: approve\nEscalate -> Build label: retry",
        ),
        dip(
            "agent Build\n  prompt: b\nhuman Escalate\n  mode: choice\n  prompt: ok?",
            "Start -> Build\nBuild -> Done\nBuild -> Escalate when ctx.outcome = fail\n"
            "Escalate -> Done label: approve override: true\nEscalate -> Build label: retry",
        ),
        "Escalate -> Done",
    ),
]

ALL_CODES = (
    [f"DIP{n:03d}" for n in range(1, 11)]
    + [f"DIP{n}" for n in range(101, 161) if n not in (138, 146, 160)]
    + ["TRK101", "TRK102"]
)


def test_every_code_has_a_case() -> None:
    assert sorted(c.code for c in CASES) == sorted(ALL_CODES)


@pytest.fixture
def refs_dir(tmp_path: Path) -> Path:
    """A directory holding `exists.dip`, for ref-resolving rules."""
    (tmp_path / "exists.dip").write_text(dip(), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.code)
def test_code_triggers(case: Case, refs_dir: Path) -> None:
    found = [d for d in lint(case.trigger, refs_dir) if d.code == case.code]
    assert found, f"{case.code} not reported for:\n{case.trigger}"
    d = found[0]
    assert d.severity == case.severity
    expected_line = line_of(case.trigger, case.at, case.nth) if case.at else 0
    assert d.line == expected_line, (d.render(), case.trigger)
    assert d.message


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.code)
def test_code_absent_on_clean_variant(case: Case, refs_dir: Path) -> None:
    found = [d for d in lint(case.clean, refs_dir) if d.code == case.code]
    assert not found, [d.render() for d in found]
