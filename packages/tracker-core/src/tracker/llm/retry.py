"""Retry middleware (spec agent-llm.md §3.3): the only retry layer in tracker.

Provider SDKs run with their own retries off, so the numbers users observed in the
reference hold: at most 3 retries after the first attempt, sleeping 2 s, 4 s, 8 s
(base 2 s, doubling, no jitter, no cap); a `RateLimitError` that carries `retry_after`
sleeps exactly that instead, clamped to [0, 120] s. Non-retryable and unknown errors
propagate on the first failure. The sleep function is injectable so tests never wait.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from .errors import RateLimitError, is_retryable
from .middleware import CallNext
from .types import Request, Response

log = logging.getLogger("tracker.llm.retry")

Sleep = Callable[[float], Awaitable[object]]


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 3
    base_delay: float = 2.0
    max_retry_after: float = 120.0
    #: optional ±50 % jitter; off by default so behaviour (and tests) are deterministic
    jitter: bool = False

    def delay(self, attempt: int, exc: BaseException) -> float:
        """Seconds to wait after failed attempt `attempt` (0-based)."""
        retry_after = getattr(exc, "retry_after", None)
        if isinstance(exc, RateLimitError) and retry_after is not None:
            return min(max(float(retry_after), 0.0), self.max_retry_after)
        delay = self.base_delay * (2**attempt)
        if self.jitter:
            delay *= random.uniform(0.5, 1.5)
        return delay


class RetryMiddleware:
    """Retries retryable failures of `complete()` per `policy`."""

    def __init__(
        self,
        policy: RetryPolicy | None = None,
        *,
        sleep: Sleep = asyncio.sleep,
        on_retry: Callable[[int, BaseException, float], None] | None = None,
    ) -> None:
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._on_retry = on_retry

    async def __call__(self, request: Request, call_next: CallNext) -> Response:
        attempt = 0
        while True:
            try:
                return await call_next(request)
            except Exception as exc:
                if not is_retryable(exc) or attempt >= self.policy.max_retries:
                    raise
                delay = self.policy.delay(attempt, exc)
                log.warning(
                    "LLM call failed (%s); retry %d/%d in %.1fs",
                    exc,
                    attempt + 1,
                    self.policy.max_retries,
                    delay,
                )
                if self._on_retry is not None:
                    self._on_retry(attempt, exc, delay)
                await self._sleep(delay)  # cancellation propagates from here
                attempt += 1
