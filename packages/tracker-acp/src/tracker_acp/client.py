"""The client side of an ACP session: the requests an agent may send to tracker.

tracker runs unattended, so `session/request_permission` is answered at once: the
first "allow" option (`allow_once`, then `allow_always` in the order offered), else the
first option — except that a call whose locations leave the working directory gets a
"reject" option when one is offered, matching the confinement of `fs/*` requests.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from tracker_acp.fs import read_text_file, write_text_file
from tracker_acp.rpc import INVALID_PARAMS, METHOD_NOT_FOUND, RpcError
from tracker_acp.terminals import Terminals

log = logging.getLogger("tracker_acp.client")

_ALLOW = ("allow_once", "allow_always")
_REJECT = ("reject_once", "reject_always")


def _inside(path: Any, root: Path) -> bool:
    if not isinstance(path, str) or not path:
        return True
    candidate = Path(path) if os.path.isabs(path) else root / path
    try:
        real = candidate.resolve()
    except OSError:
        return False
    return real == root or real.is_relative_to(root)


def choose_permission(params: dict[str, Any], root: Path) -> dict[str, Any]:
    """The `session/request_permission` reply."""
    options = [o for o in params.get("options") or [] if isinstance(o, dict) and "optionId" in o]
    if not options:
        raise RpcError(INVALID_PARAMS, "permission request offers no options")
    tool_call = params.get("toolCall") if isinstance(params.get("toolCall"), dict) else {}
    locations = tool_call.get("locations") or []
    outside = [
        loc.get("path")
        for loc in locations
        if isinstance(loc, dict) and not _inside(loc.get("path"), root)
    ]
    chosen = None
    if outside:
        chosen = next((o for o in options if o.get("kind") in _REJECT), None)
        if chosen is not None:
            log.warning(
                "acp: rejected %r: it touches paths outside the working directory: %s",
                tool_call.get("title", ""),
                ", ".join(map(str, outside)),
            )
    if chosen is None:
        chosen = next((o for o in options if o.get("kind") in _ALLOW), options[0])
    return {"outcome": {"outcome": "selected", "optionId": chosen["optionId"]}}


class ClientMethods:
    """Serves one session's agent requests; records the files the agent wrote."""

    def __init__(self, root: Path, terminals: Terminals) -> None:
        self.root = root.resolve()
        self.terminals = terminals
        self.cancelling = False
        self.files_created: list[str] = []
        self.files_modified: list[str] = []

    async def __call__(self, method: str, params: Any) -> Any:
        if not isinstance(params, dict):
            raise RpcError(INVALID_PARAMS, f"{method}: params must be an object")
        if method == "session/request_permission":
            if self.cancelling:
                return {"outcome": {"outcome": "cancelled"}}
            return choose_permission(params, self.root)
        if method == "fs/read_text_file":
            return read_text_file(params, self.root)
        if method == "fs/write_text_file":
            path, existed = write_text_file(params, self.root)
            self._record(path, existed)
            return None
        handler = {
            "terminal/create": self.terminals.create,
            "terminal/output": self.terminals.output,
            "terminal/wait_for_exit": self.terminals.wait_for_exit,
            "terminal/kill": self.terminals.kill,
            "terminal/release": self.terminals.release,
        }.get(method)
        if handler is None:
            raise RpcError(METHOD_NOT_FOUND, f"method not found: {method}")
        return await handler(params)

    def _record(self, path: Path, existed: bool) -> None:
        rel = str(path.relative_to(self.root)) if path.is_relative_to(self.root) else str(path)
        target = self.files_modified if existed else self.files_created
        if rel not in self.files_created and rel not in self.files_modified:
            target.append(rel)
