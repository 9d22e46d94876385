"""Agent settings of one node (spec engine.md §4.2 item 3): node attrs over graph attrs
over run config over built-in defaults, parsed once into typed values.

Why one place: the native session config, the claude-code arguments and the run
config all read the same attrs, and a malformed value (`max_turns: lots`) must stop the
run with one clear message naming the node, not be silently ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from tracker.agent.config import DEFAULT_MODEL, SessionConfig
from tracker.dippin.values import SECOND, parse_bool, parse_duration, parse_float, parse_int
from tracker.engine.config import RunConfig
from tracker.graph.model import GraphNode
from tracker.handlers.tool_safety import ToolSafetyError, check_working_dir, parse_pattern_list
from tracker.llm.errors import ConfigurationError

DEFAULT_COMPACTION_THRESHOLD = 0.6
SCRIPTED_PROVIDER = "scripted"


class SettingsError(ConfigurationError):
    """A node attribute the agent cannot use."""


class NodeSettings:
    """Reads one agent node's effective settings (node → graph → run → default)."""

    def __init__(
        self, node: GraphNode, graph_attrs: Mapping[str, str], run: RunConfig | None = None
    ) -> None:
        self.node = node
        self.graph_attrs = graph_attrs
        self.run = run or RunConfig()

    # raw access ----------------------------------------------------------------------

    def raw(self, key: str, *, graph: bool = True) -> str:
        value = self.node.attrs.get(key, "").strip()
        if not value and graph:
            value = self.graph_attrs.get(key, "").strip()
        return value

    def _bad(self, key: str, value: str, why: str) -> SettingsError:
        return SettingsError(f'node "{self.node.id}": invalid {key} "{value}": {why}')

    def flag(self, key: str, default: bool = False, *, graph: bool = True) -> bool:
        value = self.raw(key, graph=graph)
        if not value:
            return default
        try:
            return parse_bool(value)
        except ValueError:
            raise self._bad(key, value, "use true or false") from None

    def integer(self, key: str, default: int = 0) -> int:
        value = self.raw(key)
        if not value:
            return default
        try:
            return parse_int(value)
        except ValueError:
            raise self._bad(key, value, "not an integer") from None

    def number(self, key: str, default: float = 0.0) -> float:
        value = self.raw(key)
        if not value:
            return default
        try:
            return parse_float(value)
        except ValueError:
            raise self._bad(key, value, "not a number") from None

    def seconds(self, key: str) -> float | None:
        """A Go duration (`30s`, `2m`) or a plain number of seconds; None when unset."""
        value = self.raw(key)
        if not value:
            return None
        try:
            return parse_duration(value) / SECOND
        except ValueError:
            pass
        try:
            return parse_float(value)
        except ValueError:
            raise self._bad(key, value, "not a duration (e.g. 30s, 5m)") from None

    # resolved values ----------------------------------------------------------------

    @property
    def model(self) -> str:
        return self.raw("llm_model") or self.run.model or DEFAULT_MODEL

    @property
    def provider(self) -> str:
        """The named provider ("" lets the client infer it from the model). A run with a
        scripted replies file answers every agent node from it."""
        if self.run.scripted_file is not None:
            return SCRIPTED_PROVIDER
        return self.raw("llm_provider") or self.run.provider

    @property
    def backend(self) -> str:
        return self.raw("backend", graph=False) or self.run.backend or "native"

    def working_dir(self, workdir: Path) -> Path:
        """The node's working directory, resolved against the run's workdir."""
        value = self.raw("working_dir", graph=False)
        if not value:
            return Path(workdir)
        try:
            cleaned = check_working_dir(self.node.id, value)
        except ToolSafetyError as exc:
            raise SettingsError(str(exc)) from None
        return (Path(workdir) / cleaned).resolve()

    def max_turns(self) -> int:
        turns = self.integer("max_turns")
        if turns < 0:
            raise self._bad("max_turns", self.raw("max_turns"), "must be >= 1")
        return turns

    # the native session --------------------------------------------------------------

    def session_config(
        self, working_dir: Path, prior_summaries: list[str] | None = None
    ) -> SessionConfig:
        """The native SessionConfig; invalid combinations raise ConfigurationError."""
        values: dict[str, object] = {
            "working_dir": str(working_dir),
            "model": self.model,
            "provider": self.provider,
            "node_id": self.node.id,
            "system_prompt": self.raw("system_prompt"),
            "reasoning_effort": self.raw("reasoning_effort"),
            "response_format": self.raw("response_format"),
            "response_schema": self.raw("response_schema"),
            "cache_tool_results": self.flag("cache_tool_results"),
            "reflect_on_error": self.flag("reflect_on_error", True),
            "plan_before_execute": self.flag("plan_before_execute")
            or self.flag("plan", graph=False),
            "auto_status": self.flag("auto_status", graph=False),
            "prior_episode_summaries": list(prior_summaries or []),
            "bypass_denylist": self.run.bypass_denylist,
            "denylist_add": self._denylist_add(),
        }
        turns = self.max_turns()
        if turns:
            values["max_turns"] = turns
        timeout = self.seconds("command_timeout")
        if timeout is not None and timeout > 0:
            values["command_timeout"] = timeout
            values["max_command_timeout"] = max(600.0, timeout)
        values.update(self._compaction())
        return SessionConfig.build(**values)

    def _compaction(self) -> dict[str, object]:
        mode = self.raw("context_compaction").lower()
        threshold = self.number("context_compaction_threshold")
        if mode != "auto":
            return {"context_compaction": "none"}
        return {
            "context_compaction": "auto",
            "compaction_threshold": threshold if threshold > 0 else DEFAULT_COMPACTION_THRESHOLD,
        }

    def _denylist_add(self) -> list[str]:
        return parse_pattern_list(
            [*self.run.tool_denylist_add, self.graph_attrs.get("tool_denylist_add", "")]
        )
