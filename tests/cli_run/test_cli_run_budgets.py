"""Budget ceilings from the CLI (cli-tui.md §4.7): the run halts after the node that
crossed the line, the summary has a HALTED section naming the dimension, exit 1."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_run_support import marker_lines, run_dirs, tool_pipeline, tracker, write

PIPELINE = """workflow spend
  start: Start
  exit: Done

  defaults
    model: claude-sonnet-4-6
    on_failure: Done

  agent Start
    label: Start

  agent Spend
    label: Spend
    prompt: Spend tokens

  tool After
    timeout: 30s
    command:
      echo After >> marker.txt

  agent Done
    label: Done

  edges
    Start -> Spend
    Spend -> After
    After -> Done
"""

SCRIPT = """nodes:
  Spend:
    - text: "spent"
      usage: {input_tokens: 1000000, output_tokens: 2000}
"""


def run_spend(tmp_path: Path, *flags: str):
    write(tmp_path / "p.dip", PIPELINE)
    write(tmp_path / "s.yaml", SCRIPT)
    return tracker("p.dip", "--scripted", "s.yaml", *flags, cwd=tmp_path)


def halted(stdout: str) -> list[str]:
    lines = stdout.splitlines()
    start = next(
        i for i, line in enumerate(lines) if line.startswith("─── HALTED: budget exceeded")
    )
    return lines[start : start + 3]


@pytest.mark.parametrize(
    ("flags", "reason"),
    [(["--max-tokens", "5000"], "tokens"), (["--max-cost", "10"], "cost")],
)
def test_token_and_cost_ceilings_halt_after_the_spending_node(
    tmp_path: Path, flags: list[str], reason: str
) -> None:
    proc = run_spend(tmp_path, *flags)
    assert proc.returncode == 1
    assert proc.stderr.splitlines()[-1] == "error: pipeline finished with status: budget_exceeded"
    head, why, spent = halted(proc.stdout)
    assert why == f"  reason: {reason}"
    assert spent.startswith("  spent:  1,002,000 tokens, $")
    assert "  Status:    ● budget_exceeded" in proc.stdout
    assert "ERROR:" not in proc.stdout
    assert marker_lines(tmp_path) == []  # the node after the breach never ran
    [run_dir] = run_dirs(tmp_path)
    assert f"  tracker -r {run_dir.name} p.dip" in proc.stdout


def test_limits_below_the_spend_let_the_run_finish(tmp_path: Path) -> None:
    proc = run_spend(tmp_path, "--max-tokens", "2000000", "--max-cost", "100000")
    assert proc.returncode == 0, proc.stderr
    assert "HALTED" not in proc.stdout
    assert marker_lines(tmp_path) == ["After"]


def test_wall_time_ceiling_halts_a_slow_run(tmp_path: Path) -> None:
    write(
        tmp_path / "p.dip",
        tool_pipeline(
            ("Slow", "sleep 0.4; echo Slow >> marker.txt"), ("Next", "echo Next >> marker.txt")
        ),
    )
    proc = tracker("p.dip", "--max-wall-time", "150ms", cwd=tmp_path)
    assert proc.returncode == 1
    _, why, spent = halted(proc.stdout)
    assert why == "  reason: wall_time"
    assert "wall time" in spent
    assert marker_lines(tmp_path) == ["Slow"]


def test_resume_after_a_budget_halt_continues_with_new_limits(tmp_path: Path) -> None:
    proc = run_spend(tmp_path, "--max-tokens", "5000")
    assert proc.returncode == 1
    [run_dir] = run_dirs(tmp_path)
    proc = tracker("-r", run_dir.name[:6], "p.dip", "--scripted", "s.yaml", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert marker_lines(tmp_path) == ["After"]
    assert "✓ resumed 2 completed nodes: Start, Spend" in proc.stdout
