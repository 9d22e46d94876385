"""Run mode (`tracker [flags] <pipeline>`). The engine arrives in a later issue; until then
the command checks its arguments, resolves the pipeline and says so plainly."""

from __future__ import annotations

from tracker.cli.errors import CliError, UsageFailure
from tracker.cli.usage import USAGE

#: run flags that take a value (cli-tui §4.1); booleans below take none
VALUE_FLAGS = frozenset(
    {
        "-w", "--workdir", "-r", "--resume", "--format", "--backend", "--autopilot",
        "--max-tokens", "--max-cost", "--max-wall-time", "--param", "--artifact-dir",
        "--gateway-url", "--webhook-url", "--gate-callback-addr", "--gate-timeout",
        "--gate-timeout-action", "--webhook-auth", "--export-bundle", "--tool-allowlist",
        "--tool-denylist-add", "--max-output-limit", "--git", "--gateway-kind",
    }
)  # fmt: skip
BOOL_FLAGS = frozenset(
    {
        "--json", "--no-tui", "--verbose", "--auto-approve", "--bypass-denylist",
        "--force-bundle-mismatch", "--allow-init", "--fail-on-override", "--sleep-aware-budget",
    }
)  # fmt: skip


def split_run_args(args: list[str]) -> tuple[list[str], dict[str, str]]:
    """Separate positionals from flags, as Go's flag package would (flags anywhere)."""
    positionals: list[str] = []
    flags: dict[str, str] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            positionals.extend(args[i + 1 :])
            break
        if arg.startswith("-") and arg != "-":
            name, eq, value = arg.partition("=")
            if name in VALUE_FLAGS:
                if not eq:
                    if i + 1 >= len(args):
                        raise UsageFailure(f"flag needs an argument: {name}", USAGE)
                    i += 1
                    value = args[i]
                flags[name] = value
            elif name in BOOL_FLAGS:
                flags[name] = value if eq else "true"
            else:
                raise UsageFailure(f"flag provided but not defined: {name}", USAGE)
        else:
            positionals.append(arg)
        i += 1
    return positionals, flags


def run_placeholder(args: list[str]) -> int:
    positionals, flags = split_run_args(args)
    if not positionals:
        raise UsageFailure("usage", USAGE)
    if len(positionals) > 1:
        raise UsageFailure(f"unexpected extra arguments after pipeline: {positionals[1:]}", USAGE)
    pipeline = positionals[0]
    fmt = flags.get("--format", "")
    if fmt not in ("", "dip", "dot"):
        raise CliError(f'unknown pipeline format: "{fmt}" (valid: dip, dot)')
    from tracker.loader import PipelineNotFoundError, resolve_pipeline

    try:
        resolve_pipeline(pipeline)
    except PipelineNotFoundError as exc:
        raise CliError(str(exc)) from None
    raise CliError(
        "running pipelines is not implemented yet; "
        f'try "tracker validate {pipeline}" or "tracker simulate {pipeline}"'
    )
