"""Helpers shared by the SDK adapters: keys, base URLs (with the gateway rule), and the
mapping of SDK exceptions onto tracker's error classes.

Nothing here imports a provider SDK: the adapters pass their SDK module in, so this
module stays cheap to import and works for every SDK built the same way (the
Stainless-generated `anthropic` and `openai` packages share their exception shapes).
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Mapping
from types import ModuleType
from typing import Any, NoReturn

from tracker.config import GATEWAY_ENV, PROVIDERS
from tracker.llm.client import ProviderConfig, base_url_env
from tracker.llm.errors import (
    AuthenticationError,
    ConfigurationError,
    InvalidRequestError,
    NetworkError,
    ProviderError,
    StreamError,
    TrackerLLMError,
    error_from_code,
    error_from_status,
    missing_key_message,
    parse_retry_after,
    provider_env_keys,
)

#: gateway root + this suffix is a provider's base URL when no `<NAME>_BASE_URL` is set
#: (cli-tui.md §3.2); the table lives in tracker.config so doctor and adapters agree
GATEWAY_SUFFIXES: dict[str, str] = {name: info.gateway_suffix for name, info in PROVIDERS.items()}

#: provider error types -> the HTTP status they stand for (for errors inside a 200 stream)
ERROR_TYPE_STATUS: dict[str, int] = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "overloaded_error": 529,
}

#: non-streaming calls give up after this many seconds (agent-llm.md §3.4)
COMPLETE_TIMEOUT = 300.0
#: tracker's default output budget when a request sets none (agent-llm.md §1.2)
DEFAULT_MAX_TOKENS = 16384


# --------------------------------------------------------------------------- configuration


def config_env(config: ProviderConfig) -> Mapping[str, str]:
    """The environment a factory should read: the config's, else the process's."""
    return config.env or os.environ


def resolve_api_key(config: ProviderConfig) -> str:
    """The key from the config, else the provider's key variables; none is a clear
    configuration error naming the variable and `tracker setup`."""
    if config.api_key:
        return config.api_key
    env = config_env(config)
    for name in provider_env_keys(config.name):
        value = env.get(name) or os.environ.get(name)
        if value:
            return value.strip()
    raise ConfigurationError(missing_key_message(config.name))


def clean_base_url(url: str, *, strip_v1: bool = False) -> str:
    """Strip quotes, whitespace and trailing slashes; optionally one trailing `/v1`
    (users write `http://host:port/v1` for OpenAI-style servers)."""
    url = url.strip().strip("\"'").strip().rstrip("/")
    if strip_v1 and url.endswith("/v1"):
        url = url[: -len("/v1")].rstrip("/")
    return url


def resolve_base_url(config: ProviderConfig, default: str, *, strip_v1: bool = False) -> str:
    """The provider's base URL: an explicit one (`options["base_url"]`, the config,
    `<NAME>_BASE_URL`) wins; else the gateway root (`options["gateway_url"]` or
    `TRACKER_GATEWAY_URL`) plus the provider's suffix; else `default`."""
    env = config_env(config)
    explicit = (
        config.options.get("base_url")
        or config.base_url
        or env.get(base_url_env(config.name))
        or ""
    )
    if clean_base_url(str(explicit)):
        return clean_base_url(str(explicit), strip_v1=strip_v1)
    gateway = clean_base_url(str(config.options.get("gateway_url") or env.get(GATEWAY_ENV) or ""))
    if gateway:
        suffix = GATEWAY_SUFFIXES.get(config.name, "/" + config.name)
        return clean_base_url(gateway + suffix, strip_v1=strip_v1)
    return clean_base_url(default, strip_v1=strip_v1)


# --------------------------------------------------------------------------- errors


def error_details(body: Any) -> tuple[str, list[str]]:
    """`(message, codes)` from a provider error body: `{"error": {"message", "code",
    "type"}}` (Anthropic, OpenAI), a bare error object, or text. `codes` lists the
    specific `code` before the broader `type`."""
    if isinstance(body, Mapping):
        inner = body.get("error", body)
        if isinstance(inner, Mapping):
            codes = [str(inner[k]) for k in ("code", "type") if inner.get(k) not in (None, "")]
            return str(inner.get("message") or ""), codes
        if isinstance(inner, str):
            return inner, []
    if isinstance(body, str):
        return body, []
    return "", []


def _from_codes(codes: list[str], message: str, provider: str, exc: BaseException) -> ProviderError:
    """Classify an error without an HTTP status by the first code tracker knows."""
    fallback: ProviderError | None = None
    for code in codes:
        if code.isdigit():
            return error_from_status(int(code), message, provider=provider, cause=exc)
        error = error_from_code(code, message, provider=provider, cause=exc)
        if not isinstance(error, InvalidRequestError) or code == "invalid_request_error":
            return error
        fallback = fallback or error
    return fallback or error_from_code("", message, provider=provider, cause=exc)


def _retry_after(headers: Any) -> float | None:
    """Seconds from `retry-after-ms` or `Retry-After` (seconds or an HTTP date)."""
    if headers is None:
        return None
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000.0)
        except ValueError:
            pass
    return parse_retry_after(headers.get("retry-after"))


