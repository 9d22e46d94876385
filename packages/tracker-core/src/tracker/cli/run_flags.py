"""Run-mode flags (cli-tui.md §4.1, §4.2): Go-style parsing (flags anywhere, `-x` or `--x`,
`--flag value` or `--flag=value`, repeatable lists) into one validated `RunOptions`.

Every mistake is a `UsageFailure`: `Error: <message>`, a blank line, then the run usage,
exit 1 — before anything is loaded or run."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tracker.cli.errors import CliError, UsageFailure

RUN_USAGE = """\
Usage: tracker [flags] <pipeline> [flags]      (or: tracker run <pipeline>)

Runs a pipeline: a .dip/.dot file, ./NAME.dip, or a built-in workflow name.

Flags:
  -w, --workdir DIR          working directory for tools, agents, .env and .tracker/runs
  -r, --resume ID            resume a run by ID or unique ID prefix
  --param KEY=VALUE          override a declared workflow var (repeatable)
  --artifact-dir DIR         where run directories go (default: <workdir>/.tracker/runs)
  --format dip|dot           source format (default: by file extension)
  --json                     NDJSON event stream on stdout (everything else on stderr)
  --no-tui                   console output (the default until a dashboard is installed)
  --verbose                  every pipeline event, raw provider lines, tracebacks
  --auto-approve             answer every human gate with its default (no LLM)
  --autopilot PERSONA        an LLM answers gates: lax, mid, hard or mentor
  --scripted FILE            answer every agent node from a scripted-provider file (offline)
  --backend NAME             agent backend: native, claude-code or acp (default native)
  --max-tokens N             stop after N total tokens (0 = no limit)
  --max-cost CENTS           stop after this much spend, in cents (0 = no limit)
  --max-wall-time DURATION   stop after this long, e.g. 90s, 1h30m (0 = no limit)
  --tool-allowlist GLOBS     tool commands must match one pattern (repeatable, comma lists)
  --tool-denylist-add GLOBS  extra denied tool-command patterns (repeatable, comma lists)
  --bypass-denylist          disable the tool-command denylist (sandboxes only)
  --max-output-limit BYTES   per-stream cap on tool output (0 = 10 MB)
  --gateway-url URL          gateway root for every provider
  --webhook-url URL          POST human gates to this URL (headless runs)
  --gate-callback-addr ADDR  callback listener for webhook answers (default :8789)
  --gate-timeout DURATION    per-gate wait for webhook answers (default 10m)
  --gate-timeout-action A    fail or success when a webhook gate times out
  --webhook-auth VALUE       Authorization header for webhook POSTs
  --export-bundle PATH       write a git bundle of the run directory after the run
  --fail-on-override         exit 2 when the run ends validation_overridden
