"""`tracker doctor` (cli-tui §7.5, §11.2; agent-llm §8), driven through the real command.

The live probe runs the official Anthropic SDK against the fake Anthropic server on
127.0.0.1 (ANTHROPIC_BASE_URL), with HOME and XDG_CONFIG_HOME in temporary directories.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tracker.health import DoctorReport, doctor, sanitize_error
from tracker.testing import FakeAnthropic, HTTPReply

REPO = Path(__file__).resolve().parents[2]
TRACKER = REPO / ".venv" / "bin" / "tracker"
GOOD_KEY = "sk-ant-test-xxxxxxxx"
SCRUB_SUFFIXES = ("_API_KEY", "_BASE_URL")


def clean_env(tmp: Path, **extra: str) -> dict[str, str]:
    """The process environment without provider or tracker settings, with a private
    HOME / XDG config home and fake `git`, `claude` and `dippin` first on PATH."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.endswith(SCRUB_SUFFIXES) and not k.startswith("TRACKER_") and k != "NO_COLOR"
    }
    home, xdg, fakebin = tmp / "home", tmp / "xdg", tmp / "bin"
    for d in (home, xdg, fakebin):
        d.mkdir(exist_ok=True)
    for name, text in (
        ("git", "git version 2.43.0"),
        ("claude", "1.0.0 (Claude Code)"),
        ("dippin", "dippin v0.23.4"),
    ):
        script = fakebin / name
        script.write_text(f"#!/bin/sh\necho '{text}'\n")
        script.chmod(0o755)
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(xdg),
        PATH=f"{fakebin}{os.pathsep}{env.get('PATH', '')}",
    )
    env.update(extra)
    return env


