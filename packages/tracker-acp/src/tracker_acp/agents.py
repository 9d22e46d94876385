"""Which ACP agent a node runs, where its binary is, and the environment it gets.

The node's `acp_agent` attr names the agent (a name on PATH or a path, optionally with
arguments: `gemini --experimental-acp`); without it the provider picks one: anthropic →
`claude-agent-acp`, openai → `codex-acp`, gemini → `gemini --acp`, anything else →
`claude-agent-acp`.
"""

from __future__ import annotations

import logging
import os
import re
import shlex
import shutil
import subprocess
import threading
from collections.abc import Mapping

from pydantic import BaseModel, Field

log = logging.getLogger("tracker_acp.agents")

DEFAULT_AGENT = "claude-agent-acp"
AGENT_BY_PROVIDER = {
    "anthropic": "claude-agent-acp",
    "openai": "codex-acp",
    "gemini": "gemini",
}
#: arguments an agent needs to speak ACP when the node gives none
DEFAULT_ARGS = {"gemini": ["--acp"]}
#: how to install the agents tracker knows by name
INSTALL_HINTS = {
    "claude-agent-acp": "npm install -g @zed-industries/claude-agent-acp",
    "claude-code-acp": "npm install -g @zed-industries/claude-code-acp",
    "codex-acp": "npm install -g @zed-industries/codex-acp",
    "gemini": "npm install -g @google/gemini-cli",
}
VERSION_TIMEOUT = 5.0

STRIP_KEYS_ENV = "TRACKER_STRIP_ACP_KEYS"
_STRIPPED = re.compile(r"^(ANTHROPIC|OPENAI|OPENAI_COMPAT|GEMINI|GOOGLE)_(API_KEY|BASE_URL)$")
_ALSO_STRIPPED = frozenset({"OPENROUTER_API_KEY"})


class AgentNotFound(Exception):
    """The agent's binary is not on PATH (the message says how to install it)."""


class AgentCommand(BaseModel):
    """The agent to launch: `name` as written (for messages), `binary` as looked up."""

    name: str
    binary: str
    args: list[str] = Field(default_factory=list)

    @property
    def label(self) -> str:
        return os.path.basename(self.name)


def choose_agent(acp_agent: str, provider: str = "", model: str = "") -> tuple[str, list[str]]:
    """(binary name, arguments) for a node: its `acp_agent`, else by provider (inferred
    from the model when the node names none)."""
    words = shlex.split(acp_agent) if acp_agent.strip() else []
    if words:
        name, args = words[0], words[1:]
    else:
        if not provider and model:
            provider = _infer_provider(model)
        name, args = AGENT_BY_PROVIDER.get(provider, DEFAULT_AGENT), []
    if not args:
        args = list(DEFAULT_ARGS.get(os.path.basename(name), []))
    return name, args


def _infer_provider(model: str) -> str:
    try:
        from tracker.llm.catalog import infer_provider

        return infer_provider(model)
    except Exception:
        return ""


def not_found_message(name: str) -> str:
    hint = INSTALL_HINTS.get(os.path.basename(name))
    how = (
        f"install with: {hint}"
        if hint
        else "install it, or set the node's acp_agent to the agent's path"
    )
    return f'acp agent "{name}" not found in PATH — {how}'


class AgentFinder:
    """Looks agents up on PATH once and remembers where they are. `--version` is tried
    once per binary (5 s); a failure is only logged, since some agents lack the flag."""

    def __init__(self) -> None:
        self._paths: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def find(self, name: str, environ: Mapping[str, str]) -> str:
        key = (name, environ.get("PATH", ""))
        with self._lock:
            cached = self._paths.get(key)
        if cached is not None:
            return cached
        path = shutil.which(name, path=environ.get("PATH"))
        if path is None:
            raise AgentNotFound(not_found_message(name))
        _probe_version(path, environ)
        with self._lock:
            self._paths[key] = path
        return path


def _probe_version(path: str, environ: Mapping[str, str]) -> None:
    try:
        proc = subprocess.run(
            [path, "--version"],
            capture_output=True,
            timeout=VERSION_TIMEOUT,
            env=dict(environ),
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        log.info("acp agent %s: `--version` failed: %s", path, exc)
        return
    if proc.returncode != 0:
        log.info("acp agent %s: `--version` exited %d", path, proc.returncode)
    else:
        log.debug("acp agent %s: %s", path, proc.stdout.decode(errors="replace").strip())


def agent_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The full parent environment; with TRACKER_STRIP_ACP_KEYS=1 the provider keys and
    base URLs are removed so the agent uses its own login."""
    env = dict(environ)
    if env.get(STRIP_KEYS_ENV) != "1":
        return env
    return {k: v for k, v in env.items() if not _STRIPPED.match(k) and k not in _ALSO_STRIPPED}
