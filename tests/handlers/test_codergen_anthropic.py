"""An agent pipeline end to end through the REAL Anthropic adapter (official SDK, via the
provider plugin) talking to the fake Messages API on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tracker.engine.api import Config, run_sync
from tracker.testing import FakeAnthropic, FakeToolCall, FakeTurn, FakeUsage

pytest.importorskip("tracker_providers.anthropic")

KEY = "sk-ant-test-xxxxxxxx"
PIPELINE = """workflow greet
  start: Start
  exit: Done

  agent Start
    label: Start

  agent Work
    model: claude-sonnet-4-6
    prompt: Write hello.txt, then report.
    auto_status: true

  agent Done
    label: Done

  edges
    Start -> Work
    Work -> Done
"""


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAnthropic]:
    for name in (
        "OPENAI_API_KEY",
        "OPENAI_COMPAT_API_KEY",
        "GEMINI_API_KEY",
        "GOOGLE_API_KEY",
        "TRACKER_SCRIPTED_FILE",
        "TRACKER_GATEWAY_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    with FakeAnthropic() as server:
        monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        yield server


def _run(tmp_path: Path):
    source = tmp_path / "greet.dip"
    source.write_text(PIPELINE)
    work = tmp_path / "work"
    work.mkdir()
    return run_sync(source, Config(workdir=work, artifact_dir=tmp_path / "runs"))


def test_agent_uses_the_write_tool_through_the_real_adapter(
    fake: FakeAnthropic, tmp_path: Path
) -> None:
    fake.add_turn(
        FakeTurn(
            tool_calls=[FakeToolCall("write", {"path": "hello.txt", "content": "hello\n"})],
            usage=FakeUsage(input_tokens=1000, output_tokens=50),
        )
    )
    fake.add_turn(
        FakeTurn(
            text="Wrote hello.txt.\nSTATUS: success",
            usage=FakeUsage(input_tokens=1200, output_tokens=20),
        )
    )
    result = _run(tmp_path)

    assert result.status == "success", result.error
    assert (tmp_path / "work" / "hello.txt").read_text() == "hello\n"
    assert len(fake.requests) == 2
    # the tool result went back to the model as a tool_result block
    assert fake.sent_tool_results(fake.requests[1])[0][1].startswith("wrote 6 bytes")
    assert result.usage is not None
    totals = result.usage.provider_totals["anthropic"]
    assert (totals.input_tokens, totals.output_tokens) == (2200, 70)
    assert result.cost.total_usd > 0
    assert result.context["last_response"] == "Wrote hello.txt.\nSTATUS: success"


def test_rejected_key_stops_the_run_after_one_request(fake: FakeAnthropic, tmp_path: Path) -> None:
    fake.add_error(401)
    fake.add_turn("never sent")
    result = _run(tmp_path)

    assert result.status == "fail"
    assert len(fake.requests) == 1
    assert "ANTHROPIC_API_KEY" in result.error
    assert "tracker setup" in result.error
    assert "Traceback" not in result.error
    assert result.completed_nodes == ["Start"]
