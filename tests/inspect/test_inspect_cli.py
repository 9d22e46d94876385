"""`tracker diagnose`, `tracker audit` and `tracker list` on the reference's recorded runs
(cli-tui.md §7.7–§7.9): exact report layouts, run resolution, exit codes, `--json`."""

from __future__ import annotations

import json
import shutil

import pytest
from tracker.cli.app import run_cli

RULE_LEN = {"audit": 62, "section": 62, "recommendations": 60, "footer": 59, "suggestions": 59}


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run_cli(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_diagnose_failed_run_prints_the_failure_and_suggestions(workdir, capsys):
    code, out, err = cli(capsys, "diagnose", "failed", "-w", str(workdir))
    assert (code, err) == (0, "")
    assert out == (
        "\n"
        "tracker diagnose\n"
        "\n"
        "  Run ID:  failed-run\n"
        "  Nodes:   1 completed\n"
        "  Failures: 1\n"
        "\n"
        "  ✗ Build\n"
        "    Handler: tool\n"
        "    Duration (last): 1.0s\n"
        "    Attempts: 2 failures (all identical — deterministic)\n"
        "    Stderr:\n"
        "      bash: missing_tool: command not found\n"
        "    Errors:\n"
        "      exit 127\n"
        "\n"
        "─── Suggestions ───────────────────────────────────────────\n"
        "  → Build: Failed 2 times with identical errors — this is a deterministic bug in "
        "the command, not a transient failure. Retrying won't help. Fix the tool command in "
        "the .dip file and re-run.\n"
        "  → Build: Shell command failed — check that the working directory and required "
        "tools exist before running\n"
        "\n"
    )


def test_diagnose_single_failure_has_plain_duration_and_no_attempts_line(workdir, capsys):
    code, out, _ = cli(capsys, "diagnose", "doubled_llm", "-w", str(workdir))
    assert code == 0
    assert "    Duration: 1.0s\n" in out
    assert "Attempts:" not in out
    assert "  → Build: Shell command failed" in out
    assert "retry" not in out.lower()


def test_diagnose_budget_halt_prints_the_halt_block_only(workdir, capsys):
    code, out, _ = cli(capsys, "diagnose", "budget_halted", "-w", str(workdir))
    assert code == 0
    assert out == (
        "\n"
        "tracker diagnose\n"
        "\n"
        "  Run ID:  halted-run\n"
        "  Nodes:   1 completed\n"
        "\n"
        "━━━ Budget halt detected ━━━\n"
        "  breach:       max_total_tokens exceeded\n"
        "  tokens used:  120000\n"
        "  cost:         $0.4500\n"
        "  wall time:    30000ms\n"
        "  suggestion:   raise the relevant --max-tokens, --max-cost, or --max-wall-time "
        "flag,\n"
        "                or remove the Config.Budget value in your pipeline configuration\n"
        "\n"
    )


@pytest.mark.parametrize(
    ("run", "run_id", "nodes"),
    [
        ("ok", "ok-run", 2),
        ("marker_missing", "marker-missing-run", 1),
        ("route_missing", "route-missing-run", 1),
        ("auto_status_missing", "auto-status-missing-run", 1),
    ],
)
def test_diagnose_clean_runs_say_so(workdir, capsys, run, run_id, nodes):
    code, out, _ = cli(capsys, "diagnose", run, "-w", str(workdir))
    assert code == 0
    assert out == (
        f"\ntracker diagnose\n\n  Run ID:  {run_id}\n  Nodes:   {nodes} completed\n"
        "\n  No failures found — this run completed cleanly.\n\n"
    )


def test_diagnose_without_id_picks_the_newest_checkpoint(workdir, capsys):
    code, out, _ = cli(capsys, "diagnose", "-w", str(workdir))
    assert code == 0
    assert "  Run ID:  auto-status-missing-run\n" in out  # 2026-06-10, the newest


def test_flags_may_follow_or_precede_the_run_id(workdir, capsys):
    before = cli(capsys, "diagnose", "-w", str(workdir), "failed")
    after = cli(capsys, "diagnose", "failed", "--workdir", str(workdir))
    assert before == after
    assert before[0] == 0


def test_run_ids_resolve_by_unique_prefix(workdir, capsys):
    code, out, _ = cli(capsys, "audit", "doub", "-w", str(workdir))
    assert code == 0
    assert "  Run ID:    doubled-llm-run\n" in out


def test_ambiguous_prefix_is_an_error(workdir, capsys):
    shutil.copytree(workdir / ".tracker/runs/failed", workdir / ".tracker/runs/failed2")
    code, out, err = cli(capsys, "diagnose", "fai", "-w", str(workdir))
    assert (code, out) == (1, "")
    assert err == 'error: ambiguous run ID "fai" matches 2 runs: failed, failed2\n'
    # an exact name still wins over longer names sharing it as a prefix
    assert cli(capsys, "diagnose", "failed", "-w", str(workdir))[0] == 0


@pytest.mark.parametrize("command", ["diagnose", "audit", "list"])
def test_unknown_run_is_an_error_exit_1(workdir, capsys, command):
    code, out, err = cli(capsys, command, "nope", "-w", str(workdir))
    assert (code, out) == (1, "")
    runs = workdir / ".tracker" / "runs"
    assert err == f'error: no run found matching "nope" in {runs}\n'


def test_diagnose_with_no_runs_at_all_is_an_error(tmp_path, capsys):
    code, out, err = cli(capsys, "diagnose", "-w", str(tmp_path))
    assert (code, out, err) == (1, "", "error: no runs found — run a pipeline first\n")


def test_diagnose_when_no_checkpoint_loads(tmp_path, capsys):
    (tmp_path / ".tracker" / "runs" / "abc").mkdir(parents=True)
    code, _, err = cli(capsys, "diagnose", "-w", str(tmp_path))
    assert (code, err) == (1, "error: no runs found with valid checkpoints\n")


def test_diagnose_run_without_checkpoint_reports_load_error(tmp_path, capsys):
    (tmp_path / ".tracker" / "runs" / "abc").mkdir(parents=True)
    code, _, err = cli(capsys, "diagnose", "abc", "-w", str(tmp_path))
    assert code == 1
    assert err.startswith("error: load checkpoint: read checkpoint: open ")
    assert err.endswith("checkpoint.json: no such file or directory\n")


def test_audit_failed_run_full_report(workdir, capsys):
    code, out, err = cli(capsys, "audit", "failed", "-w", str(workdir))
    assert (code, err) == (0, "")
    assert out == (
        "\n"
        "═══ Audit Report ═════════════════════════════════════════════\n"
        "  Run ID:    failed-run\n"
        "  Status:    fail\n"
        "  Nodes:     1 completed\n"
        "  Restarts:  0\n"
        "  Timestamp: 2026-04-17 11:00:00 UTC\n"
        "\n"
        "─── Timeline ─────────────────────────────────────────────────\n"
        "  11:00:00  ▶ pipeline_started\n"
        "  11:00:01  ▸ Build — stage_started\n"
        "  11:00:02  ▸ Build — stage_failed (1.0s)\n"
        "  11:00:03  ▸ Build — stage_started\n"
        "  11:00:04  ▸ Build — stage_failed (1.0s)\n"
        "  11:00:05  ▶ pipeline_failed\n"
        "  Total: 5.0s\n"
        "\n"
        "─── Retries ──────────────────────────────────────────────────\n"
        "  Build:  2 retries\n"
        "\n"
        "─── Errors ───────────────────────────────────────────────────\n"
        "  11:00:02  [Build] exit 127\n"
        "  11:00:04  [Build] exit 127\n"
        "\n"
        "─── Recommendations ────────────────────────────────────────\n"
        "  • Consider adjusting retry_policy for Build (used 2 retries)\n"
        "  • Pipeline failed at Build — check error details above\n"
        "═══════════════════════════════════════════════════════════\n"
    )
    lines = out.splitlines()
    assert len(lines[1]) == RULE_LEN["audit"]
    assert len(lines[-1]) == RULE_LEN["footer"]


def test_audit_ok_run_has_empty_sections(workdir, capsys):
    code, out, _ = cli(capsys, "list", "ok", "-w", str(workdir))  # list <id> == audit <id>
    assert code == 0
    assert "  Status:    success\n" in out
    assert "  10:00:02  ▸ Start — stage_completed (1.0s)\n" in out
    assert out.count("  (none)\n") == 3  # retries, errors, recommendations


def test_audit_shows_node_less_events_with_a_triangle(workdir, capsys):
    code, out, _ = cli(capsys, "audit", "doubled_llm", "-w", str(workdir))
    assert code == 0
    assert "  11:00:01  ▶ request_start\n" in out
    assert "  11:00:01  ▸ Build — llm_request_start\n" in out
    assert "  Build:  " not in out  # no retry counts in the checkpoint


def test_audit_budget_halt_counts_as_fail_without_failed_at(workdir, capsys):
    code, out, _ = cli(capsys, "audit", "budget_halted", "-w", str(workdir))
    assert code == 0
    assert "  Status:    fail\n" in out
    assert "  12:00:02  ▶ budget_exceeded\n" in out
    assert "Recommendations ─" in out and "Pipeline failed at" not in out


@pytest.mark.parametrize("command", ["list", "audit"])
def test_list_table_newest_first(workdir, capsys, command):
    code, out, err = cli(capsys, command, "-w", str(workdir))
    assert (code, err) == (0, "")
    assert out == (
        "\n"
        "  Run ID          Status    Nodes   Retries   Duration    Failed At\n"
        "  ──────          ──────    ─────   ───────   ────────    ─────────\n"
        "  auto_status_mi  ok        1       0         10.0s       \n"
        "  route_missing   ok        1       0         2.0s        \n"
        "  marker_missing  ok        1       0         6.0s        \n"
        "  budget_halted   FAIL      1       0         2.0s        \n"
        "  doubled_llm     FAIL      1       0         3.0s        Build\n"
        "  failed          FAIL      1       2         5.0s        Build\n"
        "  ok              ok        2       0         5.0s        \n"
        "\n"
        "  7 runs total\n"
        "  Inspect a run: tracker audit <runID>\n"
        "\n"
    )


@pytest.mark.parametrize("command", ["list", "audit"])
def test_list_in_an_empty_workdir(tmp_path, capsys, command):
    code, out, err = cli(capsys, command, "-w", str(tmp_path))
    assert (code, out, err) == (0, "No runs found. Run a pipeline first.\n", "")
    (tmp_path / ".tracker" / "runs").mkdir(parents=True)
    assert cli(capsys, command, "-w", str(tmp_path))[1] == "No runs found. Run a pipeline first.\n"


def test_list_defaults_to_the_current_directory(workdir, capsys, monkeypatch):
    monkeypatch.chdir(workdir)
    code, out, _ = cli(capsys, "list")
    assert code == 0 and "  7 runs total\n" in out


def test_diagnose_json_shape(workdir, capsys):
    code, out, _ = cli(capsys, "diagnose", "failed", "-w", str(workdir), "--json")
    assert code == 0
    doc = json.loads(out)
    assert list(doc) == ["run_id", "completed_nodes", "failures", "suggestions"]
    assert doc["failures"] == [
        {
            "node_id": "Build",
            "outcome": "fail",
            "handler": "tool",
            "duration_ns": 1_000_000_000,
            "retry_count": 2,
            "identical_retries": True,
            "stderr": "bash: missing_tool: command not found",
            "errors": ["exit 127", "exit 127"],
        }
    ]
    assert [(s["node_id"], s["kind"]) for s in doc["suggestions"]] == [
        ("Build", "retry_pattern"),
        ("Build", "shell_command"),
    ]


def test_diagnose_json_budget_halt_and_clean_lists(workdir, capsys):
    doc = json.loads(cli(capsys, "diagnose", "budget_halted", "-w", str(workdir), "--json")[1])
    assert doc == {
        "run_id": "halted-run",
        "completed_nodes": 1,
        "budget_halt": {
            "total_tokens": 120000,
            "total_cost_usd": 0.45,
            "wall_elapsed_ms": 30000,
            "message": "max_total_tokens exceeded",
        },
        "failures": [],
        "suggestions": [
            {
                "kind": "budget",
                "message": "Raise the relevant --max-tokens, --max-cost, or --max-wall-time "
                "flag, or remove the Config.Budget value",
            }
        ],
    }
    clean = json.loads(cli(capsys, "diagnose", "ok", "-w", str(workdir), "--json")[1])
    assert clean == {"run_id": "ok-run", "completed_nodes": 2, "failures": [], "suggestions": []}


def test_audit_json_shape(workdir, capsys):
    doc = json.loads(cli(capsys, "audit", "failed", "-w", str(workdir), "--json")[1])
    assert list(doc) == [
        "run_id",
        "status",
        "total_duration_ns",
        "timeline",
        "retries",
        "errors",
        "recommendations",
        "completed_nodes",
        "restart_count",
        "checkpoint_timestamp",
    ]
    assert doc["total_duration_ns"] == 5_000_000_000
    assert doc["timeline"][0] == {"ts": "2026-04-17T11:00:00Z", "type": "pipeline_started"}
    assert doc["timeline"][2] == {
        "ts": "2026-04-17T11:00:02Z",
        "type": "stage_failed",
        "node_id": "Build",
        "duration_ns": 1_000_000_000,
    }
    assert doc["retries"] == [{"node_id": "Build", "attempts": 2}]
    assert doc["errors"][0] == {
        "ts": "2026-04-17T11:00:02Z",
        "node_id": "Build",
        "message": "exit 127",
    }
    assert doc["checkpoint_timestamp"] == "2026-04-17T11:00:00Z"
    ok = json.loads(cli(capsys, "audit", "ok", "-w", str(workdir), "--json")[1])
    assert "retries" not in ok and "errors" not in ok and "recommendations" not in ok


def test_list_json(workdir, capsys):
    doc = json.loads(cli(capsys, "list", "-w", str(workdir), "--json")[1])
    assert [r["run_id"] for r in doc][:2] == ["auto_status_missing", "route_missing"]
    failed = next(r for r in doc if r["run_id"] == "failed")
    assert failed == {
        "run_id": "failed",
        "status": "fail",
        "nodes": 1,
        "retries": 2,
        "restarts": 0,
        "timestamp": "2026-04-17T11:00:00Z",
        "duration_ns": 5_000_000_000,
        "failed_at": "Build",
    }
    assert "failed_at" not in next(r for r in doc if r["run_id"] == "ok")
    _, out, _ = cli(capsys, "list", "-w", str(workdir / "nowhere"), "--json")
    assert json.loads(out) == []


def test_inspection_never_modifies_the_run_directory(workdir, capsys):
    before = {p: p.read_bytes() for p in workdir.rglob("*") if p.is_file()}
    for command in ("diagnose", "audit"):
        for name in ("failed", "ok", "budget_halted"):
            cli(capsys, command, name, "-w", str(workdir))
    cli(capsys, "list", "-w", str(workdir))
    after = {p: p.read_bytes() for p in workdir.rglob("*") if p.is_file()}
    assert before == after


def test_usage_lists_the_inspection_commands(capsys):
    _, out, _ = cli(capsys, "--help")
    for word in ("diagnose [runID]", "audit [runID]", "list "):
        assert word in out


def test_rules_have_the_reference_widths():
    from tracker.cli.audit import (
        AUDIT_RULE,
        ERRORS_RULE,
        FOOTER_RULE,
        RECOMMENDATIONS_RULE,
        RETRIES_RULE,
        TIMELINE_RULE,
    )
    from tracker.cli.diagnose import SUGGESTIONS_RULE

    assert len(AUDIT_RULE) == RULE_LEN["audit"]
    assert {len(TIMELINE_RULE), len(RETRIES_RULE), len(ERRORS_RULE)} == {RULE_LEN["section"]}
    assert len(RECOMMENDATIONS_RULE) == RULE_LEN["recommendations"]
    assert len(FOOTER_RULE) == RULE_LEN["footer"]
    assert len(SUGGESTIONS_RULE) == RULE_LEN["suggestions"]
