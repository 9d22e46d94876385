"""Cross-file checks: tool restrictions across subgraph boundaries (DIP146, deep DIP143)
and required child inputs (DIP160)."""

from __future__ import annotations

from pathlib import Path

from tracker.dippin.ir import Workflow
from tracker.dippin.parser import parse
from tracker.lint.context import LintContext
from tracker.lint.crossfile import apply_cross_file_checks, cross_file_checks
from tracker.lint.runner import check_workflow

PARENT = """\
workflow Parent
  goal: p
  start: Start
  exit: Done
  agent Start
    prompt: plan
    tool_access: {access}
  subgraph S
    ref: child.dip
{params}  agent Done
    prompt: end
  edges
    Start -> S
    S -> Done
"""

CHILD = """\
workflow Child
  goal: c
  start: Work
  exit: End
{inputs}  agent Work
    prompt: work
{child_access}  subgraph Deeper
    ref: grandchild.dip
  agent End
    prompt: end
  edges
    Work -> Deeper
    Deeper -> End
"""


def _setup(tmp: Path, *, access: str = "none", child_access: str = "", inputs: str = "",
           params: str = "") -> LintContext:  # fmt: skip
    (tmp / "child.dip").write_text(
        CHILD.format(inputs=inputs, child_access=child_access), encoding="utf-8"
    )
    text = PARENT.format(access=access, params=params)
    parent = tmp / "parent.dip"
    parent.write_text(text, encoding="utf-8")
    result = parse(text, file=str(parent))
    assert result.ok, [d.message for d in result.diagnostics]
    return LintContext(workflow=result.workflow, file=str(parent), base_dir=tmp)


def _loader(base: Path):
    def load(ref: str) -> Workflow | None:
        path = Path(ref) if Path(ref).is_absolute() else base / ref
        if not path.is_file():
            return None
        result = parse(path.read_text(encoding="utf-8"), file=str(path))
        return result.workflow if result.ok else None

    return load


def test_unrestricted_child_gets_dip146_which_supersedes_dip143(tmp_path: Path) -> None:
    ctx = _setup(tmp_path)
    diags = check_workflow(ctx)
    assert any(d.code == "DIP143" for d in diags)
    merged = apply_cross_file_checks(diags, ctx, _loader(tmp_path))
    assert [d.code for d in merged].count("DIP146") == 1
    assert not [d for d in merged if d.code == "DIP143" and d.file == str(tmp_path / "parent.dip")]
    d146 = next(d for d in merged if d.code == "DIP146")
    assert d146.severity == "hint" and "child.dip" in d146.message


def test_partially_restricted_child_keeps_dip143_and_reports_deeper_boundary(
    tmp_path: Path,
) -> None:
    ctx = _setup(tmp_path, child_access="    tool_access: none\n  agent Loose\n    prompt: x\n")
    extra = cross_file_checks(ctx, _loader(tmp_path))
    assert not [d for d in extra if d.code == "DIP146"]
    deep = [d for d in extra if d.code == "DIP143"]
    assert len(deep) == 1 and "grandchild.dip" in deep[0].message


def test_no_tool_access_anywhere_means_no_boundary_hints(tmp_path: Path) -> None:
    ctx = _setup(tmp_path, access="")
    codes = {d.code for d in cross_file_checks(ctx, _loader(tmp_path))}
    assert not codes & {"DIP143", "DIP146"}


def test_omitted_required_child_input_is_dip160(tmp_path: Path) -> None:
    inputs = "  inputs\n    topic: text\n      required: true\n"
    ctx = _setup(tmp_path, access="", inputs=inputs)
    found = [d for d in cross_file_checks(ctx, _loader(tmp_path)) if d.code == "DIP160"]
    assert len(found) == 1
    assert found[0].severity == "warning" and "topic" in found[0].message
    assert found[0].line == 8  # the `subgraph S` line


def test_bound_required_child_input_is_fine(tmp_path: Path) -> None:
    inputs = "  inputs\n    topic: text\n      required: true\n"
    ctx = _setup(tmp_path, access="", inputs=inputs, params="    params:\n      topic: cats\n")
    assert not [d for d in cross_file_checks(ctx, _loader(tmp_path)) if d.code == "DIP160"]


def test_missing_child_is_silent(tmp_path: Path) -> None:
    ctx = _setup(tmp_path, access="")
    (tmp_path / "child.dip").unlink()
    assert cross_file_checks(ctx, _loader(tmp_path)) == []
