"""`tracker run` through the real command and the real Anthropic adapter (official SDK),
pointed by ANTHROPIC_BASE_URL at the fake Messages API on 127.0.0.1."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tracker.testing import FakeAnthropic, FakeToolCall, FakeTurn, FakeUsage

pytest.importorskip("tracker_providers.anthropic")

TRACKER = Path(sys.executable).with_name("tracker")
PIPELINE = """workflow greet
  start: Start
  exit: Done

  agent Start
    label: Start

  agent Work
    model: claude-sonnet-4-6
    provider: anthropic
    prompt: Write hello.txt, then report.
    auto_status: true

  agent Done
    label: Done

  edges
    Start -> Work
    Work -> Done
"""


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as server:
        yield server


def _run(tmp_path: Path, fake: FakeAnthropic, key: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "greet.dip").write_text(PIPELINE)
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update(
        HOME=str(tmp_path),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        ANTHROPIC_API_KEY=key,
        ANTHROPIC_BASE_URL=fake.url,
        NO_COLOR="1",
    )
    env.pop("TRACKER_GATEWAY_URL", None)
    return subprocess.run(
        [str(TRACKER), "run", "greet.dip", "--no-tui"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_agent_writes_the_file_and_the_summary_shows_dollars(
    fake: FakeAnthropic, tmp_path: Path
) -> None:
    fake.add_turn(
        FakeTurn(
            tool_calls=[FakeToolCall("write", {"path": "hello.txt", "content": "hello\n"})],
            usage=FakeUsage(input_tokens=1000, output_tokens=50),
        )
    )
    fake.add_turn(FakeTurn(text="Wrote it.\nSTATUS: success", usage=FakeUsage(1200, 20)))
    proc = _run(tmp_path, fake, "sk-ant-test-0123456789")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert (tmp_path / "hello.txt").read_text() == "hello\n"
    assert "anthropic" in out
    assert re.search(r"\$\d+\.\d{2}", out), out  # the cost, in dollars
    assert "Traceback" not in out


def test_rejected_key_fails_after_one_request_naming_the_variable(
    fake: FakeAnthropic, tmp_path: Path
) -> None:
    fake.add_error(401)
    fake.add_turn("never sent")
    proc = _run(tmp_path, fake, "sk-ant-test-rejected")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1
    assert len(fake.requests) == 1
    assert "ANTHROPIC_API_KEY" in out
    assert "Traceback" not in out
