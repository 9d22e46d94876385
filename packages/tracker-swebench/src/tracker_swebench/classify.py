"""Sorting a failed instance's error into setup / patch / harness (cli-tui §12.4 step 4).

Both the run summary and `analyze` use this, so their counts agree.
"""

from __future__ import annotations

from typing import Literal

ErrorClass = Literal["setup", "patch", "harness"]

# Only the head of a (possibly huge) stderr dump is looked at.
SCAN_LIMIT = 8 * 1024

_PATCH_MARKERS = ("git apply", "patch does not apply", "corrupt patch", "malformed patch")
_SETUP_MARKERS = ("clone repo:", "checkout commit:", "pip install")


def classify_error(message: str) -> ErrorClass:
    """Patch problems first, then repository setup, everything else is the harness."""
    text = message[:SCAN_LIMIT].lower()
    if any(marker in text for marker in _PATCH_MARKERS):
        return "patch"
    if any(marker in text for marker in _SETUP_MARKERS):
        return "setup"
    if "exit status 128" in text and ("git" in text or "fatal:" in text):
        return "setup"
    return "harness"
