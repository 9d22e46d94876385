"""`tracker.run` / `arun` / `Engine.from_source`: real pipelines through `import tracker`."""

from __future__ import annotations

import asyncio
import io
import json
import re
from pathlib import Path

import pytest
import tracker
from library_helpers import AGENT, DOT, TOOL_ONLY

TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d)$")


def test_tool_pipeline_runs_with_callback_and_ndjson(tmp_path: Path) -> None:
    seen: list[tracker.PipelineEvent] = []
    out = io.StringIO()
    config = tracker.Config(
        working_dir=tmp_path, event_handler=seen.append, sinks=[tracker.NDJSONWriter(out)]
    )

    result = tracker.run(TOOL_ONLY, config)

    assert result.status == "success" and result.is_success()
    assert result.completed_nodes == ["Start", "Greet", "Done"]
    assert result.context["tool_stdout"] == "hello"
    assert [t.node_id for t in result.trace] == ["Start", "Greet", "Done"]
    assert result.engine_result.run_id == result.run_id
    assert result.cost is None and result.tokens_by_provider == {}
    assert result.artifact_run_dir == ""  # no artifact_dir: no run directory
    assert seen[0].type == "pipeline_started" and seen[-1].type == "pipeline_completed"

    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines and all(list(line)[:3] == ["ts", "source", "type"] for line in lines)
    assert all(TS.match(line["ts"]) for line in lines)
    assert lines[0] == {
        "ts": lines[0]["ts"],
        "source": "pipeline",
        "type": "pipeline_started",
        "run_id": result.run_id,
        "message": "pipeline started",
    }
    assert {"type": "stage_started", "node_id": "Greet"}.items() <= lines[
        [line.get("node_id") for line in lines].index("Greet")
    ].items()
    # the callback saw the same pipeline events the stream carried
    assert [e.type for e in seen] == [line["type"] for line in lines]


def test_run_writes_run_directory_under_artifact_dir(tmp_path: Path) -> None:
    result = tracker.run(TOOL_ONLY, tracker.Config(workdir=tmp_path, artifact_dir=tmp_path / "a"))
    run_dir = Path(result.artifact_run_dir)
    assert run_dir == tmp_path / "a" / result.run_id
    assert (run_dir / "checkpoint.json").is_file()
    types = [e.type for e in tracker.load_activity_log(run_dir)]
    assert types[0] == "pipeline_started" and types[-1] == "pipeline_completed"


def _script(tmp_path: Path, output_tokens: int = 9) -> Path:
    replies = tmp_path / "replies.json"
    turns = [
        {"tool_calls": [{"name": "write", "arguments": {"path": "hi.txt", "content": "hi"}}]},
        {"text": "Done.\nSTATUS: success", "usage": {"output_tokens": output_tokens}},
    ]
    replies.write_text(json.dumps({"nodes": {"Work": turns}}))
    return replies


def test_agent_run_reports_cost_per_provider_and_tool_calls(tmp_path: Path) -> None:
    agent_events: list[tracker.PipelineEvent] = []
    config = tracker.Config(
        working_dir=tmp_path,
        provider="scripted",
        scripted_file=_script(tmp_path),
        agent_events=agent_events.append,
    )

    result = tracker.run(AGENT, config)

    assert result.status == "success", result.error
    assert (tmp_path / "hi.txt").read_text() == "hi"
    assert result.tool_calls_by_name == {"write": 1}
    assert set(result.tokens_by_provider) == {"scripted"}
    assert result.tokens_by_provider["scripted"].output_tokens == 9
    assert result.cost is not None and set(result.cost.by_provider) == {"scripted"}
    assert result.cost.by_provider["scripted"].usage.output_tokens == 9
    assert result.cost.limits_hit == []
    assert agent_events and {e.source for e in agent_events} == {"agent"}
    assert "tool_call_end" in [e.type for e in agent_events]


def test_budget_halt_returns_result_with_cost(tmp_path: Path) -> None:
    config = tracker.Config(
        working_dir=tmp_path,
        provider="scripted",
        scripted_file=_script(tmp_path, output_tokens=50),
        budget=tracker.BudgetLimits(max_total_tokens=10),
    )
    result = tracker.run(AGENT, config)
    assert result.status == "budget_exceeded"
    assert result.cost is not None and result.cost.limits_hit == ["tokens"]
    assert not result.is_success()


def test_failed_run_is_a_result_not_an_exception(tmp_path: Path) -> None:
    failing = TOOL_ONLY.replace("printf hello", "exit 3")
    result = tracker.run(failing, tracker.Config(working_dir=tmp_path))
    assert result.status == "fail"
    assert "Done" not in result.completed_nodes


