"""The plugin registry as the CLI sees it: plugin load failures are reported once."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from tracker.cli.errors import eprint

if TYPE_CHECKING:
    from tracker.plugins.registry import Registry


@functools.cache
def cli_registry() -> Registry:
    """Load the registry and report every plugin failure once on stderr."""
    from tracker.plugins.manager import get_registry

    registry = get_registry()
    for err in registry.errors:
        eprint(f'warning: plugin "{err.plugin}" ({err.distribution}) failed to load: {err.reason}')
    return registry
