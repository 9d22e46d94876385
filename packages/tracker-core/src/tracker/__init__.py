"""tracker: pipeline orchestration for multi-agent LLM workflows.

The library API is loaded on first use (``tracker.run``, ``tracker.Config`` …), so
``import tracker`` stays cheap for the CLI."""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "run": "tracker.engine.api",
    "run_sync": "tracker.engine.api",
    "Config": "tracker.engine.api",
    "Result": "tracker.engine.api",
    "PipelineLoadError": "tracker.engine.api",
    "Engine": "tracker.engine.runner",
    "EngineResult": "tracker.engine.result",
    "BudgetLimits": "tracker.engine.config",
    "PipelineEvent": "tracker.engine.events",
    "Outcome": "tracker.engine.handler",
    "HandlerError": "tracker.engine.handler",
    "NDJSONWriter": "tracker.engine.ndjson",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tracker' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
