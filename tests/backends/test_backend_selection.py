"""Which backend an agent node uses, where its settings come from, and backends
registered by plugins through `register_backends`."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from tracker.agent.events import AgentEvent, EventType
from tracker.agent.result import SessionResult
from tracker.backends import AgentRunConfig, canonical_backend
from tracker.backends.pool import UnknownBackendError
from tracker.backends.settings import NodeSettings
from tracker.engine.api import Config, build_engine
from tracker.engine.config import RunConfig
from tracker.graph.model import GraphNode
from tracker.handlers.codergen import CodergenHandler
from tracker.llm.errors import ConfigurationError
from tracker.plugins import BackendSpec, hookimpl
from tracker.plugins.manager import build_registry

PIPELINE = """workflow p
  start: Start
  exit: Done

  agent Start
    label: Start

  agent Work
    prompt: Do the thing.
    backend: acp

  agent Done
    label: Done

  edges
    Start -> Work
    Work -> Done
"""


def node(**attrs: str) -> GraphNode:
    return GraphNode(id="Work", attrs=attrs)


def test_codergen_is_an_alias_of_native() -> None:
    assert canonical_backend("codergen", "Work") == "native"
    assert canonical_backend("claude-code", "Work") == "claude-code"
    with pytest.raises(UnknownBackendError, match='unknown backend "gpt" for node "Work"'):
        canonical_backend("gpt", "Work")


def test_node_attrs_win_over_graph_over_run_config() -> None:
    run = RunConfig(model="run-model", provider="openai", backend="claude-code")
    graph = {"llm_model": "graph-model"}
    s = NodeSettings(node(llm_model="node-model"), graph, run)
    assert (s.model, s.provider, s.backend) == ("node-model", "openai", "claude-code")
    assert NodeSettings(node(), graph, run).model == "graph-model"
    assert NodeSettings(node(), {}, run).model == "run-model"
    assert NodeSettings(node(), {}, RunConfig()).model == "claude-sonnet-4-6"
    assert NodeSettings(node(backend="native"), {}, run).backend == "native"
    assert NodeSettings(node(), {"llm_provider": "gemini"}, run).provider == "gemini"


def test_a_scripted_run_answers_every_node_from_the_script(tmp_path: Path) -> None:
    run = RunConfig(scripted_file=tmp_path / "replies.yaml")
    assert NodeSettings(node(llm_provider="openai"), {}, run).provider == "scripted"


def test_session_config_reads_node_and_graph_settings(tmp_path: Path) -> None:
    attrs = {
        "max_turns": "12",
        "command_timeout": "45s",
        "reasoning_effort": "high",
        "cache_tool_results": "true",
        "reflect_on_error": "false",
        "auto_status": "true",
        "plan": "true",
    }
    graph = {"context_compaction": "auto", "tool_denylist_add": "rm *, git push*"}
    cfg = NodeSettings(node(**attrs), graph, RunConfig(tool_denylist_add=["curl *"]))
    session = cfg.session_config(tmp_path, ["earlier attempt"])
    assert session.max_turns == 12
    assert session.command_timeout == 45
    assert session.reasoning_effort == "high"
    assert session.cache_tool_results and session.auto_status and session.plan_before_execute
    assert session.reflect_on_error is False
    assert (session.context_compaction, session.compaction_threshold) == ("auto", 0.6)
    assert session.denylist_add == ["curl *", "rm *", "git push*"]
    assert session.prior_episode_summaries == ["earlier attempt"]
    assert session.node_id == "Work"


@pytest.mark.parametrize(
    ("attrs", "message"),
    [
        ({"max_turns": "lots"}, 'invalid max_turns "lots"'),
        ({"command_timeout": "soon"}, 'invalid command_timeout "soon"'),
        ({"cache_tool_results": "maybe"}, 'invalid cache_tool_results "maybe"'),
        ({"response_format": "xml"}, "invalid session config"),
    ],
)
def test_bad_settings_name_the_node_and_value(
    tmp_path: Path, attrs: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        NodeSettings(node(**attrs), {}, RunConfig()).session_config(tmp_path)


class EchoBackend:
    """A plugin's backend: answers with the prompt it got."""

    name = "acp"

    def __init__(self) -> None:
        self.configs: list[AgentRunConfig] = []

    async def run(self, cfg: AgentRunConfig, emit: Any) -> SessionResult:
        self.configs.append(cfg)
        emit(AgentEvent(type=EventType.TEXT_DELTA, text=f"echo: {cfg.prompt}"))
        return SessionResult(session_id="e1", provider="acp", turns=1)


def _run(tmp_path: Path, handler: CodergenHandler) -> Any:
    source = tmp_path / "p.dip"
    source.write_text(PIPELINE)
    engine = build_engine(source, Config(workdir=tmp_path))
    engine.handlers["codergen"] = handler
    return asyncio.run(engine.run())


def test_backends_registered_by_a_plugin_are_used(tmp_path: Path) -> None:
    backend = EchoBackend()

    class Plugin:
        @hookimpl
        def register_backends(self, register: Any) -> None:
            register(BackendSpec(name="acp", factory=lambda env: backend))

    registry = build_registry([("fake-acp", Plugin())])
    result = _run(tmp_path, CodergenHandler(registry=registry))

    assert result.status == "success", result.error
    assert result.context["last_response"] == "echo: Do the thing."
    assert backend.configs[0].working_dir == str(tmp_path.resolve())


def test_acp_without_its_plugin_names_the_package(tmp_path: Path) -> None:
    registry = build_registry()
    registry.entries.get("backends", {}).pop("acp", None)  # as if tracker-acp were absent
    result = _run(tmp_path, CodergenHandler(registry=registry))
    assert result.status == "fail"
    assert "tracker-acp" in result.error
    assert "pip install tracker-acp" in result.error


def test_native_backend_without_any_provider_names_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in (
        "ANTHROPIC_API_KEY",
        "OPENAI_API_KEY",
        "OPENAI_COMPAT_API_KEY",
        "GEMINI_API_KEY",
        "GOOGLE_API_KEY",
        "TRACKER_SCRIPTED_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    source = tmp_path / "p.dip"
    source.write_text(PIPELINE.replace("    backend: acp\n", ""))
    engine = build_engine(source, Config(workdir=tmp_path))
    result = asyncio.run(engine.run())
    assert result.status == "fail"
    assert "ANTHROPIC_API_KEY" in result.error and "tracker setup" in result.error
    assert 'node "Work"' in result.error
