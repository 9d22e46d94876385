"""The benchmark run loop (cli-tui §12.2): dataset → results layout → one harness run per
instance → predictions, logs and a summary. The harness is injected so the loop can be
exercised without docker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from tracker.dippin.values import SECOND, format_duration_go

from tracker_swebench import files
from tracker_swebench.classify import classify_error
from tracker_swebench.dataset import load_dataset, select_instance
from tracker_swebench.harness import Harness, InstanceJob, InstanceRun
from tracker_swebench.models import EmptyPatchDiagnostic, Instance, RunMeta
from tracker_swebench.stats import RunStats, go_seconds

FORWARDED_ENV = (
    "ANTHROPIC_API_KEY",
    "OPENAI_API_KEY",
    "CF_AIG_TOKEN",
    "ANTHROPIC_BASE_URL",
    "OPENAI_BASE_URL",
)


@dataclass(frozen=True)
class RunConfig:
    """The resolved run flags (defaults are the documented ones)."""

    dataset: str
    model: str = "claude-sonnet-4-6"
    provider: str = "anthropic"
    gateway_url: str = ""
    output: str = "./predictions.jsonl"
    results_dir: str = "./results"
    max_turns: int = 50
    timeout_s: float = 30 * 60.0
    instance: str = ""
    force: bool = False
    docker_image: str = "tracker-swebench-base"

    @property
    def timeout_text(self) -> str:
        """The timeout in Go form (`30m0s`), as run_meta.json and the agent env carry it."""
        return format_duration_go(int(self.timeout_s * SECOND))


@dataclass(frozen=True)
class ResultsLayout:
    """Absolute paths of the results directory (docker mounts need absolute paths)."""

    root: Path

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def cache(self) -> Path:
        return self.root / "repo-cache"

    def create(self) -> None:
        for path in (self.root, self.logs, self.cache):
            path.mkdir(parents=True, exist_ok=True)


def agent_env(cfg: RunConfig, environ: dict[str, str] | None = None) -> dict[str, str]:
    """Environment of the in-container agent-runner: run settings plus forwarded keys."""
    environ = dict(os.environ) if environ is None else environ
    env = {
        "SWEBENCH_MODEL": cfg.model,
        "SWEBENCH_PROVIDER": cfg.provider,
        "SWEBENCH_MAX_TURNS": str(cfg.max_turns),
        "SWEBENCH_TIMEOUT": cfg.timeout_text,
    }
    if cfg.gateway_url:
        env["TRACKER_GATEWAY_URL"] = cfg.gateway_url
    for key in FORWARDED_ENV:
        if environ.get(key):
            env[key] = environ[key]
    return env


def build_commit() -> str | None:
    """The 12-character commit of this source tree, when it is a git checkout."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    sha = out.stdout.strip()
    return sha[:12] if out.returncode == 0 and sha else None


