"""`tracker-swebench analyze` on results directories built per cli-tui §12.3/§12.4."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tracker_swebench.cli import run_cli


def analyze(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run_cli(["analyze", *[str(a) for a in args]])
    out, err = capsys.readouterr()
    return code, out, err


def analyze_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    code, out, err = analyze(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


# -- counts, classification ------------------------------------------------------------


def test_counts_without_evaluator_are_patched_unverified(results, capsys):
    results.prediction("django__django-1").prediction("django__django-2", patch="")
    results.prediction("sympy__sympy-3").log("sympy__sympy-3", error="agent-runner: boom")
    report = analyze_json(capsys, results.dir)
    c = report["counts"]
    assert (c["total"], c["patched_unverified"], c["empty"], c["errors"]) == (3, 1, 1, 1)
    assert (c["resolved"], c["unresolved"], c["resolved_known"]) == (0, 0, False)
    assert c["patched_unverified_pct"] == pytest.approx(100 / 3)
    assert c["errors_pct"] == pytest.approx(100 / 3)
    assert "evaluator_report_path" not in report


def test_counts_with_evaluator_split_resolved_and_unresolved(results, capsys):
    for iid in ("a__b-1", "a__b-2", "a__b-3", "a__b-4"):
        results.prediction(iid)
    results.evaluator("resolved_ids.json", {"resolved_ids": ["a__b-1", "a__b-2", "zzz"]})
    report = analyze_json(capsys, results.dir)
    c = report["counts"]
    assert (c["resolved"], c["unresolved"], c["patched_unverified"]) == (2, 2, 0)
    assert c["resolved_pct"] == 50 and c["resolved_known"] is True
    assert report["evaluator_report_path"] == str(results.dir / "resolved_ids.json")


def test_error_beats_empty_and_resolved(results, capsys):
    results.prediction("a__b-1", patch="").log("a__b-1", error="clone repo: failed")
    results.prediction("a__b-2").log("a__b-2", error="agent-runner: exit status 1")
    results.evaluator("report.json", {"resolved_ids": ["a__b-2"]})
    c = analyze_json(capsys, results.dir)["counts"]
    assert (c["errors"], c["empty"], c["resolved"]) == (2, 0, 0)


def test_last_prediction_line_wins_and_bad_lines_are_skipped(results, capsys):
    results.prediction("a__b-1", patch="").prediction("a__b-1", patch="diff")
    results.prediction("a__b-2", patch="diff").prediction("a__b-2", patch="")
    results.raw_prediction_line("{not json")
    results.raw_prediction_line('{"model_patch": "no id"}')
    results.raw_prediction_line('{"instance_id": 7, "model_patch": "wrong type"}')
    results.raw_prediction_line("[1, 2]")
    c = analyze_json(capsys, results.dir)["counts"]
    assert (c["total"], c["patched_unverified"], c["empty"]) == (2, 1, 1)


def test_orphan_logs_and_transcripts_are_ignored(results, capsys):
    results.prediction("a__b-1")
    results.log("orphan__x-1", error="boom").diagnostic("orphan__x-2")
    (results.logs / "a__b-1.transcript.log").write_text("error: not a log\n")
    report = analyze_json(capsys, results.dir)
    assert report["counts"]["total"] == 1
    assert report["counts"]["errors"] == 0


# -- logs -------------------------------------------------------------------------------


def test_log_fields_feed_the_longest_unresolved_table(results, capsys):
    results.prediction("a__b-1").log(
        "a__b-1", elapsed="1h2m3s", turns=30, input_tokens=1234, output_tokens=56
    )
    results.prediction("a__b-2").log("a__b-2", elapsed="weird", turns=30)
    results.prediction("a__b-3").log("a__b-3", elapsed="45s", turns=31)
    rows = analyze_json(capsys, results.dir)["top_longest_unresolved"]
    assert [r["instance_id"] for r in rows] == ["a__b-3", "a__b-1", "a__b-2"]
    assert rows[1] == {
        "instance_id": "a__b-1",
        "turns": 30,
        "elapsed": "1h2m3s",
        "elapsed_secs": 3723,
        "input_tokens": 1234,
        "output_tokens": 56,
    }
    assert rows[2]["elapsed_secs"] == 0 and rows[0]["elapsed_secs"] == 45


def test_longest_unresolved_excludes_resolved_empty_and_errors(results, capsys):
    results.prediction("a__b-1").log("a__b-1", turns=50)
    results.prediction("a__b-2").log("a__b-2", turns=10)
    results.prediction("a__b-3", patch="").log("a__b-3", turns=99)
    results.prediction("a__b-4").log("a__b-4", turns=99, error="boom")
    results.evaluator("x.report.json", {"resolved_ids": ["a__b-1"]})
    rows = analyze_json(capsys, results.dir)["top_longest_unresolved"]
    assert [r["instance_id"] for r in rows] == ["a__b-2"]


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        ("git apply failed", "patch"),
        ("error: patch does not apply", "patch"),
        ("CORRUPT PATCH at line 3", "patch"),
        ("malformed patch", "patch"),
        ("clone repo: docker exec: exit status 128", "setup"),
        ("checkout commit: bad ref", "setup"),
        ("pip install exploded", "setup"),
        ("exit status 128\nfatal: bad object", "setup"),
        ("exit status 128 from git", "setup"),
        ("exit status 128", "harness"),
        ("agent-runner: exit status 1", "harness"),
    ],
)
def test_error_classes(results, capsys, error, expected):
    results.prediction("a__b-1").log("a__b-1", error=error)
    dist = analyze_json(capsys, results.dir)["error_classes"]
    assert dist["total"] == 1 and dist[expected] == 1
    assert dist["samples"][0]["class"] == expected


def test_multiline_error_text_and_write_prediction_error(results, capsys):
    results.prediction("a__b-1").log("a__b-1", error="agent-runner: failed\nstderr:\n  git apply x")
    results.prediction("a__b-2").log("a__b-2", write_error="disk full")
    dist = analyze_json(capsys, results.dir)["error_classes"]
    assert (dist["total"], dist["patch"], dist["harness"]) == (2, 1, 1)
    by_id = {s["instance_id"]: s for s in dist["samples"]}
    assert by_id["a__b-1"]["message"] == "agent-runner: failed stderr: git apply x"
    assert by_id["a__b-2"]["message"] == "disk full"


def test_write_prediction_error_forces_harness_class(results, capsys):
    results.prediction("a__b-1").log("a__b-1", write_error="x", error="clone repo: failed")
    dist = analyze_json(capsys, results.dir)["error_classes"]
    assert dist["harness"] == 1 and dist["setup"] == 0


def test_error_samples_three_per_class_in_class_then_id_order(results, capsys):
    for n in range(5):
        results.prediction(f"h__h-{n}").log(f"h__h-{n}", error="boom " + "x" * 300)
    results.prediction("s__s-1").log("s__s-1", error="pip install failed")
    dist = analyze_json(capsys, results.dir)["error_classes"]
    assert [(s["class"], s["instance_id"]) for s in dist["samples"]] == [
        ("setup", "s__s-1"),
        ("harness", "h__h-0"),
        ("harness", "h__h-1"),
        ("harness", "h__h-2"),
    ]
    msg = dist["samples"][1]["message"]
    assert len(msg) == 201 and msg.endswith("\u2026")


# -- empty patches ----------------------------------------------------------------------


def test_top_empty_patches_rank_diagnostics_first_then_turns(results, capsys):
    results.prediction("a__b-1", patch="").log("a__b-1", turns=40)
    results.prediction("a__b-2", patch="").log("a__b-2", turns=0).diagnostic("a__b-2", turns=9)
    results.prediction("a__b-3", patch="").log("a__b-3", turns=12).diagnostic(
        "a__b-3", final_message="  many\n\n   spaces  " + "y" * 300, last_tool_calls=[]
    )
    sec = analyze_json(capsys, results.dir)["top_empty_patches"]
    assert sec["diagnostics_available"] is True
    assert (sec["total_empty"], sec["diagnostics_found"]) == (3, 2)
    assert "notes" not in sec
    ids = [e["instance_id"] for e in sec["instances"]]
    assert ids == ["a__b-3", "a__b-2", "a__b-1"]
    first, second, third = sec["instances"]
    assert second["turns"] == 9  # the log said 0, the diagnostic supplies it
    assert first["final_message"].startswith("many spaces yyy")
    assert len(first["final_message"]) == 201
    assert third["termination_reason"] == "" and third["last_tool_calls"] in ([], None)


def test_empty_patches_without_diagnostics_are_degraded(results, capsys):
    results.prediction("a__b-1", patch="").log("a__b-1", turns=3)
    results.prediction("a__b-2", patch="").log("a__b-2", turns=8)
    sec = analyze_json(capsys, results.dir)["top_empty_patches"]
    assert sec["diagnostics_available"] is False
    assert "no diagnostic data" in sec["notes"]
    assert [e["instance_id"] for e in sec["instances"]] == ["a__b-2", "a__b-1"]
    code, out, _ = analyze(capsys, results.dir)
    assert "  no diagnostic data" in out
    assert "    - a__b-2 (turns: 8)\n    - a__b-1 (turns: 3)\n" in out


def test_top_limits_rows_and_non_positive_means_ten(results, capsys):
    for n in range(12):
        results.prediction(f"a__b-{n:02d}").log(f"a__b-{n:02d}", turns=n)
        results.prediction(f"e__e-{n:02d}", patch="")
    report = analyze_json(capsys, results.dir, "--top", "3")
    assert [r["turns"] for r in report["top_longest_unresolved"]] == [11, 10, 9]
    assert len(report["top_empty_patches"]["instances"]) == 3
    assert report["top_empty_patches"]["total_empty"] == 12
    report = analyze_json(capsys, results.dir, "--top=0")
    assert len(report["top_longest_unresolved"]) == 10


# -- per repo ----------------------------------------------------------------------------


def test_per_repo_groups_by_id_and_sorts_by_rate_total_name(results, capsys):
    results.prediction("django__django-1").prediction("django__django-2", patch="")
    results.prediction("psf__requests-1").prediction("psf__requests-2")
    results.prediction("zeta__zeta-1").prediction("alpha__alpha-1")
    results.prediction("scikit-learn__scikit-learn-13142")
    results.prediction("noseparator-1", patch="")
    rows = analyze_json(capsys, results.dir)["per_repo"]
    assert [r["repo"] for r in rows] == [
        "psf/requests",
        "alpha/alpha",
        "scikit-learn/scikit-learn",
        "zeta/zeta",
        "django/django",
        "unknown",
    ]
    django = rows[4]
    assert (django["total"], django["patched_unverified"], django["empty"]) == (2, 1, 1)
    assert django["rate"] == 50 and django["resolved_known"] is False


def test_per_repo_rate_is_resolve_rate_with_evaluator(results, capsys):
    results.prediction("a__x-1").prediction("a__x-2").prediction("b__y-1")
    results.evaluator("resolution.json", ["a__x-1", "b__y-1"])
    rows = analyze_json(capsys, results.dir)["per_repo"]
    assert [(r["repo"], r["rate"], r["resolved"], r["unresolved"]) for r in rows] == [
        ("b/y", 100, 1, 0),
        ("a/x", 50, 1, 1),
    ]


# -- evaluator discovery ------------------------------------------------------------------


def test_evaluator_files_tried_in_name_order_first_usable_wins(results, capsys):
    results.prediction("a__b-1").prediction("a__b-2")
    results.evaluator("a.report.json", {"something": "else"})  # not usable
    results.evaluator("b.evaluation.json", "{broken")  # not usable
    results.evaluator("c.report.json", {"resolved_ids": ["a__b-2"]})
    results.evaluator("resolved_ids.json", ["a__b-1", "a__b-2"])
    results.evaluator("notes.json", ["a__b-1"])  # not a candidate name
    report = analyze_json(capsys, results.dir)
    assert report["evaluator_report_path"].endswith("c.report.json")
    assert report["counts"]["resolved"] == 1


def test_empty_evaluator_array_means_known_zero_resolved(results, capsys):
    results.prediction("a__b-1")
    results.evaluator("resolved_ids.json", [])
    c = analyze_json(capsys, results.dir)["counts"]
    assert c["resolved_known"] is True and (c["resolved"], c["unresolved"]) == (0, 1)


# -- text report ----------------------------------------------------------------------------


def test_text_report_sections_with_evaluator(results, capsys):
    results.run_meta(gateway_url="https://gw.example")
    results.prediction("django__django-1").log("django__django-1", elapsed="2m3s", turns=7)
    results.prediction("django__django-2").log(
        "django__django-2", elapsed="8m0s", turns=20, input_tokens=0, output_tokens=0
    )
    results.prediction("astropy__astropy-1", patch="").diagnostic(
        "astropy__astropy-1", turns=4, termination_reason="max_turns_reached"
    )
    results.prediction("sympy__sympy-9").log("sympy__sympy-9", error="git apply: corrupt patch")
    results.evaluator("resolved_ids.json", {"resolved_ids": ["django__django-1"]})
    code, out, err = analyze(capsys, results.dir)
    assert code == 0, err
    expected_head = (
        "tracker-swebench analyze\n"
        "========================\n"
        f"Results dir: {results.dir}\n"
        "Model:       claude-sonnet-4-6  (provider: anthropic, gateway: https://gw.example)\n"
        "Max turns:   50    Timeout: 30m0s\n"
        "Commit:      0123456789ab\n"
        f"Evaluator:   {results.dir / 'resolved_ids.json'}\n"
        "\n"
        "## Overall counts\n"
        "\n"
        "  Total:              4\n"
        "  Resolved:           1 (25.0%)\n"
        "  Unresolved:         1 (25.0%)\n"
        "  Empty:              1 (25.0%)\n"
        "  Errors:             1 (25.0%)\n"
        "\n"
        "## Per-repo breakdown\n"
        "\n"
        "  Repo             Total  Resolved  Unresolved  Empty  Errors   Rate\n"
        "  " + "-" * 68 + "\n"
        "  django/django        2         1           1      0       0  50.0%\n"
        "  astropy/astropy      1         0           0      1       0   0.0%\n"
        "  sympy/sympy          1         0           0      0       1   0.0%\n"
        "\n"
        "## Top empty-patch instances (1 total)\n"
        "\n"
        "  diagnostics found for 1/1 empty-patch instances.\n"
        "\n"
        "  1. astropy__astropy-1\n"
        "     turns: 4   termination: max_turns_reached\n"
        "     last tools: read_file \u2192 grep \u2192 bash\n"
        "     final: I could not find the bug\n"
        "\n"
        "## Top longest unresolved instances\n"
        "\n"
        "  Instance          Turns    Elapsed  Input tokens  Output tokens\n"
        "  " + "-" * 62 + "\n"
        "  django__django-2     20       8m0s             -             -\n"
        "\n"
        "## Error class distribution\n"
        "\n"
        "  Total errors:  1\n"
        "  Setup:         0 (0.0%)\n"
        "  Patch:         1 (100.0%)\n"
        "  Harness:       0 (0.0%)\n"
        "\n"
        "  Samples (up to 3 per class):\n"
        "    [patch] sympy__sympy-9\n"
        "         git apply: corrupt patch\n"
        "\n"
    )
    assert out == expected_head


def test_text_report_without_evaluator_and_meta(results, capsys):
    results.prediction("django__django-1").log("django__django-1")
    code, out, _ = analyze(capsys, results.dir)
    assert code == 0
    assert "Model:" not in out and "Evaluator:" not in out
    assert "  Patched (unverified): 1 (100.0%)\n" in out
    assert "  (no evaluator report \u2014 resolution status unknown)\n" in out
    assert "  Repo           Total    Patched  Empty  Errors  Patch rate\n" in out
    assert "  django/django      1          1      0       0      100.0%\n" in out
    assert "## Top longest non-resolved-or-empty instances\n" in out
    assert "## Top empty-patch instances (0 total)\n\n  (no empty-patch instances)\n" in out
    assert "## Error class distribution\n\n  (no errors)\n" in out


def test_empty_predictions_file_prints_empty_sections_and_warns(results, capsys):
    results.predictions.write_text("\n\n")
    code, out, err = analyze(capsys, results.dir)
    assert code == 0
    assert "lists no instances" in err
    for marker in (
        "(no instances found)",
        "(no repos)",
        "(no empty-patch instances)",
        "(no candidates)",
        "(no errors)",
    ):
        assert marker in out


def test_json_report_key_order(results, capsys):
    results.run_meta().prediction("a__b-1", patch="")
    report = analyze_json(capsys, results.dir)
    assert list(report) == [
        "results_dir",
        "run_meta",
        "counts",
        "per_repo",
        "top_empty_patches",
        "top_longest_unresolved",
        "error_classes",
    ]
    assert list(report["counts"]) == [
        "total",
        "resolved",
        "unresolved",
        "patched_unverified",
        "empty",
        "errors",
        "resolved_pct",
        "unresolved_pct",
        "patched_unverified_pct",
        "empty_pct",
        "errors_pct",
        "resolved_known",
    ]
    assert list(report["top_empty_patches"]) == [
        "diagnostics_available",
        "notes",
        "total_empty",
        "diagnostics_found",
        "instances",
    ]
    assert report["run_meta"]["timeout"] == "30m0s"
    assert "gateway_url" not in report["run_meta"]
    assert report["results_dir"] == str(results.dir)


# -- flags and locations -------------------------------------------------------------------


def test_flags_before_or_after_the_directory_and_single_dash(results, capsys):
    results.prediction("a__b-1")
    for args in (
        ["--json", str(results.dir)],
        [str(results.dir), "--json"],
        [str(results.dir), "-json", "-top", "2"],
        [str(results.dir), "--json=true"],
    ):
        code, out, _ = analyze(capsys, *args)
        assert code == 0 and json.loads(out)["counts"]["total"] == 1
    code, out, _ = analyze(capsys, str(results.dir), "--json=false")
    assert out.startswith("tracker-swebench analyze\n")


def test_predictions_found_next_to_results_dir(tmp_path, capsys):
    (tmp_path / "results").mkdir()
    (tmp_path / "predictions.jsonl").write_text(
        json.dumps({"instance_id": "a__b-1", "model_patch": ""}) + "\n"
    )
    report = analyze_json(capsys, tmp_path / "results")
    assert report["counts"]["empty"] == 1


def test_predictions_flag_overrides_discovery(results, tmp_path, capsys):
    results.prediction("a__b-1")
    other = tmp_path / "elsewhere.jsonl"
    other.write_text(json.dumps({"instance_id": "x__y-1", "model_patch": "p"}) + "\n")
    report = analyze_json(capsys, results.dir, "--predictions", other)
    assert [r["repo"] for r in report["per_repo"]] == ["x/y"]


def test_help_prints_usage_on_stdout(capsys):
    code, out, err = analyze(capsys, "-h")
    assert code == 0 and "tracker-swebench analyze <results-dir>" in out and err == ""


# -- errors --------------------------------------------------------------------------------


def test_missing_directory_argument(capsys):
    code, out, err = analyze(capsys)
    assert code == 1
    assert "Usage:" in err
    assert err.rstrip().endswith("error: analyze: missing <results-dir> argument")


def test_results_dir_missing_or_a_file(tmp_path, capsys):
    code, _, err = analyze(capsys, tmp_path / "nope")
    assert code == 1 and "not found" in err and "Traceback" not in err
    (tmp_path / "file").write_text("x")
    code, _, err = analyze(capsys, tmp_path / "file")
    assert code == 1 and "is not a directory" in err


def test_missing_predictions_names_both_candidates(tmp_path, capsys):
    (tmp_path / "results").mkdir()
    code, _, err = analyze(capsys, tmp_path / "results")
    assert code == 1
    assert str(tmp_path / "results" / "predictions.jsonl") in err
    assert str(tmp_path / "predictions.jsonl") in err
    assert "--predictions" in err


def test_predictions_flag_file_not_found(results, capsys):
    results.prediction("a__b-1")
    code, _, err = analyze(capsys, results.dir, "--predictions", "missing.jsonl")
    assert code == 1
    assert err.strip() == 'error: --predictions "missing.jsonl": file not found'


@pytest.mark.parametrize("content", ["{broken", "[1, 2]", '{"max_turns": "many"}'])
def test_malformed_run_meta_is_an_error(results, capsys, content):
    results.prediction("a__b-1")
    (results.dir / "run_meta.json").write_text(content)
    code, out, err = analyze(capsys, results.dir)
    assert code == 1 and out == ""
    assert "run_meta.json" in err and "Traceback" not in err


def test_malformed_side_files_are_tolerated(results, capsys):
    results.prediction("a__b-1", patch="")
    (results.logs / "a__b-1.empty-patch.json").write_text("{nope")
    (results.logs / "a__b-1.log").write_bytes(b"turns: 4\n\xff\xfe garbage\nturns: x\n")
    sec = analyze_json(capsys, results.dir)["top_empty_patches"]
    assert sec["diagnostics_found"] == 0
    assert sec["instances"][0]["turns"] == 4


@pytest.mark.parametrize("bad", ["abc", "1.5"])
def test_bad_top_value_is_a_usage_error(results, capsys, bad):
    results.prediction("a__b-1")
    code, _, err = analyze(capsys, results.dir, "--top", bad)
    assert code == 1 and f'invalid value "{bad}" for flag --top' in err


def test_analyze_imports_nothing_heavy(results):
    import subprocess
    import sys

    results.prediction("a__b-1")
    probe = (
        "import sys\n"
        "from tracker_swebench.cli import run_cli\n"
        f"run_cli(['analyze', {str(results.dir)!r}])\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in "
        "('anthropic', 'openai', 'textual', 'acp', 'httpx', 'docker')]\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True).stdout
    assert "HEAVY []" in out


def test_console_script_module_entry(results):
    import subprocess
    import sys

    results.prediction("a__b-1")
    proc = subprocess.run(
        [sys.executable, "-m", "tracker_swebench", "analyze", str(results.dir), "--json"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["counts"]["total"] == 1


def test_results_dir_path_is_absolute_and_clean(results, capsys, monkeypatch):
    results.prediction("a__b-1")
    monkeypatch.chdir(results.root)
    report = analyze_json(capsys, "./results/")
    assert report["results_dir"] == str(Path(results.root / "results"))
