"""The real harness: one docker container per instance, driven through the docker CLI
(cli-tui §12.2 step 3). No docker SDK; every call is a plain `docker ...` subprocess so a
fake `docker` on PATH can stand in for it in tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tracker.dippin.values import SECOND, format_duration_go

from tracker_swebench.harness import HarnessUnavailable, InstanceJob, InstanceRun
from tracker_swebench.models import AgentSummary

WORKDIR = "/workspace"
CLEANUP_TIMEOUT_S = 30.0
SETUP_TIMEOUT_S = 30 * 60.0


class DockerCommandError(Exception):
    """A docker (or git) command failed; the message carries its stderr."""


def _decode(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data if isinstance(data, str) else data.decode("utf-8", errors="replace")


def _stderr_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def run_command(
    args: Sequence[str], *, timeout: float | None = None, merge_output: bool = False
) -> str:
    """Run a command and return its stdout (plus stderr when `merge_output`); raise
    DockerCommandError naming the command, exit status and stderr on failure."""
    try:
        proc = subprocess.run(
            list(args),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT if merge_output else subprocess.PIPE,
            timeout=timeout,
        )
    except FileNotFoundError:
        raise DockerCommandError(f"{args[0]}: executable not found") from None
    out = _decode(proc.stdout)
    if proc.returncode != 0:
        detail = out if merge_output else _decode(proc.stderr)
        raise DockerCommandError(
            f"{' '.join(args[:2])}: exit status {proc.returncode}\nstderr: {detail.strip()}"
        )
    return out


def parse_agent_summary(output: str) -> AgentSummary:
    """The summary is the last stdout line that parses as a JSON object; anything printed
    after it (stray log lines) is tolerated. No summary → zero values."""
    import json

    for line in reversed(output.split("\n")):
        line = line.strip()
        if not line:
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(raw, dict):
            try:
                return AgentSummary.model_validate(raw)
            except ValueError:
                continue
    return AgentSummary()


def write_env_file(env: dict[str, str]) -> Path:
    """KEY=VALUE lines in a private (0600) temp file: secrets never appear in argv."""
    fd, name = tempfile.mkstemp(prefix="swebench-env-")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        for key, value in env.items():
            fh.write(f"{key}={value}\n")
    os.chmod(name, 0o600)
    return Path(name)


@dataclass
class DockerHarness:
    """Container settings; defaults follow the reference at v0.24.1."""

    image: str
    cache_dir: Path
    run_label: str
    memory_mb: int = 4096
    cpus: float = 2.0
    pids_limit: int = 512
    log: Callable[[str], None] = lambda msg: print(msg, file=sys.stderr)

    # -- availability -------------------------------------------------------------------

    def check_available(self) -> None:
        """Fail once, up front, when docker cannot run containers at all."""
        if shutil.which("docker") is None:
            raise HarnessUnavailable(
                "docker not found on PATH: tracker-swebench runs every instance in a docker "
                "container (install docker and build the image first)"
            )
        try:
            run_command(["docker", "info", "--format", "{{.ServerVersion}}"], timeout=30)
        except subprocess.TimeoutExpired:
            raise HarnessUnavailable("docker is not responding (`docker info` timed out)") from None
        except DockerCommandError as exc:
            reason = _stderr_line(str(exc).partition("stderr:")[2]) or str(exc)
            raise HarnessUnavailable(f"docker is not running or not reachable: {reason}") from None
        try:
            run_command(["docker", "image", "inspect", self.image], timeout=30)
        except (DockerCommandError, subprocess.TimeoutExpired):
            raise HarnessUnavailable(
                f'docker image "{self.image}" not found: build it first (or pass --docker-image)'
            ) from None

    def cleanup_stale(self) -> None:
        try:
            out = run_command(
                ["docker", "ps", "-a", "--filter", "label=swebench", "--format", "{{.Names}}"],
                timeout=CLEANUP_TIMEOUT_S,
            )
        except (DockerCommandError, subprocess.TimeoutExpired):
            return
        for name in filter(None, (n.strip() for n in out.splitlines())):
            self.log(f"cleaning up stale container: {name}")
            self._quiet(["docker", "rm", "-f", name])

    def ensure_repo_cache(self, repo_url: str, path: Path) -> str | None:
        if path.exists():
            return None
        try:
            run_command(["git", "clone", "--bare", repo_url, str(path)], timeout=SETUP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return f"git clone --bare {repo_url}: timed out"
        except DockerCommandError as exc:
            return str(exc)
        return None

    # -- one instance -------------------------------------------------------------------

    def container_name(self, instance_id: str) -> str:
        return f"swe-{self.run_label}-{instance_id}"

    def create_args(self, name: str, job: InstanceJob) -> list[str]:
        """`docker create` arguments: labelled, resource-limited, cache and prompt mounted
        read-only, kept alive with `sleep infinity`."""
        args = ["docker", "create", "--name", name, "--label", f"swebench={self.run_label}"]
        if job.cache_path is not None:
            args += ["-v", f"{self.cache_dir}:/cache:ro"]
        args += ["--memory", f"{self.memory_mb}m", "--cpus", f"{self.cpus:.1f}"]
        args += ["--pids-limit", str(self.pids_limit)]
        args += ["-v", f"{job.prompt_path}:/instance_prompt.txt:ro"]
        return [*args, self.image, "sleep", "infinity"]

    def clone_args(self, name: str, job: InstanceJob) -> list[str]:
        args = ["docker", "exec", name, "git", "clone"]
        if job.cache_path is not None:
            args += ["--reference", f"/cache/{job.instance.cache_name}", "--dissociate"]
        return [*args, job.instance.repo_url, WORKDIR]

    def run_instance(self, job: InstanceJob) -> InstanceRun:
        name = self.container_name(job.instance.instance_id)
        result = InstanceRun()
        cloned = False
        try:
            run_command(self.create_args(name, job), timeout=SETUP_TIMEOUT_S)
            run_command(["docker", "start", name], timeout=SETUP_TIMEOUT_S)
            try:
                run_command(self.clone_args(name, job), timeout=SETUP_TIMEOUT_S)
                cloned = True
            except DockerCommandError as exc:
                raise DockerCommandError(f"clone repo: {exc}") from None
            checkout = ["git", "-C", WORKDIR, "checkout", job.instance.base_commit]
            try:
                run_command(["docker", "exec", name, *checkout], timeout=SETUP_TIMEOUT_S)
            except DockerCommandError as exc:
                raise DockerCommandError(f"checkout commit: {exc}") from None
            self._pip_install(name, job)
            self._run_agent(name, job, result)
        except DockerCommandError as exc:
            result.error = str(exc)
        except subprocess.TimeoutExpired as exc:
            result.error = f"{' '.join(exc.cmd[:3])}: timed out"
        except KeyboardInterrupt:
            result.interrupted = True
            result.error = result.error or "interrupted"
        finally:
            if cloned:
                result.patch = self._capture_patch(name, job)
            self._quiet(["docker", "stop", name])
            self._quiet(["docker", "rm", "-f", name])
        return result

    def _pip_install(self, name: str, job: InstanceJob) -> None:
        cmd = ["docker", "exec", "-w", WORKDIR, name, "sh", "-c", "pip install -e . 2>&1 | tail -5"]
        try:
            run_command(cmd, timeout=SETUP_TIMEOUT_S, merge_output=True)
        except (DockerCommandError, subprocess.TimeoutExpired) as exc:
            self.log(f"[{job.instance.instance_id}] pip install failed (continuing): {exc}")

    def _run_agent(self, name: str, job: InstanceJob, result: InstanceRun) -> None:
        env_file = write_env_file(job.agent_env)
        cmd = ["docker", "exec", "--env-file", str(env_file), name, "agent-runner"]
        try:
            proc = subprocess.run(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                timeout=job.timeout_s,
            )
            output = _decode(proc.stdout)
            if proc.returncode != 0:
                result.error = f"agent-runner: exit status {proc.returncode}"
        except subprocess.TimeoutExpired as exc:
            output = _decode(exc.output)
            limit = format_duration_go(int(job.timeout_s * SECOND))
            result.error = f"agent-runner: timed out after {limit}"
            result.timed_out = True
        except KeyboardInterrupt:
            result.interrupted = True
            result.error = "agent-runner: interrupted"
            output = ""
        finally:
            env_file.unlink(missing_ok=True)
        result.transcript = output
        result.summary = parse_agent_summary(output)

    def _capture_patch(self, name: str, job: InstanceJob) -> str:
        """`git add -A` then `git diff HEAD` with their own short timeout, so the partial
        work of a timed-out or interrupted agent is still recorded."""
        ws = ["git", "-C", WORKDIR]
        try:
            run_command(["docker", "exec", name, *ws, "add", "-A"], timeout=CLEANUP_TIMEOUT_S)
        except (DockerCommandError, subprocess.TimeoutExpired) as exc:
            self.log(f"[{job.instance.instance_id}] git add -A failed: {exc}")
        try:
            diff = run_command(
                ["docker", "exec", name, *ws, "diff", "HEAD"], timeout=CLEANUP_TIMEOUT_S
            )
        except (DockerCommandError, subprocess.TimeoutExpired) as exc:
            self.log(f"[{job.instance.instance_id}] git diff HEAD failed: {exc}")
            return ""
        return diff.strip()

    def _quiet(self, args: list[str]) -> None:
        try:
            run_command(args, timeout=CLEANUP_TIMEOUT_S)
        except (DockerCommandError, subprocess.TimeoutExpired) as exc:
            self.log(f"{' '.join(args[:2])} failed: {exc}")
