"""`tracker setup` (cli-tui §7.6): store provider keys in the user config file.

Interactive: one prompt per provider (OpenAI, Anthropic, Gemini, OpenAI-Compat) for the
key (hidden when stdin is a terminal) and an optional base URL; Enter keeps what is
there. Non-interactive: `tracker setup --provider NAME --key-stdin [--base-url URL]`.
The file is `$XDG_CONFIG_HOME/tracker/.env`, written atomically with mode 600; keys are
never echoed. Prompts go to stderr, the result line to stdout.
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable
from pathlib import Path

from tracker import config
from tracker.cli.errors import CliError, UsageFailure, eprint

#: the order of the reference's setup wizard
SETUP_ORDER = ("openai", "anthropic", "gemini", "openai-compat")

SETUP_USAGE = """\
Usage: tracker setup [--provider NAME --key-stdin] [--base-url URL]

  Without flags: prompt for each provider's API key and base URL (Enter keeps the
  current value). Keys are saved to $XDG_CONFIG_HOME/tracker/.env (mode 600).

  --provider NAME   anthropic, openai, gemini or openai-compat (non-interactive)
  --key-stdin       read that provider's API key from stdin
  --base-url URL    also store <PROVIDER>_BASE_URL
"""


class Cancelled(Exception):
    """The user pressed Ctrl+C / Ctrl+D at a prompt: nothing is written."""


def _check_url(url: str) -> str | None:
    url = url.strip()
    if not url:
        return None
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"base URL must start with http:// or https:// (got {url!r})")
    return url.rstrip("/")


def _warn_key_format(name: str, key: str) -> None:
    problem = config.key_format_problem(name, key)
    if problem:
        eprint(f"warning: {problem}; saved anyway (`tracker doctor` will flag it)")


def _reader(hidden: bool) -> Callable[[str], str]:
    """A prompt function: getpass on a terminal (hidden input), else one stdin line."""
    tty = sys.stdin.isatty()

    def ask(prompt: str) -> str:
        try:
            if tty and hidden:
                return getpass.getpass(prompt, stream=sys.stderr)
            sys.stderr.write(prompt)
            sys.stderr.flush()
            if tty:
                return input()
            line = sys.stdin.readline()
            if not line:
                sys.stderr.write("\n")
            return line.rstrip("\n")
        except (EOFError, KeyboardInterrupt):
            sys.stderr.write("\n")
            raise Cancelled from None

    return ask


def collect_interactive(env: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """Prompt per provider; returns (updates, provider names that got a key)."""
    ask_key, ask_text = _reader(hidden=True), _reader(hidden=False)
    updates: dict[str, str] = {}
    keyed: list[str] = []
    total = len(SETUP_ORDER)
    for index, name in enumerate(SETUP_ORDER, start=1):
        info = config.PROVIDERS[name]
        var, _ = config.find_api_key(name, env)
        state = f"configured via {var}" if var else "not configured"
        eprint("", f"Configure {info.display}  {index} / {total}  ({state})")
        keep = "Enter keeps the current key" if var else "Enter skips"
        placeholder = info.key_prefix + "..." if info.key_prefix else "..."
        key = ask_key(f"  API key ({placeholder}, {keep}): ").strip()
        if key:
            _warn_key_format(name, key)
            updates[info.key_var] = key
            keyed.append(name)
        while True:
            raw = ask_text(f"  Base URL for {info.base_url_var} (optional, Enter keeps): ")
            try:
                url = _check_url(raw)
            except ValueError as exc:
                eprint(f"  {exc}")
                continue
            if url:
                updates[info.base_url_var] = url
            break
    return updates, keyed


def collect_flags(provider: str, key_stdin: bool, base_url: str | None) -> dict[str, str]:
    info = config.PROVIDERS.get(provider)
    if info is None:
        valid = ", ".join(config.PROVIDERS)
        raise CliError(f'unknown provider "{provider}" (valid: {valid})')
    updates: dict[str, str] = {}
    if key_stdin:
        key = sys.stdin.read().strip()
        if not key:
            raise CliError(f"no API key on stdin for {info.key_var}")
        if any(ch.isspace() for ch in key):
            raise CliError("expected one API key on stdin (found whitespace inside it)")
        _warn_key_format(provider, key)
        updates[info.key_var] = key
    if base_url is not None:
        try:
            url = _check_url(base_url)
        except ValueError as exc:
            raise CliError(str(exc)) from None
        if url:
            updates[info.base_url_var] = url
    if not updates:
        raise UsageFailure("setup --provider needs --key-stdin and/or --base-url", SETUP_USAGE)
    return updates


def _report(path: Path, written: bool, updates: dict[str, str]) -> None:
    if not written:
        print(f"no changes: {path} is already up to date")
        return
    print(f"saved {', '.join(updates)} to {path}")
    for var in updates:
        if os.environ.get(var) and var.endswith("_API_KEY"):
            eprint(f"note: {var} is also set in your environment, which takes precedence")
    print("run `tracker doctor` to verify the keys")


def run_setup(
    *, provider: str | None = None, key_stdin: bool = False, base_url: str | None = None
) -> int:
    if provider is None and (key_stdin or base_url is not None):
        raise UsageFailure("--key-stdin and --base-url need --provider NAME", SETUP_USAGE)
    if provider is not None:
        updates = collect_flags(provider.strip().lower(), key_stdin, base_url)
    else:
        try:
            env = config.effective_env()
        except config.EnvFileError as exc:
            raise CliError(str(exc)) from None
        eprint(
            "tracker setup — keys are saved to "
            f"{config.user_env_path()} (mode 600); Ctrl+C cancels."
        )
        try:
            updates, _ = collect_interactive(env)
        except Cancelled:
            eprint("setup cancelled; nothing written")
            return 0
        if not updates:
            print("nothing entered; no changes written")
            return 0
    try:
        path, written = config.save_user_env(updates)
    except (OSError, config.EnvFileError) as exc:
        raise CliError(f"cannot write {config.user_env_path()}: {exc}") from None
    _report(path, written, updates)
    return 0
