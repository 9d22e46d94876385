"""LLM set-up for a run: the pre-flight provider check (design.md: stop before anything
runs, naming the node, the key variable and `tracker setup`) and the `--scripted` client
that answers every agent node from a script file."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from tracker.cli.errors import CliError
from tracker.graph.model import Graph, GraphNode

NATIVE = ("", "native", "codergen")


def _llm_nodes(graphs: Iterable[Graph], default_backend: str) -> list[tuple[Graph, GraphNode]]:
    """Agent nodes that will call an LLM through tracker's own client (native backend)."""
    found: list[tuple[Graph, GraphNode]] = []
    for graph in graphs:
        for node in graph.nodes.values():
            if node.handler != "codergen" and not (not node.handler and node.shape == "box"):
                continue
            backend = node.attrs.get("backend", "") or default_backend
            if backend in NATIVE:
                found.append((graph, node))
    return found


def _node_attrs(graph: Graph, node: GraphNode) -> dict[str, str]:
    """The node's attrs after the graph's model stylesheet, as the engine will see them."""
    sheet = graph.attrs.get("model_stylesheet", "")
    if not sheet:
        return node.attrs
    from tracker.engine.stylesheet import apply_stylesheet, parse_stylesheet

    try:
        return apply_stylesheet(node, parse_stylesheet(sheet))
    except ValueError:
        return node.attrs


def _registered(registry: Any) -> dict[str, tuple[str, ...]]:
    """provider name -> its key variables, for every installed provider adapter."""
    from tracker.config import key_vars

    out: dict[str, tuple[str, ...]] = {}
    for name, spec in registry.providers.items():
        out[name] = tuple(getattr(spec, "env_keys", None) or ()) or key_vars(name)
    return out


def _no_provider_message(node_id: str) -> str:
    from tracker.config import PROVIDERS

    lines = [
        f'agent node "{node_id}" needs an LLM, and no LLM providers configured. Set a key:',
        *(f"  export {p.key_var}=..." for p in PROVIDERS.values()),
        "Or run: tracker setup   (or test offline with --scripted FILE)",
    ]
    return "\n".join(lines)


def check_providers(
    graphs: Iterable[Graph],
    env: Mapping[str, str],
    registry: Any,
    *,
    default_backend: str = "native",
) -> None:
    """Raise CliError unless every provider the native agent nodes will use is configured."""
    from tracker.config import configured_providers, key_vars
    from tracker.llm.catalog import default_catalog

    nodes = _llm_nodes(graphs, default_backend)
    if not nodes:
        return
    installed = _registered(registry)
    configured = [
        name
        for name, keys in installed.items()
        if any((env.get(k) or "").strip() for k in keys) and name != "scripted"
    ]
    default = next((p for p in configured_providers(env) if p in installed), "")
    default = default or next(iter(configured), "")
    for graph, node in nodes:
        attrs = _node_attrs(graph, node)
        provider = attrs.get("llm_provider") or graph.attrs.get("llm_provider", "")
        model = attrs.get("llm_model") or graph.attrs.get("llm_model", "")
        if not provider and model:
            provider = default_catalog().provider_for(model) or ""
        if not provider:
            if not default:
                raise CliError(_no_provider_message(node.id))
            continue
        if provider == "scripted" and any(env.get(k) for k in installed.get("scripted", ())):
            continue
        if provider in configured:
            continue
        var = " or ".join(key_vars(provider))
        why = f"uses model {model}, from provider {provider}" if model else f"uses {provider}"
        if provider not in installed and provider != "scripted":
            raise CliError(
                f'agent node "{node.id}" {why}, whose adapter is not installed: '
                "pip install tracker-providers (then set "
                f"{var} or run `tracker setup`)"
            )
        raise CliError(
            f'agent node "{node.id}" {why}, which is not configured: set {var} '
            "(in the environment or the workdir's .env) or run `tracker setup` "
            "— or test offline with --scripted FILE"
        )


def scripted_client(path: Path) -> Any:
    """A client whose every request is answered by the scripted provider, whatever
    provider or model the node names (`--scripted FILE`)."""
    from tracker.llm.client import Client, ProviderConfig
    from tracker.llm.errors import ConfigurationError
    from tracker.llm.scripted import PROVIDER_NAME, create_provider

    class ScriptedClient(Client):
        def resolve_provider(self, request: Any) -> str:
            return PROVIDER_NAME

    if not path.is_file():
        raise CliError(f"--scripted: file not found: {path}")
    try:
        config = ProviderConfig(PROVIDER_NAME, "", "", {}, {"script": str(path)})
        adapter = create_provider(config)
    except (ConfigurationError, ValueError, OSError) as exc:
        raise CliError(f"--scripted: {exc}") from None
    return ScriptedClient({PROVIDER_NAME: adapter})


def env_client() -> Any:
    """A client over every configured provider, or None when none is (autopilot)."""
    from tracker.llm.client import Client
    from tracker.llm.errors import ConfigurationError

    try:
        return Client.from_registry()
    except ConfigurationError:
        return None
