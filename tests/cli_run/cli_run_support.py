"""Helpers for driving the real `tracker` command in a subprocess (tests/cli_run)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
TRACKER = REPO / ".venv" / "bin" / "tracker"
EXAMPLES = REPO / "examples"
KEY_VARS = (
    "ANTHROPIC_API_KEY",
    "OPENAI_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "OPENAI_COMPAT_API_KEY",
    "TRACKER_SCRIPTED_FILE",
    "TRACKER_GATEWAY_URL",
    "TRACKER_FAIL_ON_OVERRIDE",
)


def command() -> list[str]:
    if TRACKER.exists():
        return [str(TRACKER)]
    return [sys.executable, "-c", "from tracker.cli.app import main; main()"]


def clean_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The process env without provider keys, with a private config dir (no user .env)."""
    env = {k: v for k, v in os.environ.items() if k not in KEY_VARS}
    env["XDG_CONFIG_HOME"] = str(home / "xdg")
    env["NO_COLOR"] = "1"
    env.update(extra or {})
    return env


def tracker(
    *args: str,
    cwd: Path,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*command(), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        input=stdin if stdin is not None else "",
        env=clean_env(cwd, env),
        timeout=timeout,
    )


def start(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """A background `tracker` whose output goes to files (read them with `outputs`)."""
    out = (cwd / "stdout.txt").open("w")
    err = (cwd / "stderr.txt").open("w")
    return subprocess.Popen(
        [*command(), *args],
        cwd=cwd,
        stdout=out,
        stderr=err,
        stdin=subprocess.DEVNULL,
        text=True,
        env=clean_env(cwd, env),
    )


def outputs(cwd: Path) -> tuple[str, str]:
    return (cwd / "stdout.txt").read_text(), (cwd / "stderr.txt").read_text()


def wait_for(predicate: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def run_dirs(workdir: Path) -> list[Path]:
    runs = workdir / ".tracker" / "runs"
    return sorted(p for p in runs.iterdir() if p.is_dir()) if runs.is_dir() else []


def activity(run_dir: Path) -> list[dict[str, Any]]:
    lines = (run_dir / "activity.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def marker_lines(workdir: Path) -> list[str]:
    path = workdir / "marker.txt"
    return path.read_text().split() if path.exists() else []


def tool_pipeline(*tools: tuple[str, str], extra: str = "", name: str = "tools") -> str:
    """A linear pipeline Start -> tools... -> Done; each tool is (id, shell command)."""
    body = [f"workflow {name}", "  start: Start", "  exit: Done", ""]
    if extra:
        body += [extra, ""]
    body += ["  agent Start", "    label: Start", ""]
    for node, cmd in tools:
        body += [f"  tool {node}", "    timeout: 60s", "    command:", f"      {cmd}", ""]
    body += ["  agent Done", "    label: Done", "", "  edges"]
    chain = ["Start", *(t[0] for t in tools), "Done"]
    body += [f"    {a} -> {b}" for a, b in zip(chain, chain[1:], strict=False)]
    return "\n".join(body) + "\n"


def marker_pipeline(*nodes: str, extra: str = "") -> str:
    """Tool nodes that each append their name to marker.txt."""
    return tool_pipeline(*((n, f"echo {n} >> marker.txt") for n in nodes), extra=extra)


def ndjson(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines()]
