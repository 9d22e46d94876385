"""The scripted provider: deterministic replies from a list or a YAML/JSON file."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from tracker.llm import (
    Message,
    RateLimitError,
    Request,
    Response,
    StreamEventType,
    collect,
)
from tracker.llm.client import ProviderConfig
from tracker.llm.errors import ConfigurationError, QuotaExceededError
from tracker.llm.scripted import (
    ScriptedProvider,
    ScriptExhaustedError,
    ScriptExpectationError,
    ScriptFormatError,
    create_provider,
)


def ask(provider: ScriptedProvider, text: str = "go", node: str = "", model: str = "m") -> Response:
    request = Request(
        model=model, messages=[Message.user(text)], metadata={"node_id": node} if node else {}
    )
    return asyncio.run(provider.complete(request))


def test_replies_from_a_list_in_order() -> None:
    provider = ScriptedProvider(
        [
            "first",
            {"text": "second", "usage": {"input_tokens": 100, "output_tokens": 50}},
        ]
    )
    one, two = ask(provider), ask(provider)
    assert (one.text, two.text) == ("first", "second")
    assert one.finish_reason.reason == "stop" and one.provider == "scripted"
    assert two.usage.total_tokens == 150
    assert one.model == "m"
    assert len(provider.requests) == 2


def test_tool_calls_thinking_and_deterministic_ids() -> None:
    provider = ScriptedProvider(
        [
            {
                "thinking": "look first",
                "tool_calls": [
                    {"name": "bash", "arguments": {"command": "ls"}},
                    {"name": "read", "arguments": '{"path": "a.txt"}'},
                ],
            },
            {"tool_calls": [{"name": "glob"}]},
        ]
    )
    first = ask(provider)
    assert first.reasoning == "look first"
    assert [(c.id, c.name) for c in first.tool_calls] == [("call_1", "bash"), ("call_2", "read")]
    assert first.tool_calls[0].parsed_arguments() == {"command": "ls"}
    assert first.finish_reason.reason == "tool_calls"
    assert ask(provider).tool_calls[0].id == "call_3"  # numbered across the run


def test_replies_keyed_by_node_id() -> None:
    provider = ScriptedProvider(
        ["shared"], nodes={"Plan": ["plan 1", "plan 2"], "Review": "looks good"}
    )
    assert ask(provider, node="Plan").text == "plan 1"
    assert ask(provider, node="Other").text == "shared"  # no queue of its own
    assert ask(provider, node="Review").text == "looks good"
    assert ask(provider, node="Plan").text == "plan 2"
    assert provider.remaining("Plan") == 0


def test_running_out_is_a_clear_error() -> None:
    provider = ScriptedProvider(nodes={"Plan": ["only one"]}, source="script.yaml")
    ask(provider, node="Plan")
    with pytest.raises(ScriptExhaustedError) as info:
        ask(provider, node="Plan")
    message = str(info.value)
    assert "script.yaml" in message and "'Plan'" in message and "1 used" in message
    assert not info.value.retryable


def test_default_turn_answers_once_queues_are_empty() -> None:
    provider = ScriptedProvider.from_data({"turns": ["a"], "default": "again"})
    assert [ask(provider).text for _ in range(3)] == ["a", "again", "again"]


def test_scripted_errors_are_raised_as_typed_errors() -> None:
    provider = ScriptedProvider(
        [
            {"error": {"type": "rate_limit", "message": "slow down", "retry_after": 3}},
            {"error": {"status_code": 429, "message": "credit balance is too low"}},
            RuntimeError("a python exception is raised as is"),
        ]
    )
    with pytest.raises(RateLimitError) as info:
        ask(provider)
    assert info.value.retry_after == 3 and info.value.retryable
    with pytest.raises(QuotaExceededError):
        ask(provider)
    with pytest.raises(RuntimeError):
        ask(provider)


def test_expectations_check_the_request() -> None:
    provider = ScriptedProvider(
        [{"text": "ok", "expect": "SPEC.md"}, {"text": "ok", "expect": ["tests pass"]}]
    )
    assert ask(provider, "implement SPEC.md").text == "ok"
    with pytest.raises(ScriptExpectationError, match="'tests pass'"):
        ask(provider, "something else")


def test_script_from_yaml_file(tmp_path: Path) -> None:
    script = tmp_path / "replies.yaml"
    script.write_text(
        """
turns:
  - Hello from the shared queue
