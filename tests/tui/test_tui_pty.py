"""`tracker run x.dip` on a real (pseudo-)terminal shows the dashboard, which exits by
itself when the pipeline finishes; the summary follows on the normal screen (§9.10)."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tui_support import PIPELINE

REPO = Path(__file__).resolve().parents[2]
TRACKER = REPO / ".venv" / "bin" / "tracker"


def _run_in_pty(args: list[str], cwd: Path, timeout: float = 60) -> tuple[int, str]:
    import pty

    master, slave = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"}
    env["XDG_CONFIG_HOME"] = str(cwd / "xdg")
    proc = subprocess.Popen(
        args, cwd=cwd, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True
    )
    os.close(slave)
    out = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
            elif proc.poll() is not None:
                break
        code = proc.wait(timeout=max(1, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    return code, out.decode("utf-8", "replace")


@pytest.mark.skipif(sys.platform == "win32" or not TRACKER.exists(), reason="needs a pty")
def test_run_on_a_terminal_uses_the_dashboard_and_completes(tmp_path: Path) -> None:
    (tmp_path / "tiny.dip").write_text(PIPELINE)
    code, output = _run_in_pty([str(TRACKER), "run", "tiny.dip"], tmp_path)
    assert code == 0, output[-2000:]
    assert "\x1b[?1049h" in output  # the alternate screen: the dashboard ran
    summary = output.rsplit("\x1b[?1049l", 1)[-1]  # after leaving the alternate screen
    assert "Done" in summary
    assert "notice: tracker-tui is not installed" not in output
