"""The LLM client (spec agent-llm.md §1.5): routes a Request to a provider adapter.

Adapters come from plugins: each `ProviderSpec` registered through `register_providers`
has a `factory(config: ProviderConfig) -> ProviderAdapter`. This module defines that
adapter protocol and never imports a provider SDK; adapters import theirs lazily.

`complete()` runs through the middleware chain (by default: retry outermost, then the
token tracker, so only the successful attempt is counted). `stream()` bypasses it. Both
apply the stream idle deadline to streamed calls.
"""

from __future__ import annotations

import inspect
import logging
import os
import time
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from .catalog import Catalog, default_catalog
from .errors import ConfigurationError, provider_env_keys
from .middleware import Middleware, chain
from .retry import RetryMiddleware
from .stream import DEFAULT_STREAM_IDLE_TIMEOUT, StreamAccumulator, with_idle_timeout
from .types import Request, Response, StreamEvent
from .usage import TokenTracker, TokenTrackingMiddleware

if TYPE_CHECKING:
    from tracker.plugins.registry import Registry

log = logging.getLogger("tracker.llm.client")

#: providers built first by `from_env`, in this order; other registered ones follow
PROVIDER_PRIORITY = ("anthropic", "openai", "gemini", "openai-compat")


@runtime_checkable
class ProviderAdapter(Protocol):
    """What a provider plugin's factory returns."""

    async def complete(self, request: Request) -> Response: ...

    def stream(self, request: Request) -> AsyncIterator[StreamEvent]: ...


@dataclass(frozen=True)
class ProviderConfig:
    """What a `ProviderSpec.factory` receives: the key and base URL found in the
    environment (the first non-empty key variable; `<NAME>_BASE_URL`), the environment
    itself, and free-form options from the caller (e.g. the scripted provider's script)."""

    name: str
    api_key: str = ""
    base_url: str = ""
    env: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)


def base_url_env(provider: str) -> str:
    return provider.upper().replace("-", "_") + "_BASE_URL"


def provider_config(
    name: str,
    env: Mapping[str, str],
    env_keys: Sequence[str] = (),
    options: Mapping[str, Any] | None = None,
) -> ProviderConfig:
    keys = list(env_keys) or list(provider_env_keys(name))
    api_key = next((env[k] for k in keys if env.get(k)), "")
    base_url = env.get(base_url_env(name), "").strip().strip("\"'")
    return ProviderConfig(name, api_key, base_url, dict(env), dict(options or {}))


