"""`tracker workflows`, `tracker init` and `tracker plugins` (cli-tui §7.1, §7.2)."""

from __future__ import annotations

import json
import stat

import pytest
from tracker.cli.app import run_cli
from tracker.cli.workflows import WorkflowInfo, parse_header, render_workflows
from tracker.plugins.manager import get_registry

BUILTINS = ["ask_and_execute", "build_product", "build_product_with_superspec", "deep_review"]


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = run_cli(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_header_scan_stops_at_goal_or_start():
    text = 'workflow Demo\n  goal: "Do the thing"\n  start: A\n'
    assert parse_header(text) == ("Demo", "Do the thing")
    assert parse_header("workflow Demo\n  start: A\n  goal: late\n") == ("Demo", "")


def test_workflows_layout_is_exact():
    long_goal = "x" * 81
    text = render_workflows(
        [WorkflowInfo("alpha", "Alpha", "Short goal"), WorkflowInfo("beta", "Beta", long_goal)]
    )
    assert text == (
        "\n"
        "Built-in workflows:\n"
        "\n"
        "  NAME                                 DESCRIPTION\n"
        "  ────                                 ───────────\n"
        "  alpha (Alpha)                        Short goal\n"
        f"  beta (Beta)                          {'x' * 77}...\n"
        "\n"
        "  Run directly:     tracker <workflow_name>\n"
        "  Copy to edit:     tracker init <workflow_name>\n"
        "  Validate:         tracker validate <workflow_name>\n"
        "\n"
    )


def test_workflows_lists_every_builtin_sorted(capsys):
    code, out, err = cli(capsys, "workflows")
    assert code == 0
    rows = [line for line in out.splitlines() if line.startswith("  ") and "(" in line]
    assert [r.split()[0] for r in rows] == BUILTINS
    for row in rows:
        goal = row[2:].split(")  ", 1)[1].strip()
        assert 0 < len(goal) <= 80


def test_init_copies_builtin_with_mode_0644(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(capsys, "init", "deep_review")
    assert code == 0, err
    assert out == "Created deep_review.dip — edit it, then run with: tracker deep_review.dip\n"
    target = tmp_path / "deep_review.dip"
    assert target.read_text(encoding="utf-8") == get_registry().workflows["deep_review"].load()
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_init_refuses_to_overwrite(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "build_product.dip").write_text("mine", encoding="utf-8")
    code, out, err = cli(capsys, "init", "build_product")
    assert code == 1
    assert err == (
        "error: build_product.dip already exists — remove it first or edit it directly\n"
    )
    assert (tmp_path / "build_product.dip").read_text(encoding="utf-8") == "mine"


def test_init_unknown_workflow(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(capsys, "init", "nope")
    assert code == 1
    assert err == f'error: unknown workflow "nope" (available: {", ".join(BUILTINS)})\n'


def test_init_without_name_lists_workflows(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(capsys, "init")
    assert code == 1
    expected = ["Usage: tracker init <workflow_name>", "", "Available workflows:"]
    expected += [f"  {n}" for n in BUILTINS] + ["error: workflow name required"]
    assert err.splitlines() == expected
    assert list(tmp_path.iterdir()) == []


def test_plugins_lists_registrations_and_empty_plugins(capsys):
    code, out, err = cli(capsys, "plugins")
    assert code == 0
    assert out.startswith("Installed plugins (")
    assert any(line.split()[:2] == ["core", "tracker-core"] for line in out.splitlines())
    assert "registers nothing yet" in out  # the sibling packages register nothing so far
    handlers = out.split("Handlers (")[1].split("\n\n")[0]
    assert "wait.human" in handlers and "core (tracker-core)" in handlers
    assert "Workflows (" in out and "deep_review" in out


def test_plugins_json_document(capsys):
    code, out, err = cli(capsys, "plugins", "--json")
    assert code == 0
    doc = json.loads(out)
    assert set(doc) == {"plugins", "registrations", "errors"}
    core = next(p for p in doc["plugins"] if p["name"] == "core")
    assert core["distribution"] == "tracker-core" and core["registrations"] > 0
    handlers = {h["name"]: h for h in doc["registrations"]["handlers"]}
    assert handlers["codergen"]["plugin"] == "core"
    assert handlers["codergen"]["distribution"] == "tracker-core"
    assert set(doc["registrations"]) == {
        "handlers",
        "providers",
        "backends",
        "gate_uis",
        "lint_rules",
        "event_sinks",
        "workflows",
    }


def test_plugin_load_errors_are_reported_once(monkeypatch, capsys):
    from tracker.cli import plugins as plugins_mod
    from tracker.plugins.manager import build_registry
    from tracker.plugins.registry import PluginLoadError

    registry = build_registry()
    registry.errors.append(PluginLoadError("broken", "broken-dist", "ImportError: nope"))

    import tracker.cli.registry as reg_mod

    reg_mod.cli_registry.cache_clear()
    monkeypatch.setattr("tracker.plugins.manager.get_registry", lambda: registry)
    try:
        assert plugins_mod.run_plugins(json_out=True) == 0
        out, err = capsys.readouterr()
        assert err == 'warning: plugin "broken" (broken-dist) failed to load: ImportError: nope\n'
        assert json.loads(out)["errors"] == [
            {"plugin": "broken", "distribution": "broken-dist", "reason": "ImportError: nope"}
        ]
        reg_mod.cli_registry()  # a second use does not repeat the warning
        assert capsys.readouterr().err == ""
    finally:
        reg_mod.cli_registry.cache_clear()


@pytest.mark.parametrize("name", BUILTINS)
def test_builtin_goals_are_shown(name, capsys):
    code, out, _ = cli(capsys, "workflows")
    row = next(line for line in out.splitlines() if line.startswith(f"  {name} ("))
    assert row.split(")  ", 1)[1].strip(), f"no goal shown for {name}"
