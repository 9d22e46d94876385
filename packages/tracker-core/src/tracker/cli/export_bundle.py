"""Git-backed run directories and `--export-bundle` (cli-tui.md §4.11, engine.md §6.1).

With `--export-bundle`, the run directory becomes its own git repository: after each node
outcome is checkpointed, everything in it is committed as `node(<id>): <handler>
outcome=<status>` and tagged `checkpoint/<run_id>/<node_id>`. After the run, `git bundle
create <path> --all` packs it; `git clone <bundle> <dir>` restores it. The repository is
built by an event sink, so the engine knows nothing about git."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

#: identity and settings for commits made on the user's behalf, whatever their git config
_GIT_CONFIG = (
    "-c",
    "user.name=tracker",
    "-c",
    "user.email=tracker@localhost",
    "-c",
    "commit.gpgsign=false",
    "-c",
    "tag.gpgsign=false",
    "-c",
    "init.defaultBranch=main",
)


class BundleError(Exception):
    pass


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        ["git", *_GIT_CONFIG, "-C", str(repo), *args],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    if proc.returncode != 0:
        output = (proc.stderr or proc.stdout).strip()
        raise BundleError(f"git {args[0]}: {output or f'exit status {proc.returncode}'}")
    return proc


def is_repo_root(path: Path) -> bool:
    """True when `path` is the top of its own repository (not inside an enclosing one)."""
    if not (path / ".git").exists():
        return False
    try:
        top = _git(path, "rev-parse", "--show-toplevel").stdout.strip()
    except (BundleError, OSError, subprocess.SubprocessError):
        return False
    return Path(top).resolve() == path.resolve()


def export_bundle(run_dir: Path | str, out_path: Path | str) -> Path:
    """Write a git bundle of `run_dir` (which must be its own repository) to `out_path`."""
    run_dir = Path(run_dir)
    out = Path(out_path).expanduser().resolve()
    if not is_repo_root(run_dir):
        raise BundleError(
            f"{run_dir} is not a git repository of its own (was the run started with "
            "--export-bundle?)"
        )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        _git(run_dir, "bundle", "create", str(out), "--all")
    except (OSError, subprocess.SubprocessError) as exc:
        raise BundleError(str(exc)) from exc
    return out


class GitArtifacts:
    """Event sink committing the run directory after every checkpointed node outcome.

    Failures never stop the run: the first one is reported on stderr and the sink goes
    quiet (the bundle export then reports its own failure)."""

    def __init__(self, run_dir: Path, run_id: str, handlers: Mapping[str, str]) -> None:
        self.run_dir = run_dir
        self.run_id = run_id
        self.handlers = dict(handlers)
        self._status: dict[str, str] = {}
        self._pending: list[str] = []
        self._ready = False
        self._broken = False

    def __call__(self, event: Any) -> None:
        if self._broken or event.source != "pipeline":
            return
        node = event.node_id
        if event.type == "decision_outcome" and node and "/" not in node:
            self._status[node] = event.outcome_status
        elif event.type in ("stage_completed", "stage_failed") and node and "/" not in node:
            if event.message != "previously completed (resumed)" and node not in self._pending:
                self._pending.append(node)
        elif event.type == "checkpoint_saved":
            self._commit_pending()
        elif event.type in ("pipeline_completed", "pipeline_failed", "budget_exceeded"):
            self._commit_pending()
            self._commit(f"run({self.run_id}): {event.type}", tag="")

    def _commit_pending(self) -> None:
        pending, self._pending = self._pending, []
        for node in pending:
            status = self._status.get(node, "fail")
            handler = self.handlers.get(node, "")
            self._commit(
                f"node({node}): {handler} outcome={status}", tag=f"checkpoint/{self.run_id}/{node}"
            )

    def _commit(self, message: str, tag: str) -> None:
        try:
            self._init()
            _git(self.run_dir, "add", "-A")
            _git(self.run_dir, "commit", "-q", "--allow-empty", "-m", message)
            if tag:
                _git(self.run_dir, "tag", "-f", tag)
        except (BundleError, OSError, subprocess.SubprocessError) as exc:
            self._broken = True
            print(f"warning: git artifacts disabled: {exc}", file=sys.stderr)

    def _init(self) -> None:
        if self._ready:
            return
        if not is_repo_root(self.run_dir):
            _git(self.run_dir, "init", "-q")
        self._ready = True
