"""The registry: what every loaded plugin registered, and from which distribution."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .specs import (
    BackendSpec,
    EventSinkSpec,
    GateUISpec,
    HandlerSpec,
    LintRule,
    ProviderSpec,
    WorkflowSpec,
)

#: registry category -> (hook name, spec type)
CATEGORIES: dict[str, tuple[str, type]] = {
    "handlers": ("register_handlers", HandlerSpec),
    "providers": ("register_providers", ProviderSpec),
    "backends": ("register_backends", BackendSpec),
    "gate_uis": ("register_gate_uis", GateUISpec),
    "lint_rules": ("register_lint_rules", LintRule),
    "event_sinks": ("register_event_sinks", EventSinkSpec),
    "workflows": ("register_workflows", WorkflowSpec),
}


@dataclass
class Registered:
    spec: Any
    plugin: str  # entry-point name
    distribution: str  # distribution that shipped it


@dataclass
class PluginLoadError:
    plugin: str
    distribution: str
    reason: str


@dataclass
class PluginInfo:
    name: str
    distribution: str
    version: str


@dataclass
class Registry:
    entries: dict[str, dict[str, Registered]] = field(
        default_factory=lambda: {cat: {} for cat in CATEGORIES}
    )
    errors: list[PluginLoadError] = field(default_factory=list)
    plugins: list[PluginInfo] = field(default_factory=list)

    def register_callback(self, category: str, plugin: str, distribution: str) -> Callable:
        """The `register` function handed to one plugin's hook implementation."""
        _, spec_type = CATEGORIES[category]

        def register(spec: Any) -> None:
            if not isinstance(spec, spec_type):
                raise TypeError(
                    f"plugin {plugin!r}: {category} expects {spec_type.__name__}, "
                    f"got {type(spec).__name__}"
                )
            key = spec.name
            existing = self.entries[category].get(key)
            if existing is not None and existing.plugin != plugin:
                self.errors.append(
                    PluginLoadError(
                        plugin,
                        distribution,
                        f"{category[:-1].replace('_', ' ')} {key!r} is already registered by "
                        f"plugin {existing.plugin!r} ({existing.distribution}); ignored",
                    )
                )
                return
            self.entries[category][key] = Registered(spec, plugin, distribution)

        return register

    # ---------------------------------------------------------------- typed accessors

    def specs(self, category: str) -> list[Any]:
        return [r.spec for r in self.entries[category].values()]

    @property
    def handlers(self) -> dict[str, HandlerSpec]:
        return {k: r.spec for k, r in self.entries["handlers"].items()}

    @property
    def lint_rules(self) -> list[LintRule]:
        return sorted(self.specs("lint_rules"), key=lambda r: (r.order, r.code))

    @property
    def workflows(self) -> dict[str, WorkflowSpec]:
        return {k: r.spec for k, r in sorted(self.entries["workflows"].items())}

    @property
    def providers(self) -> dict[str, ProviderSpec]:
        return {k: r.spec for k, r in self.entries["providers"].items()}
