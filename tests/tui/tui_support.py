"""Helpers for the dashboard tests: a tiny tool-only pipeline and event construction."""

from __future__ import annotations

from tracker.engine.events import PipelineEvent

PIPELINE = """workflow Tiny
  goal: "three tool steps"
  start: Start
  exit: Done

  tool Start
    command: echo start

  tool Build
    label: "Build it"
    command: printf 'built\\n'

  tool Done
    command: echo done

  edges
    Start -> Build
    Build -> Done
"""


def ev(type: str, node: str = "", source: str = "pipeline", **fields: object) -> PipelineEvent:
    return PipelineEvent(type=type, node_id=node, source=source, **fields)
