"""The lint runner: ordering, robustness against buggy rules, bundles, the corpus, and
the model catalog options."""

from __future__ import annotations

from pathlib import Path

import pytest
from tracker.dippin.directives import resolve_file_directives
from tracker.dippin.parser import parse
from tracker.lint.context import LintContext
from tracker.lint.diagnostic import Diagnostic
from tracker.lint.rules import CORE_RULES, PASS_ORDER, VALIDATE_ORDER
from tracker.lint.runner import check_workflow
from tracker.plugins import LintRule

MESSY = """\
workflow Messy
  goal: many findings
  start: Start
  exit: Done
  defaults
    max_retries: 3
  agent Start
    prompt: go ${who}
    writes: plan
  agent Mid
    label: Mid
    fidelity: medium
  agent Orphan
    prompt: x
  tool T
    command: echo "oops
  agent Done
    prompt: end
  edges
    Start -> Mid when ctx.x = 1
    Start -> Mid when outcome = success
    Mid -> Done loop
    Mid -> Nope
    Start -> T when ctx.t in a,b
    T -> Done
"""


def _ctx(text: str, **kw) -> LintContext:
    result = parse(text, file="messy.dip")
    assert result.ok, [d.message for d in result.diagnostics]
    return LintContext(workflow=result.workflow, file="messy.dip", **kw)


def test_output_is_deterministic_and_validate_codes_come_first() -> None:
    first = check_workflow(_ctx(MESSY))
    second = check_workflow(_ctx(MESSY))
    assert [d.model_dump() for d in first] == [d.model_dump() for d in second]
    codes = [d.code for d in first]
    assert {"DIP003", "DIP004", "DIP010"} <= set(codes)
    assert {"DIP101", "DIP106", "DIP110", "DIP114", "DIP120", "DIP123"} <= set(codes)
    is_validate = [c in VALIDATE_ORDER for c in codes]
    # every structural finding precedes every lint finding
    assert is_validate == sorted(is_validate, reverse=True)
    # and findings follow the pass order
    assert [PASS_ORDER[c] for c in codes] == sorted(PASS_ORDER[c] for c in codes)


def test_rerunning_on_the_same_context_gives_the_same_result() -> None:
    ctx = _ctx(MESSY)
    assert check_workflow(ctx) == check_workflow(ctx)


def test_a_crashing_rule_becomes_a_diagnostic_naming_it() -> None:
    def boom(ctx: LintContext):
        yield ctx.diag("ACME001", "warning", "first finding")
        raise KeyError("nope")

    bad = LintRule(code="ACME001", severity="warning", check=boom)
    out = check_workflow(_ctx(MESSY), rules=[*CORE_RULES, bad])
    crash = [d for d in out if "ACME001" in d.message and d.code != "ACME001"]
    assert len(crash) == 1
    assert "KeyError" in crash[0].message
    assert crash[0].severity == "warning"
    assert any(d.code == "ACME001" and d.message == "first finding" for d in out)
    # core findings are all still there
    assert {d.code for d in check_workflow(_ctx(MESSY))} <= {d.code for d in out}


def test_third_party_rules_run_after_core_rules() -> None:
    seen: list[str] = []

    def spy(ctx: LintContext):
        seen.append("spy")
        return [ctx.diag("ACME002", "hint", "spied")]

    out = check_workflow(
        _ctx(MESSY), rules=[LintRule(code="ACME002", severity="hint", check=spy), *CORE_RULES]
    )
    assert seen == ["spy"]
    assert out[-1].code == "ACME002"


def test_core_rules_are_registered_through_the_plugin_hook() -> None:
    from tracker.plugins.manager import get_registry

    codes = {r.code for r in get_registry().lint_rules}
    assert {r.code for r in CORE_RULES} <= codes


def test_bundle_context_drops_missing_ref_warnings(tmp_path: Path) -> None:
    text = MESSY.replace("  tool T\n", "  subgraph S\n    ref: gone.dip\n  tool T\n")
    text = text.replace("    T -> Done\n", "    T -> S\n    S -> Done\n")
    on_disk = check_workflow(_ctx(text, base_dir=tmp_path))
    bundled = check_workflow(_ctx(text, base_dir=tmp_path, in_bundle=True))
    assert any(d.code == "DIP126" for d in on_disk)
    assert not any(d.code == "DIP126" for d in bundled)


