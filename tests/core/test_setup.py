"""`tracker setup` (cli-tui §7.6): keys go to $XDG_CONFIG_HOME/tracker/.env, mode 600,
other lines kept, keys never echoed; `tracker doctor` then sees them."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tracker import config

REPO = Path(__file__).resolve().parents[2]
TRACKER = REPO / ".venv" / "bin" / "tracker"
KEY = "sk-ant-test-setupkey-1234"


def exe() -> list[str]:
    return [str(TRACKER)] if TRACKER.exists() else [sys.executable, "-m", "tracker.cli.app"]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.endswith(("_API_KEY", "_BASE_URL")) and not k.startswith("TRACKER_")
    }
    (tmp_path / "home").mkdir()
    (tmp_path / "xdg").mkdir()
    return {**clean, "HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": str(tmp_path / "xdg")}


def user_file(env: dict[str, str]) -> Path:
    return Path(env["XDG_CONFIG_HOME"]) / "tracker" / ".env"


def tracker(*args: str, env: dict[str, str], stdin: str = "", cwd: Path | None = None):
    return subprocess.run(
        [*exe(), *args], input=stdin, env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )


def test_non_interactive_setup_writes_a_private_file_and_never_echoes(env, tmp_path):
    proc = tracker("setup", "--provider", "anthropic", "--key-stdin", env=env, stdin=KEY + "\n")
    assert proc.returncode == 0, proc.stderr
    path = user_file(env)
    assert path.stat().st_mode & 0o777 == 0o600
    assert config.read_env_file(path) == {"ANTHROPIC_API_KEY": KEY}
    assert f"saved ANTHROPIC_API_KEY to {path}" in proc.stdout
    assert KEY not in proc.stdout + proc.stderr
    assert not [p for p in path.parent.iterdir() if p.name != ".env"]  # no temp file left

    # doctor (in another directory, key only in the file) now sees the provider
    work = tmp_path / "work"
    work.mkdir()
    proc = tracker("doctor", "--probe=false", "--json", env=env, cwd=work)
    doc = json.loads(proc.stdout)
    providers = next(c for c in doc["checks"] if c["name"] == "LLM Providers")
    assert providers["status"] == "ok"
    assert providers["details"][0]["message"].startswith(
        "Anthropic       ANTHROPIC_API_KEY=sk-a..."
    )


def test_setup_keeps_other_lines_and_writes_the_base_url(env):
    path = user_file(env)
    path.parent.mkdir(parents=True)
    path.write_text("# mine\nOPENAI_API_KEY=sk-keep-me-please\nGEMINI_API_KEY=old-gemini-key\n")
    proc = tracker(
        "setup",
        "--provider",
        "gemini",
        "--key-stdin",
        "--base-url",
        "http://127.0.0.1:8080/",
        env=env,
        stdin="AIza-new-gemini-key\n",
    )
    assert proc.returncode == 0, proc.stderr
    assert path.read_text() == (
        "# mine\n"
        "OPENAI_API_KEY=sk-keep-me-please\n"
        "GEMINI_API_KEY=AIza-new-gemini-key\n"
        "GEMINI_BASE_URL=http://127.0.0.1:8080\n"
    )
    assert path.stat().st_mode & 0o777 == 0o600


def test_unchanged_content_is_not_rewritten(env):
    tracker("setup", "--provider", "openai", "--key-stdin", env=env, stdin="sk-openai-123456\n")
    path = user_file(env)
    before = path.stat().st_mtime_ns
    time.sleep(0.01)
    proc = tracker(
        "setup", "--provider", "openai", "--key-stdin", env=env, stdin="sk-openai-123456"
    )
    assert proc.returncode == 0
    assert "no changes" in proc.stdout
    assert path.stat().st_mtime_ns == before


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--provider", "google", "--key-stdin"], "k" * 20, 'unknown provider "google"'),
        (["--provider", "openai", "--key-stdin"], "\n", "no API key on stdin"),
        (["--provider", "openai", "--base-url", "ftp://x"], "", "must start with http"),
        (["--key-stdin"], "sk-whatever-123", "need --provider"),
    ],
)
def test_setup_flag_errors_exit_1_and_write_nothing(env, args, stdin, message):
    proc = tracker("setup", *args, env=env, stdin=stdin)
    assert proc.returncode == 1
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not user_file(env).exists()


def test_suspicious_key_format_is_saved_with_a_warning(env):
    proc = tracker(
        "setup", "--provider", "anthropic", "--key-stdin", env=env, stdin="sk-proj-abc123456"
    )
    assert proc.returncode == 0
    assert "warning: Anthropic keys start with 'sk-ant-'" in proc.stderr
    assert "sk-proj-abc123456" not in proc.stdout + proc.stderr


def test_interactive_setup_from_piped_stdin(env):
    path = user_file(env)
    path.parent.mkdir(parents=True)
    path.write_text("ANTHROPIC_API_KEY=sk-ant-existing-123\n")
    answers = [
        "sk-openai-new-12345",  # OpenAI key
        "",  # OpenAI base URL
        "",  # Anthropic key: keep
        "",  # Anthropic base URL
        "AIza-gemini-new-1234",  # Gemini key
        "not-a-url",  # rejected, asked again
        "https://gw.example/gemini",
        "",  # compat key
        "",  # compat base URL
    ]
    proc = tracker("setup", env=env, stdin="\n".join(answers) + "\n")
    assert proc.returncode == 0, proc.stderr
    assert config.read_env_file(path) == {
        "ANTHROPIC_API_KEY": "sk-ant-existing-123",
        "OPENAI_API_KEY": "sk-openai-new-12345",
        "GEMINI_API_KEY": "AIza-gemini-new-1234",
        "GEMINI_BASE_URL": "https://gw.example/gemini",
    }
    assert "Configure Anthropic  2 / 4  (configured via ANTHROPIC_API_KEY)" in proc.stderr
    assert "must start with http" in proc.stderr
    for secret in ("sk-openai-new-12345", "AIza-gemini-new-1234", "sk-ant-existing-123"):
        assert secret not in proc.stdout + proc.stderr


def test_interactive_setup_with_no_answers_writes_nothing(env):
    proc = tracker("setup", env=env, stdin="")
    assert proc.returncode == 0
    assert "no changes written" in proc.stdout
    assert not user_file(env).exists()


def test_key_typed_at_a_terminal_is_not_echoed(env):
    """On a TTY the key is read with getpass: the terminal never shows it."""
    pid, fd = pty.fork()
    if pid == 0:  # child: run setup on the pseudo-terminal
        os.execve(exe()[0], [*exe(), "setup"], env)
    output = b""

    def read_until(marker: bytes, timeout: float = 30.0) -> None:
        nonlocal output
        deadline = time.monotonic() + timeout
        while marker not in output and time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    output += os.read(fd, 4096)
                except OSError:
                    return

    secret = "sk-openai-typed-98765"
    answers = [secret, "", "", "", "", "", "", ""]  # key and base URL for 4 providers
    for index, answer in enumerate(answers):
        prompt = b"API key (" if index % 2 == 0 else b"Base URL for"
        want = index // 2 + 1
        deadline = time.monotonic() + 30
        while output.count(prompt) < want and time.monotonic() < deadline:
            read_until(b"\x00", 0.2)
        os.write(fd, answer.encode() + b"\r")
    read_until(b"tracker doctor", 30)
    read_until(b"\x00", 0.5)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0, output.decode(errors="replace")
    assert secret.encode() not in output
    assert config.read_env_file(user_file(env)) == {"OPENAI_API_KEY": secret}
