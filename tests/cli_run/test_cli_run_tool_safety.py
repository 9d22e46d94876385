"""The tool-safety flags (cli-tui.md §4.3 preamble, §4.12) reach the tool handler."""

from __future__ import annotations

import json
from pathlib import Path

from cli_run_support import marker_lines, run_dirs, tool_pipeline, tracker, write

PRINTER = tool_pipeline(
    ("Print", "printf 'abcdefghijklmnopqrstuvwxyz0123456789'; echo ran > marker.txt")
)


def test_allowlist_blocks_commands_matching_no_pattern(tmp_path: Path) -> None:
    write(tmp_path / "p.dip", PRINTER)
    proc = tracker(
        "p.dip", "--tool-allowlist", "echo *", "--tool-allowlist=ls, cat *", cwd=tmp_path
    )
    assert proc.returncode == 1
    assert proc.stderr.splitlines()[0] == (
        "Tool command allowlist active (3 pattern(s)): echo *, ls, cat *"
    )
    assert "not in the allowlist" in proc.stderr.splitlines()[-1]
    assert marker_lines(tmp_path) == []


def test_denylist_addition_blocks_and_bypass_lets_it_run(tmp_path: Path) -> None:
    write(tmp_path / "p.dip", PRINTER)
    proc = tracker("p.dip", "--tool-denylist-add", "printf*", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.splitlines()[0] == (
        "Tool command extra denylist active (1 pattern(s)): printf*"
    )
    assert 'denied pattern "printf*"' in proc.stderr.splitlines()[-1]
    assert marker_lines(tmp_path) == []

    proc = tracker("p.dip", "--tool-denylist-add", "printf*", "--bypass-denylist", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    err = proc.stderr.splitlines()
    assert (
        err[0] == "WARNING: --bypass-denylist active — built-in tool_command denylist is DISABLED"
    )
    assert err[2] == (
        "Tool command extra denylist configured but bypassed "
        "(--bypass-denylist disables these too) (1 pattern(s)): printf*"
    )
    assert marker_lines(tmp_path) == ["ran"]


def test_max_output_limit_caps_captured_tool_output(tmp_path: Path) -> None:
    write(tmp_path / "p.dip", PRINTER)
    proc = tracker("p.dip", "--max-output-limit", "10", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Tool command output ceiling: 10 bytes per stream" in proc.stderr
    [run_dir] = run_dirs(tmp_path)
    status = json.loads((run_dir / "Print" / "status.json").read_text())
    stdout = status["context_updates"]["tool_stdout"]
    assert stdout.endswith("0123456789")
    assert "abcdefghij" not in stdout
