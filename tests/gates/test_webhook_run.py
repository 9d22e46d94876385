"""Webhook gates inside real runs: the engine, the library's `Config.webhook_gate`, and the
`tracker` command with `--webhook-url` (cli-tui.md §5, §4.3). Everything on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import tracker
from tracker.engine.config import RunConfig
from tracker.engine.events import PipelineEvent
from tracker.engine.runner import Engine
from tracker.gates.webhook import WebhookInterviewer
from tracker.loader import PipelineSource, load_pipeline
from webhook_receiver import Receiver, free_port

REPO = Path(__file__).resolve().parents[2]
TRACKER = REPO / ".venv" / "bin" / "tracker"
KEY_VARS = (
    "ANTHROPIC_API_KEY",
    "OPENAI_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "OPENAI_COMPAT_API_KEY",
    "TRACKER_SCRIPTED_FILE",
    "TRACKER_GATEWAY_URL",
)

GATES = """workflow gates
  start: Start
  exit: Done

  agent Start
    label: Start

  human Pick
    label: "Which way, ${ctx.who}?"
    mode: choice
    default: Right

  human Confirm
    label: Ship it?
    mode: yes_no

  tool Left
    timeout: 30s
    command:
      echo Left >> marker.txt

  tool Right
    timeout: 30s
    command:
      echo Right >> marker.txt

  tool Stopped
    timeout: 30s
    command:
      echo Stopped >> marker.txt

  agent Done
    label: Done

  edges
    Start -> Pick
    Pick -> Left  label: Left
    Pick -> Right  label: Right
    Left -> Confirm
    Right -> Confirm
    Confirm -> Done  when ctx.outcome = success
    Confirm -> Stopped  when ctx.outcome = fail
    Stopped -> Done
"""


def answers(by_node: dict[str, str]) -> Any:
    """A receiver policy answering each gate by the node it names."""
    return lambda payload: {"choice": by_node[payload["node_id"]]}


def markers(workdir: Path) -> list[str]:
    path = workdir / "marker.txt"
    return path.read_text().split() if path.exists() else []


def test_the_engine_routes_on_webhook_answers(tmp_path: Path) -> None:
    loaded = load_pipeline(PipelineSource(name="p.dip", text=GATES, path=None, format="dip"))
    assert loaded.graph is not None
    events: list[PipelineEvent] = []
    with Receiver(answers({"Pick": "left", "Confirm": "No"})) as hook:
        engine = Engine(
            loaded.graph,
            config=RunConfig(workdir=tmp_path),
            event_handler=events.append,
            interviewer=WebhookInterviewer(hook.url, callback_addr="127.0.0.1:0"),
            initial_context={"who": "Ada"},
        )
        result = asyncio.run(engine.run())
    assert result.status == "success"
    assert markers(tmp_path) == ["Left", "Stopped"]
    pick, confirm = hook.gates
    assert pick["node_id"] == "Pick" and pick["prompt"] == "Which way, Ada?"
    assert [c["label"] for c in pick["choices"]] == ["Left", "Right"]
    assert confirm["node_id"] == "Confirm"
    assert [c["label"] for c in confirm["choices"]] == ["Yes", "No"]
    resolved = [e.message for e in events if e.type == "gate_resolved"]
    assert resolved == [
        "gate resolved (answered by human): Left",
        "gate resolved (answered by human): No",
    ]


def test_interview_mode_through_the_engine(tmp_path: Path) -> None:
    text = """workflow interview
  start: Start
  exit: Done

  agent Start
    label: Start

  human Ask
    label: Questions
    mode: interview

  agent Done
    label: Done

  edges
    Start -> Ask
    Ask -> Done
