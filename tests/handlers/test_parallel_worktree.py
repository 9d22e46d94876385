"""Parallel branches in isolated git worktrees (`worktree: true` on the fork)."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from tracker.engine.api import Config, build_engine
from tracker.engine.handler import NodeEnv, Outcome
from tracker.engine.result import EngineResult
from tracker.graph.model import GraphNode

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")

PIPELINE = """workflow isolated
  start: Start
  exit: Done

  agent Start
    label: Start

  parallel Fork -> Alpha, Beta, Broken
    params:
      worktree: true

  tool Alpha
    timeout: 30s
    command:
      cat base.txt; printf alpha > result.txt; pwd

  tool Beta
    timeout: 30s
    command:
      cat base.txt; printf beta > result.txt; pwd

  tool Broken
    timeout: 30s
    command:
      printf half-done > result.txt; exit 1

  fan_in Join <- Alpha, Beta, Broken

  agent Done
    label: Done

  edges
    Start -> Fork
    Join -> Done
"""


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    git(root, "config", "user.email", "dev@example.com")
    git(root, "config", "user.name", "Dev")
    (root / "base.txt").write_text("shared base\n")
    git(root, "add", "base.txt")
    git(root, "commit", "-q", "-m", "base")
    return root


def run(repo: Path, tmp_path: Path, text: str = PIPELINE) -> EngineResult:
    source = tmp_path / "pipeline.dip"
    source.write_text(text)
    engine = build_engine(source, Config(workdir=repo, artifact_dir=tmp_path / "runs"))
    try:
        return asyncio.run(engine.run())
    finally:
        for sink in engine.sinks:
            getattr(sink, "close", lambda: None)()


def test_each_branch_works_in_its_own_checkout_and_keeps_its_work_on_a_branch(
    repo: Path, tmp_path: Path
) -> None:
    result = run(repo, tmp_path)

    assert result.status == "success", result.error
    results = {r["node_id"]: r for r in json.loads(result.context["parallel.results"])}
    alpha, beta = results["Alpha"], results["Beta"]
    assert alpha["context_updates"]["tool_stdout"].startswith("shared base")
    # different checkouts, neither of them the main work tree
    dirs = {r["context_updates"]["tool_stdout"].splitlines()[-1] for r in (alpha, beta)}
    assert len(dirs) == 2 and str(repo) not in dirs
    assert not (repo / "result.txt").exists()

    # the successful branches' work is committed on their own git branches...
    run_id = result.run_id
    for name, content in (("Alpha", "alpha"), ("Beta", "beta")):
        branch = f"tracker/{run_id}/{name}"
        assert results[name]["context_updates"][f"worktree.{name}.branch"] == branch
        assert git(repo, "show", f"{branch}:result.txt") == content
        assert result.context[f"worktree.{name}.branch"] == branch
    # ...and their checkouts are gone
    listed = git(repo, "worktree", "list", "--porcelain")
    assert "/Alpha\n" not in listed and "/Beta\n" not in listed

    # the failed branch keeps its checkout for inspection
    broken = results["Broken"]
    assert broken["status"] == "fail"
    kept = Path(broken["context_updates"]["worktree.Broken.path"])
    assert (kept / "result.txt").read_text() == "half-done"
    assert "worktree kept at" in broken["error"]
    assert git(repo, "show", f"tracker/{run_id}/Broken:result.txt") == "half-done"


def test_outside_a_git_repository_the_branches_fail_with_a_clear_error(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    result = run(plain, tmp_path, PIPELINE.replace("Broken", "Beta2"))

    assert result.status == "fail"
    results = json.loads(result.context["parallel.results"])
    assert all(r["status"] == "fail" for r in results)
    assert "git repository" in results[0]["error"]


class Writer:
    """A stand-in agent that writes a file in its working_dir (relative to the workdir)."""

    name = "codergen"

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.dirs: dict[str, str] = {}

    async def execute(self, node: GraphNode, env: NodeEnv) -> Outcome:
        self.dirs[node.id] = node.attrs.get("working_dir", "")
        target = self.workdir / self.dirs[node.id] / f"{node.id}.txt"
        target.write_text(node.id)
        return Outcome()


AGENTS = """workflow declared
  start: Start
  exit: Done

  agent Start
    label: Start

  parallel Fork -> Own, Fresh
    params:
      worktree: true

  agent Own
    working_dir: mine

  agent Fresh
    working_dir: trees/fresh

  fan_in Join <- Own, Fresh

  agent Done
    label: Done

  edges
    Start -> Fork
    Join -> Done
"""


def test_declared_working_dirs_existing_one_used_as_is_missing_one_becomes_a_worktree(
    repo: Path, tmp_path: Path
) -> None:
    (repo / "mine").mkdir()
    writer = Writer(repo)
    source = tmp_path / "pipeline.dip"
    source.write_text(AGENTS)
    engine = build_engine(source, Config(workdir=repo, artifact_dir=tmp_path / "runs"))
    engine.handlers["codergen"] = writer
    result = asyncio.run(engine.run())

    assert result.status == "success", result.error
    assert writer.dirs == {"Own": "mine", "Fresh": "trees/fresh"}
    assert (repo / "mine" / "Own.txt").read_text() == "Own"  # the pipeline's own directory
    assert not (repo / "trees" / "fresh").exists()  # a worktree, retired after success
    branch = f"tracker/{result.run_id}/Fresh"
    assert git(repo, "show", f"{branch}:Fresh.txt") == "Fresh"
    assert "worktree.Own.branch" not in result.context
    assert "worktree.Own.path" not in result.context
