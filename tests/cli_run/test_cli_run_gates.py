"""Human gates from the CLI (cli-tui.md §4.8, §10.2): auto-approve, autopilot, console
prompts on stderr when stdin is not a terminal."""

from __future__ import annotations

from pathlib import Path

from cli_run_support import marker_lines, ndjson, tracker, write

GATE = """workflow gate
  start: Start
  exit: Done

  agent Start
    label: Start

  human Pick
    label: "Which way?"
    mode: choice
    default: Right

  tool Left
    timeout: 30s
    command:
      echo Left >> marker.txt

  tool Right
    timeout: 30s
    command:
      echo Right >> marker.txt

  agent Done
    label: Done

  edges
    Start -> Pick
    Pick -> Left  label: Left
    Pick -> Right  label: Right
    Left -> Done
    Right -> Done
"""


def test_auto_approve_answers_the_default_choice(tmp_path: Path) -> None:
    write(tmp_path / "g.dip", GATE)
    proc = tracker("g.dip", "--auto-approve", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines()[0] == (
        "Running in auto-approve mode — all human gates auto-approved"
    )
    assert marker_lines(tmp_path) == ["Right"]


def test_auto_approve_without_a_default_takes_the_first_option(tmp_path: Path) -> None:
    write(tmp_path / "g.dip", GATE.replace("    default: Right\n", ""))
    proc = tracker("g.dip", "--auto-approve", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert marker_lines(tmp_path) == ["Left"]


def test_console_prompt_goes_to_stderr_and_reads_stdin(tmp_path: Path) -> None:
    write(tmp_path / "g.dip", GATE)
    proc = tracker("g.dip", "--json", cwd=tmp_path, stdin="1\n")
    assert proc.returncode == 0, proc.stderr
    assert "Which way?" in proc.stderr
    assert "Enter choice [Right]: " in proc.stderr
    ndjson(proc.stdout)  # the prompt did not pollute stdout
    assert marker_lines(tmp_path) == ["Left"]


def test_autopilot_without_any_provider_falls_back_to_auto_approve(tmp_path: Path) -> None:
    write(tmp_path / "g.dip", GATE)
    proc = tracker("g.dip", "--autopilot", "HARD", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Running in autopilot mode (persona: hard) — human gates answered by LLM" in proc.stderr
    assert "auto-approving gates" in proc.stderr
    assert marker_lines(tmp_path) == ["Right"]


def test_autopilot_asks_the_scripted_judge(tmp_path: Path) -> None:
    write(tmp_path / "g.dip", GATE)
    write(
        tmp_path / "judge.yaml",
        'default:\n  text: \'{"choice": "Left", "reasoning": "left is shorter"}\'\n',
    )
    proc = tracker("g.dip", "--autopilot", "mid", "--scripted", "judge.yaml", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert marker_lines(tmp_path) == ["Left"]


def test_an_unreachable_webhook_stops_the_run_with_one_error(tmp_path: Path) -> None:
    write(tmp_path / "g.dip", GATE)
    proc = tracker(
        "g.dip",
        "--webhook-url",
        "http://127.0.0.1:9/hook",
        "--gate-callback-addr",
        "127.0.0.1:0",
        cwd=tmp_path,
    )
    assert proc.returncode == 1
    last = proc.stderr.splitlines()[-1]
    assert last.startswith("error: ") and "webhook post failed: cannot reach" in last
    assert marker_lines(tmp_path) == []


OVERRIDE = """workflow overridden
  start: Start
  exit: Done

  agent Start
    label: Start

  tool Check
    timeout: 10s
    command:
      exit 1

  human Escalate
    label: Escalate
    mode: freeform

  tool Cleanup
    timeout: 10s
    command:
      echo Cleanup >> marker.txt

  agent Done
    label: Done

  edges
    Start -> Check
    Check -> Cleanup  when ctx.outcome = success
    Check -> Escalate  when ctx.outcome = fail
    Escalate -> Cleanup  label: "accept"  override: true
    Escalate -> Done  label: "abandon"
    Cleanup -> Done
"""


def test_override_succeeds_unless_fail_on_override_is_asked(tmp_path: Path) -> None:
    write(tmp_path / "o.dip", OVERRIDE)
    proc = tracker("o.dip", "--auto-approve", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "  Status:    ● validation_overridden" in proc.stdout
    proc = tracker("o.dip", "--auto-approve", "--fail-on-override", cwd=tmp_path)
    assert proc.returncode == 2
    proc = tracker("o.dip", "--auto-approve", cwd=tmp_path, env={"TRACKER_FAIL_ON_OVERRIDE": "1"})
    assert proc.returncode == 2
    assert marker_lines(tmp_path) == ["Cleanup"] * 3
