"""The run verb: flag handling, dataset loading, results layout, resume and the
docker-missing path (cli-tui §12.1–§12.3). Instances run through a fake harness here;
docker itself is never needed."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from tracker_swebench.cli import build_run_config, execute_run, run_cli
from tracker_swebench.dataset import DatasetError, load_dataset
from tracker_swebench.harness import HarnessUnavailable, InstanceJob, InstanceRun
from tracker_swebench.models import AgentSummary
from tracker_swebench.runner import BenchmarkRun, RunConfig, agent_env


def record(iid: str, repo: str = "django/django", **extra: Any) -> dict[str, Any]:
    data = {
        "instance_id": iid,
        "repo": repo,
        "base_commit": "abc123",
        "problem_statement": f"Problem of {iid}",
        "hints_text": "",
        "version": "3.0",
        "environment_setup_commit": "def456",
    }
    data.update(extra)
    return data


def write_dataset(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run_cli([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    return write_dataset(
        tmp_path / "ds.jsonl",
        [record("django__django-1"), record("astropy__astropy-2", repo="astropy/astropy")],
    )


# -- flags -------------------------------------------------------------------------------


def test_dataset_is_required(capsys):
    code, out, err = cli(capsys)
    assert code == 1 and out == ""
    assert "--dataset is required" in err and "Traceback" not in err


@pytest.mark.parametrize("word", ["help", "-h", "--help"])
def test_help_words_print_usage(capsys, word):
    code, out, err = cli(capsys, word)
    assert code == 0 and err == ""
    assert "tracker-swebench --dataset <file.jsonl>" in out
    assert "tracker-swebench analyze <results-dir>" in out


def test_run_flag_defaults():
    cfg = build_run_config(
        dataset="d.jsonl",
        model="claude-sonnet-4-6",
        provider="anthropic",
        gateway_url="",
        output="./predictions.jsonl",
        results_dir="./results",
        max_turns="50",
        timeout="30m",
        instance="",
        force=False,
        docker_image="tracker-swebench-base",
    )
    assert cfg == RunConfig(dataset="d.jsonl")
    assert cfg.timeout_text == "30m0s"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--timeout", "5"], 'invalid value "5" for flag --timeout'),
        (["--timeout", "soon"], 'invalid value "soon" for flag --timeout'),
        (["--timeout", "0"], "--timeout must be positive"),
        (["--max-turns", "many"], 'invalid value "many" for flag --max-turns'),
        (["--max-turns", "0"], "--max-turns must be at least 1"),
        (["--provider", "gemini"], '--provider "gemini" is not supported'),
        (["--force=maybe"], 'invalid boolean value "maybe" for flag --force'),
        (["--bogus"], "No such option: --bogus"),
        (["extra"], "unexpected extra argument"),
        (["--docker-image="], "--docker-image must not be empty"),
    ],
)
def test_bad_run_flags_are_usage_errors(capsys, dataset, args, message):
    code, out, err = cli(capsys, "--dataset", dataset, *args)
    assert code == 1 and out == ""
    assert err.startswith("Error: ")
    assert message in err
    assert "Usage:" in err and "Traceback" not in err


def test_go_flag_spellings_are_accepted(tmp_path, capsys, dataset, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(
        capsys, "-dataset", dataset, "-instance=nope", "--timeout=1h30m", "--force=false"
    )
    assert code == 1
    assert err.strip() == 'error: instance "nope" not found in dataset'


# -- dataset -----------------------------------------------------------------------------


def test_dataset_parsing(tmp_path):
    path = tmp_path / "ds.jsonl"
    path.write_text(
        json.dumps(record("a__b-1", hints_text="look at x"))
        + "\n\n   \n"
        + json.dumps(record("a__b-2", hints_text=None, extra_field=1))
        + "\n"
    )
    first, second = load_dataset(path)
    assert first.agent_prompt() == "Problem of a__b-1\n\n## Hints\n\nlook at x"
    assert second.agent_prompt() == "Problem of a__b-2"
    assert first.repo_url == "https://github.com/django/django.git"
    assert first.cache_name == "django_django.git"


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (['{"instance_id": "a__b-1"}', "{oops"], "line 2: invalid JSON"),
        (['{"instance_id": "a__b-1"}', "", '["list"]'], "line 3: expected a JSON object"),
        (['{"instance_id": 12}'], "line 1: instance_id"),
        (['{"repo": "a/b"}'], "line 1: empty instance ID"),
        (['{"instance_id": "../etc"}'], 'line 1: invalid instance ID "../etc"'),
        (['{"instance_id": "a b"}'], "must match [a-zA-Z0-9][a-zA-Z0-9_.=-]*"),
        (["", "  "], "contains no instances"),
    ],
)
def test_dataset_errors_name_the_line(tmp_path, capsys, lines, message):
    path = tmp_path / "ds.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DatasetError, match=message.replace("[", r"\[").replace(".", r"\.")):
        load_dataset(path)
    code, out, err = cli(capsys, "--dataset", path)
    assert code == 1 and message in err and err.startswith("error: ")
    assert "Traceback" not in err


def test_missing_dataset_file(tmp_path, capsys):
    code, _, err = cli(capsys, "--dataset", tmp_path / "none.jsonl")
    assert code == 1 and "not found" in err


# -- docker missing / not running ------------------------------------------------------------


def fake_docker(bindir: Path, script: str) -> None:
    bindir.mkdir(exist_ok=True)
    path = bindir / "docker"
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def test_docker_not_running_is_one_clear_error(tmp_path, capsys, dataset, monkeypatch):
    fake_docker(
        tmp_path / "bin",
        'echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock." >&2\nexit 1\n',
    )
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(capsys, "--dataset", dataset)
    assert code == 1 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: docker is not running or not reachable")
    assert "Cannot connect to the Docker daemon" in lines[0]
    # Nothing was written before the failure.
    assert not (tmp_path / "results").exists()
    assert not (tmp_path / "predictions.jsonl").exists()


def test_docker_missing_from_path(tmp_path, capsys, dataset, monkeypatch):
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(capsys, "--dataset", dataset)
    assert code == 1 and out == ""
    assert err.strip().splitlines() == [
        "error: docker not found on PATH: tracker-swebench runs every instance in a docker "
        "container (install docker and build the image first)"
    ]


def test_missing_image_is_reported(tmp_path, capsys, dataset, monkeypatch):
    fake_docker(tmp_path / "bin", 'if [ "$1" = info ]; then echo 27.0; exit 0; fi\nexit 1\n')
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(capsys, "--dataset", dataset, "--docker-image", "my-image")
    assert code == 1
    assert 'docker image "my-image" not found' in err


def test_everything_completed_needs_no_docker(tmp_path, capsys, dataset, monkeypatch):
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.chdir(tmp_path)
    preds = tmp_path / "predictions.jsonl"
    preds.write_text(
        json.dumps({"instance_id": "django__django-1", "model_patch": "diff"})
        + "\n"
        + json.dumps({"instance_id": "astropy__astropy-2", "model_patch": "diff"})
        + "\n"
    )
    code, out, err = cli(capsys, "--dataset", dataset)
    assert code == 0, err
    assert "[1/2] django__django-1 ... skipped (already completed)" in out
    assert "[2/2] astropy__astropy-2 ... skipped (already completed)" in out
    assert "  Skipped:   2" in out
    meta = json.loads((tmp_path / "results" / "run_meta.json").read_text())
    assert meta["timeout"] == "30m0s" and meta["max_turns"] == 50
    assert (tmp_path / "results" / "logs").is_dir()
    assert (tmp_path / "results" / "repo-cache").is_dir()


# -- the run loop with a fake harness ----------------------------------------------------------


class FakeHarness:
    """Records calls; returns canned outcomes per instance ID."""

    def __init__(self, outcomes: dict[str, InstanceRun], unavailable: str | None = None) -> None:
        self.outcomes = outcomes
        self.unavailable = unavailable
        self.jobs: list[InstanceJob] = []
        self.prompts: dict[str, str] = {}
        self.cleaned = False

    def check_available(self) -> None:
        if self.unavailable:
            raise HarnessUnavailable(self.unavailable)

    def cleanup_stale(self) -> None:
        self.cleaned = True

    def ensure_repo_cache(self, repo_url: str, path: Path) -> str | None:
        return "no network" if "astropy" in repo_url else None

    def run_instance(self, job: InstanceJob) -> InstanceRun:
        self.jobs.append(job)
        self.prompts[job.instance.instance_id] = job.prompt_path.read_text()
        return self.outcomes[job.instance.instance_id]


def summary(**kw: Any) -> AgentSummary:
    return AgentSummary(**kw)


def run_with(tmp_path: Path, harness: FakeHarness, **cfg: Any) -> tuple[int, list[str], list[str]]:
    out: list[str] = []
    log: list[str] = []
    config = RunConfig(
        dataset=str(cfg.pop("dataset")),
        output=str(tmp_path / "predictions.jsonl"),
        results_dir=str(tmp_path / "results"),
        **cfg,
    )
    run = BenchmarkRun(config, lambda layout, label: harness, out=out.append, log=log.append)
    return execute_run(run), out, log


def test_run_records_predictions_logs_and_diagnostics(tmp_path, dataset):
    harness = FakeHarness(
        {
            "django__django-1": InstanceRun(
                patch="diff --git a/x b/x\n\n+fix",
                summary=summary(turns=12, input_tokens=1_500_000, output_tokens=20_000),
                transcript="agent output\n",
            ),
            "astropy__astropy-2": InstanceRun(
                patch="",
                summary=summary(
                    turns=50,
                    input_tokens=500_000,
                    termination_reason="max_turns_reached",
                    final_message="x" * 500,
                    last_tool_calls=["a", "b", "c", "d"],
                ),
                error="agent-runner: timed out after 30m0s",
                timed_out=True,
            ),
        }
    )
    code, out, log = run_with(tmp_path, harness, dataset=dataset)
    assert code == 1  # an instance errored
    assert harness.cleaned
    assert out[0].startswith("[1/2] django__django-1 ... 12 turns, ")
    assert out[0].endswith(", patch: 2 lines")
    assert out[1].startswith("[2/2] astropy__astropy-2 ... 50 turns, ")
    text = out[-1]
    assert text.startswith("Run complete \u2014 elapsed: ")
    for line in (
        "  Total:     2",
        "  Completed: 2 (100.0%)",
        "  Skipped:   0",
        "  Errors:    1",
        "  Timed out: 1",
        "  Patched:   1 (50.0% of completed)",
        "  Tokens:    2.00M in / 0.02M out",
        "  Harness errors: 1",
    ):
        assert line in text.splitlines()
    assert "Setup errors" not in text
    assert any("bare clone failed (continuing without cache): no network" in m for m in log)

    # the cache is mounted only when the bare clone exists
    jobs = {j.instance.instance_id: j for j in harness.jobs}
    assert jobs["django__django-1"].cache_path == tmp_path / "results/repo-cache/django_django.git"
    assert jobs["astropy__astropy-2"].cache_path is None
    assert harness.prompts["django__django-1"] == "Problem of django__django-1"
    assert not list((tmp_path / "results").glob("swebench-prompt-*"))  # removed afterwards

    preds = [json.loads(line) for line in (tmp_path / "predictions.jsonl").read_text().splitlines()]
    assert preds == [
        {
            "instance_id": "django__django-1",
            "model_name_or_path": "claude-sonnet-4-6",
            "model_patch": "diff --git a/x b/x\n\n+fix",
        },
        {
            "instance_id": "astropy__astropy-2",
            "model_name_or_path": "claude-sonnet-4-6",
            "model_patch": "",
        },
    ]
    logs = tmp_path / "results" / "logs"
    lines = (logs / "django__django-1.log").read_text().splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "instance_id",
        "elapsed",
        "turns",
        "input_tokens",
        "output_tokens",
        "patch_lines",
    ]
    assert "patch_lines: 2" in lines and "turns: 12" in lines
    assert (logs / "django__django-1.transcript.log").read_text() == "agent output\n"
    assert not (logs / "django__django-1.empty-patch.json").exists()
    err_log = (logs / "astropy__astropy-2.log").read_text()
    assert err_log.endswith("error: agent-runner: timed out after 30m0s\n")
    diag = json.loads((logs / "astropy__astropy-2.empty-patch.json").read_text())
    assert diag["termination_reason"] == "max_turns_reached"
    assert len(diag["final_message"]) == 400
    assert diag["last_tool_calls"] == ["b", "c", "d"]
    assert not (logs / "astropy__astropy-2.transcript.log").exists()


def test_resume_skips_non_empty_and_retries_empty(tmp_path, dataset):
    (tmp_path / "predictions.jsonl").write_text(
        json.dumps({"instance_id": "django__django-1", "model_patch": "diff"})
        + "\n"
        + json.dumps({"instance_id": "astropy__astropy-2", "model_patch": ""})
        + "\n"
    )
    harness = FakeHarness({"astropy__astropy-2": InstanceRun(patch="diff2")})
    code, out, _ = run_with(tmp_path, harness, dataset=dataset)
    assert code == 0
    assert out[0] == "[1/2] django__django-1 ... skipped (already completed)"
    assert [j.instance.instance_id for j in harness.jobs] == ["astropy__astropy-2"]
    assert len((tmp_path / "predictions.jsonl").read_text().splitlines()) == 3

    forced = FakeHarness(
        {"django__django-1": InstanceRun(patch="d"), "astropy__astropy-2": InstanceRun(patch="e")}
    )
    code, out, _ = run_with(tmp_path, forced, dataset=dataset, force=True)
    assert code == 0 and len(forced.jobs) == 2


def test_single_instance_filter(tmp_path, dataset):
    harness = FakeHarness({"astropy__astropy-2": InstanceRun(patch="p")})
    code, out, _ = run_with(tmp_path, harness, dataset=dataset, instance="astropy__astropy-2")
    assert code == 0
    assert out[0].startswith("[1/1] astropy__astropy-2 ... 0 turns, ")


def test_unavailable_harness_writes_nothing(tmp_path, dataset):
    harness = FakeHarness({}, unavailable="docker is not running")
    with pytest.raises(Exception, match="docker is not running"):
        run_with(tmp_path, harness, dataset=dataset)
    assert not (tmp_path / "results").exists()


def test_interrupted_instance_is_recorded_and_exits_zero(tmp_path, dataset):
    harness = FakeHarness(
        {
            "django__django-1": InstanceRun(
                patch="partial", error="agent-runner: interrupted", interrupted=True
            )
        }
    )
    code, out, log = run_with(tmp_path, harness, dataset=dataset)
    assert code == 0
    assert len(harness.jobs) == 1  # the second instance never started
    assert "interrupted, stopping run" in log
    assert out[-1].startswith("Run complete")
    pred = json.loads((tmp_path / "predictions.jsonl").read_text())
    assert pred["model_patch"] == "partial"


def test_agent_env_forwards_keys_and_settings():
    cfg = RunConfig(dataset="d", gateway_url="https://gw", max_turns=7, timeout_s=90)
    env = agent_env(cfg, {"ANTHROPIC_API_KEY": "k", "OPENAI_API_KEY": "", "HOME": "/root"})
    assert env == {
        "SWEBENCH_MODEL": "claude-sonnet-4-6",
        "SWEBENCH_PROVIDER": "anthropic",
        "SWEBENCH_MAX_TURNS": "7",
        "SWEBENCH_TIMEOUT": "1m30s",
        "TRACKER_GATEWAY_URL": "https://gw",
        "ANTHROPIC_API_KEY": "k",
    }


def test_run_output_round_trips_through_analyze(tmp_path, dataset, capsys):
    harness = FakeHarness(
        {
            "django__django-1": InstanceRun(patch="diff", summary=summary(turns=3)),
            "astropy__astropy-2": InstanceRun(
                summary=summary(turns=9, termination_reason="explicit_finish"),
                error="clone repo: docker exec: exit status 128\nstderr: fatal: nope",
            ),
        }
    )
    run_with(tmp_path, harness, dataset=dataset)
    code = run_cli(["analyze", str(tmp_path / "results"), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert report["counts"]["patched_unverified"] == 1
    assert report["error_classes"]["setup"] == 1
    assert report["top_longest_unresolved"][0]["turns"] == 3
    assert report["run_meta"]["provider"] == "anthropic"
    assert os.path.isabs(report["results_dir"])
