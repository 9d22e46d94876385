"""`tracker validate <pipeline>` (cli-tui §7.3; JSON document of dippin.md §10)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tracker.cli.errors import CliError, eprint
from tracker.cli.registry import cli_registry
from tracker.cli.report import (
    print_diagnostics,
    print_load_failure,
    print_notices,
    resolve_for_command,
)

if TYPE_CHECKING:
    from tracker.lint.diagnostic import Diagnostic
    from tracker.loader import LoadedPipeline

#: code given to tracker's own message-only graph checks in the JSON document
TRACKER_CHECK_CODE = "TRK900"


def check_document(loaded: LoadedPipeline) -> dict[str, Any]:
    """The `dippin check`-shaped document: valid, counts, diagnostics, suggested actions."""
    from tracker.lint.diagnostic import Diagnostic

    if loaded.failed:
        failures = loaded.errors or loaded.diagnostics
        entries = [
            {"code": "DIP000", "severity": "error", "message": d.message}
            | ({"line": d.line} if d.line else {})
            for d in failures
        ]
        return {
            "valid": False,
            "errors": len(entries),
            "warnings": 0,
            "diagnostics": entries,
            "suggested_actions": [],
        }
    diags: list[Diagnostic] = list(loaded.diagnostics)
    diags += [
        Diagnostic(code=TRACKER_CHECK_CODE, severity="error", message=m)
        for m in loaded.graph_errors
    ]
    diags += [
        Diagnostic(code=TRACKER_CHECK_CODE, severity="warning", message=m)
        for m in loaded.graph_warnings
    ]
    errors = sum(1 for d in diags if d.severity == "error")
    warnings = sum(1 for d in diags if d.severity == "warning")
    actions: list[str] = []
    for d in diags:
        if d.fix and d.fix not in actions:
            actions.append(d.fix)
    return {
        "valid": errors == 0,
        "errors": errors,
        "warnings": warnings,
        "diagnostics": [d.to_check_json() for d in diags],
        "suggested_actions": actions,
    }


def summary_lines(loaded: LoadedPipeline) -> tuple[list[str], list[str], int]:
    """(stdout lines, stderr lines, exit code) of the text report."""
    display = loaded.source.name
    out = list(loaded.graph_warnings)
    errors = [d.message for d in loaded.errors] + list(loaded.graph_errors)
    if errors:
        out += [f"{display}: error: {e}" for e in errors]
        return out, [f"error: {len(errors)} validation error(s)"], 1
    graph = loaded.graph
    nodes = len(graph.nodes) if graph else 0
    edges = len(graph.edges) if graph else 0
    count = len(loaded.warnings) + len(loaded.graph_warnings)
    if count:
        out.append(f"{display}: valid with {count} warning(s) ({nodes} nodes, {edges} edges)")
    else:
        out.append(f"{display}: valid ({nodes} nodes, {edges} edges)")
    return out, [], 0


def run_validate(
    pipeline: str | None,
    *,
    json_out: bool = False,
    extra_models: str | None = None,
    fmt: str | None = None,
) -> int:
    if not pipeline:
        raise CliError("usage: tracker validate <pipeline.dip>")
    from tracker.loader import load_pipeline, parse_extra_models

    try:
        models = parse_extra_models(extra_models)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    cli_registry()
    source = resolve_for_command(pipeline, fmt)
    loaded = load_pipeline(source, extra_models=models)
    print_notices(loaded)
    if json_out:
        doc = check_document(loaded)
        print(json.dumps(doc))
        return 0 if doc["valid"] else 1
    if loaded.failed:
        print_load_failure(loaded)
        return 1
    print_diagnostics(loaded.diagnostics)
    out, err, code = summary_lines(loaded)
    for line in out:
        print(line)
    eprint(*err)
    return code
