"""Console-mode rendering of a run (cli-tui.md §4.4): one line per node outcome, agent tool
activity, and — on a terminal — a spinner on stderr naming the node being waited on.

Plumbing events (checkpoints, decisions, cost snapshots, `stage_started`) are shown only
with `--verbose`; the spinner stands in for `stage_started` otherwise."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime
from typing import Any, TextIO

from tracker.cli.run_summary import fmt_duration

#: pipeline events worth a line without --verbose
SHOWN = frozenset(
    {
        "pipeline_started",
        "pipeline_completed",
        "pipeline_failed",
        "stage_completed",
        "stage_failed",
        "stage_retrying",
        "loop_restart",
        "budget_exceeded",
        "warning",
        "parallel_started",
        "parallel_completed",
        "gate_resolved",
        "validation_overridden",
        "billing_paused",
        "checkpoint_failed",
        "tool_output_truncated",
    }
)
RESUMED = "previously completed (resumed)"
_PREVIEW = 120
_OUTPUT_LINES = 5
_FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


def _clock(ts: Any) -> str:
    if isinstance(ts, datetime):
        return ts.astimezone().strftime("%H:%M:%S")
    return time.strftime("%H:%M:%S")


def _preview(text: str, limit: int = _PREVIEW) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def pipeline_line(event: Any, suffix: str = "") -> str:
    """`[HH:MM:SS] <type:22> node=<id:20> <message>` (` (err: …)` when there is one)."""
    head = f"[{_clock(event.timestamp)}] {event.type:<22} "
    if event.node_id:
        head += f"node={event.node_id:<20} "
    line = head + event.message + suffix
    if event.error and event.error not in event.message:
        line += f" (err: {event.error})"
    return line.rstrip()


def _tool_subject(content: str) -> str:
    """The interesting argument of a tool call (its input is usually a JSON object)."""
    try:
        args = json.loads(content)
    except ValueError:
        return content
    if not isinstance(args, dict):
        return content
    for key in ("path", "file_path", "command", "pattern", "task", "query", "name", "url"):
        if args.get(key):
            return str(args[key])
    return content


def agent_text(event: Any, verbose: bool) -> list[str]:
    """The §4.4 line(s) for an agent-sourced event, or [] to stay quiet."""
    etype, tool, content = event.type, event.tool_name, event.content or ""
    if etype == "tool_call_start":
        content = _tool_subject(content)
        if tool == "bash":
            return [f"$ {_preview(content)}"] if content else ["$ (command)"]
        if tool in ("read", "write", "edit", "apply_patch", "grep", "glob"):
            name = "patch" if tool == "apply_patch" else tool
            return [f"━ {name} {_preview(content)}".rstrip()]
        return [f"━ {tool}: {_preview(content)}" if content else f"━ {tool}"]
    if etype == "tool_call_end":
        if event.error:
            return [f"✖ {tool}: {_preview(event.error)}"]
        if not content.strip():
            return [f"✓ {tool}"]
        out = content.rstrip("\n").splitlines()
        keep = out if verbose else out[:_OUTPUT_LINES]
        lines = [f"  {line}" for line in keep]
        if len(out) > len(keep):
            lines.append(f"  … {len(out) - len(keep)} more line(s)")
        return lines
    if etype == "error":
        return [f"✖ {_preview(event.error or content)}"]
    if etype == "verify":
        return [f"✔ {content}" if "passed" in content else f"⚠ {content}"]
    if etype == "checkpoint":
        return [f"⏱ checkpoint: {content}"]
    if etype == "context_compaction":
        return [f"⟲ context compacted {content}".rstrip()]
    if verbose and etype in ("llm_finish", "llm_request_start", "turn_end"):
        return [f"{etype} {event.provider}/{event.model} {content}".rstrip()]
    return []


class Spinner:
    """`⠋ Build 3.2s` redrawn on stderr while a node runs; only used on a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.lock = threading.RLock()
        self._label = ""
        self._since = 0.0
        self._shown = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="tracker-spinner", daemon=True)
        self._thread.start()

    def set(self, label: str) -> None:
        with self.lock:
            self._label = label
            self._since = time.monotonic()
            if not label:
                self.clear()

    def clear(self) -> None:
        with self.lock:
            if self._shown:
                self.stream.write("\r\x1b[K")
                self.stream.flush()
                self._shown = False

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1)
        self.clear()

    def _loop(self) -> None:
        frame = 0
        while not self._stop.wait(0.1):
            with self.lock:
                if not self._label:
                    continue
                elapsed = fmt_duration(time.monotonic() - self._since)
                self.stream.write(
                    f"\r\x1b[K{_FRAMES[frame % len(_FRAMES)]} {self._label} {elapsed}"
                )
                self.stream.flush()
                self._shown = True
            frame += 1


