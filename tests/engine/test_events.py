"""activity.jsonl lines (spec/engine.md §7.2), NDJSON, and the library API surface."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys

from engine_helpers import OutcomeScript, dip, stats
from tracker.engine.handler import Outcome

BODY = """
  tool Check
    command:
      printf ok

  agent Work
    prompt: go

  edges
    Start -> Check
    Check -> Work  when ctx.outcome = success
    Check -> Done  when ctx.outcome = fail
    Work -> Done
"""

TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d)$")
ORDER = [
    "ts", "source", "type", "run_id", "node_id", "message", "error", "provider", "model",
    "tool_name", "content", "edge_from", "edge_to", "edge_condition", "edge_priority",
    "condition_match", "outcome_status", "context_snapshot", "context_updates",
    "restart_count", "cleared_nodes", "token_input", "token_output", "total_tokens",
    "total_cost_usd", "provider_totals", "wall_elapsed_ms", "estimated",
]  # fmt: skip


def test_activity_log_lines(run_dip) -> None:
    script = OutcomeScript({"Work": [Outcome(stats=stats(150, 0.25))]})
    run = run_dip(dip(BODY), handlers={"codergen": script})
    lines = run.activity()
    assert lines[0]["type"] == "pipeline_started" and lines[-1]["type"] == "pipeline_completed"
    for line in lines:
        assert TS.match(line["ts"]), line["ts"]
        assert line["source"] == "pipeline"
        keys = list(line)
        assert keys == sorted(keys, key=ORDER.index)  # §7.2 order, nothing unknown
        assert all(v not in ("", None, [], {}) for v in line.values())
    by_type = {}
    for line in lines:
        by_type.setdefault(line["type"], []).append(line)

    outcome = next(x for x in by_type["decision_outcome"] if x["node_id"] == "Check")
    assert outcome["outcome_status"] == "success"
    assert outcome["context_updates"]["tool_stdout"] == "ok"
    assert outcome["context_snapshot"] == {"outcome": "success", "tool_stdout": "ok"}
    assert outcome["run_id"] == run.result.run_id

    cond = by_type["decision_condition"][0]
    assert "run_id" not in cond
    assert (cond["edge_from"], cond["edge_to"], cond["condition_match"]) == ("Check", "Work", True)
    assert cond["edge_condition"] == "ctx.outcome = success"
    edge = next(x for x in by_type["decision_edge"] if x["node_id"] == "Check")
    assert (
        edge["edge_priority"] == "condition"
        and edge["message"] == "edge selected Check->Work via condition"
    )

    work_outcome = next(x for x in by_type["decision_outcome"] if x["node_id"] == "Work")
    assert (work_outcome["token_input"], work_outcome["token_output"]) == (100, 50)
    cost = by_type["cost_updated"][0]
    assert cost["node_id"] == "Work"
    assert cost["total_tokens"] == 150 and cost["total_cost_usd"] == 0.25
    assert cost["provider_totals"]["stub"]["session_count"] == 1
    assert "checkpoint_saved" in by_type and "node_id" not in by_type["checkpoint_saved"][0]


def test_event_handler_sees_only_pipeline_events_and_sinks_see_all(run_dip) -> None:
    class Chatty:
        name = "codergen"

        async def execute(self, node, env):
            from tracker.engine.events import PipelineEvent

            env.emit(
                PipelineEvent(type="tool_call_end", source="agent", tool_name="bash", content="hi")
            )
            return Outcome()

    run = run_dip(dip(BODY), handlers={"codergen": Chatty()})
    assert all(e.source == "pipeline" for e in run.events)
    agent = [x for x in run.activity() if x["source"] == "agent"]
    assert agent[0]["node_id"] == "Work" and agent[0]["tool_name"] == "bash"


def test_ndjson_writer_matches_activity_lines() -> None:
    from tracker import NDJSONWriter, PipelineEvent

    out = io.StringIO()
    writer = NDJSONWriter(out)
    writer(PipelineEvent(type="stage_started", run_id="abc", node_id="N", message="go"))
    line = json.loads(out.getvalue())
    assert list(line) == ["ts", "source", "type", "run_id", "node_id", "message"]


def test_library_run_reports_cost(tmp_path) -> None:
    import tracker

    source = tmp_path / "p.dip"
    source.write_text(
        dip(BODY.replace("agent Work\n    prompt: go", "tool Work\n    command:\n      printf w"))
    )
    seen = []
    result = tracker.run_sync(source, tracker.Config(workdir=tmp_path, event_handler=seen.append))
    assert result.status == "success" and result.succeeded
    assert result.context["tool_stdout"] == "w"
    assert result.cost.total_usd == 0 and result.usage is None
    assert [t.node_id for t in result.trace] == ["Start", "Check", "Work", "Done"]
    assert seen[0].type == "pipeline_started"


def test_import_tracker_stays_light() -> None:
    code = "import sys, tracker; print(any(m.startswith('tracker.engine') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
