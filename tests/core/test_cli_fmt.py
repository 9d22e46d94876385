"""`tracker fmt` (print / --check / --write)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from tracker.cli.app import run_cli

MESSY = """\
workflow Tiny
  start: Start
  exit: Done

  agent Start
    label: Start

  agent Done
    label: Done

  edges
    Start   ->   Done
"""


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = run_cli(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def messy(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "tiny.dip"
    path.write_text(MESSY, encoding="utf-8")
    path.chmod(0o640)
    return path


def test_fmt_prints_canonical_text_and_is_idempotent(messy, capsys):
    code, formatted, err = cli(capsys, "fmt", "tiny.dip")
    assert code == 0 and err == ""
    assert "    Start -> Done\n" in formatted
    assert messy.read_text(encoding="utf-8") == MESSY  # printing never touches the file
    canonical = messy.parent / "canonical.dip"
    canonical.write_text(formatted, encoding="utf-8")
    assert cli(capsys, "fmt", "canonical.dip")[1] == formatted
    assert cli(capsys, "fmt", "--check", "canonical.dip") == (0, "", "")


def test_fmt_check_reports_files_that_would_change(messy, capsys):
    assert cli(capsys, "fmt", "--check", "tiny.dip") == (1, "tiny.dip: would reformat\n", "")
    assert messy.read_text(encoding="utf-8") == MESSY


def test_fmt_write_rewrites_in_place_keeping_the_mode(messy, capsys):
    _, formatted, _ = cli(capsys, "fmt", "tiny.dip")
    assert cli(capsys, "fmt", "--write", "tiny.dip") == (0, "", "")
    assert messy.read_text(encoding="utf-8") == formatted
    assert stat.S_IMODE(messy.stat().st_mode) == 0o640
    assert [p.name for p in messy.parent.iterdir()] == ["tiny.dip"]  # no temp file left
    assert cli(capsys, "fmt", "--check", "tiny.dip")[0] == 0


def test_fmt_parse_error_leaves_file_alone(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    bad = tmp_path / "bad.dip"
    bad.write_text("workflow X\n  start: A\n  exit: B\n\n  agent\n", encoding="utf-8")
    code, out, err = cli(capsys, "fmt", "--write", "bad.dip")
    assert code == 1 and out == ""
    assert err.startswith("bad.dip:")
    assert err.splitlines()[-1] == "error: bad.dip: cannot format a file with parse errors"
    assert bad.read_text(encoding="utf-8").endswith("  agent\n")


def test_fmt_argument_errors(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli(capsys, "fmt")[0] == 1
    code, _, err = cli(capsys, "fmt", "missing.dip")
    assert (code, err) == (1, "error: read missing.dip: no such file or directory\n")
    (tmp_path / "a.dip").write_text(MESSY, encoding="utf-8")
    code, _, err = cli(capsys, "fmt", "--check", "--write", "a.dip")
    assert (code, err) == (1, "error: --check and --write cannot be used together\n")
