"""Agent nodes inside whole pipelines: the real loader, engine, codergen handler, native
session and tools, answered by the scripted provider from a replies file."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tracker.engine.api import Config, build_engine
from tracker.engine.events import PipelineEvent
from tracker.engine.result import EngineResult

KEY_VARS = (
    "ANTHROPIC_API_KEY",
    "OPENAI_API_KEY",
    "OPENAI_COMPAT_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "TRACKER_SCRIPTED_FILE",
)


@pytest.fixture(autouse=True)
def _no_provider_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in KEY_VARS:
        monkeypatch.delenv(name, raising=False)


@dataclass
class AgentRun:
    result: EngineResult
    events: list[PipelineEvent]
    run_dir: Path
    handled: list[PipelineEvent]

    def types(self, node_id: str, source: str = "pipeline") -> list[str]:
        return [e.type for e in self.events if e.node_id == node_id and e.source == source]

    def artifact(self, node_id: str, name: str) -> str:
        return (self.run_dir / node_id / name).read_text(encoding="utf-8")

    def activity(self) -> list[dict[str, Any]]:
        lines = (self.run_dir / "activity.jsonl").read_text().splitlines()
        return [json.loads(line) for line in lines]

    def trace(self, node_id: str) -> list[Any]:
        return [t for t in self.result.trace if t.node_id == node_id]


def run_agents(tmp_path: Path, text: str, script: dict[str, Any], **config: Any) -> AgentRun:
    source = tmp_path / "pipeline.dip"
    source.write_text(text)
    replies = tmp_path / "replies.json"
    replies.write_text(json.dumps(script))
    events: list[PipelineEvent] = []
    handled: list[PipelineEvent] = []
    cfg = Config(
        workdir=tmp_path / "work",
        artifact_dir=tmp_path / "runs",
        scripted_file=replies,
        sinks=[events.append],
        event_handler=handled.append,
        **config,
    )
    (tmp_path / "work").mkdir(exist_ok=True)
    engine = build_engine(source, cfg)

    async def no_sleep(_seconds: float) -> None:
        return None

    engine.sleep = no_sleep
    result = asyncio.run(engine.run())
    for sink in engine.sinks:
        getattr(sink, "close", lambda: None)()
    assert engine.run_dir is not None
    return AgentRun(result, events, engine.run_dir, handled)


def pipeline(body: str, edges: str) -> str:
    return (
        "workflow agents\n  start: Start\n  exit: Done\n\n"
        "  agent Start\n    label: Start\n\n"
        f"{body}\n"
        "  agent Done\n    label: Done\n\n"
        f"  edges\n{edges}"
    )


def write_call(path: str, content: str) -> dict[str, Any]:
    return {"tool_calls": [{"name": "write", "arguments": {"path": path, "content": content}}]}


WORK = """  agent Work
    prompt: Write the greeting file.
    auto_status: true
