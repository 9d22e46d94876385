"""Model catalog, provider inference and cost estimation (spec agent-llm.md §2.6, §4).

The catalog is package data (`llm/data/models.json`) so price updates need no code
change; a user file of the same shape extends or overrides it (entries replace built-ins
with the same id). Files read, in order: the built-in data,
`$XDG_CONFIG_HOME/tracker/models.json` (default `~/.config/tracker/models.json`) when it
exists, then the file named by `TRACKER_MODEL_CATALOG`.

Lookup is by exact id or exact alias (case-sensitive). Cost follows §4.2 on usage
normalised per §1.3: input excludes cached tokens, output already includes reasoning.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import threading
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import ConfigurationError
from .types import Usage

log = logging.getLogger("tracker.llm.catalog")

#: fallback cache multipliers of the input price when a model has no explicit cache prices
CACHE_READ_MULTIPLIER = 0.1
CACHE_WRITE_MULTIPLIER = {"anthropic": 1.25}  # others: 0 (writes are free)

CATALOG_ENV = "TRACKER_MODEL_CATALOG"
DEFAULT_PROVIDER = "anthropic"


class ModelInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    provider: str
    display_name: str = ""
    context_window: int = 0
    max_output: int = 0
    supports_tools: bool = True
    supports_vision: bool = False
    supports_reasoning: bool = False
    input_cost_per_m: float = 0.0
    output_cost_per_m: float = 0.0
    cache_read_per_m: float | None = None
    cache_write_per_m: float | None = None
    aliases: list[str] = Field(default_factory=list)
    deprecated: bool = False

    @property
    def cache_read_price(self) -> float:
        if self.cache_read_per_m is not None:
            return self.cache_read_per_m
        return self.input_cost_per_m * CACHE_READ_MULTIPLIER

    @property
    def cache_write_price(self) -> float:
        if self.cache_write_per_m is not None:
            return self.cache_write_per_m
        return self.input_cost_per_m * CACHE_WRITE_MULTIPLIER.get(self.provider, 0.0)


class CostEstimate(BaseModel):
    """USD for some usage. `priced` is False for models missing from the catalog (cost
    0); `estimated` is True when the token counts were a heuristic, not metered."""

    usd: float = 0.0
    priced: bool = True
    estimated: bool = False


def cost_for(info: ModelInfo, usage: Usage) -> float:
    """§4.2: per-million prices applied to normalised usage (reasoning never added)."""
    return (
        usage.input_tokens / 1e6 * info.input_cost_per_m
        + usage.output_tokens / 1e6 * info.output_cost_per_m
        + (usage.cache_read_tokens or 0) / 1e6 * info.cache_read_price
        + (usage.cache_write_tokens or 0) / 1e6 * info.cache_write_price
    )


# --------------------------------------------------------------------------- heuristics

_PREFIX_PROVIDERS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(anthropic/)?claude"), "anthropic"),
    (re.compile(r"^(openai/)?(gpt|chatgpt|codex|o\d)"), "openai"),
    (re.compile(r"^(models/|google/)?gemini"), "gemini"),
]


def provider_from_prefix(model: str) -> str | None:
    """Provider implied by a model-name family prefix (claude-, gpt-, o3, gemini-...)."""
    name = model.strip().lower()
    for pattern, provider in _PREFIX_PROVIDERS:
        if pattern.match(name):
            return provider
    return None


# --------------------------------------------------------------------------- catalog


class Catalog:
    """Models by id and alias, each provider's entries ordered newest first."""

    def __init__(self, models: Iterable[ModelInfo]) -> None:
        self._models: list[ModelInfo] = list(models)
        self._index: dict[str, ModelInfo] = {}
        for info in self._models:
            self._index[info.id] = info
            for alias in info.aliases:
                self._index.setdefault(alias, info)
        self._lock = threading.Lock()
        self._warned_unknown: set[str] = set()
        self._inferred: set[str] = set()

    # loading -------------------------------------------------------------------------

    @classmethod
    def from_data(cls, data: Any, source: str = "<data>") -> Catalog:
        """Build from the JSON document shape: `{"models": [...]}` or a bare list."""
        entries = data.get("models") if isinstance(data, Mapping) else data
        if not isinstance(entries, list):
            raise ConfigurationError(f"{source}: a model catalog needs a 'models' list")
        models: list[ModelInfo] = []
        for i, entry in enumerate(entries):
            try:
                models.append(ModelInfo.model_validate(entry))
            except ValidationError as exc:
                problems = "; ".join(
                    f"{'.'.join(str(p) for p in err['loc']) or 'entry'}: {err['msg']}"
                    for err in exc.errors()
                )
                raise ConfigurationError(f"{source}: models[{i}]: {problems}") from exc
        return cls(models)

    @classmethod
    def from_file(cls, path: str | Path) -> Catalog:
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigurationError(f"{path}: cannot read model catalog: {exc}") from exc
        except json.JSONDecodeError as exc:
            raise ConfigurationError(
                f"{path}:{exc.lineno}:{exc.colno}: invalid JSON in model catalog: {exc.msg}"
            ) from exc
        return cls.from_data(data, str(path))

    @classmethod
    def builtin(cls) -> Catalog:
        text = resources.files("tracker.llm").joinpath("data/models.json").read_text("utf-8")
        return cls.from_data(json.loads(text), "tracker/llm/data/models.json")

    def overlay(self, other: Catalog) -> Catalog:
        """This catalog with `other`'s entries replacing same-id ones; new ids go first
        (a user file usually adds newer models)."""
        replaced = {m.id: m for m in other.models()}
        kept = [replaced.pop(m.id, m) for m in self._models]
        added = [m for m in other.models() if m.id in replaced]
        return Catalog([*added, *kept])

    # lookup --------------------------------------------------------------------------

    def get(self, model: str) -> ModelInfo | None:
        return self._index.get(model)

    def __contains__(self, model: object) -> bool:
        return isinstance(model, str) and model in self._index

    def models(self, provider: str | None = None) -> list[ModelInfo]:
        return [m for m in self._models if provider is None or m.provider == provider]

    def latest(self, provider: str, capability: str = "") -> ModelInfo | None:
        """Newest model of `provider` with `capability` (reasoning/vision/tools/"" any)."""
        for info in self.models(provider):
            if info.deprecated:
                continue
            if not capability or getattr(info, f"supports_{capability}", False):
                return info
        return None

    # provider inference --------------------------------------------------------------

    def provider_for(self, model: str) -> str | None:
        """The provider a model belongs to: catalog entry, else its name prefix."""
        info = self.get(model)
        if info is not None:
            return info.provider
        return provider_from_prefix(model) if model else None

    def infer_provider(self, model: str, default: str = "") -> str:
        """§2.6 [PY]: catalog, then name prefix, then `default`, then anthropic. Logs the
        inference once per model."""
        provider = self.provider_for(model)
        how = "catalog" if model in self else "model name"
        if provider is None:
            provider, how = (default or DEFAULT_PROVIDER), "default provider"
        with self._lock:
            first = model not in self._inferred
            self._inferred.add(model)
        if first:
            log.info("model %r has no provider set; using %r (from %s)", model, provider, how)
        return provider

    # cost ----------------------------------------------------------------------------

    def is_priced(self, model: str) -> bool:
        return model in self

    def cost(self, model: str, usage: Usage) -> CostEstimate:
        info = self.get(model)
        if info is None:
            if usage.has_tokens:
                self._warn_unknown(model)
            return CostEstimate(usd=0.0, priced=False, estimated=usage.estimated)
        return CostEstimate(usd=cost_for(info, usage), priced=True, estimated=usage.estimated)

    def estimate_cost(self, model: str, usage: Usage) -> float:
        return self.cost(model, usage).usd

    def _warn_unknown(self, model: str) -> None:
        with self._lock:
            if model in self._warned_unknown:
                return
            self._warned_unknown.add(model)
        log.warning(
            'unknown model "%s" (no catalog entry): its cost counts as $0, so a --max-cost '
            "budget will not limit it; add it to a catalog file (%s)",
            model,
            CATALOG_ENV,
        )


def user_catalog_paths(env: Mapping[str, str] | None = None) -> list[Path]:
    """Catalog override files in the order they apply: the XDG file when it exists, then
    `TRACKER_MODEL_CATALOG` (always, so a wrong path is reported rather than ignored)."""
    env = os.environ if env is None else env
    config_home = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    xdg = Path(config_home) / "tracker" / "models.json"
    paths = [xdg] if xdg.is_file() else []
    if env.get(CATALOG_ENV):
        paths.append(Path(env[CATALOG_ENV]).expanduser())
    return paths


def load_catalog(env: Mapping[str, str] | None = None) -> Catalog:
    """Built-in data overlaid with the user's catalog files."""
    catalog = Catalog.builtin()
    for path in user_catalog_paths(env):
        catalog = catalog.overlay(Catalog.from_file(path))
    return catalog


@functools.cache
def default_catalog() -> Catalog:
    """The process-wide catalog, loaded on first use."""
    return load_catalog()


def estimate_cost(model: str, usage: Usage, catalog: Catalog | None = None) -> float:
    return (catalog or default_catalog()).estimate_cost(model, usage)


def infer_provider(model: str, default: str = "", catalog: Catalog | None = None) -> str:
    return (catalog or default_catalog()).infer_provider(model, default)
