"""The middleware contract shared by the client, retry and usage tracking.

A middleware wraps one `complete()` call: it receives the request and `call_next`, and
returns the response (or raises). The first middleware added is the outermost.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from .types import Request, Response

CallNext = Callable[[Request], Awaitable[Response]]


class Middleware(Protocol):
    async def __call__(self, request: Request, call_next: CallNext) -> Response: ...


def chain(middleware: list[Middleware], innermost: CallNext) -> CallNext:
    """Compose `middleware` around `innermost`, first element outermost."""
    call = innermost
    for layer in reversed(middleware):
        call = _bind(layer, call)
    return call


def _bind(layer: Middleware, call_next: CallNext) -> CallNext:
    async def call(request: Request) -> Response:
        return await layer(request, call_next)

    return call
