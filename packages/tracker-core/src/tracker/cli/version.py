"""`tracker version` (cli-tui §7.10)."""

from __future__ import annotations

from collections.abc import Mapping

from tracker import config
from tracker.cli.errors import CliError

#: providers `tracker version` lists (openai-compat is not listed, cli-tui §7.10)
VERSION_PROVIDERS = ("anthropic", "openai", "gemini")


def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tracker-core")
    except PackageNotFoundError:
        from tracker import __version__

        return __version__


def build_info() -> tuple[str, str]:
    """(commit, build date) from optional build metadata, else unknown."""
    try:
        from tracker import _build  # type: ignore[attr-defined]  # written by release builds
    except ImportError:
        return "unknown", "unknown"
    return getattr(_build, "COMMIT", "unknown"), getattr(_build, "DATE", "unknown")


def configured_providers(env: Mapping[str, str]) -> list[str]:
    return [n for n in config.configured_providers(env) if n in VERSION_PROVIDERS]


def render_version(env: Mapping[str, str]) -> str:
    commit, built = build_info()
    providers = configured_providers(env)
    shown = ", ".join(providers) if providers else "none (run `tracker setup`)"
    return (
        f"tracker {package_version()}\n"
        f"  commit: {commit}\n"
        f"  built:  {built}\n"
        f"  providers: {shown}\n"
    )


def run_version() -> int:
    try:
        env = config.effective_env()
    except config.EnvFileError as exc:
        raise CliError(str(exc)) from None
    print(render_version(env), end="")
    return 0
