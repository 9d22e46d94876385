"""Model catalog: prices from package data, cost per spec §4.2, provider inference."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from tracker.llm import Usage
from tracker.llm.catalog import Catalog, ModelInfo, default_catalog, load_catalog
from tracker.llm.errors import ConfigurationError


@pytest.fixture()
def catalog() -> Catalog:
    return Catalog.builtin()


def test_builtin_catalog_has_current_models_of_every_provider(catalog: Catalog) -> None:
    for model, provider in [
        ("claude-opus-4-6", "anthropic"),
        ("claude-opus-4-5", "anthropic"),
        ("claude-opus-4-1", "anthropic"),
        ("claude-sonnet-4-6", "anthropic"),
        ("claude-sonnet-4-5", "anthropic"),
        ("claude-haiku-4-5", "anthropic"),
        ("gpt-5.2", "openai"),
        ("gpt-5.1", "openai"),
        ("gpt-5", "openai"),
        ("gpt-5-mini", "openai"),
        ("gpt-5-nano", "openai"),
        ("gpt-5.2-codex", "openai"),
        ("gpt-4.1-mini", "openai"),
        ("o3", "openai"),
        ("o4-mini", "openai"),
        ("gemini-3-pro-preview", "gemini"),
        ("gemini-2.5-pro", "gemini"),
        ("gemini-2.5-flash", "gemini"),
    ]:
        info = catalog.get(model)
        assert info is not None, model
        assert info.provider == provider
        assert info.context_window > 0 and info.input_cost_per_m > 0


def test_spec_table_figures(catalog: Catalog) -> None:
    sonnet = catalog.get("claude-sonnet-4-6")
    assert sonnet is not None
    assert (sonnet.input_cost_per_m, sonnet.output_cost_per_m) == (3.0, 15.0)
    assert sonnet.context_window == 1_000_000
    mini = catalog.get("gpt-4.1-mini")
    assert mini is not None and (mini.input_cost_per_m, mini.output_cost_per_m) == (0.4, 1.6)


def test_lookup_by_exact_id_or_alias_only(catalog: Catalog) -> None:
    assert catalog.get("codex").id == "gpt-5.2-codex"  # type: ignore[union-attr]
    assert catalog.get("claude-sonnet").id == "claude-sonnet-4-6"  # type: ignore[union-attr]
    assert catalog.get("Claude-Sonnet-4-6") is None  # case-sensitive
    assert catalog.get("claude-sonnet-4-6-extra") is None  # no prefix matching


def test_latest_returns_newest_with_capability(catalog: Catalog) -> None:
    assert catalog.latest("anthropic").id == "claude-opus-4-7"  # type: ignore[union-attr]
    latest_plain = catalog.latest("openai", "reasoning")
    assert latest_plain is not None and latest_plain.supports_reasoning
    assert catalog.latest("nobody") is None


def test_cost_uses_explicit_cache_prices(catalog: Catalog) -> None:
    usage = Usage(
        input_tokens=1_000_000,
        output_tokens=100_000,
        cache_read_tokens=2_000_000,
        cache_write_tokens=400_000,
    )
    # sonnet 4.6: in 3.00, out 15.00, cache read 0.30, cache write 3.75 per million
    assert catalog.estimate_cost("claude-sonnet-4-6", usage) == pytest.approx(3.0 + 1.5 + 0.6 + 1.5)


def test_cost_without_explicit_cache_prices_uses_provider_multipliers() -> None:
    catalog = Catalog(
        [
            ModelInfo(id="a", provider="anthropic", input_cost_per_m=4.0, output_cost_per_m=20),
            ModelInfo(id="o", provider="openai", input_cost_per_m=4.0, output_cost_per_m=20),
        ]
    )
    usage = Usage(cache_read_tokens=1_000_000, cache_write_tokens=1_000_000)
    # reads: 0.1x input for everyone; writes: 1.25x for anthropic, free elsewhere
    assert catalog.estimate_cost("a", usage) == pytest.approx(0.4 + 5.0)
    assert catalog.estimate_cost("o", usage) == pytest.approx(0.4)


def test_reasoning_tokens_are_not_priced_twice(catalog: Catalog) -> None:
    with_reasoning = Usage(input_tokens=1000, output_tokens=5000, reasoning_tokens=4000)
    without = Usage(input_tokens=1000, output_tokens=5000)
    assert catalog.estimate_cost("gpt-5", with_reasoning) == catalog.estimate_cost("gpt-5", without)
    assert catalog.estimate_cost("gpt-5", without) == pytest.approx(0.00125 + 0.05)


def test_unknown_model_costs_zero_and_warns_once(
    catalog: Catalog, caplog: pytest.LogCaptureFixture
) -> None:
    usage = Usage(input_tokens=10, output_tokens=5)
    with caplog.at_level(logging.WARNING, logger="tracker.llm.catalog"):
        first = catalog.cost("mystery-model", usage)
        catalog.cost("mystery-model", usage)
        catalog.cost("mystery-model", usage)
        catalog.cost("other-mystery", Usage())  # no tokens: nothing to warn about
    assert first.usd == 0 and not first.priced
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1
    assert 'unknown model "mystery-model"' in warnings[0]
    assert not catalog.is_priced("mystery-model") and catalog.is_priced("o3")


def test_estimated_flag_follows_the_usage(catalog: Catalog) -> None:
    estimate = catalog.cost("claude-haiku-4-5", Usage(input_tokens=4000, estimated=True))
    assert estimate.estimated and estimate.priced
    assert estimate.usd == pytest.approx(0.004)


@pytest.mark.parametrize(
    ("model", "provider"),
    [
        ("gemini-2.5-flash", "gemini"),  # catalog id
        ("gemini-pro", "gemini"),  # catalog alias
        ("4o-mini", "openai"),  # alias without any family prefix
        ("claude-opus-9", "anthropic"),  # unknown, by prefix
        ("gpt-7-turbo", "openai"),
        ("o5-mini", "openai"),
        ("gemini-4-ultra", "gemini"),
    ],
)
def test_provider_inference(catalog: Catalog, model: str, provider: str) -> None:
    assert catalog.infer_provider(model, default="openai-compat") == provider


def test_unknown_family_falls_back_to_default_then_anthropic(catalog: Catalog) -> None:
    assert catalog.infer_provider("llama-3.3-70b", default="openai-compat") == "openai-compat"
    assert catalog.infer_provider("llama-3.3-70b") == "anthropic"


def test_inference_is_logged_once(catalog: Catalog, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="tracker.llm.catalog"):
        catalog.infer_provider("gpt-5")
        catalog.infer_provider("gpt-5")
    assert len([r for r in caplog.records if "gpt-5" in r.getMessage()]) == 1


def test_user_catalog_file_overrides_and_extends(tmp_path: Path) -> None:
    user = tmp_path / "models.json"
    user.write_text(
        json.dumps(
            {
                "models": [
                    {"id": "acme-1", "provider": "openai-compat", "input_cost_per_m": 1.0},
                    {"id": "claude-haiku-4-5", "provider": "anthropic", "input_cost_per_m": 9.0},
                ]
            }
        )
    )
    catalog = load_catalog({"TRACKER_MODEL_CATALOG": str(user), "XDG_CONFIG_HOME": str(tmp_path)})
    assert catalog.get("acme-1").provider == "openai-compat"  # type: ignore[union-attr]
    assert catalog.get("claude-haiku-4-5").input_cost_per_m == 9.0  # type: ignore[union-attr]
    assert catalog.get("claude-sonnet-4-6") is not None  # built-ins kept


def test_xdg_catalog_file_is_read(tmp_path: Path) -> None:
    (tmp_path / "tracker").mkdir()
    (tmp_path / "tracker" / "models.json").write_text(
        '{"models": [{"id": "local-9", "provider": "ollama"}]}'
    )
    assert "local-9" in load_catalog({"XDG_CONFIG_HOME": str(tmp_path)})


def test_malformed_user_catalog_names_file_and_entry(tmp_path: Path) -> None:
    bad = tmp_path / "models.json"
    bad.write_text('{"models": [{"id": "ok", "provider": "x"}, {"provider": "x"}]}')
    with pytest.raises(ConfigurationError, match=r"models\.json: models\[1\]: id"):
        load_catalog({"TRACKER_MODEL_CATALOG": str(bad), "XDG_CONFIG_HOME": str(tmp_path)})
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(ConfigurationError, match=r"broken\.json:1:2: invalid JSON"):
        Catalog.from_file(broken)


def test_default_catalog_is_shared() -> None:
    assert default_catalog() is default_catalog()
