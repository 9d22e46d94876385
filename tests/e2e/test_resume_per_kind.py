"""Acceptance: a run SIGKILLed in the middle, at each node kind, resumes without running any
completed node again and ends with the same context as an uninterrupted run
(spec/engine.md §6.4, design.md "Resume").

Every pipeline is Start -> Before -> <the kind under test> -> Slow -> After -> Done. Tool
nodes (and the scripted agent, through its bash tool) append their name to marker.txt, so
executions are counted across processes. `Slow` (or, for the "in flight" cases, a node
inside the kind) blocks until the test creates the file `go`, which is where the kill lands.
Each run is a separate process driven by resume_driver.py through the library API.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

DRIVER = Path(__file__).with_name("resume_driver.py")
RUN_TIMEOUT = 30.0


def blocking(name: str) -> str:
    """A tool command that records itself, then waits for `go` (at most 10 s)."""
    return (
        f"echo {name} >> marker.txt; i=0; "
        "while [ ! -f go ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; "
        f"echo {name.lower()}-out"
    )


def tool(name: str, command: str | None = None) -> str:
    command = command or f"echo {name} >> marker.txt; echo {name.lower()}-out"
    return f"  tool {name}\n    timeout: 30s\n    command:\n      {command}\n"


CHILD = (
    "workflow child\n  start: CStart\n  exit: CEnd\n\n  agent CStart\n    label: CStart\n\n"
    + tool("C", "{cmd}")
    + "\n  agent CEnd\n    label: CEnd\n\n  edges\n    CStart -> C\n    C -> CEnd\n"
)


def child(command: str = "echo C >> marker.txt; echo c-out") -> str:
    return CHILD.replace("{cmd}", command)


def pipeline(kind: str, body: str, edges: str) -> str:
    """Start -> Before -> <body> -> Slow -> After -> Done; `edges` link Before to Slow."""
    return (
        f"workflow resume_{kind}\n  start: Start\n  exit: Done\n\n"
        "  agent Start\n    label: Start\n\n"
        f"{tool('Before')}\n{body}\n{tool('Slow', blocking('Slow'))}\n{tool('After')}\n"
        "  agent Done\n    label: Done\n\n  edges\n    Start -> Before\n"
        f"{edges}    Slow -> After\n    After -> Done\n"
    )


@dataclass
class Case:
    """One node kind: the pipeline, the node that must be completed and the marker entry
    that must have started when the test kills the run."""

    source: str
    completed: str
    started: str
    files: dict[str, str] = field(default_factory=dict)
    #: marker entries that were in flight at the kill, so legitimately run once more
    reruns: tuple[str, ...] = ("Slow",)


AGENT_SCRIPT = """\
nodes:
  X:
    - tool_calls:
        - name: bash
          arguments: {command: "echo X >> marker.txt"}
    - text: "X wrote the marker.\\nSTATUS: success"