def test_dip003_suggests_the_nearest_node() -> None:
    d = next(d for d in check_workflow(_ctx(MESSY)) if d.code == "DIP003")
    assert "Nope" in d.message
    assert d.help == 'did you mean "Done"?'
    assert d.fix == 'replace "Nope" with "Done"'


def test_extra_models_extend_the_catalog() -> None:
    text = MESSY.replace(
        "  agent Orphan\n", "  agent Orphan\n    provider: acme\n    model: rocket-1\n"
    )
    plain = [d for d in check_workflow(_ctx(text)) if d.code == "DIP108"]
    extended = [
        d
        for d in check_workflow(_ctx(text, extra_models={"acme": ["rocket.1"]}))
        if d.code == "DIP108"
    ]
    assert plain and not extended


def test_diagnostics_carry_the_file_name() -> None:
    for d in check_workflow(_ctx(MESSY)):
        assert d.file == "messy.dip"


def _corpus_files(corpus: Path) -> list[Path]:
    return sorted((corpus / "examples").glob("*.dip"))


def test_corpus_examples_have_no_errors(corpus_dir: Path) -> None:
    files = _corpus_files(corpus_dir)
    assert files
    problems: list[str] = []
    for f in files:
        result = parse(f.read_text(encoding="utf-8"), file=str(f))
        assert result.ok, (f, [d.message for d in result.diagnostics][:3])
        assert not resolve_file_directives(result.workflow, f.parent), f
        ctx = LintContext(workflow=result.workflow, file=str(f), base_dir=f.parent)
        problems += [d.render() for d in check_workflow(ctx) if d.severity == "error"]
    assert not problems, "\n".join(problems)


def test_corpus_models_are_all_known(corpus_dir: Path) -> None:
    """Every real model the reference's pipelines use is in the catalog."""
    stray: list[Diagnostic] = []
    for f in sorted(corpus_dir.rglob("*.dip")):
        result = parse(f.read_text(encoding="utf-8"), file=str(f))
        if not result.ok:
            continue
        ctx = LintContext(workflow=result.workflow, file=str(f))
        stray += [d for d in check_workflow(ctx) if d.code == "DIP108" and "stub" not in d.message]
    assert not stray, [d.render() for d in stray]


@pytest.mark.parametrize("n", [300])
def test_large_linear_workflow_is_linted(n: int) -> None:
    """A long chain exercises the iterative DFS and the bitset data flow (no recursion
    limit, no quadratic blow-up)."""
    lines = ["workflow Big", "  start: N0", f"  exit: N{n - 1}"]
    for i in range(n):
        lines += [f"  agent N{i}", f"    prompt: step {i}", f"    writes: k{i}"]
        if i:
            lines.append(f"    reads: k{i - 1}")
    lines.append("  edges")
    lines += [f"    N{i} -> N{i + 1}" for i in range(n - 1)]
    out = check_workflow(_ctx("\n".join(lines) + "\n"))
    assert not [d for d in out if d.code in ("DIP004", "DIP005", "DIP112")]


def _codes(text: str) -> list[str]:
    return [d.code for d in check_workflow(_ctx(text))]


EXT = """\
workflow Ext
  goal: g
  start: Start
  exit: Done
  agent Start
    prompt: go
  agent Done
    prompt: end
  edges
    Start -> Done when {cond}
    Start -> Done
"""


@pytest.mark.parametrize(
    "cond", ["ctx.score > 5", "ctx.a = x && ctx.b = y", "ctx.a = x || ctx.b = y", "ctx.n <= 3"]
)
def test_tracker_condition_extensions_are_not_dip010(cond: str) -> None:
    assert "DIP010" not in _codes(EXT.format(cond=cond))


@pytest.mark.parametrize("cond", ["ctx.t in a,b", "ctx.x contains hello world", "ctx.x"])
def test_rejected_condition_forms_are_dip010(cond: str) -> None:
    assert "DIP010" in _codes(EXT.format(cond=cond))


def test_dip131_is_a_hint_when_the_schema_is_missing() -> None:
    text = EXT.format(cond="ctx.x = 1").replace(
        "    prompt: go\n", "    prompt: go\n    response_format: json_schema\n"
    )
    found = [d for d in check_workflow(_ctx(text)) if d.code == "DIP131"]
    assert [d.severity for d in found] == ["hint"]
