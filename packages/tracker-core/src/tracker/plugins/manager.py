"""Loads plugins from the `tracker` entry-point group into a pluggy manager and a Registry.

A plugin that fails to import or to register is reported once (name and reason) and the
rest keep working. Loading is cheap by contract: plugin modules import no SDK at import time.
"""

from __future__ import annotations

import functools
from importlib.metadata import entry_points

import pluggy

from . import hookspecs
from .registry import CATEGORIES, PluginInfo, PluginLoadError, Registry

ENTRY_POINT_GROUP = "tracker"


def _dist_of(ep) -> tuple[str, str]:
    dist = getattr(ep, "dist", None)
    if dist is None:
        return "unknown", ""
    return dist.metadata["Name"], dist.version


def build_registry(extra_plugins: list[tuple[str, object]] | None = None) -> Registry:
    """Load every entry point of group `tracker` and collect what they register."""
    pm = pluggy.PluginManager("tracker")
    pm.add_hookspecs(hookspecs)
    registry = Registry()
    loaded: list[tuple[str, str, object]] = []

    eps = sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: (e.name != "core", e.name))
    seen_names: set[str] = set()
    for ep in eps:
        if ep.name in seen_names:  # the same distribution visible twice on sys.path
            continue
        seen_names.add(ep.name)
        dist, version = _dist_of(ep)
        try:
            module = ep.load()
            pm.register(module, name=ep.name)
        except Exception as exc:  # noqa: BLE001 - any failure is the plugin's, reported once
            registry.errors.append(PluginLoadError(ep.name, dist, f"{type(exc).__name__}: {exc}"))
            continue
        registry.plugins.append(PluginInfo(ep.name, dist, version))
        loaded.append((ep.name, dist, module))

    if "core" not in seen_names:  # running from a source tree without installed metadata
        from tracker import builtin_plugin

        pm.register(builtin_plugin, name="core")
        registry.plugins.insert(0, PluginInfo("core", "tracker-core", ""))
        loaded.insert(0, ("core", "tracker-core", builtin_plugin))

    for name, obj in extra_plugins or []:
        pm.register(obj, name=name)
        registry.plugins.append(PluginInfo(name, "(in-process)", ""))
        loaded.append((name, "(in-process)", obj))

    dist_by_plugin = {name: dist for name, dist, _ in loaded}
    for category, (hook_name, _) in CATEGORIES.items():
        hook = getattr(pm.hook, hook_name)
        # call each implementation with its own `register`, so the registry knows the origin
        for impl in reversed(hook.get_hookimpls()):
            name = impl.plugin_name
            dist = dist_by_plugin.get(name, "unknown")
            try:
                impl.function(register=registry.register_callback(category, name, dist))
            except Exception as exc:  # noqa: BLE001
                registry.errors.append(
                    PluginLoadError(name, dist, f"{hook_name} failed: {type(exc).__name__}: {exc}")
                )
    registry.plugin_manager = pm  # type: ignore[attr-defined]
    return registry


@functools.cache
def get_registry() -> Registry:
    """The process-wide registry, loaded on first use."""
    return build_registry()
