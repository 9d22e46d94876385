"""The tracker-providers plugin: all four providers are registered, registering (and
building an adapter) imports no SDK, and a Client built from the environment routes to
the adapter configured there."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

from tracker.llm import Client, Message, Request
from tracker.plugins.manager import get_registry
from tracker.testing import FakeAnthropic, FakeOpenAICompat


def test_four_providers_are_registered_with_their_key_variables() -> None:
    providers = get_registry().providers
    expected = {
        "anthropic": ["ANTHROPIC_API_KEY"],
        "openai": ["OPENAI_API_KEY"],
        "gemini": ["GEMINI_API_KEY", "GOOGLE_API_KEY"],
        "openai-compat": ["OPENAI_COMPAT_API_KEY"],
    }
    for name, keys in expected.items():
        assert name in providers
        assert providers[name].env_keys == keys
        assert providers[name].factory is not None


PROBE = """
import json, sys
from tracker.llm.client import ProviderConfig
from tracker.plugins.manager import get_registry
specs = get_registry().providers
stage = {"registered": sorted(m for m in sys.modules if m.split(".")[0] in ("anthropic", "openai"))}
specs["anthropic"].factory(ProviderConfig("anthropic", api_key="k", env={"X": "1"}))
specs["openai-compat"].factory(ProviderConfig("openai-compat", api_key="k", env={"X": "1"}))
stage["built"] = sorted(m for m in sys.modules if m.split(".")[0] in ("anthropic", "openai"))
print(json.dumps(stage))
"""


def test_registering_and_building_adapters_imports_no_sdk() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    stage = json.loads(proc.stdout.strip().splitlines()[-1])
    assert stage == {"registered": [], "built": []}


def test_client_from_environment_uses_the_configured_providers() -> None:
    with FakeAnthropic() as anthropic_fake, FakeOpenAICompat() as compat_fake:
        anthropic_fake.add_turn("from anthropic")
        compat_fake.add_turn("from compat")
        env = {
            "ANTHROPIC_API_KEY": "sk-ant-test-xxxxxxxx",
            "ANTHROPIC_BASE_URL": anthropic_fake.url,
            "OPENAI_COMPAT_API_KEY": "sk-test-xxxxxxxx",
            "OPENAI_COMPAT_BASE_URL": compat_fake.url + "/v1",
        }

        async def main() -> tuple[str, str, list[str]]:
            client = Client.from_registry(env=env)
            try:
                first = await client.complete(
                    Request(model="claude-sonnet-4-6", messages=[Message.user("hi")])
                )
                second = await client.complete(
                    Request(
                        model="some/open-model",
                        provider="openai-compat",
                        messages=[Message.user("hi")],
                    )
                )
                return first.text, second.text, client.providers
            finally:
                await client.aclose()

        first, second, providers = asyncio.run(main())
    assert providers == ["anthropic", "openai-compat"]
    assert (first, second) == ("from anthropic", "from compat")
