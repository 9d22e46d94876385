"""Console prompts for gates when stdin is not a terminal (cli-tui.md §10.2).

Prompts go to `output` (stderr by default, so `--json` keeps stdout pure NDJSON) and
answers are read line by line from `input` (stdin by default):

- choice / yes-no: a blank line, the prompt word-wrapped at 76 columns, options `  1) a`
  with `* ` marking the default, then `Enter choice [default]: ` or `Enter choice: `. An
  option name (any case) or its 1-based number selects; empty → the default; end of input
  → the default, else `no input received`; anything else → `invalid choice: "x"`.
- freeform: the prompt then `> `; empty → `empty input`; end of input → `no input received`.
  (Labeled freeform gates use the same prompt; typed text still matches edge labels.)
- interview: per question `Qi: <text>`, options numbered with a final `Other`,
  `Previous: <answer>` when re-asked, then `Enter choice (name or number, blank to skip): `,
  `Enter (y/n, blank to skip): ` or `> `; blank keeps the previous answer; end of input
  cancels (remaining answers empty, `canceled: true`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import re
import sys
import threading
from typing import TextIO

from tracker.gates.answers import InterviewAnswer, InterviewResult
from tracker.gates.interviewer import ACTOR_HUMAN, GateError, Interviewer
from tracker.gates.questions import Question

PROMPT_WIDTH = 76
_INTEGER = re.compile(r"^[+-]?\d+$", re.ASCII)


class _EndOfInput(Exception):
    pass


class ConsoleInterviewer(Interviewer):
    name = "console"
    actor = ACTOR_HUMAN

    def __init__(self, input: TextIO | None = None, output: TextIO | None = None) -> None:
        self._out = output
        self._lines = LineReader(input)
        self._locks: dict[int, asyncio.Lock] = {}

    # output ---------------------------------------------------------------------------

    def _write(self, text: str) -> None:
        out = self._out if self._out is not None else sys.stderr
        out.write(text)
        out.flush()

    async def _read(self) -> str:
        line = await self._lines.readline()
        if line is None:
            raise _EndOfInput
        return line

    def _lock(self) -> asyncio.Lock:
        """One question at a time per console, even with gates in parallel branches."""
        loop_id = id(asyncio.get_running_loop())
        lock = self._locks.get(loop_id)
        if lock is None:
            self._locks = {loop_id: (lock := asyncio.Lock())}
        return lock

    # choice ---------------------------------------------------------------------------

    async def ask(self, prompt: str, choices: list[str], default: str = "") -> str:
        if not choices:
            raise GateError("no choices available")
        async with self._lock():
            self._write(f"\n{prompt_plain(prompt)}\n")
            for i, choice in enumerate(choices, start=1):
                marker = "* " if choice == default else "  "
                self._write(f"{marker}{i}) {choice}\n")
            self._write(f"Enter choice [{default}]: " if default else "Enter choice: ")
            try:
                raw = await self._read()
            except _EndOfInput:
                if default:
                    return default
                raise GateError("no input received") from None
        text = raw.strip()
        if not text and default:
            return default
        picked = match_choice_input(text, choices)
        if picked is None:
            raise GateError(f"invalid choice: {go_quote(text)}")
        return picked

    # freeform -------------------------------------------------------------------------

    async def ask_freeform(self, prompt: str) -> str:
        async with self._lock():
            self._write(f"\n{prompt_plain(prompt)}\n> ")
            try:
                raw = await self._read()
            except _EndOfInput:
                raise GateError("no input received") from None
        text = raw.strip()
        if not text:
            raise GateError("empty input")
        return text

    # interview ------------------------------------------------------------------------

    async def ask_interview(
        self, questions: list[Question], previous: InterviewResult | None = None
    ) -> InterviewResult:
        before = previous.by_id() if previous else {}
        answers: list[InterviewAnswer] = []
        canceled = False
        async with self._lock():
            for q in questions:
                answer = InterviewAnswer.for_question(q)
                answers.append(answer)
                if canceled:
                    continue
                self._write(f"\nQ{q.index}: {q.text}\n")
                prior = before.get(q.id)
                try:
                    answer.answer = await self._ask_one(q, prior.answer if prior else "")
                except _EndOfInput:
                    canceled = True
        incomplete = any(not a.answer.strip() for a in answers)
        return InterviewResult(questions=answers, incomplete=incomplete, canceled=canceled)

    async def _ask_one(self, q: Question, prior: str) -> str:
        if q.is_yes_no:
            return await self._ask_yes_no(prior)
        if q.options:
            return await self._ask_option(q, prior)
        if prior:
            self._write(f"Previous: {prior}\n")
        self._write("> ")
        return (await self._read()).strip() or prior

    async def _ask_yes_no(self, prior: str) -> str:
        if prior:
            self._write(f"Previous: {prior}\n")
        self._write("Enter (y/n, blank to skip): ")
        text = (await self._read()).strip().lower()
        if text in ("y", "yes"):
            return "yes"
        if text in ("n", "no"):
            return "no"
        return prior if not text else ""

    async def _ask_option(self, q: Question, prior: str) -> str:
        for i, opt in enumerate(q.options, start=1):
            self._write(f"  {i}) {opt}\n")
        self._write(f"  {len(q.options) + 1}) Other\n")
        if prior:
            self._write(f"Previous: {prior}\n")
        self._write("Enter choice (name or number, blank to skip): ")
        text = (await self._read()).strip()
        if not text:
            return prior
        for opt in q.options:
            if opt.lower() == text.lower():
                return opt
        if _INTEGER.match(text):
            n = int(text)
            if 1 <= n <= len(q.options):
                return q.options[n - 1]
            if n == len(q.options) + 1:
                self._write("Enter your answer: ")
                try:
                    return (await self._read()).strip()
                except _EndOfInput:
                    return ""
        return text  # anything else is an "Other" answer in the user's words


def match_choice_input(text: str, choices: list[str]) -> str | None:
    """An option by name (any case) or by 1-based number."""
    for choice in choices:
        if choice.lower() == text.lower():
            return choice
    if _INTEGER.match(text):
        n = int(text)
        if 1 <= n <= len(choices):
            return choices[n - 1]
    return None


def prompt_plain(prompt: str, width: int = PROMPT_WIDTH) -> str:
    """Word-wrap each paragraph at `width` columns, no styling (piped output stays clean)."""
    if not prompt.strip():
        return ""
    width = width if width > 0 else 80
    lines: list[str] = []
    for paragraph in prompt.split("\n"):
        words = paragraph.split()
        if not words:
            lines.append("")
            continue
        current = words[0]
        for word in words[1:]:
            if len(current) + 1 + len(word) > width:
                lines.append(current)
                current = word
            else:
                current += " " + word
        lines.append(current)
    return "\n".join(lines)


def go_quote(text: str) -> str:
    """A double-quoted rendering like Go's %q, for messages users compare with the docs."""
    return json.dumps(text, ensure_ascii=False)


