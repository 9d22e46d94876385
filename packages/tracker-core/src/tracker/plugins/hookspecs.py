"""Every extension point of tracker, in one place.

Each hook receives a `register` callback (as in pytest and llm): a plugin may register
several things, and the registry owns naming conflicts and error messages. Core's own
built-ins register through exactly these hooks (see `tracker.builtin_plugin`).

A plugin is a module (or object) exposed under the entry-point group ``tracker``::

    [project.entry-points.tracker]
    my_rules = "my_package.tracker_plugin"

    # my_package/tracker_plugin.py
    from tracker.plugins import hookimpl

    @hookimpl
    def register_lint_rules(register):
        register(LintRule(code="ACME001", severity="warning", check=my_check))
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("tracker")
hookimpl = pluggy.HookimplMarker("tracker")


@hookspec
def register_handlers(register: Any) -> None:
    """Register node handlers: ``register(HandlerSpec(...))``."""


@hookspec
def register_providers(register: Any) -> None:
    """Register LLM provider adapters: ``register(ProviderSpec(...))``."""


@hookspec
def register_backends(register: Any) -> None:
    """Register agent backends: ``register(BackendSpec(...))``."""


@hookspec
def register_gate_uis(register: Any) -> None:
    """Register human-gate interviewers: ``register(GateUISpec(...))``."""


@hookspec
def register_lint_rules(register: Any) -> None:
    """Register lint rules: ``register(LintRule(...))``."""


@hookspec
def register_event_sinks(register: Any) -> None:
    """Register consumers of engine events: ``register(EventSinkSpec(...))``."""


@hookspec
def register_workflows(register: Any) -> None:
    """Register built-in workflows: ``register(WorkflowSpec(...))``."""


@hookspec
def register_commands(cli: Any) -> None:
    """Add subcommands to the `tracker` typer app."""