nodes:
  Implement:
    - thinking: {text: "plan", signature: "sig-1"}
      tool_calls:
        - name: bash
          arguments: {command: "make test"}
      usage: {input_tokens: 1200, output_tokens: 80, cache_read_tokens: 1000}
    - error: {type: server, message: "upstream 502"}
    - text: Done.
      finish_reason: length
"""
    )
    provider = ScriptedProvider.from_file(script)
    first = ask(provider, node="Implement")
    assert first.tool_calls[0].parsed_arguments() == {"command": "make test"}
    assert first.message.content[0].thinking.signature == "sig-1"  # type: ignore[union-attr]
    assert first.usage.cache_read_tokens == 1000
    with pytest.raises(Exception, match="upstream 502"):
        ask(provider, node="Implement")
    last = ask(provider, node="Implement")
    assert last.text == "Done." and last.finish_reason.is_length
    assert ask(provider).text == "Hello from the shared queue"


def test_script_from_json_list(tmp_path: Path) -> None:
    script = tmp_path / "replies.json"
    script.write_text(json.dumps([{"text": "json works"}]))
    assert ask(ScriptedProvider.from_file(script)).text == "json works"


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (
            "nodes:\n  Plan:\n    - tool_calls: [{arguments: {}}]\n",
            r"nodes\.Plan\[0\]\.tool_calls\[0\]\.name",
        ),
        ("turns:\n  - {txt: hi}\n", r"turns\[0\]\.txt: unknown key"),
        ("turns:\n  - error: {type: meteor}\n", r"unknown error type 'meteor'"),
        ("turns: [\n", r"bad\.yaml:\d+:\d+: invalid YAML"),
        ("replies: []\n", r"unknown key 'replies'"),
        ("42\n", r"a script is a list of turns"),
        ("", r"the script is empty"),
        ("turns:\n  - 7\n", r"turns\[0\]: a turn must be a mapping or a string"),
    ],
)
def test_malformed_script_names_file_and_problem(tmp_path: Path, text: str, match: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    with pytest.raises(ScriptFormatError, match=match) as info:
        ScriptedProvider.from_file(bad)
    assert str(bad) in str(info.value)


def test_missing_script_file() -> None:
    with pytest.raises(ScriptFormatError, match="cannot read script"):
        ScriptedProvider.from_file("/nonexistent/replies.yaml")


def test_stream_yields_provider_like_events_that_accumulate_to_the_reply() -> None:
    turn = {
        "thinking": "x" * 70,
        "text": "The answer is forty-two, computed carefully and at length.",
        "tool_calls": [{"name": "write", "arguments": {"path": "a", "content": "b" * 50}}],
        "usage": {"input_tokens": 3, "output_tokens": 4},
    }
    expected = ask(ScriptedProvider([turn]))
    provider = ScriptedProvider([turn])
    request = Request(model="m", messages=[Message.user("hi")])

    async def gather() -> list:
        return [e async for e in provider.stream(request)]

    events = asyncio.run(gather())
    types = [e.type for e in events]
    assert types[0] is StreamEventType.STREAM_START and types[-1] is StreamEventType.FINISH
    assert StreamEventType.REASONING_DELTA in types and StreamEventType.TOOL_CALL_DELTA in types
    assert types.count(StreamEventType.TEXT_DELTA) > 1  # chunked like a real stream
    rebuilt = asyncio.run(collect(ScriptedProvider([turn]).stream(request), model="m"))
    assert rebuilt.text == expected.text
    assert rebuilt.reasoning == expected.reasoning
    assert rebuilt.tool_calls == expected.tool_calls
    assert rebuilt.usage == expected.usage


def test_stream_reports_scripted_errors_as_an_error_event() -> None:
    provider = ScriptedProvider([{"error": {"type": "overloaded"}}])

    async def gather() -> list:
        return [e async for e in provider.stream(Request(model="m"))]

    (event,) = asyncio.run(gather())
    assert event.type is StreamEventType.ERROR and event.error.retryable  # type: ignore[union-attr]


def test_factory_reads_the_script_from_env_or_options(tmp_path: Path) -> None:
    script = tmp_path / "s.yaml"
    script.write_text("- from env\n")
    provider = create_provider(
        ProviderConfig("scripted", env={"TRACKER_SCRIPTED_FILE": str(script)})
    )
    assert ask(provider).text == "from env"
    inline = create_provider(ProviderConfig("scripted", options={"script": ["inline"]}))
    assert ask(inline).text == "inline"
    with pytest.raises(ConfigurationError, match="TRACKER_SCRIPTED_FILE"):
        create_provider(ProviderConfig("scripted"))
