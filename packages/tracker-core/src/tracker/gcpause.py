"""Pausing Python's cyclic garbage collector around bulk work on large workflows.

Parsing, linting, adapting and copying a 50,000-node workflow allocate millions of
short-lived objects and create no reference cycles; left on, the cyclic collector rescans
the whole (growing) structure again and again, which made those steps superlinear.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Disable the cyclic collector for the block; restore its previous state after (so
    nested pauses are harmless)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
