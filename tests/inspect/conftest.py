"""Fixtures: the reference's recorded run directories, copied into a throwaway workdir."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

RUN_NAMES = (
    "auto_status_missing",
    "budget_halted",
    "doubled_llm",
    "failed",
    "marker_missing",
    "ok",
    "route_missing",
)


@pytest.fixture
def reference_runs(corpus_dir: Path) -> Path:
    """The corpus's `testdata/runs` folder (read-only: never inspect it in place)."""
    runs = corpus_dir / "testdata" / "runs"
    if not runs.is_dir():
        pytest.skip("reference run fixtures not found")
    return runs


@pytest.fixture
def workdir(tmp_path: Path, reference_runs: Path) -> Path:
    """A workdir whose `.tracker/runs` holds a copy of every reference run."""
    target = tmp_path / "work" / ".tracker" / "runs"
    target.mkdir(parents=True)
    for name in RUN_NAMES:
        shutil.copytree(reference_runs / name, target / name)
    return tmp_path / "work"