"""

CASES: dict[str, Case] = {
    "tool": Case(
        pipeline("tool", tool("X"), "    Before -> X\n    X -> Slow\n"),
        completed="X",
        started="Slow",
    ),
    "human": Case(
        pipeline(
            "human",
            '  human X\n    label: "Ship it?"\n\n' + tool("Other"),
            '    Before -> X\n    X -> Slow  label: "[A] Approve"\n'
            '    X -> Other  label: "[R] Reject"\n    Other -> Done\n',
        ),
        completed="X",
        started="Slow",
    ),
    "agent": Case(
        pipeline(
            "agent",
            "  agent X\n    label: X\n    prompt: Write the marker\n",
            "    Before -> X\n    X -> Slow\n",
        ),
        completed="X",
        started="Slow",
        files={"script.yaml": AGENT_SCRIPT},
    ),
    "conditional": Case(
        pipeline(
            "conditional",
            "  conditional X\n    label: X\n\n" + tool("Other"),
            "    Before -> X\n    X -> Slow  when ctx.tool_stdout = before-out\n"
            "    X -> Other\n    Other -> Done\n",
        ),
        completed="X",
        started="Slow",
    ),
    "parallel": Case(
        pipeline(
            "parallel",
            "  parallel Fork -> A, B\n\n" + tool("A") + tool("B") + "\n  fan_in Join <- A, B\n",
            "    Before -> Fork\n    Fork -> A\n    Fork -> B\n    A -> Join\n    B -> Join\n"
            "    Join -> Slow\n",
        ),
        completed="Join",
        started="Slow",
    ),
    "parallel_in_flight": Case(
        pipeline(
            "parallel",
            "  parallel Fork -> A, B\n\n"
            + tool("A")
            + tool("B", blocking("B"))
            + "\n  fan_in Join <- A, B\n",
            "    Before -> Fork\n    Fork -> A\n    Fork -> B\n    A -> Join\n    B -> Join\n"
            "    Join -> Slow\n",
        ),
        completed="Before",
        started="B",
        reruns=("A", "B"),
    ),
    "subgraph": Case(
        pipeline(
            "subgraph", "  subgraph X\n    ref: child.dip\n", "    Before -> X\n    X -> Slow\n"
        ),
        completed="X",
        started="Slow",
        files={"child.dip": child()},
    ),
    "subgraph_in_flight": Case(
        pipeline(
            "subgraph", "  subgraph X\n    ref: child.dip\n", "    Before -> X\n    X -> Slow\n"
        ),
        completed="Before",
        started="C",
        files={"child.dip": child(blocking("C"))},
        reruns=("C",),
    ),
    "manager_loop": Case(
        pipeline(
            "manager_loop",
            "  manager_loop X\n    subgraph_ref: child.dip\n    poll_interval: 50ms\n"
            "    max_cycles: 400\n",
            "    Before -> X\n    X -> Slow\n",
        ),
        completed="X",
        started="Slow",
        files={"child.dip": child()},
    ),
    "manager_loop_in_flight": Case(
        pipeline(
            "manager_loop",
            "  manager_loop X\n    subgraph_ref: child.dip\n    poll_interval: 50ms\n"
            "    max_cycles: 400\n",
            "    Before -> X\n    X -> Slow\n",
        ),
        completed="Before",
        started="C",
        files={"child.dip": child(blocking("C"))},
        reruns=("C",),
    ),
}


# ---------------------------------------------------------------- helpers


def setup(workdir: Path, case: Case) -> Path:
    workdir.mkdir(parents=True)
    for name, text in case.files.items():
        (workdir / name).write_text(text, encoding="utf-8")
    source = workdir / "pipeline.dip"
    source.write_text(case.source, encoding="utf-8")
    return source


def driver_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.pop("TRACKER_SCRIPTED_FILE", None)
    env["NO_COLOR"] = "1"
    return env


def drive(source: Path, workdir: Path, resume: str = "") -> dict[str, Any]:
    """Run the driver to the end; its last stdout line is the result as JSON."""
    args = [sys.executable, str(DRIVER), str(source), str(workdir)] + ([resume] if resume else [])
    proc = subprocess.run(
        args, cwd=workdir, capture_output=True, text=True, timeout=RUN_TIMEOUT, env=driver_env()
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.stdout.strip(), proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_dir(workdir: Path) -> Path:
    [only] = [p for p in (workdir / "runs").iterdir() if p.is_dir()]
    return only


def checkpoint(workdir: Path) -> dict[str, Any] | None:
    runs = workdir / "runs"
    paths = list(runs.glob("*/checkpoint.json")) if runs.is_dir() else []
    if not paths:
        return None
    try:
        return json.loads(paths[0].read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None  # written atomically, but tolerate a racing first read


def marker(workdir: Path) -> list[str]:
    path = workdir / "marker.txt"
    return path.read_text().split() if path.exists() else []


def activity(workdir: Path) -> list[dict[str, Any]]:
    lines = (run_dir(workdir) / "activity.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def executions(events: list[dict[str, Any]], node: str) -> int:
    """`stage_started` events of `node` (a manager loop emits two per execution, so compare
    with the uninterrupted run rather than with 1)."""
    return sum(1 for e in events if e["type"] == "stage_started" and e.get("node_id") == node)


def normalized_context(workdir: Path) -> dict[str, str]:
    """The final checkpoint context with this run's directory and id made neutral."""
    data = checkpoint(workdir)
    assert data is not None
    run_id = data["run_id"]
    volatile = {str(workdir.resolve()): "<workdir>", str(workdir): "<workdir>", run_id: "<run>"}
    out: dict[str, str] = {}
    for key, value in data["context"].items():
        for text, neutral in volatile.items():
            value = value.replace(text, neutral)
        out[key] = value
    return out


