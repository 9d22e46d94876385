"""`tracker.NDJSONWriter`: the `--json` line format for pipeline, agent and llm events."""

from __future__ import annotations

import io
import json
import threading
from typing import Any

import pytest
import tracker
from tracker.agent.events import AgentEvent, EventType
from tracker.llm.types import FinishReason, StreamEvent, StreamEventType, ToolCall


def _lines(out: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_write_and_pipeline_handler_produce_the_envelope() -> None:
    out = io.StringIO()
    writer = tracker.NDJSONWriter(out)
    event = tracker.PipelineEvent(type="stage_started", run_id="abc", node_id="N", message="go")
    writer.write(event)
    writer.pipeline_handler()(event)
    writer(event)
    first, second, third = _lines(out)
    assert list(first) == ["ts", "source", "type", "run_id", "node_id", "message"]
    assert first == second == third
    assert out.getvalue().count("\n") == 3


def test_agent_handler_stamps_node_provider_and_model() -> None:
    out = io.StringIO()
    handle = tracker.NDJSONWriter(out).agent_handler("Build")
    handle(AgentEvent(type=EventType.SESSION_START, provider="anthropic", model="claude-x"))
    handle(AgentEvent(type=EventType.TOOL_CALL_END, tool_name="bash", tool_output="ok\n"))
    start, end = _lines(out)
    assert start["source"] == "agent" and start["type"] == "session_start"
    assert end == {
        "ts": end["ts"],
        "source": "agent",
        "type": "tool_call_end",
        "node_id": "Build",
        "provider": "anthropic",
        "model": "claude-x",
        "tool_name": "bash",
        "content": "ok\n",
    }


def test_trace_observer_maps_stream_events_to_llm_lines() -> None:
    out = io.StringIO()
    observe = tracker.NDJSONWriter(out).trace_observer("anthropic", "claude-x")
    observe(StreamEvent(type=StreamEventType.STREAM_START))
    observe(StreamEvent(type=StreamEventType.TEXT_START))  # not on the wire
    observe(StreamEvent(type=StreamEventType.TEXT_DELTA, delta="x" * 200))
    observe(StreamEvent(type=StreamEventType.REASONING_DELTA, reasoning_delta="hmm"))
    call = ToolCall(id="c1", name="bash", arguments={})
    observe(StreamEvent(type=StreamEventType.TOOL_CALL_START, tool_call=call))
    observe(StreamEvent(type=StreamEventType.FINISH, finish_reason=FinishReason(reason="stop")))
    observe(StreamEvent(type=StreamEventType.PROVIDER_EVENT, raw={"type": "ping"}))
    lines = _lines(out)
    assert [line["type"] for line in lines] == [
        "request_start", "text", "reasoning", "tool_prepare", "finish", "provider_raw",
    ]  # fmt: skip
    assert all(line["source"] == "llm" and line["provider"] == "anthropic" for line in lines)
    assert all(line["model"] == "claude-x" for line in lines)
    assert lines[1]["content"] == "x" * 80
    assert lines[2]["content"] == "hmm"
    assert lines[3]["tool_name"] == "bash"


class _Broken(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError("pipe closed")


def test_first_write_error_is_reported_once(capsys: pytest.CaptureFixture[str]) -> None:
    writer = tracker.NDJSONWriter(_Broken())
    for _ in range(3):
        writer.write(tracker.PipelineEvent(type="warning", message="x"))
    err = capsys.readouterr().err
    assert err.count("tracker: NDJSON stream write error: pipe closed") == 1


def test_bad_input_to_handlers_is_contained(capsys: pytest.CaptureFixture[str]) -> None:
    out = io.StringIO()
    writer = tracker.NDJSONWriter(out)
    writer.agent_handler()(object())  # type: ignore[arg-type]
    writer.trace_observer()(object())
    assert "NDJSON stream write error" in capsys.readouterr().err


def test_concurrent_writes_never_interleave() -> None:
    out = io.StringIO()
    writer = tracker.NDJSONWriter(out)

    def spam(i: int) -> None:
        for j in range(200):
            writer.write(tracker.PipelineEvent(type="warning", message=f"{i}-{j}" * 20))

    threads = [threading.Thread(target=spam, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(_lines(out)) == 800
