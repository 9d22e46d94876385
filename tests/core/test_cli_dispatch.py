"""Start-up and dispatch of the real `tracker` command (cli-tui §1.1, §1.3)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tracker.cli.app import normalize_flags, run_cli

REPO = Path(__file__).resolve().parents[2]
TRACKER = REPO / ".venv" / "bin" / "tracker"


def tracker(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None):
    exe = [str(TRACKER)] if TRACKER.exists() else [sys.executable, "-m", "tracker.cli.app"]
    return subprocess.run(
        [*exe, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


def test_no_arguments_prints_usage_error_and_exits_1():
    proc = tracker()
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.startswith("Error: usage\n\n")
    assert "Usage:" in proc.stderr


@pytest.mark.parametrize("word", ["--help", "-h", "help"])
def test_help_goes_to_stdout_and_exits_0(word):
    proc = tracker(word)
    assert proc.returncode == 0
    assert "Usage:" in proc.stdout
    assert "validate <pipeline>" in proc.stdout
    assert proc.stderr == ""


def test_help_imports_nothing_heavy():
    code = (
        "import sys\n"
        "from tracker.cli.app import run_cli\n"
        "run_cli(['--help'])\n"
        "heavy = ['lark', 'tracker.dippin.parser', 'tracker.lint.rules', 'anthropic', 'openai',"
        " 'google.genai', 'textual', 'acp', 'rich', 'tracker.plugins.manager']\n"
        "print('LOADED=' + ','.join(m for m in heavy if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith("LOADED=")


def test_unknown_flag_is_a_usage_error():
    proc = tracker("-v")
    assert proc.returncode == 1
    assert proc.stderr.startswith("Error: flag provided but not defined: -v\n\n")
    assert "Traceback" not in proc.stderr


def test_run_via_bare_pipeline_run_alias_and_flags_first(tmp_path):
    (tmp_path / "x.dip").write_text(
        "workflow X\n  start: S\n  exit: E\n\n  agent S\n    label: S\n\n"
        "  tool T\n    timeout: 10s\n    command:\n      echo ran >> marker.txt\n\n"
        "  agent E\n    label: E\n\n  edges\n    S -> T\n    T -> E\n",
        encoding="utf-8",
    )
    for args in (["x.dip"], ["run", "x.dip"], ["--no-tui", "x.dip", "-w", "."]):
        proc = tracker(*args, cwd=tmp_path)
        assert proc.returncode == 0, (args, proc.stderr)
        assert "Status:    ● success" in proc.stdout
    assert (tmp_path / "marker.txt").read_text().split() == ["ran", "ran", "ran"]


def test_run_with_unknown_pipeline_name_reports_resolution_error(tmp_path):
    proc = tracker("no_such_pipeline", cwd=tmp_path)
    assert proc.returncode == 1
    lines = proc.stderr.splitlines()
    assert lines[0] == (
        'error: unknown pipeline "no_such_pipeline" (no local file found, not a built-in workflow)'
    )
    assert lines[1].startswith("  Available built-in workflows: ask_and_execute, build_product")
    assert lines[2] == "  Run 'tracker workflows' to see details"


def test_version_flag_and_command(tmp_path):
    env = {
        "ANTHROPIC_API_KEY": "",
        "OPENAI_API_KEY": "sk-test",
        "GEMINI_API_KEY": "",
        "GOOGLE_API_KEY": "g-test",
        "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
    }
    for word in ("version", "--version"):
        proc = tracker(word, cwd=tmp_path, env=env)
        assert proc.returncode == 0
        lines = proc.stdout.splitlines()
        assert lines[0].startswith("tracker ")
        assert lines[1] == "  commit: unknown"
        assert lines[2] == "  built:  unknown"
        assert lines[3] == "  providers: openai, gemini"


def test_version_without_keys_points_at_setup(tmp_path):
    env = {k: "" for k in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY")}
    env |= {"GOOGLE_API_KEY": "", "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    proc = tracker("version", cwd=tmp_path, env=env)
    assert proc.stdout.splitlines()[3] == "  providers: none (run `tracker setup`)"


def test_version_reads_workdir_dotenv(tmp_path):
    (tmp_path / ".env").write_text("ANTHROPIC_API_KEY=from-dotenv\n", encoding="utf-8")
    env = {k: "" for k in ("OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY")}
    env = {**env, "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    clean = {k: v for k, v in os.environ.items() if k != "ANTHROPIC_API_KEY"} | env
    exe = [str(TRACKER)] if TRACKER.exists() else [sys.executable, "-m", "tracker.cli.app"]
    proc = subprocess.run(
        [*exe, "version"], cwd=tmp_path, capture_output=True, text=True, env=clean, timeout=60
    )
    assert proc.stdout.splitlines()[3] == "  providers: anthropic"


def test_single_dash_long_flags_are_accepted(capsys):
    assert normalize_flags(["plugins", "-json", "-w", "d", "--", "-x"]) == [
        "plugins",
        "--json",
        "-w",
        "d",
        "--",
        "-x",
    ]
    assert run_cli(["plugins", "-json"]) == 0
    json.loads(capsys.readouterr().out)


def test_subcommand_bad_flag_prints_error_then_usage(capsys):
    assert run_cli(["workflows", "--bogus"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: No such option: --bogus\n\n")
    assert "Usage: tracker workflows" in err


def test_internal_errors_have_no_traceback_unless_verbose(monkeypatch, capsys):
    import tracker.cli.version as version_mod

    def boom() -> int:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(version_mod, "run_version", boom)
    assert run_cli(["version"], verbose=False) == 1
    err = capsys.readouterr().err
    assert err == (
        "error: internal error: RuntimeError: kaboom (re-run with --verbose for the traceback)\n"
    )
    assert run_cli(["version", "--verbose"]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_plugin_commands_are_added_through_the_hook(monkeypatch, capsys):
    from tracker.cli import registry as cli_registry_mod
    from tracker.plugins import hookimpl
    from tracker.plugins.manager import build_registry

    class HelloPlugin:
        @hookimpl
        def register_commands(self, cli):
            @cli.command("hello-from-plugin")
            def hello() -> None:
                print("hello from a plugin")

    registry = build_registry(extra_plugins=[("hello", HelloPlugin())])
    monkeypatch.setattr(cli_registry_mod, "cli_registry", lambda: registry)
    assert run_cli(["hello-from-plugin"]) == 0
    assert capsys.readouterr().out == "hello from a plugin\n"