"""

BACKENDS = ("native", "claude-code", "acp")
DEFAULT_OUTPUT_LIMIT = 10 * 1024 * 1024

#: flag spelling -> (destination, kind); kinds: str, int, duration, bool, list, param
_FLAGS: dict[str, tuple[str, str]] = {
    "-w": ("workdir", "str"),
    "--workdir": ("workdir", "str"),
    "-r": ("resume", "str"),
    "--resume": ("resume", "str"),
    "--format": ("format", "str"),
    "--json": ("json", "bool"),
    "--no-tui": ("no_tui", "bool"),
    "--verbose": ("verbose", "bool"),
    "--auto-approve": ("auto_approve", "bool"),
    "--autopilot": ("autopilot", "str"),
    "--scripted": ("scripted", "str"),
    "--backend": ("backend", "str"),
    "--max-tokens": ("max_tokens", "int"),
    "--max-cost": ("max_cost", "int"),
    "--max-wall-time": ("max_wall_time", "duration"),
    "--param": ("params", "param"),
    "--artifact-dir": ("artifact_dir", "str"),
    "--gateway-url": ("gateway_url", "str"),
    "--webhook-url": ("webhook_url", "str"),
    "--gate-callback-addr": ("gate_callback_addr", "str"),
    "--gate-timeout": ("gate_timeout", "duration"),
    "--gate-timeout-action": ("gate_timeout_action", "str"),
    "--webhook-auth": ("webhook_auth", "str"),
    "--export-bundle": ("export_bundle", "str"),
    "--bypass-denylist": ("bypass_denylist", "bool"),
    "--tool-allowlist": ("tool_allowlist", "list"),
    "--tool-denylist-add": ("tool_denylist_add", "list"),
    "--max-output-limit": ("max_output_limit", "int"),
    "--fail-on-override": ("fail_on_override", "bool"),
}

_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}


@dataclass
class RunOptions:
    """A parsed run invocation. Durations are seconds; None means "not given"."""

    pipeline: str = ""
    workdir: str = ""
    resume: str = ""
    format: str = ""
    json: bool = False
    no_tui: bool = False
    verbose: bool = False
    auto_approve: bool = False
    autopilot: str | None = None
    scripted: str = ""
    backend: str = ""
    max_tokens: int = 0
    max_cost: int = 0
    max_wall_time: float = 0.0
    params: dict[str, str] = field(default_factory=dict)
    artifact_dir: str = ""
    gateway_url: str = ""
    webhook_url: str = ""
    gate_callback_addr: str = ":8789"
    gate_timeout: float = 0.0
    gate_timeout_action: str = "fail"
    webhook_auth: str = ""
    export_bundle: str = ""
    bypass_denylist: bool = False
    tool_allowlist: list[str] = field(default_factory=list)
    tool_denylist_add: list[str] = field(default_factory=list)
    max_output_limit: int = 0
    fail_on_override: bool = False
    given: set[str] = field(default_factory=set)

    def workdir_path(self) -> Path:
        return Path(self.workdir or ".").expanduser().resolve()

    def artifact_path(self) -> Path:
        if self.artifact_dir:
            return Path(self.artifact_dir).expanduser().resolve()
        return self.workdir_path() / ".tracker" / "runs"

    @property
    def output_limit(self) -> int:
        return self.max_output_limit or DEFAULT_OUTPUT_LIMIT


def _fail(message: str) -> UsageFailure:
    return UsageFailure(message, RUN_USAGE)


def _duration(flag: str, raw: str) -> float:
    from tracker.dippin.values import parse_duration

    try:
        return parse_duration(raw.strip()) / 1e9
    except ValueError:
        raise _fail(
            f'invalid value "{raw}" for flag {flag}: expected a duration like 90s, 5m or 1h30m'
        ) from None


def _int(flag: str, raw: str) -> int:
    try:
        return int(raw.strip(), 10)
    except ValueError:
        raise _fail(f'invalid value "{raw}" for flag {flag}: expected a whole number') from None


def _param(raw: str) -> tuple[str, str]:
    key, eq, value = raw.partition("=")
    if not eq:
        raise _fail(f'invalid --param "{raw}": expected key=value')
    key = key.strip()
    if not key:
        raise _fail(f'invalid --param "{raw}": key cannot be empty')
    return key, value


def _items(raw: str) -> list[str]:
    return [item.strip() for item in raw.split(",") if item.strip()]


def _store(opts: RunOptions, flag: str, raw: str) -> None:
    dest, kind = _FLAGS[flag]
    opts.given.add(dest)
    if kind == "bool":
        if raw in _TRUE:
            setattr(opts, dest, True)
        elif raw in _FALSE:
            setattr(opts, dest, False)
        else:
            raise _fail(f'invalid boolean value "{raw}" for flag {flag}')
    elif kind == "int":
        setattr(opts, dest, _int(flag, raw))
    elif kind == "duration":
        setattr(opts, dest, _duration(flag, raw))
    elif kind == "list":
        getattr(opts, dest).extend(_items(raw))
    elif kind == "param":
        key, value = _param(raw)
        opts.params[key] = value
    else:
        setattr(opts, dest, raw)


def parse_run_args(args: list[str]) -> RunOptions:
    """Parse and validate run-mode arguments (cli-tui.md §1.2, §4.2)."""
    opts = RunOptions()
    positionals: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            positionals.extend(args[i + 1 :])
            break
        if not arg.startswith("-") or arg == "-":
            positionals.append(arg)
            i += 1
            continue
        name, eq, value = arg.partition("=")
        if name not in _FLAGS:
            raise _fail(f"flag provided but not defined: {name}")
        if _FLAGS[name][1] == "bool":
            _store(opts, name, value if eq else "true")
        else:
            if not eq:
                if i + 1 >= len(args):
                    raise _fail(f"flag needs an argument: {name}")
                i += 1
                value = args[i]
            _store(opts, name, value)
        i += 1
    _validate(opts)
    if not positionals:
        raise _fail("usage")
    if len(positionals) > 1:
        extra = " ".join(positionals[1:])
        raise _fail(f"unexpected arguments after the pipeline: {extra}")
    opts.pipeline = positionals[0]
    return opts


def _validate(opts: RunOptions) -> None:
    """The §4.2 checks, in the reference's order."""
    if opts.backend not in ("", *BACKENDS):
        raise _fail(f'invalid backend "{opts.backend}": must be one of: {", ".join(BACKENDS)}')
    if opts.max_tokens < 0 or opts.max_cost < 0 or opts.max_wall_time < 0:
        raise _fail("budget limits must be non-negative")
    if opts.webhook_url and (opts.autopilot is not None or opts.auto_approve):
        other = "--autopilot" if opts.autopilot is not None else "--auto-approve"
        raise _fail(
            f"--webhook-url and {other} are mutually exclusive: choose one gate automation strategy"
        )
    if opts.webhook_url:
        if opts.gate_timeout < 0:
            raise _fail(f"--gate-timeout must be non-negative, got {_go_duration(opts)}")
        if opts.gate_timeout_action not in ("fail", "success"):
            raise _fail(
                f'--gate-timeout-action must be "fail" or "success", '
                f'got "{opts.gate_timeout_action}"'
            )
    if opts.max_output_limit < 0:
        raise _fail(f"--max-output-limit must be non-negative, got {opts.max_output_limit}")
    if opts.format not in ("", "dip", "dot"):
        raise CliError(f'unknown pipeline format: "{opts.format}" (valid: dip, dot)')


def _go_duration(opts: RunOptions) -> str:
    return f"{opts.gate_timeout:g}s"
