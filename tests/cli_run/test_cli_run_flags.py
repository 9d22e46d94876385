"""Run-mode flag parsing and validation (cli-tui.md §1.2, §4.2): one clear `Error:` line,
the run usage, exit 1, and nothing executed."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_run_support import marker_lines, marker_pipeline, tracker, write

BAD_FLAGS = [
    (["--backend", "gpt"], 'invalid backend "gpt": must be one of: native, claude-code, acp'),
    (["--max-tokens", "-5"], "budget limits must be non-negative"),
    (["--max-cost=-1"], "budget limits must be non-negative"),
    (["--max-wall-time", "-1s"], "budget limits must be non-negative"),
    (
        ["--webhook-url", "http://x", "--autopilot", "mid"],
        "--webhook-url and --autopilot are mutually exclusive: choose one gate automation strategy",
    ),
    (
        ["--webhook-url", "http://x", "--auto-approve"],
        "--webhook-url and --auto-approve are mutually exclusive: "
        "choose one gate automation strategy",
    ),
    (
        ["--webhook-url", "http://x", "--gate-timeout-action", "retry"],
        '--gate-timeout-action must be "fail" or "success", got "retry"',
    ),
    (["--max-output-limit", "-3"], "--max-output-limit must be non-negative, got -3"),
    (["--param", "novalue"], 'invalid --param "novalue": expected key=value'),
    (["--param", " =x"], 'invalid --param " =x": key cannot be empty'),
    (["--max-tokens", "lots"], 'invalid value "lots" for flag --max-tokens'),
    (["--max-wall-time", "90"], 'invalid value "90" for flag --max-wall-time'),
    (["--json=maybe"], 'invalid boolean value "maybe" for flag --json'),
    (["--bogus"], "flag provided but not defined: --bogus"),
    (["--workdir"], "flag needs an argument: --workdir"),
]


@pytest.mark.parametrize(("flags", "message"), BAD_FLAGS)
def test_bad_flag_values_print_one_error_line_then_usage(
    tmp_path: Path, flags: list[str], message: str
) -> None:
    write(tmp_path / "p.dip", marker_pipeline("A"))
    proc = tracker("p.dip", *flags, cwd=tmp_path)
    assert proc.returncode == 1
    first, blank, *rest = proc.stderr.splitlines()
    assert first.startswith(f"Error: {message}"), proc.stderr
    assert blank == ""
    assert rest[0].startswith("Usage: tracker [flags] <pipeline>")
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
    assert marker_lines(tmp_path) == []


def test_missing_pipeline_and_extra_positionals_are_usage_errors(tmp_path: Path) -> None:
    proc = tracker("run", "--auto-approve", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.startswith("Error: usage\n\n")
    proc = tracker("a.dip", "b.dip", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.startswith("Error: unexpected arguments after the pipeline: b.dip\n\n")


def test_run_help_lists_every_run_flag(tmp_path: Path) -> None:
    proc = tracker("run", "--help", cwd=tmp_path)
    assert proc.returncode == 0
    for flag in (
        "--workdir",
        "--resume",
        "--param",
        "--artifact-dir",
        "--no-tui",
        "--json",
        "--verbose",
        "--auto-approve",
        "--max-tokens",
        "--max-cost",
        "--max-wall-time",
        "--tool-allowlist",
        "--tool-denylist-add",
        "--bypass-denylist",
        "--max-output-limit",
        "--backend",
        "--format",
        "--gateway-url",
        "--export-bundle",
        "--scripted",
    ):
        assert flag in proc.stdout, flag


def test_unknown_autopilot_persona_is_reported_after_env_loading(tmp_path: Path) -> None:
    write(tmp_path / "p.dip", marker_pipeline("A"))
    proc = tracker("p.dip", "--autopilot", "grumpy", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        'error: unknown autopilot persona "grumpy" (valid: lax, mid, hard, mentor)'
    )
    assert marker_lines(tmp_path) == []


def test_unknown_format_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "p.dip", marker_pipeline("A"))
    proc = tracker("p.dip", "--format", "yaml", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.strip() == 'error: unknown pipeline format: "yaml" (valid: dip, dot)'


def test_format_dot_reads_a_file_without_the_extension_as_dot(tmp_path: Path) -> None:
    write(
        tmp_path / "flow.graph",
        "digraph flow {\n"
        "  Start [shape=Mdiamond];\n  Done [shape=Msquare];\n"
        '  Touch [shape=parallelogram, tool_command="echo Touch >> marker.txt"];\n'
        "  Start -> Touch -> Done;\n}\n",
    )
    proc = tracker("flow.graph", "--format", "dot", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "WARNING: DOT format is deprecated" in proc.stderr
    assert marker_lines(tmp_path) == ["Touch"]


def test_unknown_pipeline_name_is_reported(tmp_path: Path) -> None:
    proc = tracker("no_such_pipeline", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.splitlines()[-3].startswith('error: unknown pipeline "no_such_pipeline"')


def test_a_pipeline_with_errors_runs_nothing(tmp_path: Path) -> None:
    text = marker_pipeline("A").replace("    A -> Done\n", "")
    write(tmp_path / "p.dip", text)
    proc = tracker("p.dip", cwd=tmp_path)
    assert proc.returncode == 1
    assert "error" in proc.stderr
    assert "nothing was run" in proc.stderr
    assert marker_lines(tmp_path) == []
