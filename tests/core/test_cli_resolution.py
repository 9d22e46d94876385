"""Pipeline resolution order (cli-tui §2) and loader robustness."""

from __future__ import annotations

import pytest
from tracker.loader import (
    PipelineNotFoundError,
    load_pipeline,
    parse_extra_models,
    resolve_pipeline,
)


def test_explicit_paths_are_used_as_is(tmp_path):
    for name in ("sub/x", "x.dip", "x.dot", "x.dipx", "a\\b"):
        src = resolve_pipeline(name, tmp_path)
        assert src.name == name
        assert src.path == tmp_path / name
        assert not src.builtin
    assert resolve_pipeline("x.dot", tmp_path).format == "dot"
    assert resolve_pipeline("x.dipx", tmp_path).format == "dipx"
    assert resolve_pipeline("sub/x", tmp_path).format == "dip"


def test_local_name_dip_shadows_a_builtin(tmp_path):
    (tmp_path / "deep_review.dip").write_text("workflow Mine\n", encoding="utf-8")
    src = resolve_pipeline("deep_review", tmp_path)
    assert src.name == "deep_review.dip"
    assert src.text == "workflow Mine\n"
    assert not src.builtin


def test_exact_file_name_comes_after_name_dip(tmp_path):
    (tmp_path / "pipe").write_text("plain", encoding="utf-8")
    assert resolve_pipeline("pipe", tmp_path).text == "plain"
    (tmp_path / "pipe.dip").write_text("dip", encoding="utf-8")
    assert resolve_pipeline("pipe", tmp_path).text == "dip"


def test_builtin_is_found_by_bare_name(tmp_path):
    src = resolve_pipeline("build_product", tmp_path)
    assert src.builtin and src.path is None and src.format == "dip"
    assert src.name == "build_product"
    assert "workflow BuildProduct" in (src.text or "")


def test_unknown_name_message(tmp_path):
    with pytest.raises(PipelineNotFoundError) as info:
        resolve_pipeline("nope", tmp_path)
    assert str(info.value) == (
        'unknown pipeline "nope" (no local file found, not a built-in workflow)\n'
        "  Available built-in workflows: ask_and_execute, build_product, "
        "build_product_with_superspec, deep_review\n"
        "  Run 'tracker workflows' to see details"
    )


def test_missing_and_unreadable_files_become_diagnostics(tmp_path):
    loaded = load_pipeline(resolve_pipeline("missing.dip", tmp_path))
    assert loaded.failed and not loaded.ok
    assert loaded.diagnostics[0].message == (
        "read pipeline file: open missing.dip: no such file or directory"
    )
    (tmp_path / "bin.dip").write_bytes(b"\xff\xfe\x00bad")
    loaded = load_pipeline(resolve_pipeline("bin.dip", tmp_path))
    assert loaded.failed
    assert "not valid UTF-8" in loaded.diagnostics[0].message


def test_bad_bundle_becomes_a_diagnostic(tmp_path):
    (tmp_path / "b.dipx").write_bytes(b"not a zip")
    loaded = load_pipeline(resolve_pipeline("b.dipx", tmp_path))
    assert loaded.failed
    assert loaded.diagnostics[0].message.startswith("open bundle:")


def test_extra_models_spec():
    assert parse_extra_models("anthropic:a,b; openai:c") == {
        "anthropic": ["a", "b"],
        "openai": ["c"],
    }
    assert parse_extra_models("") == {}
    with pytest.raises(ValueError):
        parse_extra_models("no-colon")
