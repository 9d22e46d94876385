"""Compatibility shim: the `.env` handling moved to `tracker.config` (cli-tui §3.1).

Kept so code written against the stop-gap keeps working; new code imports
`tracker.config` directly.
"""

from __future__ import annotations

from pathlib import Path

from tracker import config


def read_env_file(path: Path) -> dict[str, str]:
    """Variables of one `.env` file; a missing, unreadable or malformed file is empty
    (this read-only view never aborts; `tracker.config.read_env_file` does)."""
    try:
        return config.read_env_file(path)
    except config.EnvFileError:
        return {}


def user_env_path() -> Path:
    """The user file that is read (the XDG one, else the legacy one)."""
    return config.user_env_file() or config.user_env_path()


def effective_env(workdir: Path | None = None) -> dict[str, str]:
    """The environment a run would see after loading the `.env` files."""
    return config.effective_env(workdir)
