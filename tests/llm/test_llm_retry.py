"""The retry policy users observed in the reference: 3 retries at 2/4/8 s, Retry-After
honoured up to 120 s, non-retryable errors fail on the first call."""

from __future__ import annotations

import asyncio

import pytest
from tracker.llm import (
    AuthenticationError,
    NetworkError,
    QuotaExceededError,
    RateLimitError,
    Request,
    Response,
    RetryMiddleware,
    RetryPolicy,
    ServerError,
    StreamIdleTimeoutError,
)


class FakeSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


class Flaky:
    """Raises the given errors in order, then answers."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self, request: Request) -> Response:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return Response(model=request.model)


REQUEST = Request(model="claude-sonnet-4-6")


def run(middleware: RetryMiddleware, call: Flaky) -> Response:
    return asyncio.run(middleware(REQUEST, call))


def test_retryable_errors_back_off_2_4_8_then_give_up() -> None:
    sleep = FakeSleep()
    call = Flaky(*(ServerError("boom", status_code=500) for _ in range(5)))
    with pytest.raises(ServerError):
        run(RetryMiddleware(sleep=sleep), call)
    assert sleep.delays == [2.0, 4.0, 8.0]
    assert call.calls == 4  # first attempt + 3 retries


def test_success_after_transient_failures_returns_the_response() -> None:
    sleep = FakeSleep()
    call = Flaky(NetworkError("reset"), StreamIdleTimeoutError("idle"))
    response = run(RetryMiddleware(sleep=sleep), call)
    assert response.model == "claude-sonnet-4-6"
    assert sleep.delays == [2.0, 4.0]
    assert call.calls == 3


def test_rate_limit_retry_after_is_honoured() -> None:
    sleep = FakeSleep()
    call = Flaky(RateLimitError("slow", retry_after=7.5), RateLimitError("slow"))
    run(RetryMiddleware(sleep=sleep), call)
    # the hint replaces the backoff; without a hint the exponential delay applies
    assert sleep.delays == [7.5, 4.0]


def test_retry_after_is_capped_at_120_seconds_and_floored_at_zero() -> None:
    sleep = FakeSleep()
    call = Flaky(RateLimitError("slow", retry_after=900), RateLimitError("x", retry_after=-3))
    run(RetryMiddleware(sleep=sleep), call)
    assert sleep.delays == [120.0, 0.0]


@pytest.mark.parametrize(
    "error",
    [
        AuthenticationError("bad key", status_code=401),
        QuotaExceededError("credit balance too low", status_code=429),
        ValueError("a bug, not a provider error"),
    ],
)
def test_non_retryable_errors_fail_after_exactly_one_call(error: BaseException) -> None:
    sleep = FakeSleep()
    call = Flaky(error)
    with pytest.raises(type(error)):
        run(RetryMiddleware(sleep=sleep), call)
    assert call.calls == 1
    assert sleep.delays == []


def test_policy_is_configurable_and_reports_each_retry() -> None:
    sleep = FakeSleep()
    seen: list[tuple[int, float]] = []
    middleware = RetryMiddleware(
        RetryPolicy(max_retries=1, base_delay=0.5),
        sleep=sleep,
        on_retry=lambda attempt, exc, delay: seen.append((attempt, delay)),
    )
    with pytest.raises(ServerError):
        run(middleware, Flaky(ServerError("a"), ServerError("b")))
    assert seen == [(0, 0.5)]


def test_cancellation_during_backoff_propagates() -> None:
    async def scenario() -> None:
        middleware = RetryMiddleware()  # real asyncio.sleep: 2 s, cancelled long before
        task = asyncio.create_task(middleware(REQUEST, Flaky(ServerError("x"))))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
