"""ACME's tracker plugin: a lint rule pack of one (ACME001) and a custom `acme.notify` node.

It exists to prove a third party can extend tracker through the `tracker` entry-point
group with nothing but the public plugin API.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from tracker.plugins import HandlerSpec, LintRule, hookimpl

if TYPE_CHECKING:
    from tracker.lint.context import LintContext
    from tracker.lint.diagnostic import Diagnostic


def _todo_labels(ctx: LintContext) -> Iterator[Diagnostic]:
    """Agents whose label still says TODO were left half-written."""
    for node in ctx.workflow.nodes:
        if node.kind == "agent" and "TODO" in node.label:
            yield ctx.diag(
                "ACME001",
                "warning",
                f'agent "{node.id}" has a TODO in its label: {node.label!r}',
                at=node.source,
                help="finish the node or remove the TODO marker",
            )


@hookimpl
def register_lint_rules(register: Callable[[LintRule], None]) -> None:
    register(
        LintRule(
            code="ACME001",
            severity="warning",
            check=_todo_labels,
            description="agent label contains TODO",
        )
    )


@hookimpl
def register_handlers(register: Callable[[HandlerSpec], None]) -> None:
    register(
        HandlerSpec(
            name="acme.notify",
            kinds=[],
            shapes=["note"],
            description="ACME notification node (test fixture)",
        )
    )