def kill_when_ready(source: Path, workdir: Path, case: Case) -> dict[str, Any]:
    """Start the run, wait for the kill point, SIGKILL it; returns the checkpoint then."""
    proc = subprocess.Popen(
        [sys.executable, str(DRIVER), str(source), str(workdir)],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=driver_env(),
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + RUN_TIMEOUT
        while True:
            assert proc.poll() is None, "the run ended before the kill point"
            data = checkpoint(workdir)
            done = data is not None and case.completed in data["completed_nodes"]
            if done and case.started in marker(workdir):
                break
            assert time.monotonic() < deadline, f"kill point not reached: {data}"
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        try:  # tool children left behind by the kill
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    assert proc.returncode == -signal.SIGKILL
    data = checkpoint(workdir)
    assert data is not None
    return data


# ---------------------------------------------------------------- the test


@pytest.mark.parametrize("kind", list(CASES))
def test_sigkill_then_resume_runs_no_completed_node_again(tmp_path: Path, kind: str) -> None:
    case = CASES[kind]

    # the reference: the same pipeline, never interrupted
    base = tmp_path / "baseline"
    base_source = setup(base, case)
    (base / "go").touch()
    first = drive(base_source, base)
    assert first["status"] == "success", first
    base_marker = Counter(marker(base))
    assert all(base_marker[name] == 1 for name in base_marker), base_marker

    # the same pipeline, killed at the kill point, then resumed
    work = tmp_path / "killed"
    source = setup(work, case)
    at_kill = kill_when_ready(source, work, case)
    completed = at_kill["completed_nodes"]
    assert completed[:2] == ["Start", "Before"]
    assert case.completed in completed
    assert at_kill["current_node"] not in completed
    lines_at_kill = (run_dir(work) / "activity.jsonl").read_text().splitlines()
    artifacts = {p: p.stat().st_mtime_ns for p in run_dir(work).glob("*/prompt.md")}
    if kind == "agent":
        assert artifacts, "the agent node left no prompt.md"

    (work / "go").touch()
    resumed = drive(source, work, resume=at_kill["run_id"][:6])
    assert resumed["status"] == "success", resumed
    assert resumed["run_id"] == at_kill["run_id"]

    # no completed node ran again; only the nodes in flight at the kill ran twice
    expected = base_marker + Counter(case.reruns)
    assert Counter(marker(work)) == expected
    events = activity(work)
    base_events = activity(base)
    for node in completed:
        assert executions(events, node) == executions(base_events, node), f"{node} ran again"
    for path, mtime in artifacts.items():
        assert path.stat().st_mtime_ns == mtime, f"{path} was rewritten"

    # same final context as the uninterrupted run
    assert normalized_context(work) == normalized_context(base)
    final = checkpoint(work)
    assert final is not None and final["current_node"] == ""

    # same run directory; the activity log was appended to, not rewritten
    assert run_dir(work).name == at_kill["run_id"]
    lines = (run_dir(work) / "activity.jsonl").read_text().splitlines()
    assert lines[: len(lines_at_kill)] == lines_at_kill
    types = [e["type"] for e in events]
    assert types.count("pipeline_started") == 2
    assert types[-1] == "pipeline_completed"
