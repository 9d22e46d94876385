"""`tracker fmt <file> [--check|--write]`: the canonical formatting of a .dip file."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from tracker.cli.errors import CliError
from tracker.cli.report import print_diagnostics


def write_atomically(path: Path, text: str) -> None:
    """Write via a temp file in the same directory + os.replace, keeping the file mode."""
    try:
        mode = path.stat().st_mode & 0o7777
    except OSError:
        mode = 0o644
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def run_fmt(file: str | None, *, check: bool = False, write: bool = False) -> int:
    if not file:
        raise CliError("usage: tracker fmt <file.dip> [--check|--write]")
    if check and write:
        raise CliError("--check and --write cannot be used together")
    path = Path(file)
    try:
        original = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CliError(f"read {file}: no such file or directory") from None
    except IsADirectoryError:
        raise CliError(f"read {file}: is a directory") from None
    except UnicodeDecodeError:
        raise CliError(f"read {file}: not valid UTF-8 text") from None
    except OSError as exc:
        raise CliError(f"read {file}: {exc.strerror or exc}") from None

    from tracker.dippin.formatter import format_workflow
    from tracker.dippin.parser import parse

    result = parse(original, file)
    if not result.ok:
        print_diagnostics(result.diagnostics)
        raise CliError(f"{file}: cannot format a file with parse errors")
    formatted = format_workflow(result.workflow)
    if check:
        if formatted != original:
            print(f"{file}: would reformat")
            return 1
        return 0
    if write:
        if formatted != original:
            try:
                write_atomically(path, formatted)
            except OSError as exc:
                raise CliError(f"write {file}: {exc.strerror or exc}") from None
        return 0
    sys.stdout.write(formatted)
    return 0
