"""What a plugin registers: one small model per hook."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from tracker.lint.context import LintContext
    from tracker.lint.diagnostic import Diagnostic


class _Spec(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid")
    name: str
    description: str = ""


class HandlerSpec(_Spec):
    """A node handler. `kinds` are the Dippin node kinds it serves, `shapes` the DOT shapes.
    `factory` builds the handler object (None while the engine does not yet exist)."""

    kinds: list[str] = Field(default_factory=list)
    shapes: list[str] = Field(default_factory=list)
    factory: Callable[..., Any] | None = None


class ProviderSpec(_Spec):
    factory: Callable[..., Any] | None = None
    env_keys: list[str] = Field(default_factory=list)


class BackendSpec(_Spec):
    factory: Callable[..., Any] | None = None


class GateUISpec(_Spec):
    factory: Callable[..., Any] | None = None


class EventSinkSpec(_Spec):
    factory: Callable[..., Any] | None = None


class WorkflowSpec(_Spec):
    """A built-in workflow; `load` returns the `.dip` source text."""

    load: Callable[[], str]


class LintRule(BaseModel):
    """A lint rule. `check` receives a `LintContext` and yields diagnostics.

    `order` places the rule in the deterministic pass order: core rules use the reference's
    order (spec/dippin.md §18); third-party rules default to running after all of them.
    `origin` is "validate" for structural errors (DIP001–DIP010) and "lint" otherwise.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid")
    code: str
    severity: str
    check: Callable[[LintContext], Iterable[Diagnostic]]
    description: str = ""
    order: float = 10_000.0
    origin: str = "lint"

    @property
    def name(self) -> str:
        return self.code


def _resolve_lint_rule_types() -> None:
    """`LintRule.check` names LintContext/Diagnostic, which are only imported for type
    checking above; resolve them now so plugins can build LintRule objects."""
    from tracker.lint.context import LintContext
    from tracker.lint.diagnostic import Diagnostic

    LintRule.model_rebuild(_types_namespace={"LintContext": LintContext, "Diagnostic": Diagnostic})


_resolve_lint_rule_types()