def run_meta(cfg: RunConfig, environ: dict[str, str] | None = None) -> RunMeta:
    environ = dict(os.environ) if environ is None else environ
    override_key = cfg.provider.replace("-", "_").upper() + "_BASE_URL"
    return RunMeta(
        model=cfg.model,
        provider=cfg.provider,
        gateway_url=cfg.gateway_url or None,
        base_url_override=environ.get(override_key) or None,
        dataset=cfg.dataset,
        max_turns=cfg.max_turns,
        timeout=cfg.timeout_text,
        started_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        commit=build_commit(),
    )


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM behaves like Ctrl+C: the current instance is stopped and recorded."""

    def _raise(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, _raise)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class BenchmarkRun:
    """One `tracker-swebench --dataset ...` invocation."""

    def __init__(
        self,
        cfg: RunConfig,
        harness_factory: Callable[[ResultsLayout, str], Harness],
        *,
        out: Callable[[str], None] = print,
        log: Callable[[str], None] = lambda msg: print(msg, file=sys.stderr),
    ) -> None:
        self.cfg = cfg
        self.harness_factory = harness_factory
        self.out = out
        self.log = log
        self._interrupted = False

    def run(self) -> int:
        """Run every pending instance; exit status 1 when any instance errored.
        Raises DatasetError / HarnessUnavailable before anything is written."""
        cfg = self.cfg
        instances = load_dataset(cfg.dataset)
        if cfg.instance:
            instances = select_instance(instances, cfg.instance)
        layout = ResultsLayout(Path(cfg.results_dir).absolute())
        predictions = files.PredictionsFile(Path(cfg.output), cfg.model)
        pending = [i for i in instances if cfg.force or not predictions.is_completed(i.instance_id)]
        harness = self.harness_factory(layout, datetime.now().strftime("%Y%m%d-%H%M%S"))
        if pending:
            harness.check_available()
        layout.create()
        files.write_run_meta(layout.root / "run_meta.json", run_meta(cfg))
        predictions.open()
        stats = RunStats(total=len(instances))
        env = agent_env(cfg)
        try:
            with sigterm_as_interrupt():
                if pending:
                    harness.cleanup_stale()
                for index, inst in enumerate(instances, start=1):
                    tag = f"[{index}/{len(instances)}] {inst.instance_id} ..."
                    if not cfg.force and predictions.is_completed(inst.instance_id):
                        stats.skipped += 1
                        self.out(f"{tag} skipped (already completed)")
                        continue
                    if self._run_one(inst, tag, harness, layout, predictions, stats, env):
                        self.log("interrupted, stopping run")
                        break
        except KeyboardInterrupt:
            self._interrupted = True
            self.log("interrupted, stopping run")
        finally:
            predictions.close()
        self.out(stats.summary())
        return 1 if stats.errors and not self._interrupted else 0

    def _run_one(
        self,
        inst: Instance,
        tag: str,
        harness: Harness,
        layout: ResultsLayout,
        predictions: files.PredictionsFile,
        stats: RunStats,
        env: dict[str, str],
    ) -> bool:
        """Run and record one instance; True when the run was interrupted."""
        iid = inst.instance_id
        cache_path: Path | None = layout.cache / inst.cache_name
        problem = harness.ensure_repo_cache(inst.repo_url, cache_path)
        if problem is not None:
            self.log(f"[{iid}] bare clone failed (continuing without cache): {problem}")
            cache_path = None
        try:
            fd, prompt_name = tempfile.mkstemp(dir=layout.root, prefix="swebench-prompt-")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(inst.agent_prompt())
        except OSError as exc:
            self.log(f"[{iid}] create prompt file: {exc}")
            stats.add_error("harness")
            return False
        job = InstanceJob(inst, dict(env), Path(prompt_name), cache_path, self.cfg.timeout_s)
        started = time.monotonic()
        try:
            result = harness.run_instance(job)
        finally:
            Path(prompt_name).unlink(missing_ok=True)
        elapsed = go_seconds(time.monotonic() - started)
        self._record(inst, result, elapsed, layout, predictions, stats)
        turns = result.summary.turns
        lines = files.patch_line_count(result.patch)
        self.out(f"{tag} {turns} turns, {elapsed}, patch: {lines} lines")
        if result.interrupted:
            self._interrupted = True
        return result.interrupted

    def _record(
        self,
        inst: Instance,
        result: InstanceRun,
        elapsed: str,
        layout: ResultsLayout,
        predictions: files.PredictionsFile,
        stats: RunStats,
    ) -> None:
        """Prediction line (always), log, transcript, empty-patch diagnostic, counters."""
        iid = inst.instance_id
        s = result.summary
        write_error: str | None = None
        try:
            predictions.write(iid, result.patch)
        except OSError as exc:
            write_error = f"write prediction: {exc}"
            self.log(f"[{iid}] {write_error}")
        log_text = files.instance_log_text(
            iid,
            elapsed,
            s.turns,
            s.input_tokens,
            s.output_tokens,
            result.patch,
            write_error=write_error,
            error=result.error,
        )
        try:
            files.write_instance_log(layout.logs, iid, log_text)
            if write_error is None:
                if result.transcript:
                    files.write_transcript(layout.logs, iid, result.transcript)
                if not result.patch:
                    diag = EmptyPatchDiagnostic.from_summary(iid, s)
                    files.write_empty_patch_diagnostic(layout.logs, diag)
        except OSError as exc:
            self.log(f"[{iid}] write log: {exc}")
        if write_error is not None:
            stats.add_error("harness")
            return
        stats.completed += 1
        stats.input_tokens += s.input_tokens
        stats.output_tokens += s.output_tokens
        if result.patch:
            stats.patched += 1
        if result.error is not None:
            stats.add_error(classify_error(result.error))
            if result.timed_out:
                stats.timed_out += 1
