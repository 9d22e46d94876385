"""`tracker version` (cli-tui §7.10)."""

from __future__ import annotations

from tracker.cli.envfiles import effective_env

#: provider name -> env vars that configure it (openai-compat is not listed here)
PROVIDER_KEYS: list[tuple[str, tuple[str, ...]]] = [
    ("anthropic", ("ANTHROPIC_API_KEY",)),
    ("openai", ("OPENAI_API_KEY",)),
    ("gemini", ("GEMINI_API_KEY", "GOOGLE_API_KEY")),
]


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


def configured_providers(env: dict[str, str]) -> list[str]:
    return [name for name, keys in PROVIDER_KEYS if any(env.get(k) for k in keys)]


def render_version(env: dict[str, str]) -> str:
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
    print(render_version(effective_env()), end="")
    return 0
