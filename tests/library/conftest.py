from __future__ import annotations

import pytest
from library_helpers import KEY_VARS


@pytest.fixture(autouse=True)
def _no_provider_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach a real provider."""
    for name in KEY_VARS:
        monkeypatch.delenv(name, raising=False)
