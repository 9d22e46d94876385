"""Backend selection (spec agent-llm.md §7.1): node `backend` attr, else the run default;
backends are created on first use and shared by the handler's nodes, and a failed
creation (a missing `claude` binary) is tried again by the next node that asks."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from tracker.backends.base import AgentBackend, BackendUnavailable

VALID_BACKENDS = ("native", "codergen", "claude-code", "acp")
_ALIASES = {"codergen": "native"}
#: the package that provides a backend core does not ship
PLUGIN_PACKAGES = {"acp": "tracker-acp"}


class UnknownBackendError(ValueError):
    pass


def canonical_backend(name: str, node_id: str) -> str:
    """`native` for the `codergen` alias; unknown names are a configuration error."""
    if name not in VALID_BACKENDS:
        raise UnknownBackendError(
            f'unknown backend "{name}" for node "{node_id}" (valid: {", ".join(VALID_BACKENDS)})'
        )
    return _ALIASES.get(name, name)


def _builtin_factory(name: str) -> Callable[[Any], AgentBackend] | None:
    if name == "native":
        from tracker.backends.native import create

        return create
    if name == "claude-code":
        from tracker.backends.claude_code import create as create_claude

        return create_claude
    return None


class BackendPool:
    """The backends of one handler (one run). `overrides` replace registered ones
    (tests, library callers with their own backend objects)."""

    def __init__(
        self, registry: Any = None, overrides: Mapping[str, AgentBackend] | None = None
    ) -> None:
        self._registry = registry
        self._backends: dict[str, AgentBackend] = dict(overrides or {})
        self._lock = threading.Lock()

    def _factory(self, name: str) -> Callable[[Any], AgentBackend] | None:
        registry = self._registry
        if registry is None:
            from tracker.plugins.manager import get_registry

            registry = self._registry = get_registry()
        entry = registry.entries.get("backends", {}).get(name)
        if entry is not None and entry.spec.factory is not None:
            return entry.spec.factory
        return _builtin_factory(name)

    def get(self, name: str, env: Any) -> AgentBackend:
        """The backend called `name` (canonical), creating it if needed."""
        with self._lock:
            backend = self._backends.get(name)
            if backend is not None:
                return backend
            factory = self._factory(name)
            if factory is None:
                package = PLUGIN_PACKAGES.get(name, f"a plugin registering backend {name!r}")
                raise BackendUnavailable(
                    f'backend "{name}" is not installed: install the {package} package '
                    f"(pip install {package})"
                    if name in PLUGIN_PACKAGES
                    else f'backend "{name}" is not available: install {package}'
                )
            backend = factory(env)
            self._backends[name] = backend
            return backend
