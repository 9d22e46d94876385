"""LLM error classes (spec agent-llm.md §3.1), their classification, and user-facing text.

Every adapter maps its SDK's exceptions onto these classes, so the retry middleware and
the engine decide on one vocabulary: `retryable` says whether another attempt may help,
`retry_after` carries a server's `Retry-After` hint in seconds. Unknown exception types
are never retried (tracker's rule, unlike attractor's).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

#: key variables per built-in provider, first non-empty wins (spec §2.1, §8)
PROVIDER_ENV_KEYS: dict[str, tuple[str, ...]] = {
    "anthropic": ("ANTHROPIC_API_KEY",),
    "openai": ("OPENAI_API_KEY",),
    "gemini": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
    "openai-compat": ("OPENAI_COMPAT_API_KEY",),
}


def provider_env_keys(provider: str) -> tuple[str, ...]:
    """The environment variables holding `provider`'s key (`<NAME>_API_KEY` for others)."""
    known = PROVIDER_ENV_KEYS.get(provider)
    if known:
        return known
    return (provider.upper().replace("-", "_") + "_API_KEY",)


class TrackerLLMError(Exception):
    """Base of every LLM-layer error."""

    retryable: bool = False

    def __init__(self, message: str, cause: BaseException | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.cause = cause
        if cause is not None:
            self.__cause__ = cause


class ProviderError(TrackerLLMError):
    """An error reported by (or while talking to) a provider."""

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        status_code: int | None = None,
        error_code: str | None = None,
        retry_after: float | None = None,
        raw_body: str | None = None,
        cause: BaseException | None = None,
    ) -> None:
        super().__init__(message, cause)
        self.provider = provider
        self.status_code = status_code
        self.error_code = error_code
        self.retry_after = retry_after
        self.raw_body = raw_body

    def __str__(self) -> str:
        prefix = f"{self.provider}: " if self.provider else ""
        status = f" (HTTP {self.status_code})" if self.status_code else ""
        return f"{prefix}{self.message}{status}"


class InvalidRequestError(ProviderError):
    pass


class AuthenticationError(ProviderError):
    pass


class AccessDeniedError(ProviderError):
    pass


class NotFoundError(ProviderError):
    pass


class ContextLengthError(ProviderError):
    pass


class QuotaExceededError(ProviderError):
    """Credit balance or quota exhausted: a billing problem, never retried."""


BillingError = QuotaExceededError


class ContentFilterError(ProviderError):
    pass


class RateLimitError(ProviderError):
    retryable = True


class ServerError(ProviderError):
    retryable = True


class OverloadedError(ServerError):
    """HTTP 529 / `overloaded_error`: a server error, retryable."""


class RequestTimeoutError(ProviderError):
    retryable = True


class NetworkError(ProviderError):
    """Connection or transport failure, or the body could not be read."""

    retryable = True


class StreamError(ProviderError):
    """The stream broke mid-way."""

    retryable = True


class StreamIdleTimeoutError(StreamError):
    """No stream event arrived within the idle deadline (spec §3.4)."""


class ConfigurationError(TrackerLLMError):
    pass


class AbortError(TrackerLLMError):
    pass


class InvalidToolCallError(TrackerLLMError):
    pass


class NoObjectGeneratedError(TrackerLLMError):
    pass


def is_retryable(exc: BaseException) -> bool:
    """Whether the retry middleware may try again after `exc` (unknown types: no)."""
    return isinstance(exc, TrackerLLMError) and exc.retryable


def is_fatal(exc: BaseException) -> bool:
    """Errors that stop the whole run rather than one node: another node would hit them
    too (bad key, exhausted credit, unknown model)."""
    return isinstance(
        exc, AuthenticationError | AccessDeniedError | QuotaExceededError | NotFoundError
    )


# --------------------------------------------------------------------------- classification

_QUOTA_RE = re.compile(
    r"insufficient_quota|insufficient quota|credit balance|quota exceeded|"
    r"exceeded your current quota|too low to access",
    re.IGNORECASE,
)


def parse_retry_after(value: str | float | int | None, now: datetime | None = None) -> float | None:
    """A `Retry-After` header as seconds: numeric or an HTTP date; negatives become 0."""
    if value is None:
        return None
    if isinstance(value, int | float):
        return max(0.0, float(value))
    text = value.strip()
    if not text:
        return None
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now or datetime.now(UTC)
    return max(0.0, (when - current).total_seconds())


