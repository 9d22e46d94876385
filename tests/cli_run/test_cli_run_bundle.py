"""`--export-bundle` (cli-tui.md §4.11): the run directory becomes its own repository with
one commit per node outcome and a checkpoint tag per node; the bundle restores it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from cli_run_support import marker_pipeline, run_dirs, tool_pipeline, tracker, write

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout


def test_bundle_commits_and_tags_match_the_nodes(tmp_path: Path) -> None:
    write(tmp_path / "p.dip", marker_pipeline("Build", "Test"))
    proc = tracker("p.dip", "--export-bundle", "out/run.bundle", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    bundle = (tmp_path / "out" / "run.bundle").resolve()
    assert proc.stdout.splitlines()[-1] == f"  bundle: {bundle}"
    [run_dir] = run_dirs(tmp_path)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(bundle), str(clone)], check=True)
    subjects = git(clone, "log", "--reverse", "--format=%s").splitlines()
    assert subjects[:4] == [
        "node(Start): start outcome=success",
        "node(Build): tool outcome=success",
        "node(Test): tool outcome=success",
        "node(Done): exit outcome=success",
    ]
    tags = git(clone, "tag").split()
    assert sorted(tags) == sorted(
        f"checkpoint/{run_dir.name}/{n}" for n in ("Start", "Build", "Test", "Done")
    )
    # each tag points at the commit of its node, whose checkpoint lists it as completed
    show = git(clone, "show", f"checkpoint/{run_dir.name}/Build:checkpoint.json")
    assert '"Build"' in show and '"Test"' not in show.split('"completed_nodes"')[1].split("]")[0]
    assert (clone / "activity.jsonl").is_file()


def test_failed_run_is_bundled_too_and_failures_only_warn(tmp_path: Path) -> None:
    write(tmp_path / "p.dip", tool_pipeline(("Break", "exit 4")))
    proc = tracker("p.dip", "--export-bundle", "fail.bundle", cwd=tmp_path)
    assert proc.returncode == 1
    assert (tmp_path / "fail.bundle").is_file()
    subjects = git(tmp_path / run_dirs(tmp_path)[0], "log", "--format=%s").splitlines()
    assert "node(Break): tool outcome=fail" in subjects

    (tmp_path / "blocker").write_text("a file, not a directory")
    write(tmp_path / "q.dip", marker_pipeline("A"))
    proc = tracker("q.dip", "--export-bundle", "blocker/x.bundle", cwd=tmp_path)
    assert proc.returncode == 0  # the run succeeded; the export failure only warns
    assert "warning: bundle export failed: " in proc.stderr