class Client:
    def __init__(
        self,
        adapters: Mapping[str, ProviderAdapter],
        *,
        default_provider: str = "",
        middleware: Sequence[Middleware] | None = None,
        stream_idle_timeout: float | None = DEFAULT_STREAM_IDLE_TIMEOUT,
        catalog: Catalog | None = None,
    ) -> None:
        if not adapters:
            raise ConfigurationError("no providers configured")
        self._adapters = dict(adapters)
        if default_provider and default_provider not in self._adapters:
            raise ConfigurationError(f"unknown provider: {default_provider!r}")
        self.default_provider = default_provider or next(iter(self._adapters))
        self._catalog = catalog
        if middleware is None:
            middleware = [RetryMiddleware(), TokenTrackingMiddleware(TokenTracker(catalog))]
        self.middleware: list[Middleware] = list(middleware)
        self.stream_idle_timeout = stream_idle_timeout

    # construction from plugins --------------------------------------------------------

    @classmethod
    def from_registry(
        cls,
        registry: Registry | None = None,
        *,
        env: Mapping[str, str] | None = None,
        providers: Iterable[str] | None = None,
        options: Mapping[str, Mapping[str, Any]] | None = None,
        **client_kwargs: Any,
    ) -> Client:
        """Build adapters from registered providers.

        Without `providers`, every registered provider whose key variable is set is built
        (anthropic, openai, gemini, openai-compat first, then the others in registration
        order); the first one built is the default. `options[name]` goes to that
        provider's factory. A factory that fails is fatal.
        """
        if registry is None:
            from tracker.plugins.manager import get_registry

            registry = get_registry()
        env = os.environ if env is None else env
        specs = registry.providers
        if providers is not None:
            names = list(providers)
            unknown = [n for n in names if n not in specs]
            if unknown:
                raise ConfigurationError(
                    f"unknown provider: {unknown[0]!r} (registered: {', '.join(specs) or 'none'})"
                )
        else:
            ordered = [n for n in PROVIDER_PRIORITY if n in specs]
            ordered += [n for n in specs if n not in PROVIDER_PRIORITY]
            names = [
                n
                for n in ordered
                if any(env.get(k) for k in (specs[n].env_keys or provider_env_keys(n)))
            ]
        adapters: dict[str, ProviderAdapter] = {}
        for name in names:
            spec = specs[name]
            if spec.factory is None:
                continue
            config = provider_config(name, env, spec.env_keys, (options or {}).get(name))
            try:
                adapters[name] = spec.factory(config)
            except Exception as exc:  # noqa: BLE001 - reported as a configuration error
                raise ConfigurationError(f"failed to create {name} adapter: {exc}", exc) from exc
        return cls(adapters, **client_kwargs)

    from_env = from_registry

    # introspection --------------------------------------------------------------------

    @property
    def providers(self) -> list[str]:
        return list(self._adapters)

    def adapter(self, name: str) -> ProviderAdapter:
        return self._adapters[name]

    @property
    def catalog(self) -> Catalog:
        return self._catalog or default_catalog()

    @property
    def token_tracker(self) -> TokenTracker | None:
        for layer in self.middleware:
            if isinstance(layer, TokenTrackingMiddleware):
                return layer.tracker
        return None

    def use(self, middleware: Middleware) -> None:
        """Add a middleware inside the existing ones."""
        self.middleware.append(middleware)

    # routing ------------------------------------------------------------------------

    def resolve_provider(self, request: Request) -> str:
        """The adapter for `request`: its provider, else the one its model belongs to
        (catalog, then name prefix), else the default provider."""
        if request.provider:
            if request.provider not in self._adapters:
                raise ConfigurationError(
                    f'unknown provider: "{request.provider}" '
                    f"(configured: {', '.join(self._adapters)})"
                )
            return request.provider
        inferred = self.catalog.provider_for(request.model) if request.model else None
        if inferred is None:
            if not self.default_provider:
                raise ConfigurationError("no provider specified and no default provider configured")
            return self.default_provider
        if inferred not in self._adapters:
            keys = " or ".join(provider_env_keys(inferred))
            raise ConfigurationError(
                f'model "{request.model}" belongs to provider "{inferred}", which is not '
                f"configured: set {keys} (or run `tracker setup`), or name the provider"
            )
        return self.catalog.infer_provider(request.model, self.default_provider)

    def _routed(self, request: Request) -> Request:
        provider = self.resolve_provider(request)
        if provider == request.provider:
            return request
        return request.model_copy(update={"provider": provider})

    # calls --------------------------------------------------------------------------

    async def complete(self, request: Request) -> Response:
        """One completion through the middleware chain."""
        routed = self._routed(request)
        return await chain(self.middleware, self._call_adapter)(routed)

    async def _call_adapter(self, request: Request) -> Response:
        provider = request.provider
        adapter = self._adapters[provider]
        started = time.monotonic()
        if request.trace_observers:
            # observed calls stream, so observers see every event; retry restarts the stream
            acc = StreamAccumulator(request.model, provider)
            events = with_idle_timeout(adapter.stream(request), self.stream_idle_timeout, provider)
            async for event in events:
                for observer in request.trace_observers:
                    observer(event)
                acc.feed(event)
                if acc.error is not None:
                    raise acc.error
            response = acc.response()
        else:
            response = await adapter.complete(request)
        return response.model_copy(
            update={
                "provider": provider,
                "model": response.model or request.model,
                "latency": time.monotonic() - started,
            }
        )

    async def stream(self, request: Request) -> AsyncIterator[StreamEvent]:
        """The provider's event stream (no middleware: no retry, no usage tracking)."""
        routed = self._routed(request)
        adapter = self._adapters[routed.provider]
        events = with_idle_timeout(
            adapter.stream(routed), self.stream_idle_timeout, routed.provider
        )
        async for event in events:
            yield event

    async def aclose(self) -> None:
        """Close adapters that hold connections."""
        for adapter in self._adapters.values():
            closer = getattr(adapter, "aclose", None) or getattr(adapter, "close", None)
            if closer is None:
                continue
            result = closer()
            if inspect.isawaitable(result):
                await result
