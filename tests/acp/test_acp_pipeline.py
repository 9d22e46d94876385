"""An agent node with `backend: acp` through the real engine, on the fake ACP agent; and
the backend's registration as seen by `tracker plugins`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tracker.engine.api import Config, run_sync

FAKE = Path(__file__).with_name("fake_acp_agent.py")
VENV_BIN = Path(sys.executable).parent

PIPELINE = """workflow acp_demo
  start: Start
  exit: Done

  agent Start
    label: Start

  agent Work
    backend: acp
    model: claude-sonnet-4-6
    prompt: Write the result file.
    params:
      acp_agent: {agent}
{extra}
  agent Done
    label: Done

  edges
    Start -> Work
    Work -> Done  when ctx.outcome = success
    Work -> Done  when ctx.outcome = fail
"""


@pytest.fixture
def agent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    exe = tmp_path / "bin" / "fake-acp"
    exe.parent.mkdir()
    exe.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE}" "$@"\n')
    exe.chmod(0o755)
    monkeypatch.setenv("FAKE_ACP_OUTSIDE", str(tmp_path / "outside.txt"))
    monkeypatch.delenv("FAKE_ACP_LOG", raising=False)
    monkeypatch.delenv("TRACKER_SCRIPTED_FILE", raising=False)
    return exe


def run(tmp_path: Path, agent: str, extra: str = ""):
    source = tmp_path / "acp.dip"
    source.write_text(PIPELINE.format(agent=agent, extra=extra))
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return run_sync(source, Config(workdir=work, artifact_dir=tmp_path / "runs"))


def test_agent_node_runs_on_an_acp_agent(tmp_path: Path, agent: Path) -> None:
    result = run(tmp_path, str(agent))

    assert result.status == "success", result.error
    assert result.context["last_response"] == "Hello world."
    assert (tmp_path / "work" / "out" / "result.txt").is_file()
    assert not (tmp_path / "outside.txt").exists()
    (work,) = [t for t in result.trace if t.node_id == "Work"]
    assert work.status == "success"
    assert work.stats is not None and work.stats.provider == "acp"
    assert work.stats.tool_calls == {"edit": 1}
    assert work.stats.files_created == ["out/result.txt"]
    assert result.usage is not None and "acp" in result.usage.provider_totals
    response = (Path(result.artifact_run_dir) / "Work" / "response.md").read_text()
    assert "TOOL CALL: Write out/result.txt" in response


def test_a_crashing_agent_stops_the_run_with_its_message(tmp_path: Path, agent: Path) -> None:
    result = run(tmp_path, f"{agent} crash")
    assert result.status == "fail"
    assert 'node "Work": acp: fake-acp exited unexpectedly' in result.error
    assert "boom: the agent fell over" in result.error


def test_a_missing_agent_fails_the_node_naming_the_install(tmp_path: Path, agent: Path) -> None:
    result = run(tmp_path, "codex-acp-missing")
    assert result.status == "fail"
    assert 'acp agent "codex-acp-missing" not found in PATH' in result.error


def test_tracker_plugins_lists_the_acp_backend() -> None:
    tracker = VENV_BIN / "tracker"
    if not tracker.exists():
        pytest.skip("tracker console script not installed")
    env = {**os.environ, "NO_COLOR": "1"}
    out = subprocess.run(
        [str(tracker), "plugins"], capture_output=True, text=True, env=env, check=True
    ).stdout
    backends = out.split("Backends (")[1].split("\n\n")[0]
    acp = [line for line in backends.splitlines() if line.split()[:1] == ["acp"]]
    assert acp and "acp (tracker-acp)" in acp[0]
    installed = [line for line in out.splitlines() if line.split()[:2] == ["acp", "tracker-acp"]]
    assert installed and "registers nothing" not in installed[0]


def test_registration_does_not_load_the_protocol_code() -> None:
    code = (
        "import sys; from tracker.plugins.manager import get_registry; get_registry(); "
        "print(sorted(m for m in sys.modules if m.startswith('tracker_acp')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "['tracker_acp', 'tracker_acp.plugin']"
