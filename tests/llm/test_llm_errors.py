"""Error classification (spec §3.1) and the messages users read."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from tracker.llm import errors as e


@pytest.mark.parametrize(
    ("status", "body", "cls", "retryable"),
    [
        (400, "bad field", e.InvalidRequestError, False),
        (401, "", e.AuthenticationError, False),
        (403, "", e.AccessDeniedError, False),
        (404, "model_not_found", e.NotFoundError, False),
        (408, "", e.RequestTimeoutError, True),
        (413, "", e.ContextLengthError, False),
        (400, '{"code": "context_length_exceeded"}', e.ContextLengthError, False),
        (429, "Too many requests", e.RateLimitError, True),
        (429, '{"error": {"code": "insufficient_quota"}}', e.QuotaExceededError, False),
        (429, "Your credit balance is too low", e.QuotaExceededError, False),
        (500, "", e.ServerError, True),
        (503, "", e.ServerError, True),
        (529, "overloaded", e.OverloadedError, True),
        (418, "", e.InvalidRequestError, False),
    ],
)
def test_status_classification(status: int, body: str, cls: type, retryable: bool) -> None:
    error = e.error_from_status(status, "msg", provider="anthropic", body=body)
    assert type(error) is cls
    assert e.is_retryable(error) is retryable
    assert error.status_code == status and error.provider == "anthropic"


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        ("insufficient_quota", e.QuotaExceededError),
        ("invalid_api_key", e.AuthenticationError),
        ("overloaded_error", e.OverloadedError),
        ("rate_limit_exceeded", e.RateLimitError),
        ("content_policy_violation", e.ContentFilterError),
        ("something_new", e.InvalidRequestError),
    ],
)
def test_stream_error_codes(code: str, cls: type) -> None:
    assert type(e.error_from_code(code, "m", provider="openai")) is cls


def test_retry_after_header_forms() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert e.parse_retry_after("7") == 7.0
    assert e.parse_retry_after("-4") == 0.0
    assert e.parse_retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now=now) == 30.0
    assert e.parse_retry_after("Thu, 01 Jan 2026 11:00:00 GMT", now=now) == 0.0
    assert e.parse_retry_after("soon") is None
    assert e.parse_retry_after(None) is None


def test_unknown_exceptions_are_not_retryable_and_fatal_set() -> None:
    assert not e.is_retryable(RuntimeError("?"))
    assert e.is_fatal(e.AuthenticationError("x"))
    assert e.is_fatal(e.QuotaExceededError("x"))
    assert e.is_fatal(e.NotFoundError("x"))
    assert not e.is_fatal(e.RateLimitError("x"))


def test_messages_name_provider_env_var_and_next_step() -> None:
    auth = e.explain(
        e.AuthenticationError("invalid x-api-key", provider="anthropic", status_code=401)
    )
    assert "anthropic" in auth and "ANTHROPIC_API_KEY" in auth and "tracker setup" in auth
    gemini = e.explain(e.AuthenticationError("bad", provider="gemini"))
    assert "GEMINI_API_KEY or GOOGLE_API_KEY" in gemini
    missing = e.missing_key_message("openai", node_id="Review")
    assert "'Review'" in missing and "OPENAI_API_KEY" in missing and "tracker setup" in missing
    assert "ACME_AI_API_KEY" in e.missing_key_message("acme-ai")
    quota = e.explain(e.QuotaExceededError("credit balance too low", provider="anthropic"))
    assert "credit" in quota and "anthropic" in quota
    assert "OPENAI_COMPAT_BASE_URL" in e.explain(
        e.NetworkError("refused", provider="openai-compat")
    )


def test_str_includes_provider_and_status() -> None:
    assert str(e.RateLimitError("slow down", provider="openai", status_code=429)) == (
        "openai: slow down (HTTP 429)"
    )


def test_anthropic_low_credit_400_is_a_quota_error() -> None:
    from tracker.llm.errors import QuotaExceededError, error_from_status

    err = error_from_status(
        400,
        "Your credit balance is too low to access the Anthropic API.",
        provider="anthropic",
    )
    assert isinstance(err, QuotaExceededError)
    assert not err.retryable
