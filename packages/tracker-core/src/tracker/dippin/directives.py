"""File directives (`prompt_file`, `command_file`, …) and prompt composition (spec §6).

Why a security envelope: a `.dip` file may come from an untrusted repository and run in
CI, so a directive may only read regular files inside the pipeline's own directory, and
no diagnostic ever reveals an absolute path — only what the author wrote.

Where resolved content goes (the IR is mutated in place; every `*_file` field stays set so
the formatter can keep the directive form):

* tool `command_file` → `ToolConfig.command`
* agent `prompt_file` → `AgentConfig.prompt`; `system_prompt_file` → `system_prompt`
* agent `prompt_include` → a private attribute of the agent config, read by `compose_prompt`
* `defaults.prompt_prefix_file` / `prompt_suffix_file` → `defaults.prompt_prefix` / `prompt_suffix`
* `defaults.system_prompt_file` → `system_prompt` of every agent that has no system prompt
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from tracker.lint.diagnostic import Diagnostic

from .ir import AgentConfig, Node, SourceLocation, ToolConfig, Workflow

__all__ = [
    "MAX_DIRECTIVE_BYTES",
    "DirectiveError",
    "compose_prompt",
    "read_directive_file",
    "resolve_file_directives",
]

MAX_DIRECTIVE_BYTES = 4 * 1024 * 1024
PROMPT_SEPARATOR = "\n\n"


class DirectiveError(Exception):
    """A directive file that may not or cannot be read; the message names no absolute path."""


def _mib(size: int) -> str:
    mib = 1024 * 1024
    return f"{size // mib} MiB" if size % mib == 0 else f"{size / mib:.1f} MiB"


def _is_within(path: Path, base: Path) -> bool:
    return path == base or path.is_relative_to(base)


def read_directive_file(base_dir: Path, rel: str) -> str:
    """Read `rel` (as written in the .dip file) under `base_dir`, enforcing the envelope:
    relative paths only, no lexical or symlinked escape, no symlinked leaf, at most 4 MiB.
    Content is returned byte-for-byte (decoded as UTF-8, newlines untouched)."""
    if os.path.isabs(rel) or rel.startswith(("/", "\\")):
        raise DirectiveError("absolute paths are not allowed")
    if any(ord(ch) < 0x20 or ch == "\x7f" for ch in rel):
        raise DirectiveError("path contains a control character")
    clean = os.path.normpath(rel)
    if clean == ".." or clean.startswith(".." + os.sep):
        raise DirectiveError("path resolves outside the pipeline directory")
    target = Path(base_dir) / clean
    real_base = Path(os.path.realpath(base_dir))
    real_parent = Path(os.path.realpath(target.parent))
    if not _is_within(real_parent, real_base):
        raise DirectiveError("path resolves outside the pipeline directory")
    return _read_leaf(target)


def _read_leaf(target: Path) -> str:
    """Open the leaf without following a symlink, then check and read through one fd."""
    try:
        if stat.S_ISLNK(os.lstat(target).st_mode):
            raise DirectiveError("symlinks are not allowed")
        fd = os.open(target, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError as err:
        raise DirectiveError("file not found") from err
    except NotADirectoryError as err:
        raise DirectiveError("file not found") from err
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise DirectiveError("symlinks are not allowed") from err
        raise DirectiveError("file is not readable") from err
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise DirectiveError("not a regular file")
        if info.st_size > MAX_DIRECTIVE_BYTES:
            raise DirectiveError(
                f"file is too large ({_mib(info.st_size)}, max {_mib(MAX_DIRECTIVE_BYTES)})"
            )
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(MAX_DIRECTIVE_BYTES + 1)
    except OSError as err:
        raise DirectiveError("file is not readable") from err
    finally:
        os.close(fd)
    if len(data) > MAX_DIRECTIVE_BYTES:
        raise DirectiveError(f"file is too large (max {_mib(MAX_DIRECTIVE_BYTES)})")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise DirectiveError("file is not UTF-8 text") from err


class _Resolver:
    """Collects one diagnostic per failed directive instead of stopping at the first."""

    def __init__(self, wf: Workflow, base_dir: Path | None) -> None:
        self.wf = wf
        self.base_dir = base_dir
        self.diagnostics: list[Diagnostic] = []

    def load(self, owner: str, directive: str, rel: str, at: SourceLocation) -> str | None:
        if not rel:
            return None
        try:
            if self.base_dir is None:
                raise DirectiveError(
                    "file directives need a pipeline file on disk "
                    "(this workflow is built in or came from stdin)"
                )
            return read_directive_file(self.base_dir, rel)
        except DirectiveError as err:
            self.diagnostics.append(
                Diagnostic(
                    code="DIP000",
                    severity="error",
                    message=f'{owner}: {directive} "{rel}": {err}',
                    file=at.file or self.wf.source_file,
                    line=at.line,
                    column=at.column,
                )
            )
            return None

    def run(self) -> list[Diagnostic]:
        defaults = self.wf.defaults
        at = defaults.source
        prefix = self.load("defaults", "prompt_prefix_file", defaults.prompt_prefix_file, at)
        if prefix is not None:
            defaults.prompt_prefix = prefix
        suffix = self.load("defaults", "prompt_suffix_file", defaults.prompt_suffix_file, at)
        if suffix is not None:
            defaults.prompt_suffix = suffix
        fallback_system = self.load(
            "defaults", "system_prompt_file", defaults.system_prompt_file, at
        )
        for node in self.wf.nodes:
            cfg = node.config
            if isinstance(cfg, ToolConfig):
                self.resolve_tool(node, cfg)
            elif isinstance(cfg, AgentConfig):
                self.resolve_agent(node, cfg, fallback_system)
        return self.diagnostics

    def resolve_tool(self, node: Node, cfg: ToolConfig) -> None:
        command = self.load(f'node "{node.id}"', "command_file", cfg.command_file, node.source)
        if command is not None:
            cfg.command = command

    def resolve_agent(self, node: Node, cfg: AgentConfig, fallback_system: str | None) -> None:
        owner = f'node "{node.id}"'
        prompt = self.load(owner, "prompt_file", cfg.prompt_file, node.source)
        if prompt is not None:
            cfg.prompt = prompt
        system = self.load(owner, "system_prompt_file", cfg.system_prompt_file, node.source)
        if system is not None:
            cfg.system_prompt = system
        include = self.load(owner, "prompt_include", cfg.prompt_include, node.source)
        if include is not None:
            cfg._prompt_include_text = include
        if fallback_system and not cfg.system_prompt and not cfg.system_prompt_file:
            cfg.system_prompt = fallback_system


def resolve_file_directives(wf: Workflow, base_dir: Path | None) -> list[Diagnostic]:
    """Load every file directive of `wf` relative to `base_dir` (the .dip file's directory),
    mutating `wf` in place. Returns one error diagnostic per directive that failed."""
    return _Resolver(wf, Path(base_dir) if base_dir is not None else None).run()


def compose_prompt(wf: Workflow, node: Node) -> str:
    """The agent's effective prompt: non-empty parts of prefix, body, include, suffix joined
    by a blank line. An agent with neither body nor include stays prompt-less, so a bare
    start/exit agent never gets a prompt made of the defaults cascade alone."""
    cfg = node.config
    if isinstance(cfg, AgentConfig):
        body = cfg.prompt
        include = cfg._prompt_include_text
        if not body and not include:
            return ""
        prefix = "" if cfg.prompt_prefix == "none" else wf.defaults.prompt_prefix
        suffix = "" if cfg.prompt_suffix == "none" else wf.defaults.prompt_suffix
        return PROMPT_SEPARATOR.join(p for p in (prefix, body, include, suffix) if p)
    return getattr(cfg, "prompt", "") or ""
