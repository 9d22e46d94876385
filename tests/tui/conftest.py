"""Fixtures for the dashboard tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from tracker.engine.api import load_graph
from tracker.graph.model import Graph
from tui_support import PIPELINE


@pytest.fixture
def tiny(tmp_path: Path) -> tuple[Graph, Path]:
    path = tmp_path / "tiny.dip"
    path.write_text(PIPELINE)
    graph, _ = load_graph(path)
    return graph, path
