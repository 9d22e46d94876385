"""The golden-trace harness (spec/engine.md §9), equivalent to the reference's
`tracker-conformance golden`: run a fixture with a stub LLM and auto-approved gates, and
print the normalised schema-v2 document (no messages, timestamps, ids or durations)."""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from tracker.engine.events import PipelineEvent
from tracker.engine.usage import summary_json

STUB_TEXT = "golden-trace deterministic response"
BILLING_MESSAGE = "credit balance too low to access the API"
INTERVIEW_JSON = json.dumps(
    {
        "questions": [
            {
                "text": "Which storage backend?",
                "context": "two candidates found",
                "options": ["postgres", "sqlite"],
            },
            {"text": "Proceed with the plan?", "options": ["yes", "no"]},
        ]
    },
    separators=(",", ":"),
)


def stub_turn(fixture_name: str) -> dict[str, Any]:
    """The stub completer's single reply, chosen by fixture name as the reference does."""
    if "retry" in fixture_name:
        return {"text": "", "usage": {"input_tokens": 0, "output_tokens": 0}}
    if "billing" in fixture_name:
        return {
            "error": {"type": "invalid_request", "status_code": 400, "message": BILLING_MESSAGE}
        }
    usage = {"input_tokens": 100, "output_tokens": 50, "total_tokens": 150}
    if "interview" in fixture_name:
        return {"text": INTERVIEW_JSON, "usage": usage}
    return {"text": STUB_TEXT, "usage": usage}


def stub_client(fixture_name: str) -> Any:
    from tracker.llm.client import Client
    from tracker.llm.scripted import ScriptedProvider

    provider = ScriptedProvider([], default=stub_turn(fixture_name), source="golden-stub")
    return Client({"stub": provider}, default_provider="stub")


class _Collector:
    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def __call__(self, event: PipelineEvent) -> None:
        with self._lock:
            self.events.append((event.type, event.node_id))


def _stats_json(stats: Any) -> dict[str, Any]:
    data = stats.to_json_dict()
    data.pop("longest_turn", None)
    return dict(sorted(data.items()))


def golden_document(fixture: Path) -> dict[str, Any]:
    """Run `fixture` the reference harness's way and build the schema-v2 document."""
    from tracker.engine.api import Config, build_engine

    name = fixture.name
    collector = _Collector()
    budget: dict[str, Any] = {}
    if "budget" in name:
        budget = {"max_total_tokens": 10}
    cwd = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="tracker-golden-") as tmp:
        config = Config(
            workdir=Path(tmp),
            llm_client=stub_client(name),
            event_handler=collector,
            auto_approve=True,
            model="stub-model",
            provider="stub",
            budget=budget or Config().budget,
            lint_errors_fatal=False,
        )
        engine = build_engine(fixture.resolve(), config)
        os.chdir(tmp)
        try:
            result = asyncio.run(engine.run())
        finally:
            os.chdir(cwd)

    pipeline_events: list[str] = []
    node_events: dict[str, list[str]] = {}
    for type_, node_id in collector.events:
        if node_id:
            node_events.setdefault(node_id, []).append(type_)
        else:
            pipeline_events.append(type_)
    trace = []
    for entry in sorted(result.trace, key=lambda e: e.node_id):
        item: dict[str, Any] = {
            "node_id": entry.node_id,
            "handler_name": entry.handler_name,
            "status": entry.status,
        }
        if entry.edge_to:
            item["edge_to"] = entry.edge_to
        if entry.stats is not None:
            item["stats"] = _stats_json(entry.stats)
        trace.append(item)
    return {
        "schema_version": "2",
        "pipeline": name,
        "terminal_status": result.status,
        "status_class": "succeeded" if result.succeeded else "failed",
        "completed_nodes": sorted(result.completed_nodes),
        "pipeline_events": pipeline_events,
        "node_events": dict(sorted(node_events.items())),
        "trace_entries": trace,
        "usage": summary_json(result.usage),
    }


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "golden":
        print(
            "usage: python -m tracker.conformance golden <fixture.dip>",
            file=__import__("sys").stderr,
        )
        return 2
    print(render(golden_document(Path(argv[1]))), end="")
    return 0
