"""Fixtures for the agent tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """An empty working directory for a session."""
    root = tmp_path / "work"
    root.mkdir()
    return root
