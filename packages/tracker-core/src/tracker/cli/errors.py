"""How the CLI reports failure: one `error: …` line (exit 1), never a traceback."""

from __future__ import annotations

import sys


class CliError(Exception):
    """A user-facing failure. `message` may span lines; it is printed after `error: `."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


class CliExit(Exception):
    """Stop with `exit_code`; everything worth saying has already been printed."""

    def __init__(self, exit_code: int) -> None:
        super().__init__(exit_code)
        self.exit_code = exit_code


class UsageFailure(Exception):
    """A flag-parsing style error: printed as `Error: <msg>`, a blank line, then usage."""

    def __init__(self, message: str, usage: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.usage = usage


def eprint(*lines: str) -> None:
    """Print lines on stderr (errors, warnings and diagnostics never go to stdout)."""
    for line in lines:
        print(line, file=sys.stderr)


def print_error(message: str) -> None:
    eprint(f"error: {message}")


def silence_stdout() -> None:
    """After a closed pipe (`tracker simulate x | head`), keep the interpreter's final
    flush from printing a second error."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def exit_with(code: int) -> None:
    """Flush stdout and exit with `code`; a reader that went away makes it a failure,
    without a second error message."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        silence_stdout()
        code = code or 1
    sys.exit(code)
