"""Fixtures of the provider tests: one `ProviderCase` per adapter under contract.

To put another adapter under the contract, append a `ProviderCase` to `CASES`: its
name, a fake server class from `tracker.testing` (which renders the generic scripted
turns into that provider's wire format), a factory for the real adapter pointed at the
fake (`via_plugin(name)` builds it through the registered plugin), and a catalog model.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from contract import ProviderCase, via_plugin
from tracker.testing import (
    FakeAnthropic,
    FakeGemini,
    FakeOpenAI,
    FakeOpenAICompat,
    FakeProviderServer,
)

CASES: list[ProviderCase] = [
    ProviderCase(
        name="anthropic",
        fake=FakeAnthropic,
        adapter=via_plugin("anthropic", api_key="sk-ant-test-xxxxxxxx"),
        model="claude-sonnet-4-6",
    ),
    ProviderCase(
        name="openai-compat",
        fake=FakeOpenAICompat,
        adapter=via_plugin("openai-compat"),
        model="gpt-4.1-mini",
    ),
    ProviderCase(
        name="openai",
        fake=FakeOpenAI,
        adapter=via_plugin("openai"),
        model="gpt-5.4",
    ),
    ProviderCase(
        name="gemini",
        fake=FakeGemini,
        adapter=via_plugin("gemini", api_key="gemini-test-xxxxxxxx"),
        model="gemini-2.5-pro",
    ),
]


@pytest.fixture(params=[pytest.param(c, marks=c.marks, id=c.name) for c in CASES])
def case(request: pytest.FixtureRequest) -> ProviderCase:
    return request.param


@pytest.fixture
def fake(case: ProviderCase) -> Iterator[FakeProviderServer]:
    server = case.fake()
    with server:
        yield server