def tracker(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = [str(TRACKER)] if TRACKER.exists() else [sys.executable, "-m", "tracker.cli.app"]
    return subprocess.run(
        [*exe, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=90
    )


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A project directory with tracker's .gitignore entries (so only what a test sets
    up can warn)."""
    work = tmp_path / "work"
    work.mkdir()
    (work / ".gitignore").write_text(".tracker/\nruns/\n.ai/\n")
    return work


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as server:
        yield server


def provider_line(doc: dict, name: str = "Anthropic") -> dict:
    check = next(c for c in doc["checks"] if c["name"] == "LLM Providers")
    return next(d for d in check["details"] if d["message"].startswith(name))


def assert_no_traceback(proc: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in proc.stderr + proc.stdout


# --------------------------------------------------------------------------- live probe


def test_probe_with_an_accepted_key_reports_auth_verified(tmp_path, work, fake):
    fake.add_turn("pong")
    env = clean_env(tmp_path, ANTHROPIC_API_KEY=GOOD_KEY, ANTHROPIC_BASE_URL=fake.url)
    proc = tracker("doctor", "--json", env=env, cwd=work)
    assert_no_traceback(proc)
    doc = json.loads(proc.stdout)  # stdout holds the JSON document and nothing else
    line = provider_line(doc)
    assert line["status"] == "ok"
    assert line["message"].endswith("ANTHROPIC_API_KEY=sk-a...xxxx (auth verified)")
    assert doc["ok"] is True and doc["errors"] == 0 and doc["warnings"] == 0
    assert proc.returncode == 0, proc.stdout
    # one tiny completion with the probe model
    assert len(fake.requests) == 1
    body = fake.requests[0].json()
    assert fake.requests[0].path == "/v1/messages"
    assert body["model"] == "claude-haiku-4-5"
    assert body["max_tokens"] == 16
    assert body["messages"][0]["role"] == "user"


def test_probe_with_a_rejected_key_reports_auth_failed_once(tmp_path, work, fake):
    fake.add_error(401)
    fake.add_error(401)  # a retry would consume this one: there must be none
    env = clean_env(tmp_path, ANTHROPIC_API_KEY=GOOD_KEY, ANTHROPIC_BASE_URL=fake.url)
    proc = tracker("doctor", "--json", env=env, cwd=work)
    assert_no_traceback(proc)
    doc = json.loads(proc.stdout)
    line = provider_line(doc)
    assert line["status"] == "error"
    assert "(auth failed: invalid or expired API key)" in line["message"]
    assert "ANTHROPIC_API_KEY" in line["message"]
    assert "ANTHROPIC_API_KEY" in line["hint"]
    assert GOOD_KEY not in proc.stdout + proc.stderr
    assert len(fake.requests) == 1
    # a failing provider makes the check a warning: exit 2, nothing on stderr for it
    providers = next(c for c in doc["checks"] if c["name"] == "LLM Providers")
    assert providers["status"] == "warn"
    assert proc.returncode == 2
    assert "health check failed" not in proc.stderr


def test_probe_server_error_is_a_probe_failure_not_an_auth_failure(tmp_path, work, fake):
    fake.add_error(500, "database on fire")
    env = clean_env(tmp_path, ANTHROPIC_API_KEY=GOOD_KEY, ANTHROPIC_BASE_URL=fake.url)
    proc = tracker("doctor", "--json", env=env, cwd=work)
    assert_no_traceback(proc)
    line = provider_line(json.loads(proc.stdout))
    assert "(probe failed: " in line["message"]
    assert "database on fire" in line["message"]
    assert "ANTHROPIC_BASE_URL" in line["hint"]
    assert len(fake.requests) == 1


def test_unreachable_provider_is_a_probe_failure(tmp_path, work):
    env = clean_env(tmp_path, ANTHROPIC_API_KEY=GOOD_KEY, ANTHROPIC_BASE_URL="http://127.0.0.1:9")
    proc = tracker("doctor", "--json", env=env, cwd=work)
    assert_no_traceback(proc)
    assert "(probe failed: " in provider_line(json.loads(proc.stdout))["message"]
    assert proc.returncode == 2


def test_probe_false_sends_no_request(tmp_path, work, fake):
    env = clean_env(tmp_path, ANTHROPIC_API_KEY=GOOD_KEY, ANTHROPIC_BASE_URL=fake.url)
    proc = tracker("doctor", "--probe=false", "--json", env=env, cwd=work)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    line = provider_line(json.loads(proc.stdout))
    assert line["message"].endswith("ANTHROPIC_API_KEY=sk-a...xxxx")
    assert fake.requests == []


def test_invalid_key_format_is_reported_without_a_request(tmp_path, work, fake):
    env = clean_env(
        tmp_path, ANTHROPIC_API_KEY="sk-proj-not-anthropic", ANTHROPIC_BASE_URL=fake.url
    )
    proc = tracker("doctor", "--json", env=env, cwd=work)
    line = provider_line(json.loads(proc.stdout))
    assert line["status"] == "error" and "(invalid format)" in line["message"]
    assert "sk-ant-" in line["hint"]
    assert fake.requests == []
    assert proc.returncode == 2


def test_doctor_imports_only_the_sdks_of_configured_providers(tmp_path, work, fake):
    fake.add_turn("pong")
    env = clean_env(tmp_path, ANTHROPIC_API_KEY=GOOD_KEY, ANTHROPIC_BASE_URL=fake.url)
    code = (
        "import sys, io, contextlib\n"
        "from tracker.cli.app import run_cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    run_cli(['doctor', '--json'])\n"
        "print('LOADED=' + ','.join(m for m in ('anthropic', 'openai', 'google.genai')"
        " if m in sys.modules))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=work, env=env, capture_output=True, text=True, timeout=90
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "LOADED=anthropic"
    assert len(fake.requests) == 1


def test_probe_timeout_is_a_probe_failure(tmp_path, work, fake):
    def slow(_request):
        time.sleep(1.5)
        return HTTPReply(status=500, json={})

    fake.enqueue(slow)
    env = clean_env(tmp_path, ANTHROPIC_API_KEY=GOOD_KEY, ANTHROPIC_BASE_URL=fake.url)
    report = doctor(work_dir=work, probe_providers=True, env=env, probe_timeout=0.3)
    providers = report.check("LLM Providers")
    assert providers is not None and providers.details
    assert "(probe failed: no reply within 0.3s)" in providers.details[0].message


# --------------------------------------------------------------------------- report shape


def test_json_document_has_exactly_the_doctor_report_keys(tmp_path, work):
    proc = tracker("doctor", "--json", env=clean_env(tmp_path), cwd=work)
    doc = json.loads(proc.stdout)
    assert set(doc) == {"checks", "ok", "warnings", "errors"}
    for check in doc["checks"]:
        assert {"name", "status"} <= set(check) <= {"name", "status", "message", "hint", "details"}
        assert check["status"] in {"ok", "warn", "error", "skip"}
        for detail in check.get("details", []):
            assert {"status", "message"} <= set(detail) <= {"status", "message", "hint"}
            assert detail["status"] in {"ok", "warn", "error", "hint"}
    names = [c["name"] for c in doc["checks"]]
    assert names[:3] == ["Environment Warnings", "Configuration Files", "LLM Providers"]
    assert {"Working Directory", "Artifact Directories", "Disk Space", "Plugins"} <= set(names)


def test_no_provider_configured_fails_with_exit_1(tmp_path, work):
    proc = tracker("doctor", env=clean_env(tmp_path), cwd=work)
    assert proc.returncode == 1
    assert proc.stderr.strip().endswith("error: health check failed")
    assert_no_traceback(proc)
    for line in (
        "Anthropic       ANTHROPIC_API_KEY not set",
        "OpenAI          OPENAI_API_KEY not set",
        "OpenAI-Compat   OPENAI_COMPAT_API_KEY not set",
        "Gemini          GEMINI_API_KEY not set",
    ):
        assert f"    ✗ {line}\n" in proc.stdout
    assert "run `tracker setup`" in proc.stdout


def test_text_report_layout(tmp_path, work, fake):
    fake.add_turn("pong")
    env = clean_env(tmp_path, ANTHROPIC_API_KEY=GOOD_KEY, ANTHROPIC_BASE_URL=fake.url)
    proc = tracker("doctor", env=env, cwd=work)
    assert proc.returncode == 0, proc.stdout
    assert proc.stderr == ""
    out = proc.stdout
    assert out.startswith("\ntracker doctor\n\n  Environment Warnings\n")
    assert "    ✓ Anthropic       ANTHROPIC_API_KEY=sk-a...xxxx (auth verified)\n" in out
    assert "    → not configured: OpenAI, OpenAI-Compat, Gemini (optional)\n" in out
    assert "\n  Disk Space\n    ✓ " in out
    assert out.endswith("passed\n\n  exit codes: 0=all pass  1=failures  2=warnings only\n")


def test_dangerous_variables_warn(tmp_path, work):
    env = clean_env(tmp_path, ANTHROPIC_API_KEY=GOOD_KEY, TRACKER_PASS_ENV="1")
    proc = tracker("doctor", "--probe=false", "--json", env=env, cwd=work)
    check = json.loads(proc.stdout)["checks"][0]
    assert check["name"] == "Environment Warnings" and check["status"] == "warn"
    assert "TRACKER_PASS_ENV" in check["message"]
    assert proc.returncode == 2


def test_keys_from_the_user_env_file_are_seen_and_a_malformed_file_is_an_error(tmp_path, work):
    env = clean_env(tmp_path)
    user = tmp_path / "xdg" / "tracker" / ".env"
    user.parent.mkdir(parents=True)
    user.write_text(f"ANTHROPIC_API_KEY={GOOD_KEY}\n")
    user.chmod(0o600)
    proc = tracker("doctor", "--probe=false", "--json", env=env, cwd=work)
    assert proc.returncode == 0, proc.stdout
    assert provider_line(json.loads(proc.stdout))["status"] == "ok"

    (work / ".env").write_text("this is not an assignment\n")
    proc = tracker("doctor", "--probe=false", "--json", env=env, cwd=work)
    assert_no_traceback(proc)
    files = next(c for c in json.loads(proc.stdout)["checks"] if c["name"] == "Configuration Files")
    assert files["status"] == "error"
    assert any(
        d["message"].startswith(f"load env file {work / '.env'}: line 1") for d in files["details"]
    )
    assert proc.returncode == 1


def test_user_env_file_readable_by_others_warns(tmp_path, work):
    env = clean_env(tmp_path, ANTHROPIC_API_KEY=GOOD_KEY)
    user = tmp_path / "xdg" / "tracker" / ".env"
    user.parent.mkdir(parents=True)
    user.write_text("X=1\n")
    user.chmod(0o644)
    proc = tracker("doctor", "--probe=false", "--json", env=env, cwd=work)
    files = next(c for c in json.loads(proc.stdout)["checks"] if c["name"] == "Configuration Files")
    assert files["status"] == "warn"
    assert files["details"][0]["hint"] == f"chmod 600 {user}"


def test_claude_code_backend_requires_the_claude_binary(tmp_path, work):
    env = clean_env(tmp_path, ANTHROPIC_API_KEY=GOOD_KEY)
    (tmp_path / "bin" / "claude").unlink()
    proc = tracker(
        "doctor", "--probe=false", "--backend", "claude-code", "--json", env=env, cwd=work
    )
    binaries = next(
        c for c in json.loads(proc.stdout)["checks"] if c["name"] == "Optional Binaries"
    )
    assert binaries["status"] == "error"
    assert proc.returncode == 1


def test_gitignore_entries_are_appended_by_the_cli_only(tmp_path, work):
    env = clean_env(tmp_path, ANTHROPIC_API_KEY=GOOD_KEY)
    (work / ".gitignore").write_text("node_modules/\n.tracker/")
    report = doctor(work_dir=work, env=env)
    assert report.check("Working Directory").status == "warn"
    assert (work / ".gitignore").read_text() == "node_modules/\n.tracker/"  # library: read-only
    proc = tracker("doctor", "--probe=false", "-w", str(work), env=env, cwd=tmp_path)
    assert proc.returncode == 2
    assert (work / ".gitignore").read_text() == "node_modules/\n.tracker/\nruns/\n.ai/\n"
    assert f"added runs/, .ai/ to {work / '.gitignore'}" in proc.stdout


def test_missing_workdir_is_an_error(tmp_path, work):
    env = clean_env(tmp_path, ANTHROPIC_API_KEY=GOOD_KEY)
    proc = tracker(
        "doctor", "--probe=false", "--json", "-w", str(tmp_path / "nope"), env=env, cwd=work
    )
    wd = next(c for c in json.loads(proc.stdout)["checks"] if c["name"] == "Working Directory")
    assert wd["status"] == "error" and wd["message"].endswith("does not exist")
    assert proc.returncode == 1


# --------------------------------------------------------------------------- pipeline file


def test_pipeline_file_is_validated(tmp_path, work):
    env = clean_env(tmp_path, ANTHROPIC_API_KEY=GOOD_KEY)
    (work / "broken.dip").write_text("workflow Broken\n  this is not dippin\n")
    proc = tracker("doctor", "--probe=false", "--json", "broken.dip", env=env, cwd=work)
    assert_no_traceback(proc)
    check = json.loads(proc.stdout)["checks"][-1]
    assert check["name"] == "Pipeline File" and check["status"] == "error"
    assert proc.returncode == 1

    proc = tracker("doctor", "--probe=false", "--json", "nowhere.dip", env=env, cwd=work)
    check = json.loads(proc.stdout)["checks"][-1]
    assert check["status"] == "error"


def test_builtin_workflow_name_is_resolved(tmp_path, work):
    from tracker.plugins.manager import get_registry

    names = sorted(get_registry().workflows)
    if not names:
        pytest.skip("no built-in workflows registered")
    env = clean_env(tmp_path, ANTHROPIC_API_KEY=GOOD_KEY)
    proc = tracker("doctor", "--probe=false", "--json", names[0], env=env, cwd=work)
    check = json.loads(proc.stdout)["checks"][-1]
    assert check["name"] == "Pipeline File"
    assert check["status"] in {"ok", "warn"}, check


# --------------------------------------------------------------------------- units


def test_sanitize_error_redacts_keys_and_cuts_long_text():
    text = "bad key sk-ant-api03-SECRETSECRET and Bearer abcdefghijkl " + "x" * 100
    cleaned = sanitize_error(text)
    assert "SECRET" not in cleaned and "abcdefghijkl" not in cleaned
    assert len(cleaned) == 83 and cleaned.endswith("...")


def test_report_exit_codes():
    assert DoctorReport.of([]).exit_code == 0