"""
    loaded = load_pipeline(PipelineSource(name="p.dip", text=text, path=None, format="dip"))
    assert loaded.graph is not None
    body = {"answers": [{"id": "q1", "answer": "postgres"}]}
    with Receiver(lambda payload: body) as hook:
        engine = Engine(
            loaded.graph,
            config=RunConfig(workdir=tmp_path),
            interviewer=WebhookInterviewer(hook.url, callback_addr="127.0.0.1:0"),
            initial_context={"interview_questions": "1. Which store? (postgres, sqlite)"},
        )
        result = asyncio.run(engine.run())
    assert result.status == "success"
    assert hook.gates[0]["questions"][0]["options"] == ["postgres", "sqlite"]
    assert '"answer":"postgres"' in result.context["interview_answers"]


@pytest.fixture
def no_provider_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in KEY_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("no_provider_keys")
def test_library_webhook_gate_config(tmp_path: Path) -> None:
    with Receiver(answers({"Pick": "Right", "Confirm": "yes"})) as hook:
        config = tracker.Config(
            workdir=tmp_path,
            context={"who": "Bo"},
            webhook_gate=tracker.WebhookGateConfig(
                webhook_url=hook.url,
                callback_addr="127.0.0.1:0",
                timeout=30,
                auth_header="Token abc",
                run_id="lib-run",
            ),
        )
        result = tracker.run(GATES, config)
    assert result.status == "success"
    assert markers(tmp_path) == ["Right"]
    assert [g["run_id"] for g in hook.gates] == ["lib-run", "lib-run"]
    assert all(g["timeout_seconds"] == 30 for g in hook.gates)
    assert hook.headers[0]["Authorization"] == "Token abc"


@pytest.mark.usefixtures("no_provider_keys")
def test_library_refuses_an_empty_webhook_url(tmp_path: Path) -> None:
    config = tracker.Config(
        workdir=tmp_path, webhook_gate=tracker.WebhookGateConfig(webhook_url="")
    )
    with pytest.raises(ValueError, match="webhook_url is required"):
        tracker.run(GATES, config)


# the command line -----------------------------------------------------------------------


def cli(*args: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    command = [str(TRACKER)] if TRACKER.exists() else [sys.executable, "-m", "tracker.cli.app"]
    env = {k: v for k, v in os.environ.items() if k not in KEY_VARS}
    env["XDG_CONFIG_HOME"] = str(cwd / "xdg")
    env["NO_COLOR"] = "1"
    return subprocess.run(
        [*command, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        input="",
        env=env,
        timeout=timeout,
    )


def test_tracker_run_routes_a_gate_through_the_webhook(tmp_path: Path) -> None:
    (tmp_path / "x.dip").write_text(GATES.replace("${ctx.who}", "you"))
    port = free_port()
    with Receiver(answers({"Pick": "Right", "Confirm": "Yes"})) as hook:
        proc = cli(
            "run",
            "x.dip",
            "--webhook-url",
            hook.url,
            "--gate-callback-addr",
            f"127.0.0.1:{port}",
            "--gate-timeout",
            "2m",
            "--webhook-auth",
            "Bearer cli-secret",
            cwd=tmp_path,
        )
    assert proc.returncode == 0, proc.stderr
    assert markers(tmp_path) == ["Right"]
    lines = proc.stderr.splitlines()
    assert lines[:2] == [
        "Webhook gate mode active — human gates will be POSTed to configured URL",
        f"Callback server will start on 127.0.0.1:{port}",
    ]
    assert all(g["callback_url"].startswith(f"http://127.0.0.1:{port}/gate/") for g in hook.gates)
    assert [g["timeout_seconds"] for g in hook.gates] == [120, 120]
    assert hook.headers[0]["Authorization"] == "Bearer cli-secret"
    assert "cli-secret" not in proc.stdout + proc.stderr
    assert hook.callbacks == [(200, '{"status":"ok"}')] * 2


def test_tracker_run_times_out_a_gate_with_the_success_action(tmp_path: Path) -> None:
    (tmp_path / "x.dip").write_text(GATES.replace("    default: Right\n", ""))
    with Receiver() as hook:  # acknowledges, never answers
        proc = cli(
            "x.dip",
            "--webhook-url",
            hook.url,
            "--gate-callback-addr",
            "127.0.0.1:0",
            "--gate-timeout",
            "300ms",
            "--gate-timeout-action",
            "success",
            cwd=tmp_path,
        )
    assert proc.returncode == 0, proc.stderr
    assert markers(tmp_path) == ["Left"]  # the first option, then `Yes`
    assert len(hook.gates) == 2


def test_tracker_run_rejects_a_malformed_webhook_url(tmp_path: Path) -> None:
    (tmp_path / "x.dip").write_text(GATES)
    proc = cli("x.dip", "--webhook-url", "hooks.example.com/x", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.splitlines()[-1] == (
        'error: --webhook-url: invalid webhook URL "hooks.example.com/x": '
        "expected http://host[:port]/path"
    )
    assert "Traceback" not in proc.stderr
    assert markers(tmp_path) == []