def test_initial_context_and_retry_policy_fill(tmp_path: Path) -> None:
    # the seeded value is routable: without it Start has no matching edge
    text = TOOL_ONLY.replace("Start -> Greet", "Start -> Greet  when ctx.greeting = bonjour")
    config = tracker.Config(
        working_dir=tmp_path, context={"greeting": "bonjour"}, retry_policy="none"
    )
    result = tracker.run(text, config)
    assert result.status == "success", result.error
    assert result.context["greeting"] == "bonjour"
    assert result.context["graph.default_retry_policy"] == "none"
    unseeded = tracker.run(text, tracker.Config(working_dir=tmp_path))
    assert unseeded.status == "fail"


def test_dot_text_is_sniffed(tmp_path: Path) -> None:
    result = tracker.run(DOT, tracker.Config(working_dir=tmp_path))
    assert result.status == "success"
    assert result.context["tool_stdout"] == "dot"


def test_invalid_pipeline_raises_validation_error(tmp_path: Path) -> None:
    with pytest.raises(tracker.ValidationError, match="^validation failed: "):
        tracker.run("workflow x\n  start: A\n  exit: B\n", tracker.Config(working_dir=tmp_path))


def test_unknown_provider_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError) as err:
        tracker.Engine.from_source(TOOL_ONLY, tracker.Config(working_dir=tmp_path, provider="x"))
    assert (
        str(err.value) == 'unknown provider "x" (valid: anthropic, openai, gemini, openai-compat)'
    )


def test_engine_from_source_async_context_manager(tmp_path: Path) -> None:
    async def main() -> tracker.Result:
        config = tracker.Config(working_dir=tmp_path, artifact_dir=tmp_path / "runs")
        async with tracker.Engine.from_source(TOOL_ONLY, config) as engine:
            assert engine.run_dir == tmp_path / "runs" / engine.run_id
            return await engine.run()

    result = asyncio.run(main())
    assert result.status == "success"
    assert result.artifact_run_dir.endswith(result.run_id)


def test_arun_and_resume_by_run_id_prefix(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    first = asyncio.run(
        tracker.arun(TOOL_ONLY, tracker.Config(workdir=tmp_path, artifact_dir=runs))
    )
    again = tracker.run(
        TOOL_ONLY,
        tracker.Config(workdir=tmp_path, artifact_dir=runs, resume_run_id=first.run_id[:6]),
    )
    assert again.run_id == first.run_id
    assert again.status == "success"


def test_sync_run_refuses_inside_an_event_loop(tmp_path: Path) -> None:
    async def main() -> None:
        tracker.run(TOOL_ONLY, tracker.Config(working_dir=tmp_path))

    with pytest.raises(RuntimeError, match="arun"):
        asyncio.run(main())


def test_human_gate_without_interviewer_fails_and_auto_approve_passes(tmp_path: Path) -> None:
    text = TOOL_ONLY.replace(
        "  tool Greet",
        "  human Ask\n    label: Ship it?\n    mode: choice\n\n  tool Greet",
    ).replace("Start -> Greet", "Start -> Ask\n    Ask -> Greet")
    blocked = tracker.run(text, tracker.Config(working_dir=tmp_path))
    assert blocked.status == "fail"
    approved = tracker.run(text, tracker.Config(working_dir=tmp_path, auto_approve=True))
    assert approved.status == "success", approved.error


def test_legacy_run_sync_still_accepts_paths(tmp_path: Path) -> None:
    source = tmp_path / "p.dip"
    source.write_text(TOOL_ONLY)
    result = tracker.run_sync(source, tracker.Config(workdir=tmp_path))
    assert result.status == "success" and result.cost.total_usd == 0


def test_webhook_gate_needs_a_url(tmp_path: Path) -> None:
    gate = tracker.WebhookGateConfig(webhook_url="")
    with pytest.raises(ValueError, match="webhook_url is required"):
        tracker.Engine.from_source(
            TOOL_ONLY, tracker.Config(working_dir=tmp_path, webhook_gate=gate)
        )


def test_checkpoint_dir_alias_names_the_checkpoint_file(tmp_path: Path) -> None:
    checkpoint = tmp_path / "state" / "checkpoint.json"
    config = tracker.Config(working_dir=tmp_path, checkpoint_dir=checkpoint)
    assert config.checkpoint_dir == checkpoint and config.working_dir == tmp_path
    first = tracker.run(TOOL_ONLY, config)
    assert checkpoint.is_file()
    again = tracker.run(TOOL_ONLY, config)  # resumes from that file
    assert again.run_id == first.run_id and again.status == "success"
