"""The `tracker` command: dispatch (cli-tui §1.1), flag spelling (§1.2) and the error guard.

Start-up stays cheap: this module imports only typer; every command body imports its
implementation module when it runs, so `tracker --help` loads no parser, no lint rules and
no provider SDK. Plugins add commands through the `register_commands(cli)` hook, which is
only consulted when the first argument is not a built-in command.
"""

from __future__ import annotations

import os
import re
import sys
import traceback
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from tracker.cli.errors import (
    CliError,
    CliExit,
    UsageFailure,
    eprint,
    exit_with,
    print_error,
    silence_stdout,
)
from tracker.cli.usage import USAGE

HELP_WORDS = {"help", "-h", "--help", "-help"}
VERSION_FLAGS = {"--version", "-version"}


class TrackerGroup(TyperGroup):
    """A group whose unknown first word means "run this pipeline" (cli-tui §1.1)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        # Decide before the group parses options, so run flags placed before the
        # pipeline (`tracker --no-tui x.dip`) reach the run command untouched.
        if args and args[0] not in self.commands:
            args = ["run", *args]
        return super().parse_args(ctx, args)

    def resolve_command(self, ctx: Any, args: list[str]) -> tuple[Any, Any, list[str]]:
        if args and args[0] not in self.commands and "run" in self.commands:
            return "run", self.commands["run"], args
        return super().resolve_command(ctx, args)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        formatter.write(USAGE)


app = typer.Typer(
    cls=TrackerGroup,
    name="tracker",
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

_FLAG_CTX = {"help_option_names": ["-h", "--help"]}


@app.command(
    "run",
    context_settings={
        "help_option_names": [],
        "ignore_unknown_options": True,
        "allow_interspersed_args": False,
    },
)
def run_cmd(args: Annotated[list[str] | None, typer.Argument(hidden=True)] = None) -> None:
    """Run a pipeline (also `tracker <pipeline>`)."""
    argv = list(args or [])
    flags = argv[: argv.index("--")] if "--" in argv else argv
    if "-h" in flags or "--help" in flags:
        from tracker.cli.run_flags import RUN_USAGE

        sys.stdout.write(RUN_USAGE)
        raise CliExit(0)
    from tracker.cli.run import run_entry

    raise CliExit(run_entry(argv))


@app.command("validate", context_settings=_FLAG_CTX)
def validate_cmd(
    pipeline: Annotated[str | None, typer.Argument(help="pipeline file or built-in name")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print the check JSON document")] = False,
    extra_models: Annotated[
        str | None,
        typer.Option("--extra-models", help='extra catalog models "prov:m1,m2;prov2:m3"'),
    ] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="dip or dot")] = None,
) -> None:
    """Check a pipeline for errors and lint warnings."""
    from tracker.cli.validate import run_validate

    raise CliExit(run_validate(pipeline, json_out=json_out, extra_models=extra_models, fmt=fmt))


@app.command("simulate", context_settings=_FLAG_CTX)
def simulate_cmd(
    pipeline: Annotated[str | None, typer.Argument(help="pipeline file or built-in name")] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="dip or dot")] = None,
) -> None:
    """Print the execution plan of a pipeline without running anything."""
    from tracker.cli.simulate import run_simulate

    raise CliExit(run_simulate(pipeline, fmt=fmt))


@app.command("fmt", context_settings=_FLAG_CTX)
def fmt_cmd(
    file: Annotated[str | None, typer.Argument(help=".dip file to format")] = None,
    check: Annotated[bool, typer.Option("--check", help="exit 1 if the file would change")] = False,
    write: Annotated[bool, typer.Option("--write", help="rewrite the file in place")] = False,
) -> None:
    """Print a .dip file in canonical formatting."""
    from tracker.cli.fmt import run_fmt

    raise CliExit(run_fmt(file, check=check, write=write))


@app.command("workflows", context_settings=_FLAG_CTX)
def workflows_cmd() -> None:
    """List the built-in workflows."""
    from tracker.cli.workflows import run_workflows

    raise CliExit(run_workflows())


@app.command("init", context_settings=_FLAG_CTX)
def init_cmd(
    name: Annotated[str | None, typer.Argument(help="built-in workflow name")] = None,
) -> None:
    """Copy a built-in workflow to ./<name>.dip for editing."""
    from tracker.cli.workflows import run_init

    raise CliExit(run_init(name))


@app.command("version", context_settings=_FLAG_CTX)
def version_cmd() -> None:
    """Show version information."""
    from tracker.cli.version import run_version

    raise CliExit(run_version())


@app.command("plugins", context_settings=_FLAG_CTX)
def plugins_cmd(
    json_out: Annotated[bool, typer.Option("--json", help="print one JSON document")] = False,
) -> None:
    """List installed plugins and everything they register."""
    from tracker.cli.plugins import run_plugins

    raise CliExit(run_plugins(json_out=json_out))


_GO_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_GO_FALSE = {"0", "f", "F", "FALSE", "false", "False"}


class BoolValueCommand(TyperCommand):
    """Accepts Go's `--flag=false` spelling for the boolean flags in `bool_flags`
    (cli-tui §1.2) by rewriting it to `--flag` / `--no-flag` before parsing."""

    bool_flags: tuple[str, ...] = ("--probe",)

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        out: list[str] = []
        for i, arg in enumerate(args):
            if arg == "--":
                out.extend(args[i:])
                break
            name, sep, value = arg.partition("=")
            if sep and name in self.bool_flags:
                if value in _GO_TRUE:
                    arg = name
                elif value in _GO_FALSE:
                    arg = "--no-" + name[2:]
                else:
                    raise typer.BadParameter(f'invalid boolean value "{value}" for {name}', ctx=ctx)
            out.append(arg)
        return super().parse_args(ctx, out)


@app.command("doctor", cls=BoolValueCommand, context_settings=_FLAG_CTX)
def doctor_cmd(
    pipeline: Annotated[str | None, typer.Argument(help="pipeline file to check")] = None,
    probe: Annotated[
        bool,
        typer.Option(
            "--probe/--no-probe", help="one live completion per provider (--probe=false skips)"
        ),
    ] = True,
    json_out: Annotated[bool, typer.Option("--json", help="print the DoctorReport JSON")] = False,
    workdir: Annotated[
        str | None, typer.Option("-w", "--workdir", help="working directory")
    ] = None,
    backend: Annotated[str, typer.Option("--backend", help="agent backend to check for")] = "",
) -> None:
    """Check keys, providers, binaries and the working directory."""
    from tracker.cli.doctor import run_doctor

    raise CliExit(
        run_doctor(pipeline, probe=probe, json_out=json_out, workdir=workdir, backend=backend)
    )


@app.command("setup", context_settings=_FLAG_CTX)
def setup_cmd(
    provider: Annotated[
        str | None, typer.Option("--provider", help="provider to configure non-interactively")
    ] = None,
    key_stdin: Annotated[
        bool, typer.Option("--key-stdin", help="read the API key from stdin")
    ] = False,
    base_url: Annotated[str | None, typer.Option("--base-url", help="provider base URL")] = None,
) -> None:
    """Store provider API keys in the user config file (mode 600)."""
    from tracker.cli.setup import run_setup

    raise CliExit(run_setup(provider=provider, key_stdin=key_stdin, base_url=base_url))


_DIAGNOSE_ID_ARG = typer.Argument(help="run ID or unique prefix (default: the most recent run)")
_AUDIT_ID_ARG = typer.Argument(help="run ID or unique prefix (omit it to list the runs)")
_WORKDIR_OPT = typer.Option("-w", "--workdir", help="working directory (default: current)")
_JSON_OPT = typer.Option("--json", help="print the report as JSON")


@app.command("diagnose", context_settings=_FLAG_CTX)
def diagnose_cmd(
    run_id: Annotated[str | None, _DIAGNOSE_ID_ARG] = None,
    workdir: Annotated[str | None, _WORKDIR_OPT] = None,
    json_out: Annotated[bool, _JSON_OPT] = False,
) -> None:
    """Analyse the failures of a run (default: the most recent run)."""
    from tracker.cli.diagnose import run_diagnose

    raise CliExit(run_diagnose(run_id, workdir=workdir, json_out=json_out))


@app.command("audit", context_settings=_FLAG_CTX)
def audit_cmd(
    run_id: Annotated[str | None, _AUDIT_ID_ARG] = None,
    workdir: Annotated[str | None, _WORKDIR_OPT] = None,
    json_out: Annotated[bool, _JSON_OPT] = False,
) -> None:
    """Audit report of a run; without a run ID, list the runs."""
    from tracker.cli.audit import run_audit

    raise CliExit(run_audit(run_id, workdir=workdir, json_out=json_out))


@app.command("list", context_settings=_FLAG_CTX)
def list_cmd(
    run_id: Annotated[str | None, _AUDIT_ID_ARG] = None,
    workdir: Annotated[str | None, _WORKDIR_OPT] = None,
    json_out: Annotated[bool, _JSON_OPT] = False,
) -> None:
    """List the runs, newest first (an alias of `audit`)."""
    from tracker.cli.audit import run_audit

    raise CliExit(run_audit(run_id, workdir=workdir, json_out=json_out))


BUILTIN_COMMANDS = frozenset(
    {
        "run",
        "validate",
        "simulate",
        "fmt",
        "workflows",
        "init",
        "version",
        "plugins",
        "doctor",
        "setup",
        "diagnose",
        "audit",
        "list",
    }
)

# --------------------------------------------------------------------------- argv handling

_SINGLE_DASH_LONG = re.compile(r"^-[A-Za-z][A-Za-z0-9_-]+(=.*)?$")


def normalize_flags(argv: list[str]) -> list[str]:
    """Go's flag package treats `-json` and `--json` alike; make every multi-letter
    single-dash flag a double-dash one (up to a `--` separator)."""
    out: list[str] = []
    for i, arg in enumerate(argv):
        if arg == "--":
            out.extend(argv[i:])
            break
        out.append("-" + arg if _SINGLE_DASH_LONG.match(arg) else arg)
    return out


def _add_plugin_commands() -> None:
    """Let installed plugins add subcommands (cheap enough once we know we need it)."""
    from tracker.cli.registry import cli_registry

    registry = cli_registry()
    pm = getattr(registry, "plugin_manager", None)
    if pm is None:
        return
    try:
        pm.hook.register_commands(cli=app)
    except Exception as exc:  # noqa: BLE001 - a broken plugin must not break the CLI
        eprint(f"warning: a plugin failed to register commands: {type(exc).__name__}: {exc}")


def _print_usage_failure(message: str, usage: str) -> None:
    eprint(f"Error: {message}", "")
    sys.stderr.write(usage if usage.endswith("\n") else usage + "\n")


def _command_usage(exc: Exception) -> str:
    ctx = getattr(exc, "ctx", None)
    if ctx is None or ctx.command is None or ctx.parent is None:
        return USAGE
    try:
        return ctx.get_help()
    except Exception:  # noqa: BLE001
        return USAGE


def _dispatch(argv: list[str]) -> int:
    if not argv:
        _print_usage_failure("usage", USAGE)
        return 1
    first = argv[0]
    if first in HELP_WORDS:
        sys.stdout.write(USAGE)
        return 0
    if first in VERSION_FLAGS:
        argv = ["version", *argv[1:]]
    elif first not in BUILTIN_COMMANDS:
        _add_plugin_commands()
    group = typer.main.get_command(app)
    try:
        result = group.main(args=argv, prog_name="tracker", standalone_mode=False)
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        eprint("Aborted!")
        return 1
    except typer.TyperException as exc:
        if hasattr(exc, "ctx"):  # a usage error from the option parser
            _print_usage_failure(exc.format_message(), _command_usage(exc))
        else:
            print_error(exc.format_message())
        return 1
    return result if isinstance(result, int) else 0


def run_cli(argv: list[str], *, verbose: bool | None = None) -> int:
    """Run the CLI in-process and return the exit code (tests call this directly)."""
    argv = normalize_flags(list(argv))
    if verbose is None:
        verbose = os.environ.get("TRACKER_VERBOSE", "") not in ("", "0", "false")
    stop = argv.index("--") if "--" in argv else len(argv)
    if "--verbose" in argv[:stop]:
        verbose = True
        if argv and argv[0] != "run" and argv[0] in BUILTIN_COMMANDS:
            argv = [a for i, a in enumerate(argv) if a != "--verbose" or i >= stop]
    try:
        return _dispatch(argv)
    except CliExit as exc:
        return exc.exit_code
    except CliError as exc:
        print_error(exc.message)
        return exc.exit_code
    except UsageFailure as exc:
        _print_usage_failure(exc.message, exc.usage or USAGE)
        return 1
    except KeyboardInterrupt:
        eprint("error: interrupted")
        return 130
    except BrokenPipeError:
        silence_stdout()
        return 1
    except Exception as exc:  # noqa: BLE001 - the top-level guard: no tracebacks for users
        if verbose:
            traceback.print_exc()
        print_error(
            f"internal error: {type(exc).__name__}: {exc} (re-run with --verbose for the traceback)"
        )
        return 1


def main() -> None:
    """Console-script entry point."""
    exit_with(run_cli(sys.argv[1:]))


if __name__ == "__main__":
    main()
