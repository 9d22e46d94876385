"""Read-only view of the `.env` files (cli-tui §3.1) for commands that only report.

Precedence: process env > `./.env` > user config file (`$XDG_CONFIG_HOME/tracker/.env`,
falling back to `$XDG_CONFIG_HOME/2389/tracker/.env`). Nothing here changes os.environ.
"""

from __future__ import annotations

import os
from pathlib import Path


def _parse_line(line: str) -> tuple[str, str] | None:
    line = line.strip()
    if not line or line.startswith("#"):
        return None
    if line.startswith("export "):
        line = line[len("export ") :].lstrip()
    key, sep, value = line.partition("=")
    key = key.strip()
    if not sep or not key:
        return None
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    elif " #" in value:
        value = value.split(" #", 1)[0].rstrip()
    return key, value


def read_env_file(path: Path) -> dict[str, str]:
    """Parse KEY=VALUE lines; a missing or unreadable file is empty."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    out: dict[str, str] = {}
    for line in text.splitlines():
        parsed = _parse_line(line)
        if parsed:
            out[parsed[0]] = parsed[1]
    return out


def user_env_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    primary = Path(base) / "tracker" / ".env"
    legacy = Path(base) / "2389" / "tracker" / ".env"
    return primary if primary.is_file() or not legacy.is_file() else legacy


def effective_env(workdir: Path | None = None) -> dict[str, str]:
    """The environment a run would see after loading the .env files."""
    env = read_env_file(user_env_path())
    env.update(read_env_file((workdir or Path.cwd()) / ".env"))
    env.update(os.environ)
    return env
