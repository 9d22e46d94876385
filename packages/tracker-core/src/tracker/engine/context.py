"""The run context (spec/engine.md §3.1): a flat string map every node reads and writes,
plus an internal map that is never snapshotted or checkpointed, plus the set of keys
written since the last `scope_to_node` (so per-node copies `node.<id>.<key>` exist)."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from types import MappingProxyType

#: internal key naming the node whose fidelity drops one step after a resume (§3.6)
RESUME_DEGRADE_KEY = "_resume_degrade_node"


class Context:
    """Thread-safe key/value store; values are always strings."""

    def __init__(self, values: Mapping[str, str] | None = None) -> None:
        self._lock = threading.RLock()
        self._values: dict[str, str] = dict(values or {})
        self._dirty: list[str] = []
        self.internal: dict[str, str] = {}

    def get(self, key: str, default: str = "") -> str:
        with self._lock:
            return self._values.get(key, default)

    def has(self, key: str) -> bool:
        with self._lock:
            return key in self._values

    def set(self, key: str, value: str) -> None:
        with self._lock:
            self._values[key] = str(value)
            self._mark(key)

    def merge(self, updates: Mapping[str, str]) -> None:
        with self._lock:
            for key, value in updates.items():
                self._values[key] = str(value)
                self._mark(key)

    def merge_without_dirty(self, updates: Mapping[str, str]) -> None:
        """Steering writes: visible to the next node, not copied into `node.<id>.*`."""
        with self._lock:
            for key, value in updates.items():
                self._values[key] = str(value)

    def delete(self, key: str) -> None:
        with self._lock:
            self._values.pop(key, None)

    def snapshot(self) -> dict[str, str]:
        with self._lock:
            return dict(self._values)

    def view(self) -> Mapping[str, str]:
        """A read-only live view, no copy: for the engine's own reads between nodes, when
        no handler is running to write. Anything kept or handed out takes `snapshot()`."""
        return MappingProxyType(self._values)

    def copy(self) -> Context:
        """An independent copy (parallel branches), internal map included."""
        with self._lock:
            other = Context(self._values)
            other.internal = dict(self.internal)
            return other

    def dirty_keys(self) -> list[str]:
        with self._lock:
            return list(self._dirty)

    def clear_dirty(self) -> None:
        with self._lock:
            self._dirty.clear()

    def scope_to_node(self, node_id: str) -> None:
        """Copy every key written during node `node_id` to `node.<id>.<key>` (§3.2)."""
        with self._lock:
            for key in self._dirty:
                if not key.startswith("node."):
                    self._values[f"node.{node_id}.{key}"] = self._values.get(key, "")
            self._dirty.clear()

    def _mark(self, key: str) -> None:
        if key not in self._dirty:
            self._dirty.append(key)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.has(key)

    def __repr__(self) -> str:
        return f"Context({len(self._values)} keys)"
