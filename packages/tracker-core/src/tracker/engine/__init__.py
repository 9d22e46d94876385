"""The pipeline engine: run loop, routing, context, retries, checkpoints, budgets, events.

Submodules are imported on demand so `import tracker.engine` stays cheap."""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "Context": "tracker.engine.context",
    "RunConfig": "tracker.engine.config",
    "BudgetLimits": "tracker.engine.config",
    "PipelineEvent": "tracker.engine.events",
    "Outcome": "tracker.engine.handler",
    "SessionStats": "tracker.engine.handler",
    "HandlerError": "tracker.engine.handler",
    "BillingPausedError": "tracker.engine.handler",
    "Handler": "tracker.engine.handler",
    "NodeEnv": "tracker.engine.handler",
    "Engine": "tracker.engine.runner",
    "EngineResult": "tracker.engine.result",
    "TraceEntry": "tracker.engine.result",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'tracker.engine' has no attribute {name!r}")
    return getattr(import_module(module), name)
