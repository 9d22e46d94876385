"""Git worktrees for parallel branches: each branch of a `worktree: true` fan-out edits its
own checkout, so concurrent agents never trample each other's files.

Lifecycle (one branch): `prepare` creates `git worktree add -b tracker/<run>/<node>` at the
branch's `working_dir` (or `.tracker/worktrees/<run>/<node>`); after the branch, `finish`
commits whatever it changed to that git branch and, on success, removes the checkout (the
work lives on in the branch). A failed branch keeps its checkout for inspection. A
directory that already exists is used as it is and never removed: the pipeline owns it.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from pathlib import Path

GIT_TIMEOUT = 120.0
_UNSAFE_REF_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


class WorktreeError(Exception):
    """A git command needed for a branch checkout failed."""


@dataclass
class Worktree:
    """One branch's checkout. `created` is False for a directory the pipeline made."""

    path: Path
    branch: str = ""
    created: bool = False
    repo: Path | None = None

    def working_dir(self, workdir: Path) -> str:
        """The path as a node's `working_dir`: relative to the run's workdir when inside it."""
        try:
            return str(self.path.resolve().relative_to(workdir.resolve()))
        except ValueError:
            return str(self.path.resolve())


async def git(*args: str, cwd: Path) -> tuple[int, str, str]:
    """Run git without a shell; returns (exit code, stdout, stderr)."""
    proc = await asyncio.create_subprocess_exec(
        "git",
        *args,
        cwd=str(cwd),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), GIT_TIMEOUT)
    except BaseException:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        raise
    return proc.returncode or 0, out.decode(errors="replace"), err.decode(errors="replace")


async def _check(*args: str, cwd: Path) -> str:
    code, out, err = await git(*args, cwd=cwd)
    if code != 0:
        detail = (err or out).strip() or f"exit status {code}"
        raise WorktreeError(f"git {' '.join(args)}: {detail}")
    return out


async def repo_root(path: Path) -> Path | None:
    """The top of the git work tree containing `path`, or None outside a repository."""
    try:
        code, out, _ = await git("rev-parse", "--show-toplevel", cwd=path)
    except OSError:
        return None
    return Path(out.strip()) if code == 0 and out.strip() else None


def branch_name(run_id: str, node_id: str) -> str:
    """`tracker/<run>/<node>` with anything git would reject replaced by `-`."""
    safe = _UNSAFE_REF_CHARS.sub("-", node_id).strip(".-") or "branch"
    return f"tracker/{run_id}/{safe}"


async def _free_branch(repo: Path, wanted: str) -> str:
    """`wanted`, or `wanted-2`, `-3`, … when a previous pass already made that branch
    (never reset a branch that may hold earlier work)."""
    name, n = wanted, 1
    while (await git("rev-parse", "--verify", "--quiet", f"refs/heads/{name}", cwd=repo))[0] == 0:
        n += 1
        name = f"{wanted}-{n}"
    return name


class WorktreeManager:
    """Creates and retires branch checkouts for one parallel node execution. Git's own
    bookkeeping (`.git/worktrees`, refs) is not safe under concurrent writers, so every
    add/remove goes through one lock; the branches themselves still run concurrently."""

    def __init__(self, workdir: Path, run_id: str) -> None:
        self.workdir = Path(workdir)
        self.run_id = run_id
        self._lock = asyncio.Lock()
        self._repo: Path | None = None

    async def _repository(self) -> Path:
        if self._repo is None:
            root = await repo_root(self.workdir)
            if root is None:
                raise WorktreeError(
                    f"worktree branches need a git repository, and {self.workdir} is not in one"
                )
            self._repo = root
        return self._repo

    async def prepare(self, node_id: str, working_dir: str = "") -> Worktree:
        """The checkout a branch runs in: the declared `working_dir` when it exists already,
        else a new worktree there (or under `.tracker/worktrees/<run>/`)."""
        default = Path(".tracker") / "worktrees" / self.run_id / node_id
        path = self.workdir / (working_dir or default)
        if path.exists():
            return Worktree(path=path)
        async with self._lock:
            repo = await self._repository()
            branch = await _free_branch(repo, branch_name(self.run_id, node_id))
            path.parent.mkdir(parents=True, exist_ok=True)
            await _check("worktree", "add", "-b", branch, str(path.resolve()), "HEAD", cwd=repo)
        return Worktree(path=path, branch=branch, created=True, repo=repo)

    async def finish(self, tree: Worktree, *, succeeded: bool, message: str) -> bool:
        """Commit the branch's changes; remove the checkout when it succeeded. Returns True
        when the checkout was removed. Only checkouts this manager created are touched."""
        if not tree.created or tree.repo is None:
            return False
        await commit_all(tree.path, message)
        if not succeeded:
            return False
        async with self._lock:
            await _check("worktree", "remove", "--force", str(tree.path.resolve()), cwd=tree.repo)
            await git("worktree", "prune", cwd=tree.repo)
        return True


async def commit_all(path: Path, message: str) -> bool:
    """`git add -A && git commit` in a checkout; False when there was nothing to commit.
    A repository without a configured identity commits as `tracker`."""
    await _check("add", "-A", cwd=path)
    code, _, _ = await git("diff", "--cached", "--quiet", cwd=path)
    if code == 0:
        return False
    identity: list[str] = []
    if (await git("config", "user.email", cwd=path))[0] != 0:
        identity = ["-c", "user.name=tracker", "-c", "user.email=tracker@localhost"]
    await _check(*identity, "commit", "--no-verify", "-q", "-m", message, cwd=path)
    return True