class ConsoleRenderer:
    """An engine event sink printing console lines to `out` (stdout)."""

    def __init__(
        self,
        out: TextIO,
        *,
        verbose: bool = False,
        spinner: Spinner | None = None,
        resumed: list[str] | None = None,
    ) -> None:
        self.out = out
        self.verbose = verbose
        self.spinner = spinner
        #: nodes a resumed run will not execute again, announced once the run starts
        self._resumed: list[str] = list(resumed or [])
        self._announced = set(self._resumed)
        self._started: dict[str, float] = {}
        self._lock = threading.Lock()

    def __call__(self, event: Any) -> None:
        with self._lock:
            try:
                self._handle(event)
            except (OSError, ValueError):
                pass  # a closed stdout must not break the run

    # ------------------------------------------------------------------ dispatch

    def _handle(self, event: Any) -> None:
        if event.source == "pipeline":
            self._pipeline(event)
        elif event.source == "agent":
            for text in agent_text(event, self.verbose):
                self._emit(f"[{_clock(event.timestamp)}] [{event.node_id}] {text}")
        elif self.verbose:
            content = f" {_preview(event.content)}" if event.content else ""
            self._emit(
                f"[{_clock(event.timestamp)}] llm {event.type} "
                f"{event.provider}/{event.model}{content}".rstrip()
            )

    def _pipeline(self, event: Any) -> None:
        etype = event.type
        if etype == "stage_completed" and event.message == RESUMED:
            if event.node_id not in self._announced:
                self._resumed.append(event.node_id)
            return
        if etype == "pipeline_started":
            self._emit(pipeline_line(event))
            self._flush_resumed()
            return
        self._flush_resumed()
        if etype == "stage_started":
            self._started[event.node_id] = time.monotonic()
            self._spin(f"running {event.node_id}")
        elif etype == "gate_opened":
            self._spin("")  # the prompt needs the line
        elif etype in ("stage_completed", "stage_failed", "pipeline_completed", "pipeline_failed"):
            self._spin("")
        if etype not in SHOWN and not self.verbose:
            return
        suffix = ""
        if etype in ("stage_completed", "stage_failed") and event.node_id in self._started:
            suffix = f" ({fmt_duration(time.monotonic() - self._started.pop(event.node_id))})"
        self._emit(pipeline_line(event, suffix))

    def _flush_resumed(self) -> None:
        if self._resumed:
            names = ", ".join(self._resumed)
            self._emit(f"  ✓ resumed {len(self._resumed)} completed nodes: {names}")
            self._resumed = []

    def _spin(self, label: str) -> None:
        if self.spinner is not None:
            self.spinner.set(label)

    def _emit(self, line: str) -> None:
        if self.spinner is not None:
            with self.spinner.lock:
                self.spinner.clear()
                self._write(line)
        else:
            self._write(line)

    def _write(self, line: str) -> None:
        self.out.write(line + "\n")
        self.out.flush()

    def close(self) -> None:
        with self._lock:
            self._flush_resumed()
        if self.spinner is not None:
            self.spinner.stop()