def error_from_status(
    status: int,
    message: str,
    *,
    provider: str = "",
    body: str = "",
    error_code: str | None = None,
    retry_after: float | None = None,
    cause: BaseException | None = None,
) -> ProviderError:
    """Classify a non-2xx HTTP response (spec §3.1, §3.2)."""
    kwargs = {
        "provider": provider,
        "status_code": status,
        "error_code": error_code,
        "retry_after": retry_after,
        "raw_body": body or None,
        "cause": cause,
    }
    text = f"{message} {body} {error_code or ''}"
    cls: type[ProviderError]
    if status == 401:
        cls = AuthenticationError
    elif status == 403:
        cls = AccessDeniedError
    elif status == 404:
        cls = NotFoundError
    elif status == 408:
        cls = RequestTimeoutError
    elif status in (400, 402, 429) and _QUOTA_RE.search(text):
        cls = QuotaExceededError  # Anthropic reports "credit balance is too low" as a 400
    elif status == 429:
        cls = RateLimitError
    elif status == 413 or (400 <= status < 500 and "context_length_exceeded" in text):
        cls = ContextLengthError
    elif status == 529:
        cls = OverloadedError
    elif status >= 500:
        cls = ServerError
    else:
        cls = InvalidRequestError
    return cls(message, **kwargs)


#: provider error codes / types found in SSE error events and JSON error bodies
_CODE_CLASSES: dict[str, type[ProviderError]] = {
    "insufficient_quota": QuotaExceededError,
    "invalid_api_key": AuthenticationError,
    "authentication_error": AuthenticationError,
    "permission_error": AccessDeniedError,
    "model_not_found": NotFoundError,
    "not_found_error": NotFoundError,
    "context_length_exceeded": ContextLengthError,
    "request_too_large": ContextLengthError,
    "content_filter": ContentFilterError,
    "content_policy_violation": ContentFilterError,
    "rate_limit_exceeded": RateLimitError,
    "rate_limit_error": RateLimitError,
    "server_error": ServerError,
    "internal_error": ServerError,
    "api_error": ServerError,
    "overloaded_error": OverloadedError,
    "invalid_request_error": InvalidRequestError,
}


def error_from_code(
    code: str, message: str, *, provider: str = "", cause: BaseException | None = None
) -> ProviderError:
    """Classify an error code from a mid-stream error event; unknown codes are invalid
    requests (not retried)."""
    cls = _CODE_CLASSES.get(code, InvalidRequestError)
    if cls is RateLimitError and _QUOTA_RE.search(message):
        cls = QuotaExceededError
    return cls(message, provider=provider, error_code=code or None, cause=cause)


# --------------------------------------------------------------------------- user-facing text


def missing_key_message(provider: str, node_id: str = "") -> str:
    """Why a run cannot start: a node needs a provider that has no key."""
    keys = " or ".join(provider_env_keys(provider))
    who = f"node {node_id!r} uses" if node_id else "this run needs"
    return (
        f"{who} provider {provider!r}, which is not configured: set {keys} (or run `tracker setup`)"
    )


def explain(exc: BaseException) -> str:
    """One clear sentence for the user: which provider, what went wrong, what to do."""
    provider = getattr(exc, "provider", "") or "the provider"
    keys = " or ".join(provider_env_keys(provider)) if provider != "the provider" else "the key"
    detail = getattr(exc, "message", None) or str(exc)
    if isinstance(exc, AuthenticationError):
        return f"{provider} rejected the API key ({detail}): check {keys} or run `tracker setup`"
    if isinstance(exc, AccessDeniedError):
        return (
            f"{provider} denied access ({detail}): the key in {keys} lacks permission "
            "for this model or endpoint"
        )
    if isinstance(exc, QuotaExceededError):
        return (
            f"{provider} reports exhausted credit or quota ({detail}): add credit or raise the "
            f"limit in the {provider} console, or switch the key in {keys}"
        )
    if isinstance(exc, NotFoundError):
        return (
            f"{provider} does not know this model ({detail}): check the node's `model:` "
            "(and `provider:`) in the pipeline"
        )
    if isinstance(exc, ContextLengthError):
        return f"the request is too large for the model's context window ({detail})"
    if isinstance(exc, ContentFilterError):
        return f"{provider} blocked the request or reply by its content policy ({detail})"
    if isinstance(exc, RateLimitError):
        return f"{provider} kept rate-limiting the request after retries ({detail}); try later"
    if isinstance(exc, StreamIdleTimeoutError):
        return f"{provider} stopped sending data ({detail}); the request was abandoned"
    if isinstance(exc, ServerError | RequestTimeoutError | StreamError):
        return f"{provider} failed after retries ({detail}); try again later"
    if isinstance(exc, NetworkError):
        base = provider.upper().replace("-", "_") + "_BASE_URL"
        return f"could not reach {provider} ({detail}): check the network and {base}"
    if isinstance(exc, ConfigurationError):
        return f"{detail} (run `tracker setup` or `tracker doctor`)"
    return detail
