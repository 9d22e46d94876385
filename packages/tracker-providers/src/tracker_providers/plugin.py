"""Entry point of tracker-providers: registers the four SDK-backed LLM providers.

Registration is cheap: each factory imports its adapter module (and with it the SDK)
only when a client is built for that provider, so `tracker --help` and `tracker
validate` never load `anthropic`, `openai` or `google.genai`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from tracker.plugins import ProviderSpec, hookimpl

#: name -> (adapter module, factory candidates in order, key variables, description)
PROVIDERS: dict[str, tuple[str, tuple[str, ...], list[str], str]] = {
    "anthropic": (
        "tracker_providers.anthropic",
        ("create_adapter", "AnthropicAdapter"),
        ["ANTHROPIC_API_KEY"],
        "Anthropic Messages API (official anthropic SDK)",
    ),
    "openai": (
        "tracker_providers.openai_responses",
        ("create_adapter", "OpenAIResponsesAdapter", "OpenAIAdapter"),
        ["OPENAI_API_KEY"],
        "OpenAI Responses API (official openai SDK)",
    ),
    "gemini": (
        "tracker_providers.gemini",
        ("create_adapter", "GeminiAdapter"),
        ["GEMINI_API_KEY", "GOOGLE_API_KEY"],
        "Google Gemini API (official google-genai SDK)",
    ),
    "openai-compat": (
        "tracker_providers.openai_compat",
        ("create_adapter", "OpenAICompatAdapter"),
        ["OPENAI_COMPAT_API_KEY"],
        "OpenAI-compatible Chat Completions (OpenRouter, vLLM, Ollama ...; openai SDK)",
    ),
}


def lazy_factory(module: str, candidates: tuple[str, ...]) -> Callable[[Any], Any]:
    """A factory that imports `module` on first use and calls the first of `candidates`
    it defines (a `create_adapter(config)` function or an adapter class)."""

    def factory(config: Any) -> Any:
        loaded = importlib.import_module(module)
        for name in candidates:
            target = getattr(loaded, name, None)
            if target is not None:
                return target(config)
        raise RuntimeError(f"{module} defines none of: {', '.join(candidates)}")

    factory.__qualname__ = f"lazy_factory({module})"
    return factory


@hookimpl
def register_providers(register: Callable[[ProviderSpec], None]) -> None:
    for name, (module, candidates, env_keys, description) in PROVIDERS.items():
        register(
            ProviderSpec(
                name=name,
                factory=lazy_factory(module, candidates),
                env_keys=env_keys,
                description=description,
            )
        )
