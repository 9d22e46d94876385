"""Provider configuration (cli-tui §3): .env files, precedence, the gateway rule, keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from tracker import config
from tracker.llm.client import ProviderConfig


@pytest.fixture
def homes(tmp_path: Path) -> dict[str, Path]:
    """A fake HOME, XDG config home and project directory."""
    home = tmp_path / "home"
    xdg = tmp_path / "xdg"
    work = tmp_path / "work"
    for d in (home, xdg, work):
        d.mkdir()
    return {"home": home, "xdg": xdg, "work": work}


def env_for(homes: dict[str, Path], **extra: str) -> dict[str, str]:
    return {"HOME": str(homes["home"]), "XDG_CONFIG_HOME": str(homes["xdg"]), **extra}


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# --------------------------------------------------------------------------- parsing


def test_parse_handles_export_quotes_comments_and_escapes():
    text = (
        "# a comment\n"
        "\n"
        "export A=plain\n"
        "B = 'single # not a comment'\n"
        'C="double \\"quoted\\"\\nnext"\n'
        "D=value # trailing comment\n"
        "E=\n"
        "F=#only a comment\n"
        'G="spans\nlines"\n'
        "H=a#b\n"
    )
    assert config.parse_env_text(text) == {
        "A": "plain",
        "B": "single # not a comment",
        "C": 'double "quoted"\nnext',
        "D": "value",
        "E": "",
        "F": "",
        "G": "spans\nlines",
        "H": "a#b",
    }


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("JUSTAWORD\n", "line 1: expected KEY=VALUE"),
        ("OK=1\nBAD KEY=2\n", "line 2: invalid name"),
        ('A="never closed\n', "line 1: unterminated quoted value"),
        ("A='x' junk\n", "line 1: unexpected text after the value"),
    ],
)
def test_malformed_file_names_the_file_and_line(tmp_path: Path, text: str, reason: str):
    path = write(tmp_path / ".env", text)
    with pytest.raises(config.EnvFileError) as info:
        config.read_env_file(path)
    assert str(info.value).startswith(f"load env file {path}: ")
    assert reason in str(info.value)


def test_missing_file_is_empty(tmp_path: Path):
    assert config.read_env_file(tmp_path / "nope.env") == {}


# --------------------------------------------------------------------------- precedence


def test_precedence_env_then_workdir_then_xdg_then_legacy(homes):
    write(homes["work"] / ".env", "A=work\nB=work\n")
    write(homes["xdg"] / "tracker" / ".env", "A=xdg\nB=xdg\nC=xdg\n")
    write(homes["xdg"] / "2389" / "tracker" / ".env", "D=legacy\n")
    env = env_for(homes, A="process")
    merged = config.effective_env(homes["work"], env)
    assert merged["A"] == "process"
    assert merged["B"] == "work"
    assert merged["C"] == "xdg"
    # the legacy file is a fallback only: the XDG file exists, so it is not read
    assert "D" not in merged


def test_legacy_file_is_read_when_the_xdg_file_is_absent(homes):
    write(homes["xdg"] / "2389" / "tracker" / ".env", "ANTHROPIC_API_KEY=sk-ant-legacy-123\n")
    env = env_for(homes)
    assert config.user_env_file(env) == homes["xdg"] / "2389" / "tracker" / ".env"
    assert config.effective_env(homes["work"], env)["ANTHROPIC_API_KEY"] == "sk-ant-legacy-123"


def test_legacy_file_under_home_config_when_xdg_points_elsewhere(homes):
    legacy = write(homes["home"] / ".config" / "2389" / "tracker" / ".env", "X=home-legacy\n")
    env = env_for(homes)
    assert config.user_env_file(env) == legacy


def test_default_user_file_is_under_home_config(homes):
    env = {"HOME": str(homes["home"])}
    assert config.user_env_path(env) == homes["home"] / ".config" / "tracker" / ".env"


def test_load_env_never_overwrites_and_reports_files(homes):
    local = write(homes["work"] / ".env", "A=work\nEMPTY=from-file\n")
    user = write(homes["xdg"] / "tracker" / ".env", "A=xdg\nB=xdg\n")
    target = env_for(homes, A="process", EMPTY="")
    files = config.load_env(homes["work"], target)
    assert files == [local, user]
    assert target["A"] == "process"
    assert target["EMPTY"] == ""  # present, although empty: never overwritten
    assert target["B"] == "xdg"


def test_effective_env_does_not_touch_the_process_environment(homes, monkeypatch):
    monkeypatch.delenv("TRACKER_TEST_ONLY_IN_FILE", raising=False)
    write(homes["work"] / ".env", "TRACKER_TEST_ONLY_IN_FILE=1\n")
    assert config.effective_env(homes["work"], env_for(homes))["TRACKER_TEST_ONLY_IN_FILE"] == "1"
    import os

    assert "TRACKER_TEST_ONLY_IN_FILE" not in os.environ


# --------------------------------------------------------------------------- providers


def test_configured_providers_in_default_order():
    env = {
        "OPENAI_COMPAT_API_KEY": "sk-compat-1234567",
        "GOOGLE_API_KEY": "AIzaSomethingLong",
        "ANTHROPIC_API_KEY": "sk-ant-1234567890",
        "OPENAI_API_KEY": " ",
    }
    assert config.configured_providers(env) == ["anthropic", "gemini", "openai-compat"]
    assert config.configured_providers({}) == []


def test_gemini_prefers_gemini_api_key_over_google_api_key():
    env = {"GEMINI_API_KEY": "gem-key-123456", "GOOGLE_API_KEY": "goo-key-123456"}
    assert config.find_api_key("gemini", env) == ("GEMINI_API_KEY", "gem-key-123456")
    assert config.find_api_key("gemini", {"GOOGLE_API_KEY": "g" * 12}) == (
        "GOOGLE_API_KEY",
        "g" * 12,
    )


@pytest.mark.parametrize(
    ("provider", "suffix"),
    [
        ("anthropic", "/anthropic"),
        ("openai", "/openai"),
        ("gemini", "/google-ai-studio"),
        ("openai-compat", "/compat"),
    ],
)
def test_gateway_rule_adds_the_provider_suffix(provider, suffix):
    env = {"TRACKER_GATEWAY_URL": "https://gw.example/v1/acct/"}
    assert config.resolve_provider_base_url(provider, env) == "https://gw.example/v1/acct" + suffix


def test_per_provider_base_url_wins_over_the_gateway():
    env = {
        "TRACKER_GATEWAY_URL": "https://gw.example",
        "ANTHROPIC_BASE_URL": "http://127.0.0.1:9999/",
    }
    assert config.resolve_provider_base_url("anthropic", env) == "http://127.0.0.1:9999"
    assert config.resolve_provider_base_url("openai", env) == "https://gw.example/openai"


def test_gateway_flag_overrides_the_variable_and_no_gateway_means_sdk_default():
    env = {"TRACKER_GATEWAY_URL": "https://env-gw"}
    assert config.resolve_provider_base_url("gemini", env, "https://flag-gw/") == (
        "https://flag-gw/google-ai-studio"
    )
    assert config.resolve_provider_base_url("gemini", {}) == ""


def test_provider_config_is_what_a_factory_receives():
    env = {
        "ANTHROPIC_API_KEY": "sk-ant-abcdefghijkl",
        "TRACKER_GATEWAY_URL": "https://gw",
    }
    cfg = config.provider_config("anthropic", env, options={"x": 1})
    assert isinstance(cfg, ProviderConfig)
    assert cfg.name == "anthropic"
    assert cfg.api_key == "sk-ant-abcdefghijkl"
    assert cfg.base_url == "https://gw/anthropic"
    assert cfg.env["TRACKER_GATEWAY_URL"] == "https://gw"
    assert cfg.options == {"x": 1}
    assert config.provider_config("openai", env).api_key == ""


@pytest.mark.parametrize(
    ("provider", "key", "ok"),
    [
        ("anthropic", "sk-ant-api03-abcdef", True),
        ("anthropic", "sk-proj-abcdefghij", False),
        ("anthropic", "sk-ant-x", False),  # too short
        ("openai", "sk-proj-abcdefghij", True),
        ("openai", "pk-abcdefghijkl", False),
        ("openai-compat", "sk-or-abcdefghij", True),
        ("gemini", "AIzaSyAbcdefghijk", True),
        ("gemini", "short", False),
    ],
)
def test_key_format_checks(provider, key, ok):
    assert (config.key_format_problem(provider, key) is None) is ok


def test_mask_key():
    assert config.mask_key("sk-ant-api03-abcdwxyz") == "sk-a...wxyz"
    assert config.mask_key("12345678") == "****"


# --------------------------------------------------------------------------- writing


def test_save_user_env_merges_keeps_other_lines_and_is_private(homes):
    env = env_for(homes)
    path = write(
        homes["xdg"] / "tracker" / ".env",
        "# my keys\nOTHER=keep me\nANTHROPIC_API_KEY=sk-ant-old-123456\n",
    )
    saved, written = config.save_user_env({"ANTHROPIC_API_KEY": "sk-ant-new-123456"}, env)
    assert (saved, written) == (path, True)
    assert path.read_text() == ("# my keys\nOTHER=keep me\nANTHROPIC_API_KEY=sk-ant-new-123456\n")
    assert path.stat().st_mode & 0o777 == 0o600
    # the same value again changes nothing and writes nothing
    assert config.save_user_env({"ANTHROPIC_API_KEY": "sk-ant-new-123456"}, env) == (path, False)


def test_save_user_env_creates_a_private_directory_and_seeds_from_legacy(homes):
    env = env_for(homes)
    write(homes["xdg"] / "2389" / "tracker" / ".env", "OPENAI_API_KEY=sk-legacy-123456\n")
    path, written = config.save_user_env({"GEMINI_API_KEY": "AIza-long-key-1"}, env)
    assert written and path == homes["xdg"] / "tracker" / ".env"
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert config.read_env_file(path) == {
        "OPENAI_API_KEY": "sk-legacy-123456",
        "GEMINI_API_KEY": "AIza-long-key-1",
    }


def test_values_that_need_quotes_round_trip(homes):
    env = env_for(homes)
    value = 'has space # and "quotes"'
    path, _ = config.save_user_env({"OPENAI_COMPAT_BASE_URL": value}, env)
    assert config.read_env_file(path)["OPENAI_COMPAT_BASE_URL"] == value
