"""Lint catalog data: the provider/model list behind DIP108 (`models.json`).

Kept as data so a model release means editing JSON, not code."""

from __future__ import annotations

import functools
import json
from importlib.resources import files


def fold(model: str) -> str:
    """Version separators are interchangeable: claude-haiku-4.5 == claude-haiku-4-5."""
    return model.replace(".", "-")


@functools.cache
def _load() -> tuple[dict[str, str], dict[str, frozenset[str]], dict[str, tuple[str, ...]]]:
    data = json.loads((files(__package__) / "models.json").read_text(encoding="utf-8"))
    aliases = {k.lower(): v.lower() for k, v in data.get("provider_aliases", {}).items()}
    models = {p.lower(): tuple(ms) for p, ms in data["providers"].items()}
    folded = {p: frozenset(fold(m) for m in ms) for p, ms in models.items()}
    return aliases, folded, models


def canonical_provider(provider: str) -> str:
    aliases, _, _ = _load()
    p = provider.strip().lower()
    return aliases.get(p, p)


def known_providers(extra: dict[str, list[str]] | None = None) -> list[str]:
    _, _, models = _load()
    return sorted(set(models) | {p.lower() for p in (extra or {})})


def models_for(provider: str, extra: dict[str, list[str]] | None = None) -> list[str]:
    _, _, models = _load()
    p = canonical_provider(provider)
    out = list(models.get(p, ()))
    for ep, ms in (extra or {}).items():
        if canonical_provider(ep) == p:
            out += ms
    return out


def provider_known(provider: str, extra: dict[str, list[str]] | None = None) -> bool:
    _, folded, _ = _load()
    p = canonical_provider(provider)
    return p in folded or any(canonical_provider(ep) == p for ep in (extra or {}))


def model_known(provider: str, model: str, extra: dict[str, list[str]] | None = None) -> bool:
    _, folded, _ = _load()
    p = canonical_provider(provider)
    want = fold(model.strip())
    if want in folded.get(p, frozenset()):
        return True
    return any(
        canonical_provider(ep) == p and want in {fold(m) for m in ms}
        for ep, ms in (extra or {}).items()
    )


def parse_extra_models(spec: str) -> dict[str, list[str]]:
    """`"prov:m1,m2;prov2:m3"` → {prov: [m1, m2], prov2: [m3]}; malformed parts skipped."""
    out: dict[str, list[str]] = {}
    for entry in spec.split(";"):
        prov, sep, rest = entry.strip().partition(":")
        prov = prov.strip()
        names = [m.strip() for m in rest.split(",") if m.strip()]
        if sep and prov and names:
            out.setdefault(prov, []).extend(names)
    return out
