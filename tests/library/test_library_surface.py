"""`import tracker`: light, lazily exporting the §11.1 names; name-sharing submodules
stay importable and are also callable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import tracker
from library_helpers import TOOL_ONLY

SURFACE = (
    "run", "arun", "Engine", "Config", "Result", "validate_source", "ValidationResult",
    "ValidationError", "simulate", "simulate_graph", "SimulateReport", "doctor",
    "resolve_source", "resolve_checkpoint", "resolve_run_dir", "most_recent_run_id",
    "load_activity_log", "parse_activity_line", "sort_activity_by_time", "ActivityEntry",
    "workflows", "lookup_workflow", "open_workflow", "WorkflowInfo", "export_bundle",
    "NDJSONWriter", "resolve_budget_limits", "resolve_provider_base_url", "BudgetLimits",
    "WebhookGateConfig", "CostReport", "run_sync",
)  # fmt: skip


def test_import_tracker_loads_no_engine_or_parser() -> None:
    code = (
        "import sys, tracker\n"
        "heavy = [m for m in sys.modules if m.startswith(('tracker.engine', 'tracker.library',"
        " 'tracker.dippin', 'lark', 'pydantic'))]\n"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_spec_name_is_exported() -> None:
    for name in SURFACE:
        assert callable(getattr(tracker, name)), name
        assert name in dir(tracker)


def test_functions_and_their_modules_do_not_clash(tmp_path: Path) -> None:
    import tracker.builtin_workflows
    import tracker.health
    import tracker.simulation

    assert tracker.health.DoctorReport is tracker.DoctorReport
    assert [w.name for w in tracker.workflows()] == sorted(tracker.builtin_workflows.BUILTIN_NAMES)
    assert tracker.simulate(TOOL_ONLY).model_dump()["format"] == "dip"
    report = tracker.doctor(work_dir=tmp_path)
    assert isinstance(report, tracker.DoctorReport)
    assert {c.name for c in report.checks}


def test_library_functions_in_a_fresh_interpreter() -> None:
    code = (
        "import tracker\n"
        "print(len(tracker.workflows()) > 0, callable(tracker.simulate), callable(tracker.doctor))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True", "True"]


def test_unknown_attribute_is_an_attribute_error() -> None:
    try:
        tracker.no_such_thing  # noqa: B018
    except AttributeError as exc:
        assert "no_such_thing" in str(exc)
    else:
        raise AssertionError("expected AttributeError")