"""
LINEAR = "    Start -> Work\n    Work -> Done\n"


def test_agent_writes_a_file_and_succeeds(tmp_path: Path) -> None:
    script = {
        "nodes": {
            "Work": [
                write_call("out/hello.txt", "hello\n"),
                {"text": "Wrote the file.\nSTATUS: success", "usage": {"output_tokens": 9}},
            ]
        }
    }
    run = run_agents(tmp_path, pipeline(WORK, LINEAR), script)

    assert run.result.status == "success", run.result.error
    assert (tmp_path / "work" / "out" / "hello.txt").read_text() == "hello\n"
    ctx = run.result.context
    assert ctx["last_response"] == "Wrote the file.\nSTATUS: success"
    assert ctx["response.Work"] == ctx["last_response"]
    assert "write" in ctx["episode_summary"]
    assert json.loads(ctx["episode_summaries"]) == [ctx["episode_summary"]]

    (entry,) = run.trace("Work")
    assert entry.handler_name == "codergen"
    assert entry.stats is not None
    assert entry.stats.turns == 2
    assert entry.stats.tool_calls == {"write": 1}
    assert entry.stats.total_tool_calls == 1
    assert entry.stats.files_created == ["out/hello.txt"]
    assert entry.stats.provider == "scripted"
    assert entry.stats.output_tokens == 9


def test_agent_node_leaves_prompt_response_and_status_artifacts(tmp_path: Path) -> None:
    script = {"nodes": {"Work": [write_call("a.txt", "x"), "All done.\nSTATUS: success"]}}
    run = run_agents(tmp_path, pipeline(WORK, LINEAR), script)

    assert run.artifact("Work", "prompt.md") == "Write the greeting file."
    response = run.artifact("Work", "response.md")
    assert "TOOL CALL: write" in response
    assert "TEXT: All done." in response
    assert "Turns: 2 | Tool calls: 1 (write: 1)" in response
    status = json.loads(run.artifact("Work", "status.json"))
    assert status["outcome"] == "success"
    assert status["context_updates"]["last_response"] == "All done.\nSTATUS: success"


def test_agent_events_reach_the_activity_log_but_not_the_pipeline_handler(
    tmp_path: Path,
) -> None:
    script = {"nodes": {"Work": [write_call("a.txt", "x"), "ok"]}}
    run = run_agents(tmp_path, pipeline(WORK, LINEAR), script)

    agent_types = run.types("Work", source="agent")
    assert "tool_call_start" in agent_types and "text_delta" in agent_types
    lines = [e for e in run.activity() if e.get("source") == "agent"]
    starts = [e for e in lines if e["type"] == "tool_call_start"]
    assert starts and starts[0]["node_id"] == "Work" and starts[0]["tool_name"] == "write"
    assert starts[0]["provider"] == "scripted"
    assert starts[0]["model"] == "claude-sonnet-4-6"
    assert all(e.source == "pipeline" for e in run.handled)


def test_auto_status_fail_routes_through_the_failure_edge(tmp_path: Path) -> None:
    body = WORK + "\n  agent Fix\n    prompt: Fix it.\n"
    edges = (
        "    Start -> Work\n"
        "    Work -> Done  when ctx.outcome = success\n"
        "    Work -> Fix  when ctx.outcome = fail\n"
        "    Fix -> Done\n"
    )
    script = {"nodes": {"Work": ["Tests still fail.\nSTATUS: fail"], "Fix": ["fixed"]}}
    run = run_agents(tmp_path, pipeline(body, edges), script)

    assert run.result.status == "success", run.result.error
    assert run.result.completed_nodes == ["Start", "Work", "Fix", "Done"]
    assert run.result.context["node.Work.outcome"] == "fail"


def test_status_lines_inside_code_fences_are_ignored(tmp_path: Path) -> None:
    body = WORK + "\n  agent Fix\n    prompt: Fix it.\n"
    edges = (
        "    Start -> Work\n"
        "    Work -> Done  when ctx.outcome = success\n"
        "    Work -> Fix  when ctx.outcome = fail\n"
        "    Fix -> Done\n"
    )
    text = "Example:\n```\nSTATUS: fail\n```\nAll good."
    run = run_agents(tmp_path, pipeline(body, edges), {"nodes": {"Work": [text]}})
    assert run.result.completed_nodes == ["Start", "Work", "Done"]


def test_auto_status_retry_runs_the_node_again(tmp_path: Path) -> None:
    body = WORK.replace("auto_status: true", "auto_status: true\n    max_retries: 2")
    script = {"nodes": {"Work": ["Flaky.\nSTATUS: retry", "Better.\nSTATUS: success"]}}
    run = run_agents(tmp_path, pipeline(body, LINEAR), script)

    assert run.result.status == "success", run.result.error
    assert [t.status for t in run.trace("Work")] == ["retry", "success"]
    assert "stage_retrying" in run.types("Work")
    assert run.result.context["last_response"] == "Better.\nSTATUS: success"


def test_turn_limit_is_a_routable_failure_with_a_message(tmp_path: Path) -> None:
    body = (
        "  agent Work\n    prompt: Keep going.\n    max_turns: 1\n\n"
        "  agent Rescue\n    prompt: Rescue.\n"
    )
    edges = (
        "    Start -> Work\n"
        "    Work -> Done  when ctx.outcome = success\n"
        "    Work -> Rescue  when ctx.outcome = fail\n"
        "    Rescue -> Done\n"
    )
    script = {"nodes": {"Work": [write_call("a.txt", "1")], "Rescue": ["rescued"]}}
    run = run_agents(tmp_path, pipeline(body, edges), script)

    assert run.result.status == "success", run.result.error
    ctx = run.result.context
    assert ctx["node.Work.outcome"] == "fail"
    assert ctx["node.Work.turn_limit_msg"] == (
        'node "Work": agent exhausted turn limit (1 turns) without completing'
    )
    assert "Rescue" in run.result.completed_nodes


def test_turn_limit_without_failure_edge_stops_the_run(tmp_path: Path) -> None:
    body = "  agent Work\n    prompt: Keep going.\n    max_turns: 1\n"
    script = {"nodes": {"Work": [write_call("a.txt", "1")]}}
    run = run_agents(tmp_path, pipeline(body, LINEAR), script)
    assert run.result.status == "fail"
    assert "Done" not in run.result.completed_nodes


def test_empty_responses_ask_for_a_retry(tmp_path: Path) -> None:
    body = "  agent Work\n    prompt: Answer.\n    max_retries: 1\n"
    script = {"nodes": {"Work": ["", "", "", "finally"]}}
    run = run_agents(tmp_path, pipeline(body, LINEAR), script)

    assert run.result.status == "success", run.result.error
    attempts = run.trace("Work")
    assert [t.status for t in attempts] == ["retry", "success"]
    assert attempts[0].stats is not None and attempts[0].stats.turns == 3
    assert run.result.context["last_response"] == "finally"


def test_retryable_session_error_retries_with_the_error_text(tmp_path: Path) -> None:
    body = "  agent Work\n    prompt: Answer.\n    max_retries: 1\n"
    bad = {"error": {"type": "invalid_request", "message": "messages: must not be empty"}}
    run = run_agents(tmp_path, pipeline(body, LINEAR), {"nodes": {"Work": [bad, "recovered"]}})

    assert run.result.status == "success", run.result.error
    assert [t.status for t in run.trace("Work")] == ["retry", "success"]
    first = next(e for e in run.events if e.type == "decision_outcome" and e.node_id == "Work")
    assert "messages: must not be empty" in first.context_updates["last_response"]
    assert run.result.context["last_response"] == "recovered"


def test_retry_memory_reaches_the_next_attempt(tmp_path: Path) -> None:
    body = "  agent Work\n    prompt: Answer.\n    auto_status: true\n    max_retries: 1\n"
    second = {"text": "STATUS: success", "expect": ["Prior attempts summary", "broken.txt"]}
    script = {"nodes": {"Work": [write_call("broken.txt", "x"), "STATUS: retry", second]}}
    run = run_agents(tmp_path, pipeline(body, LINEAR), script)
    assert run.result.status == "success", run.result.error


def test_declared_writes_are_parsed_from_the_answer(tmp_path: Path) -> None:
    body = "  agent Judge\n    prompt: Judge.\n    writes: verdict, score\n\n  agent Ship\n    prompt: Ship.\n"
    edges = (
        "    Start -> Judge\n"
        "    Judge -> Ship  when ctx.verdict = green\n"
        "    Judge -> Done  when ctx.verdict != green\n"
        "    Ship -> Done\n"
    )
    answer = 'Here is my verdict:\n```json\n{"verdict": "green", "score": 9.50}\n```'
    run = run_agents(
        tmp_path, pipeline(body, edges), {"nodes": {"Judge": [answer], "Ship": ["ok"]}}
    )

    assert run.result.status == "success", run.result.error
    assert run.result.context["verdict"] == "green"
    assert run.result.context["score"] == "9.50"
    assert "Ship" in run.result.completed_nodes


def test_declared_writes_missing_a_key_fail_the_node(tmp_path: Path) -> None:
    body = "  agent Judge\n    prompt: Judge.\n    writes: verdict, score\n"
    run = run_agents(
        tmp_path,
        pipeline(body, "    Start -> Judge\n    Judge -> Done\n"),
        {"nodes": {"Judge": ['{"verdict": "green"}']}},
    )
    assert run.result.status == "fail"
    ctx = run.result.context
    assert ctx["node.Judge.outcome"] == "fail"
    assert "missing declared key(s): score" in ctx["writes_error"]


def test_authentication_error_stops_the_run_naming_the_key(tmp_path: Path) -> None:
    body = "  agent Work\n    prompt: Answer.\n    max_retries: 3\n"
    auth = {"error": {"type": "authentication", "message": "invalid x-api-key"}}
    edges = "    Start -> Work\n    Work -> Done  when ctx.outcome = success\n    Work -> Done  when ctx.outcome = fail\n"
    run = run_agents(tmp_path, pipeline(body, edges), {"nodes": {"Work": [auth, "never"]}})

    assert run.result.status == "fail"
    assert "rejected the API key" in run.result.error
    assert "tracker setup" in run.result.error
    assert "SCRIPTED_API_KEY" in run.result.error
    assert len(run.trace("Work")) == 1 and run.trace("Work")[0].status == "error"


def test_exhausted_credit_pauses_the_run(tmp_path: Path) -> None:
    body = "  agent Work\n    prompt: Answer.\n"
    quota = {"error": {"status_code": 400, "message": "Your credit balance is too low"}}
    run = run_agents(tmp_path, pipeline(body, LINEAR), {"nodes": {"Work": [quota]}})
    assert run.result.status == "paused_billing"
    assert "billing_paused" in run.types("Work")


def test_unknown_backend_is_a_clear_configuration_error(tmp_path: Path) -> None:
    body = "  agent Work\n    prompt: Answer.\n    backend: gpt-cli\n"
    run = run_agents(tmp_path, pipeline(body, LINEAR), {"nodes": {}})
    assert run.result.status == "fail"
    assert 'unknown backend "gpt-cli" for node "Work"' in run.result.error
    assert "native, codergen, claude-code, acp" in run.result.error


def test_acp_backend_without_the_plugin_names_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tracker.plugins import manager

    registry = manager.build_registry()
    registry.entries.get("backends", {}).pop("acp", None)  # as if tracker-acp were absent
    monkeypatch.setattr(manager, "get_registry", lambda: registry)
    body = "  agent Work\n    prompt: Answer.\n    backend: acp\n"
    run = run_agents(tmp_path, pipeline(body, LINEAR), {"nodes": {}})
    assert run.result.status == "fail"
    assert "tracker-acp" in run.result.error


def test_designated_start_and_exit_agents_never_call_the_model(tmp_path: Path) -> None:
    text = pipeline("  agent Work\n    prompt: Answer.\n", LINEAR).replace(
        "  agent Start\n    label: Start\n", "  agent Start\n    prompt: Never sent.\n"
    )
    run = run_agents(tmp_path, text, {"nodes": {"Work": ["ok"]}})
    assert run.result.status == "success", run.result.error
    assert run.types("Start", source="agent") == []
    assert not (run.run_dir / "Start" / "prompt.md").exists()


def test_working_dir_confines_the_agent(tmp_path: Path) -> None:
    body = "  agent Work\n    prompt: Answer.\n    working_dir: sub/dir\n"
    script = {"nodes": {"Work": [write_call("f.txt", "x"), "ok"]}}
    run = run_agents(tmp_path, pipeline(body, LINEAR), script)
    assert run.result.status == "success", run.result.error
    assert (tmp_path / "work" / "sub" / "dir" / "f.txt").read_text() == "x"


def test_working_dir_traversal_is_refused(tmp_path: Path) -> None:
    body = "  agent Work\n    prompt: Answer.\n    working_dir: ../outside\n"
    run = run_agents(tmp_path, pipeline(body, LINEAR), {"nodes": {}})
    assert run.result.status == "fail"
    assert "path traversal" in run.result.error