class LineReader:
    """Reads lines from a blocking text stream without blocking the event loop.

    Each read runs on a daemon thread (so a read left waiting never holds up interpreter
    exit). A read abandoned by a timed-out gate stays pending and its line goes to the next
    question, so typed input is never lost and threads never pile up.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self._pending: concurrent.futures.Future[str] | None = None
        self._guard = threading.Lock()

    def _start(self) -> concurrent.futures.Future[str]:
        with self._guard:
            if self._pending is None or self._pending.cancelled():
                future: concurrent.futures.Future[str] = concurrent.futures.Future()
                stream = self._stream if self._stream is not None else sys.stdin
                threading.Thread(
                    target=_read_into, args=(stream, future), daemon=True, name="tracker-gate-input"
                ).start()
                self._pending = future
            return self._pending

    async def readline(self) -> str | None:
        """The next line without its line ending, or None at end of input."""
        future = self._start()
        line = await asyncio.wrap_future(future)
        with self._guard:
            if self._pending is future:
                self._pending = None
        if line == "":
            return None
        return line.rstrip("\r\n")


def _read_into(stream: TextIO, future: concurrent.futures.Future[str]) -> None:
    if not future.set_running_or_notify_cancel():  # from here on a waiter cannot cancel it
        return
    try:
        future.set_result(stream.readline())
    except BaseException as exc:  # noqa: BLE001 - handed to the awaiting gate
        future.set_exception(exc)
