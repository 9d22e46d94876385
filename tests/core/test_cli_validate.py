"""`tracker validate` text and JSON output (cli-tui §7.3, dippin.md §10)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tracker.cli.app import run_cli

CLEAN = """\
workflow Clean
  goal: "Say hello"
  start: Start
  exit: Done

  defaults
    on_failure: Done

  agent Start
    label: Start

  tool Hello
    label: Hello
    timeout: 10s
    command: echo hello

  agent Done
    label: Done

  edges
    Start -> Hello
    Hello -> Done
"""

# the tool has no timeout: DIP111 (warning)
WARN = CLEAN.replace("    timeout: 10s\n", "")

# an edge to a node that does not exist: DIP003 (error)
ERROR = CLEAN.replace("    Hello -> Done\n", "    Hello -> Done\n    Hello -> Nowhere\n")

PARSE_FAIL = "workflow Broken\n  start: A\n  exit: B\n\n  agent\n"


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = run_cli(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name, text in {
        "clean.dip": CLEAN,
        "warn.dip": WARN,
        "error.dip": ERROR,
        "broken.dip": PARSE_FAIL,
    }.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_clean_pipeline(workdir, capsys):
    code, out, err = cli(capsys, "validate", "clean.dip")
    assert (code, out, err) == (0, "clean.dip: valid (3 nodes, 2 edges)\n", "")


def test_clean_pipeline_by_bare_name_uses_local_file(workdir, capsys):
    code, out, _ = cli(capsys, "validate", "clean")
    assert code == 0
    assert out == "clean.dip: valid (3 nodes, 2 edges)\n"


def test_warnings_go_to_stderr_in_compiler_form(workdir, capsys):
    code, out, err = cli(capsys, "validate", "warn.dip")
    assert code == 0
    assert out == "warn.dip: valid with 1 warning(s) (3 nodes, 2 edges)\n"
    first = err.splitlines()[0]
    assert first.startswith("warn.dip:12:")
    assert ": warning[DIP111]: " in first


def test_errors_are_listed_and_exit_1(workdir, capsys):
    code, out, err = cli(capsys, "validate", "error.dip")
    assert code == 1
    errors = [line for line in out.splitlines() if line.startswith("error.dip: error: ")]
    assert len(errors) == 1 and "Nowhere" in errors[0]
    assert "error[DIP003]" in err
    assert err.splitlines()[-1] == "error: 1 validation error(s)"


def test_parse_failure(workdir, capsys):
    code, out, err = cli(capsys, "validate", "broken.dip")
    assert code == 1
    assert out == ""
    lines = err.splitlines()
    assert lines and all(line.startswith("error: load pipeline: broken.dip:") for line in lines)


def test_missing_argument(capsys):
    assert cli(capsys, "validate") == (1, "", "error: usage: tracker validate <pipeline.dip>\n")


def test_unknown_pipeline(workdir, capsys):
    code, out, err = cli(capsys, "validate", "nope")
    assert code == 1
    assert err.startswith('error: unknown pipeline "nope" (no local file found')


def test_json_document_clean(workdir, capsys):
    code, out, err = cli(capsys, "validate", "clean.dip", "--json")
    assert code == 0
    assert json.loads(out) == {
        "valid": True,
        "errors": 0,
        "warnings": 0,
        "diagnostics": [],
        "suggested_actions": [],
    }
    assert err == ""


def test_json_document_with_warning_and_error(workdir, capsys):
    code, out, _ = cli(capsys, "validate", "--json", "warn.dip")
    doc = json.loads(out)
    assert code == 0 and doc["valid"] is True and doc["warnings"] == 1
    entry = next(d for d in doc["diagnostics"] if d["code"] == "DIP111")
    assert entry["severity"] == "warning" and entry["line"] == 12
    assert set(entry) <= {"code", "severity", "message", "line", "fix"}

    code, out, _ = cli(capsys, "validate", "--json", "error.dip")
    doc = json.loads(out)
    assert code == 1 and doc["valid"] is False and doc["errors"] == 1
    assert [d["code"] for d in doc["diagnostics"] if d["severity"] == "error"] == ["DIP003"]
    assert all(isinstance(a, str) for a in doc["suggested_actions"])


def test_json_document_on_parse_failure(workdir, capsys):
    code, out, err = cli(capsys, "validate", "--json", "broken.dip")
    assert code == 1
    doc = json.loads(out)
    assert doc["valid"] is False and doc["warnings"] == 0 and doc["suggested_actions"] == []
    assert doc["errors"] == len(doc["diagnostics"]) >= 1
    assert {d["code"] for d in doc["diagnostics"]} == {"DIP000"}


@pytest.mark.parametrize(
    "name", ["ask_and_execute", "build_product", "build_product_with_superspec", "deep_review"]
)
def test_builtin_workflows_validate(name, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(capsys, "validate", name)
    assert code == 0, err
    assert out.splitlines()[-1].startswith(f"{name}: valid")


def test_dot_pipeline_prints_deprecation_warning(corpus_dir, capsys):
    path = corpus_dir / "pipeline" / "testdata" / "simple.dot"
    code, out, err = cli(capsys, "validate", str(path))
    assert code == 0
    assert err.splitlines()[0] == (
        "WARNING: DOT format is deprecated. Migrate pipelines to .dip format."
    )
    assert out == f"{path}: valid (3 nodes, 2 edges)\n"


def test_corpus_examples_never_crash(corpus_dir, capsys):
    """Every corpus pipeline loads to a verdict (valid or diagnostics), never an internal error."""
    paths = sorted(corpus_dir.rglob("*.dip")) + sorted(corpus_dir.rglob("*.dot"))
    assert len(paths) > 60
    for path in paths:
        code, out, err = cli(capsys, "validate", str(path))
        assert "internal error" not in err, (path, err)
        assert code in (0, 1)
        if code == 0:
            assert out.splitlines()[-1].startswith(f"{path}: valid")


def test_local_file_shadows_builtin_of_the_same_name(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "deep_review.dip").write_text(CLEAN, encoding="utf-8")
    code, out, _ = cli(capsys, "validate", "deep_review")
    assert (code, out) == (0, "deep_review.dip: valid (3 nodes, 2 edges)\n")


def test_hints_are_not_shown_in_text_output(workdir, capsys, monkeypatch):
    """A plugin rule's hint is listed in --json but never printed in the text report."""
    from tracker.lint.diagnostic import Diagnostic
    from tracker.plugins import LintRule, hookimpl
    from tracker.plugins.manager import build_registry

    def hint_rule(ctx):
        yield Diagnostic(code="ACME001", severity="hint", message="just a hint", file=ctx.file)

    class HintPlugin:
        @hookimpl
        def register_lint_rules(self, register):
            register(LintRule(code="ACME001", severity="hint", check=hint_rule))

    registry = build_registry(extra_plugins=[("acme", HintPlugin())])
    monkeypatch.setattr("tracker.plugins.manager.get_registry", lambda: registry)
    code, out, err = cli(capsys, "validate", "clean.dip")
    assert (code, out, err) == (0, "clean.dip: valid (3 nodes, 2 edges)\n", "")
    code, out, _ = cli(capsys, "validate", "--json", "clean.dip")
    doc = json.loads(out)
    assert doc["warnings"] == 0
    assert [d["code"] for d in doc["diagnostics"]] == ["ACME001"]


