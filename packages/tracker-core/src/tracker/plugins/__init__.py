"""The plugin core: hookspecs, the specs plugins register, and the loader."""

from .hookspecs import hookimpl, hookspec
from .specs import (
    BackendSpec,
    EventSinkSpec,
    GateUISpec,
    HandlerSpec,
    LintRule,
    ProviderSpec,
    WorkflowSpec,
)

__all__ = [
    "BackendSpec",
    "EventSinkSpec",
    "GateUISpec",
    "HandlerSpec",
    "LintRule",
    "ProviderSpec",
    "WorkflowSpec",
    "hookimpl",
    "hookspec",
]
