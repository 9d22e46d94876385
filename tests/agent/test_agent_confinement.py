"""Every file tool refuses paths that leave the working directory — `..`, absolute paths
and symlinks pointing outside — with a tool error the model sees; the session goes on."""

from __future__ import annotations

from pathlib import Path

import pytest
from agent_support import call, run_session
from tracker.agent import ConfinementError, Workspace

SECRET = "top secret\n"


@pytest.fixture
def outside(tmp_path: Path, workdir: Path) -> Path:
    """A directory next to the working dir, and links to it from inside."""
    out = tmp_path / "outside"
    out.mkdir()
    (out / "secret.txt").write_text(SECRET)
    (workdir / "link.txt").symlink_to(out / "secret.txt")
    (workdir / "linkdir").symlink_to(out, target_is_directory=True)
    return out


def _update(path: str) -> str:
    return f"*** Begin Patch\n*** Update File: {path}\n@@\n-top secret\n+pwned\n*** End Patch"


def _add(path: str) -> str:
    return f"*** Begin Patch\n*** Add File: {path}\n+pwned\n*** End Patch"


ESCAPES = {
    "read": [
        call("read", path="../outside/secret.txt"),
        call("read", path="/etc/passwd"),
        call("read", path="link.txt"),
    ],
    "write": [
        call("write", path="../outside/secret.txt", content="pwned"),
        call("write", path="/tmp/tracker-escape-test.txt", content="pwned"),
        call("write", path="link.txt", content="pwned"),
        call("write", path="linkdir/new.txt", content="pwned"),
    ],
    "edit": [
        call("edit", path="../outside/secret.txt", old_string="top", new_string="pwned"),
        call("edit", path="/etc/passwd", old_string="root", new_string="pwned"),
        call("edit", path="link.txt", old_string="top", new_string="pwned"),
    ],
    "apply_patch": [
        call("apply_patch", patch=_update("../outside/secret.txt")),
        call("apply_patch", patch=_update("/etc/passwd")),
        call("apply_patch", patch=_update("link.txt")),
        call("apply_patch", patch=_add("linkdir/new.txt")),
    ],
    "glob": [
        call("glob", pattern="../outside/*"),
        call("glob", pattern="/etc/*"),
        call("glob", pattern="linkdir/*"),
    ],
    "grep_search": [
        call("grep_search", pattern="secret", path="../outside"),
        call("grep_search", pattern="root", path="/etc/passwd"),
        call("grep_search", pattern="secret", path="link.txt"),
    ],
}


@pytest.mark.parametrize("tool", sorted(ESCAPES))
def test_each_file_tool_refuses_escapes(tool: str, workdir: Path, outside: Path) -> None:
    calls = ESCAPES[tool]
    run = run_session([{"tool_calls": calls}, "I will stay inside."], workdir)

    results = run.tool_results(1)  # what the model saw in the next request
    assert len(results) == len(calls)
    for text, is_error in results:
        assert is_error, text
        assert text.startswith(f"Tool error ({tool}): ")
        assert (
            "path escapes working directory" in text
            or "absolute paths not allowed" in text
            or "resolve through symlinks outside" in text
        ), text
        assert "top secret" not in text and "root:" not in text
    absolute = results[1][0]
    assert "absolute paths not allowed" in absolute
    symlinked = results[2][0]
    assert "symlink" in symlinked

    # nothing outside changed, and the session carried on to a natural end
    assert (outside / "secret.txt").read_text() == SECRET
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]
    assert not Path("/tmp/tracker-escape-test.txt").exists()
    assert run.result.error is None and run.result.stopped_naturally
    assert run.result.turns == 2 and run.result.final_text == "I will stay inside."
    assert run.result.tool_calls == {tool: len(calls)}
    assert all(e.tool_error == "true" for e in run.of("tool_call_end"))


def test_grep_walk_skips_files_linked_from_outside(workdir: Path, outside: Path) -> None:
    (workdir / "mine.txt").write_text("secret of my own\n")
    run = run_session([{"tool_calls": [call("grep_search", pattern="secret")]}, "ok"], workdir)
    [(text, is_error)] = run.tool_results(1)
    assert not is_error
    assert text == "mine.txt:1:secret of my own"


def test_links_inside_the_working_dir_are_fine(workdir: Path) -> None:
    (workdir / "real.txt").write_text("inside\n")
    (workdir / "alias.txt").symlink_to(workdir / "real.txt")
    run = run_session([{"tool_calls": [call("read", path="alias.txt")]}, "ok"], workdir)
    assert run.tool_results(1) == [("inside\n", False)]


def test_workspace_resolution_rules(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    ws = Workspace(root)
    assert ws.resolve("sub/../a.txt") == str((root / "a.txt").resolve())
    assert ws.resolve(".") == str(root.resolve())
    for bad, message in [
        ("../x", "path escapes working directory: ../x"),
        ("sub/../../x", "path escapes working directory"),
        (
            "/etc/passwd",
            'absolute paths not allowed: /etc/passwd (use a relative path like "passwd"',
        ),
        ("~/.ssh/id_rsa", "absolute paths not allowed"),
    ]:
        with pytest.raises(ConfinementError, match=message.replace("(", r"\(")):
            ws.resolve(bad)
    # a dangling link pointing outside is refused too (a write would create the target)
    (root / "dangling").symlink_to(tmp_path / "nowhere.txt")
    with pytest.raises(ConfinementError, match="symlink"):
        ws.write_text("dangling", "x")
    assert not (tmp_path / "nowhere.txt").exists()
