"""What the benchmark runner needs from a container harness, as an interface.

The runner only talks to a `Harness`; `tracker_swebench.docker.DockerHarness` is the real
one (docker CLI calls). Tests and later sessions substitute a fake without touching the
run loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from tracker_swebench.models import AgentSummary, Instance


class HarnessUnavailable(Exception):
    """The harness cannot run anything at all (docker missing or its daemon down)."""


@dataclass
class InstanceRun:
    """Outcome of one instance: the patch is kept even when `error` is set (a timeout or
    interruption still yields the partial diff)."""

    patch: str = ""
    summary: AgentSummary = field(default_factory=AgentSummary)
    transcript: str = ""
    error: str | None = None
    timed_out: bool = False
    interrupted: bool = False


@dataclass(frozen=True)
class InstanceJob:
    """Everything one container run needs."""

    instance: Instance
    agent_env: dict[str, str]
    prompt_path: Path
    cache_path: Path | None
    timeout_s: float


class Harness(Protocol):
    """Container operations used by the run loop."""

    def check_available(self) -> None:
        """Raise HarnessUnavailable with a user-facing message when nothing can run."""

    def cleanup_stale(self) -> None:
        """Remove containers left over by earlier crashed runs (best effort)."""

    def ensure_repo_cache(self, repo_url: str, path: Path) -> str | None:
        """Make sure a bare clone exists at `path`; return an error message on failure."""

    def run_instance(self, job: InstanceJob) -> InstanceRun:
        """Create a container, set up the repo, run the agent, capture the patch, clean up."""
