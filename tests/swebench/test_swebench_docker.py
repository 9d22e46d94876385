"""The docker CLI harness against a fake `docker` on PATH (no docker daemon needed).

The fake records every invocation and answers like a daemon with a working image would,
so the exact commands of cli-tui §12.2 step 3 can be checked end to end."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from tracker_swebench.cli import run_cli

FAKE_DOCKER = """#!/bin/sh
printf '%s\\n' "$*" >> "{calls}"
case "$1" in
  info) echo 27.0.0 ;;
  exec)
    for arg in "$@"; do
      case "$arg" in
        --env-file) envnext=1 ;;
        *) if [ "$envnext" = 1 ]; then
             while IFS= read -r l; do printf '%s\\n' "$l"; done < "$arg" >> "{envcopy}"
             envnext=0
           fi ;;
      esac
    done
    case "$*" in
      *agent-runner*)
        {agent}
        ;;
      *"diff HEAD"*) printf '%s\\n' "diff --git a/f.py b/f.py" "+fixed" ;;
    esac ;;
esac
exit 0
"""

SUMMARY = json.dumps(
    {
        "turns": 4,
        "input_tokens": 1000,
        "output_tokens": 50,
        "duration_ms": 1200,
        "termination_reason": "explicit_finish",
        "final_message": "done",
        "last_tool_calls": ["bash"],
    }
)


def install_fakes(tmp_path: Path, agent: str) -> Path:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    script = FAKE_DOCKER.format(
        calls=tmp_path / "calls.txt", envcopy=tmp_path / "env.txt", agent=agent
    )
    for name, text in (("docker", script), ("git", "#!/bin/sh\necho offline >&2\nexit 1\n")):
        path = bindir / name
        path.write_text(text)
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return bindir


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    path = tmp_path / "ds.jsonl"
    path.write_text(
        json.dumps(
            {
                "instance_id": "django__django-11099",
                "repo": "django/django",
                "base_commit": "deadbeef",
                "problem_statement": "It breaks.",
                "hints_text": "Look at validators.",
            }
        )
        + "\n"
    )
    return path


def test_instance_runs_through_docker_cli(tmp_path, dataset, capsys, monkeypatch):
    bindir = install_fakes(tmp_path, f"echo thinking; echo '{SUMMARY}'")
    monkeypatch.setenv("PATH", str(bindir))
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test")
    monkeypatch.chdir(tmp_path)
    code = run_cli(["--dataset", str(dataset), "--max-turns", "7"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "[1/1] django__django-11099 ... 4 turns, " in out
    assert out.splitlines()[0].endswith("patch: 2 lines")
    assert "bare clone failed (continuing without cache)" in err

    calls = (tmp_path / "calls.txt").read_text().splitlines()
    verbs = [c.split()[0] for c in calls]
    assert verbs[:4] == ["info", "image", "ps", "create"]
    create = next(c for c in calls if c.startswith("create"))
    assert "--label swebench=" in create
    assert "--memory 4096m --cpus 2.0 --pids-limit 512" in create
    assert ":/instance_prompt.txt:ro" in create
    assert "/cache:ro" not in create  # the bare clone failed
    assert create.endswith("tracker-swebench-base sleep infinity")
    name = create.split("--name ")[1].split()[0]
    assert name.startswith("swe-") and name.endswith("-django__django-11099")
    assert f"exec {name} git clone https://github.com/django/django.git /workspace" in calls
    assert f"exec {name} git -C /workspace checkout deadbeef" in calls
    assert calls[-2:] == [f"stop {name}", f"rm -f {name}"]

    env = (tmp_path / "env.txt").read_text().splitlines()
    assert "SWEBENCH_MAX_TURNS=7" in env and "ANTHROPIC_API_KEY=sk-test" in env
    assert "SWEBENCH_TIMEOUT=30m0s" in env

    pred = json.loads((tmp_path / "predictions.jsonl").read_text())
    assert pred["model_patch"] == "diff --git a/f.py b/f.py\n+fixed"
    logs = tmp_path / "results" / "logs"
    assert "thinking" in (logs / "django__django-11099.transcript.log").read_text()
    assert "turns: 4" in (logs / "django__django-11099.log").read_text()


def test_agent_timeout_keeps_partial_patch(tmp_path, dataset, capsys, monkeypatch):
    bindir = install_fakes(tmp_path, "exec /bin/sleep 20")
    monkeypatch.setenv("PATH", str(bindir))
    monkeypatch.chdir(tmp_path)
    code = run_cli(["--dataset", str(dataset), "--timeout", "1s"])
    out, _ = capsys.readouterr()
    assert code == 1
    assert "  Timed out: 1" in out and "  Harness errors: 1" in out
    log = (tmp_path / "results" / "logs" / "django__django-11099.log").read_text()
    assert log.endswith("error: agent-runner: timed out after 1s\n")
    pred = json.loads((tmp_path / "predictions.jsonl").read_text())
    assert pred["model_patch"].startswith("diff --git")
