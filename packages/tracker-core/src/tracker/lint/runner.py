"""Runs lint rules over a workflow: structural validation first, then lint, in a fixed
order, so the same file always produces the same diagnostics in the same order."""

from __future__ import annotations

from tracker.gcpause import gc_paused
from tracker.lint.context import LintContext
from tracker.lint.diagnostic import Diagnostic
from tracker.plugins import LintRule

#: code of the diagnostic that replaces the output of a rule that crashed
INTERNAL_ERROR_CODE = "TRK000"


def _default_rules() -> list[LintRule]:
    from tracker.plugins.manager import get_registry

    return get_registry().lint_rules


def _run_rule(ctx: LintContext, rule: LintRule) -> list[Diagnostic]:
    """A rule's findings; a rule that raises yields what it produced so far plus one
    diagnostic naming it, so one buggy (often third-party) rule cannot break validation."""
    out: list[Diagnostic] = []
    try:
        for d in rule.check(ctx):
            out.append(d)
    except Exception as exc:  # noqa: BLE001 - any failure is the rule's, reported as a finding
        out.append(
            ctx.diag(
                INTERNAL_ERROR_CODE,
                "error" if rule.origin == "validate" else "warning",
                f"lint rule {rule.code} failed and was skipped: {type(exc).__name__}: {exc}",
                help="this is a bug in the rule, not in your workflow; please report it",
            )
        )
    return out


def check_workflow(ctx: LintContext, rules: list[LintRule] | None = None) -> list[Diagnostic]:
    """Validate (DIP001–DIP010) then lint `ctx.workflow`; returns every finding.

    Edge conditions are parsed once up front (filling `Condition.parsed`) so AST-based
    rules see every good edge and DIP010 reports the bad ones. `rules` defaults to every
    registered rule (core's and plugins')."""
    from tracker.lint.rules._base import reset_analysis

    chosen = _default_rules() if rules is None else rules
    ordered = sorted(chosen, key=lambda r: (r.order, r.code))
    out: list[Diagnostic] = []
    with gc_paused():  # rules allocate much and create no cycles (tracker/gcpause.py)
        reset_analysis(ctx)
        for rule in ordered:
            out.extend(_run_rule(ctx, rule))
    if ctx.in_bundle:  # a bundle carries its children inside; on-disk refs are irrelevant
        out = [d for d in out if d.code != "DIP126"]
    return out


def has_errors(diagnostics: list[Diagnostic]) -> bool:
    return any(d.severity == "error" for d in diagnostics)