def _body_text(body: Any) -> str:
    if body is None:
        return ""
    if isinstance(body, str):
        return body
    try:
        return json.dumps(body)
    except (TypeError, ValueError):
        return str(body)


def _is_transport_error(exc: BaseException) -> bool:
    """An httpx / httpx2 transport failure that escaped the SDK (e.g. mid-stream)."""
    for cls in type(exc).__mro__:
        if cls.__module__.split(".")[0] in ("httpx", "httpx2") and cls.__name__ in (
            "TransportError",
            "TimeoutException",
        ):
            return True
    return False


def with_key_hint(error: ProviderError, provider: str) -> ProviderError:
    """Authentication failures say which variable holds the key and how to fix it."""
    if isinstance(error, AuthenticationError):
        keys = " or ".join(provider_env_keys(provider))
        error.message = (
            f"authentication failed ({error.message}): check {keys} or run `tracker setup`"
        )
        error.args = (error.message,)
    return error


def map_sdk_error(
    exc: BaseException, sdk: ModuleType, provider: str, base_url: str = ""
) -> TrackerLLMError | None:
    """The tracker error for an exception raised by a Stainless SDK (`anthropic`,
    `openai`), or None when it is not one (the caller re-raises the original)."""
    if isinstance(exc, TrackerLLMError):
        return exc
    if isinstance(exc, sdk.APIStatusError):
        message, codes = error_details(exc.body)
        message = message or str(getattr(exc, "message", "") or exc)
        status = int(exc.status_code)
        if status < 400:
            # an error event inside a 200 stream: classify by its code
            error = _from_codes(codes, message, provider, exc)
            error.status_code = error.status_code or ERROR_TYPE_STATUS.get(
                codes[-1] if codes else ""
            )
        else:
            error = error_from_status(
                status,
                message,
                provider=provider,
                body=_body_text(exc.body),
                error_code=codes[0] if codes else None,
                retry_after=_retry_after(getattr(exc.response, "headers", None)),
                cause=exc,
            )
        error.raw_body = _body_text(exc.body) or None
        return with_key_hint(error, provider)
    if isinstance(exc, sdk.APIConnectionError):  # includes APITimeoutError
        where = f" {base_url}" if base_url else ""
        reason = exc.__cause__ or exc
        what = "timed out talking to" if isinstance(exc, sdk.APITimeoutError) else "cannot reach"
        return NetworkError(f"{what}{where}: {reason}", provider=provider, cause=exc)
    if isinstance(exc, sdk.APIError):
        # an error object inside a stream, without an HTTP status (OpenAI-style servers)
        message, codes = error_details(exc.body)
        error = _from_codes(codes, message or str(exc), provider, exc)
        error.raw_body = _body_text(exc.body) or None
        return with_key_hint(error, provider)
    if _is_transport_error(exc):
        return NetworkError(f"connection failed: {exc}", provider=provider, cause=exc)
    return None


def raise_mapped(
    exc: BaseException, sdk: ModuleType, provider: str, base_url: str = ""
) -> NoReturn:
    """Raise the tracker error for `exc` (chained), or `exc` itself when unknown."""
    mapped = map_sdk_error(exc, sdk, provider, base_url)
    if mapped is None or mapped is exc:
        raise exc
    raise mapped from exc


def positive(value: int | None) -> int | None:
    """A counter reported only when the provider gave a positive number."""
    return value if value else None


# --------------------------------------------------------------------------- adapter base


class SDKAdapter:
    """What the Stainless-SDK adapters share: configuration read at construction (so a
    missing key fails early), the SDK imported and its client built on first call (so
    configuring a provider a run never uses costs nothing), and error mapping."""

    name = ""
    sdk_module = ""
    default_base_url = ""
    strip_v1 = False  # OpenAI-style base URLs: drop a user's trailing /v1
    base_suffix = ""  # appended for the SDK (OpenAI-style clients want .../v1)

    def __init__(self, config: ProviderConfig | None = None, *, client: Any = None) -> None:
        config = config or ProviderConfig(self.name)
        self.base_url = (
            resolve_base_url(config, self.default_base_url, strip_v1=self.strip_v1)
            + self.base_suffix
        )
        self._api_key = "" if client is not None else resolve_api_key(config)
        self._headers = {str(k): str(v) for k, v in (config.options.get("headers") or {}).items()}
        self._client = client

    @property
    def sdk(self) -> ModuleType:
        return importlib.import_module(self.sdk_module)

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self.make_client()
        return self._client

    def make_client(self) -> Any:
        """The SDK client, with SDK retries off (tracker's retry layer is the only one)."""
        raise NotImplementedError

    async def aclose(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.close()

    def map_error(self, exc: BaseException) -> TrackerLLMError | None:
        return map_sdk_error(exc, self.sdk, self.name, self.base_url)

    def raise_mapped(self, exc: BaseException) -> NoReturn:
        raise_mapped(exc, self.sdk, self.name, self.base_url)
        raise exc  # unreachable: raise_mapped always raises


def broken_stream(error: TrackerLLMError, started: bool, provider: str) -> TrackerLLMError:
    """A connection lost after the stream began is a broken stream (retryable)."""
    if started and type(error) is NetworkError:
        return StreamError(f"stream broken: {error.message}", provider=provider, cause=error.cause)
    return error
