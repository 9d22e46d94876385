"""Entry point of tracker-acp: registers the `acp` agent backend.

Registration is cheap: the factory imports the protocol code only when a run first
uses the backend, so `tracker --help` and `tracker plugins` never load it.
"""

from __future__ import annotations

from typing import Any

from tracker.plugins import BackendSpec, hookimpl


def _create(env: Any = None) -> Any:
    from tracker_acp.backend import create

    return create(env)


@hookimpl
def register_backends(register: Any) -> None:
    register(
        BackendSpec(
            name="acp",
            factory=_create,
            description="an Agent Client Protocol agent (claude-agent-acp, codex-acp, gemini)",
        )
    )