CHILD = """\
workflow Child
  start: Start
  exit: Done

  inputs
    topic: text
      required: true

  defaults
    on_failure: Done

  agent Start
    label: Start

  agent Work
    label: Work
    prompt: Research ${inputs.topic}

  agent Done
    label: Done

  edges
    Start -> Work
    Work -> Done
"""

PARENT = """\
workflow Parent
  start: Start
  exit: Done

  defaults
    on_failure: Done

  agent Start
    label: Start

  subgraph Call
    ref: child.dip

  agent Done
    label: Done

  edges
    Start -> Call
    Call -> Done
"""


@pytest.fixture
def parent_child(tmp_path: Path) -> Path:
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "child.dip").write_text(CHILD, encoding="utf-8")
    (tmp_path / "flows" / "parent.dip").write_text(PARENT, encoding="utf-8")
    return tmp_path


def test_cross_file_checks_resolve_refs_next_to_the_pipeline(parent_child, monkeypatch, capsys):
    monkeypatch.chdir(parent_child)  # refs resolve against flows/, not the cwd
    code, out, err = cli(capsys, "validate", "flows/parent.dip")
    assert code == 0
    assert out == "flows/parent.dip: valid with 1 warning(s) (3 nodes, 2 edges)\n"
    assert "warning[DIP160]" in err and '"topic"' in err


def test_bundle_validates_from_its_own_contents(parent_child, monkeypatch, capsys):
    from tracker.dippin.bundle import write_bundle

    flows = parent_child / "flows"
    write_bundle(flows / "parent.dip", parent_child / "parent.dipx")
    monkeypatch.chdir(parent_child)
    code, out, err = cli(capsys, "validate", "parent.dipx")
    assert (code, out) == (0, "parent.dipx: valid (3 nodes, 2 edges)\n")
    code, out, err = cli(capsys, "simulate", "parent.dipx")
    assert code == 0 and "  Pipeline:  Parent\n" in out
    assert "workflow_dir" not in out  # bundles carry no on-disk directory
