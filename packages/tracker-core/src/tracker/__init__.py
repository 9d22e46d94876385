"""tracker: pipeline orchestration for multi-agent LLM workflows.

The library API (cli-tui.md §11.1) is loaded on first use (``tracker.run``,
``tracker.Config`` …), so ``import tracker`` stays cheap for the CLI. No submodule shares
a name with an exported function (the modules are ``simulation``, ``health`` and
``builtin_workflows``), so ``tracker.simulate``, ``tracker.doctor`` and ``tracker.workflows``
are plain functions."""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_LIBRARY = "tracker.library"
_API = "tracker.engine.api"

_LAZY = {
    # running (§11.1); `run_sync` is the older engine entry point, kept for callers
    "run": _LIBRARY,
    "arun": _LIBRARY,
    "run_sync": _API,
    "Engine": _LIBRARY,
    "Config": _LIBRARY,
    "Result": _LIBRARY,
    "CostReport": _LIBRARY,
    "ProviderCost": _LIBRARY,
    "WebhookGateConfig": _LIBRARY,
    "PipelineLoadError": _API,
    "EngineResult": "tracker.engine.result",
    "BudgetLimits": "tracker.engine.config",
    "PipelineEvent": "tracker.engine.events",
    "Outcome": "tracker.engine.handler",
    "HandlerError": "tracker.engine.handler",
    "NDJSONWriter": "tracker.engine.ndjson",
    "resolve_budget_limits": _LIBRARY,
    "resolve_provider_base_url": _LIBRARY,
    # loading, validation, simulation
    "validate_source": _LIBRARY,
    "ValidationResult": _LIBRARY,
    "ValidationError": _LIBRARY,
    "simulate": _LIBRARY,
    "simulate_graph": _LIBRARY,
    "SimulateReport": _LIBRARY,
    "resolve_source": _LIBRARY,
    "SourceNotFoundError": _LIBRARY,
    # run directories and activity logs
    "resolve_checkpoint": _LIBRARY,
    "resolve_run_dir": _LIBRARY,
    "most_recent_run_id": _LIBRARY,
    "RunLookupError": _LIBRARY,
    "ActivityEntry": _LIBRARY,
    "load_activity_log": _LIBRARY,
    "parse_activity_line": _LIBRARY,
    "sort_activity_by_time": _LIBRARY,
    "export_bundle": _LIBRARY,
    # built-in workflows, preflight
    "workflows": _LIBRARY,
    "lookup_workflow": _LIBRARY,
    "open_workflow": _LIBRARY,
    "WorkflowInfo": _LIBRARY,
    "WorkflowNotFoundError": _LIBRARY,
    "doctor": "tracker.health",
    "DoctorReport": "tracker.health",
    # run inspection (cli-tui.md §7.7–7.9)
    "diagnose": "tracker.inspect",
    "diagnose_most_recent": "tracker.inspect",
    "audit": "tracker.inspect",
    "list_runs": "tracker.inspect",
    "DiagnoseReport": "tracker.inspect",
    "NodeFailure": "tracker.inspect",
    "BudgetHalt": "tracker.inspect",
    "Suggestion": "tracker.inspect",
    "AuditReport": "tracker.inspect",
    "RunSummary": "tracker.inspect",
    "InspectError": "tracker.inspect",
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
