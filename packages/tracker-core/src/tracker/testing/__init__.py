"""Offline test helpers for tracker and for users testing their own setups.

`FakeServer` is a scriptable HTTP server on 127.0.0.1; `FakeAnthropic`, `FakeOpenAI`,
`FakeGemini` and `FakeOpenAICompat` speak those providers' real wire formats (JSON and
SSE), so the official SDKs - and tracker's adapters on top of them - run unchanged
against them.
Nothing here imports a provider SDK.
"""

from .fake_anthropic import FakeAnthropic
from .fake_gemini import FakeGemini
from .fake_openai import FakeOpenAI
from .fake_openai_compat import FakeOpenAICompat
from .fake_server import FakeProviderServer, FakeServer, HTTPReply, RecordedRequest, SSEEvent
from .turns import FakeError, FakeToolCall, FakeTurn, FakeUsage

__all__ = [
    "FakeAnthropic",
    "FakeError",
    "FakeGemini",
    "FakeOpenAI",
    "FakeOpenAICompat",
    "FakeProviderServer",
    "FakeServer",
    "FakeToolCall",
    "FakeTurn",
    "FakeUsage",
    "HTTPReply",
    "RecordedRequest",
    "SSEEvent",
]
