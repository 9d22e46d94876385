"""The `tracker-swebench` command (cli-tui §12.1).

`tracker-swebench --dataset <file> [flags]` runs a benchmark (the default verb),
`tracker-swebench analyze <results-dir> [flags]` triages a finished run. Flags follow the
reference's Go spelling: `-flag` and `--flag`, `--flag value` and `--flag=value`,
`--force=false`. Errors are one `error: ...` line on stderr and exit status 1, never a
traceback. Only typer is imported up front; each verb imports its module when it runs.
"""

from __future__ import annotations

import os
import sys
import traceback
from typing import Annotated, Any

import typer
from tracker.cli.errors import (
    CliError,
    CliExit,
    UsageFailure,
    eprint,
    exit_with,
    print_error,
    silence_stdout,
)
from typer.core import TyperGroup

RUN_USAGE = """\
tracker-swebench: run tracker's code agent on SWE-bench instances, one docker container each

Usage:
  tracker-swebench --dataset <file.jsonl> [flags]      run a benchmark
  tracker-swebench analyze <results-dir> [flags]       triage a finished run
  tracker-swebench help                                this text

Before a run: build the container image (default name tracker-swebench-base), export
ANTHROPIC_API_KEY or OPENAI_API_KEY, and download a SWE-bench JSONL dataset.

Run flags:
  --dataset <file>        SWE-bench instances, one JSON object per line (required)
  --model <name>          model for the agent (default "claude-sonnet-4-6")
  --provider <name>       anthropic or openai (default "anthropic")
  --gateway-url <url>     Cloudflare AI Gateway URL handed to the agent
  --output <file>         predictions file, appended to (default "./predictions.jsonl")
  --results-dir <dir>     run metadata, logs and repo cache (default "./results")
  --max-turns <n>         agent turns per instance (default 50)
  --timeout <duration>    time limit per instance, e.g. 30m, 1h (default 30m0s)
  --instance <id>         run only this instance
  --force                 re-run instances that already have a patch
  --docker-image <name>   container image (default "tracker-swebench-base")

Examples:
  tracker-swebench --dataset swebench_lite.jsonl
  tracker-swebench --dataset swebench_lite.jsonl --instance django__django-11099
  tracker-swebench --dataset swebench_lite.jsonl --model gpt-5.2 --provider openai
  tracker-swebench analyze ./results --json > report.json
"""

ANALYZE_USAGE = """\
tracker-swebench analyze: triage a finished run

Usage:
  tracker-swebench analyze <results-dir> [flags]

Reads predictions.jsonl, logs/<id>.log and logs/<id>.empty-patch.json and reports
counts, a per-repo breakdown, the top empty-patch and longest unresolved instances,
and how errors split into setup, patch and harness problems.

predictions.jsonl is looked for in <results-dir>, then next to it (the default run
layout). Resolution (resolved / unresolved) needs an evaluator report in <results-dir>:
resolved_ids.json, resolution.json, report.json, *.evaluation.json or *.report.json
holding a "resolved_ids" array (or a bare array of IDs). Without one, non-empty patches
are counted as "patched (unverified)".

Flags (before or after the directory):
  --json                  print the report as indented JSON
  --top <n>               rows in the top-N sections (default 10)
  --predictions <path>    read predictions from this file instead
"""

HELP_WORDS = {"help", "-h", "--help", "-help"}
PROVIDERS = ("anthropic", "openai")
_GO_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_GO_FALSE = {"0", "f", "F", "FALSE", "false", "False"}

# Long flags per verb: (flags taking a value, boolean flags).
FLAGS: dict[str, tuple[set[str], set[str]]] = {
    "run": (
        {
            "dataset",
            "model",
            "provider",
            "gateway-url",
            "output",
            "results-dir",
            "max-turns",
            "timeout",
            "instance",
            "docker-image",
        },
        {"force"},
    ),
    "analyze": ({"top", "predictions"}, {"json"}),
}


def normalize_flags(verb: str, args: list[str]) -> list[str]:
    """Rewrite Go spellings click does not know: `-flag` → `--flag`, and
    `--bool=true|false` → `--bool` or nothing. Values of value flags are left alone."""
    values, bools = FLAGS[verb]
    out: list[str] = []
    expect_value = False
    for i, arg in enumerate(args):
        if arg == "--":
            out.extend(args[i:])
            break
        if expect_value:
            out.append(arg)
            expect_value = False
            continue
        if arg.startswith("-") and not arg.startswith("--") and len(arg) > 2:
            if arg[1:].partition("=")[0] in values | bools:
                arg = "-" + arg
        name, sep, value = arg[2:].partition("=") if arg.startswith("--") else ("", "", "")
        if name in bools and sep:
            if value in _GO_TRUE:
                out.append("--" + name)
            elif value not in _GO_FALSE:
                raise UsageFailure(
                    f'invalid boolean value "{value}" for flag --{name}', _usage(verb)
                )
            continue
        if name in values and not sep:
            expect_value = True
        out.append(arg)
    return out


def _usage(verb: str) -> str:
    return ANALYZE_USAGE if verb == "analyze" else RUN_USAGE


def _wants_help(args: list[str]) -> bool:
    stop = args.index("--") if "--" in args else len(args)
    return any(a in {"-h", "--help", "-help"} for a in args[:stop])


class SwebenchGroup(TyperGroup):
    """Anything that is not a known verb is the run verb (`tracker-swebench --dataset x`)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if not args or args[0] not in self.commands:
            args = ["run", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=SwebenchGroup,
    name="tracker-swebench",
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
_CTX = {"help_option_names": []}


@app.command("run", context_settings=_CTX)
def run_cmd(
    dataset: Annotated[str, typer.Option("--dataset")] = "",
    model: Annotated[str, typer.Option("--model")] = "claude-sonnet-4-6",
    provider: Annotated[str, typer.Option("--provider")] = "anthropic",
    gateway_url: Annotated[str, typer.Option("--gateway-url")] = "",
    output: Annotated[str, typer.Option("--output")] = "./predictions.jsonl",
    results_dir: Annotated[str, typer.Option("--results-dir")] = "./results",
    max_turns: Annotated[str, typer.Option("--max-turns")] = "50",
    timeout: Annotated[str, typer.Option("--timeout")] = "30m",
    instance: Annotated[str, typer.Option("--instance")] = "",
    force: Annotated[bool, typer.Option("--force")] = False,
    docker_image: Annotated[str, typer.Option("--docker-image")] = "tracker-swebench-base",
) -> None:
    """Run a benchmark."""
    from tracker_swebench.docker import DockerHarness
    from tracker_swebench.runner import BenchmarkRun

    cfg = build_run_config(
        dataset=dataset,
        model=model,
        provider=provider,
        gateway_url=gateway_url,
        output=output,
        results_dir=results_dir,
        max_turns=max_turns,
        timeout=timeout,
        instance=instance,
        force=force,
        docker_image=docker_image,
    )

    def harness(layout: Any, label: str) -> DockerHarness:
        return DockerHarness(image=cfg.docker_image, cache_dir=layout.cache, run_label=label)

    raise CliExit(execute_run(BenchmarkRun(cfg, harness)))


def execute_run(run: Any) -> int:
    """Run a BenchmarkRun, turning its expected failures into `error:` lines."""
    from tracker_swebench.dataset import DatasetError
    from tracker_swebench.harness import HarnessUnavailable

    try:
        return run.run()
    except (DatasetError, HarnessUnavailable) as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        where = f' "{exc.filename}"' if exc.filename else ""
        raise CliError(f"{exc.strerror or exc}{where}") from None


def build_run_config(**flags: Any) -> Any:
    """Validate run flags into a RunConfig (UsageFailure / CliError on bad values)."""
    from tracker.dippin.values import SECOND, parse_duration

    from tracker_swebench.runner import RunConfig

    if not flags["dataset"]:
        raise CliError("--dataset is required (see `tracker-swebench --help`)")
    raw_turns = flags.pop("max_turns")
    try:
        max_turns = int(raw_turns)
    except ValueError:
        raise UsageFailure(f'invalid value "{raw_turns}" for flag --max-turns', RUN_USAGE) from None
    if max_turns < 1:
        raise UsageFailure(f"--max-turns must be at least 1 (got {max_turns})", RUN_USAGE)
    raw_timeout = flags.pop("timeout")
    try:
        timeout_ns = parse_duration(raw_timeout)
    except ValueError as exc:
        raise UsageFailure(
            f'invalid value "{raw_timeout}" for flag --timeout: {exc}', RUN_USAGE
        ) from None
    if timeout_ns <= 0:
        raise UsageFailure(f'--timeout must be positive (got "{raw_timeout}")', RUN_USAGE)
    if flags["provider"] not in PROVIDERS:
        raise UsageFailure(
            f'--provider "{flags["provider"]}" is not supported by the in-container agent '
            "(use anthropic or openai)",
            RUN_USAGE,
        )
    for name in ("model", "output", "results_dir", "docker_image"):
        if not flags[name]:
            raise UsageFailure(f"--{name.replace('_', '-')} must not be empty", RUN_USAGE)
    return RunConfig(max_turns=max_turns, timeout_s=timeout_ns / SECOND, **flags)


@app.command("analyze", context_settings=_CTX)
def analyze_cmd(
    results_dir: Annotated[str | None, typer.Argument()] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
    top: Annotated[str, typer.Option("--top")] = "10",
    predictions: Annotated[str | None, typer.Option("--predictions")] = None,
) -> None:
    """Triage a finished run."""
    if results_dir is None:
        sys.stderr.write(ANALYZE_USAGE + "\n")
        raise CliError("analyze: missing <results-dir> argument")
    try:
        top_n = int(top)
    except ValueError:
        raise UsageFailure(f'invalid value "{top}" for flag --top', ANALYZE_USAGE) from None
    from tracker_swebench.analyze import AnalyzeError, build_report
    from tracker_swebench.analyze_text import render_text

    try:
        report = build_report(results_dir, top=top_n, predictions=predictions)
    except AnalyzeError as exc:
        raise CliError(str(exc)) from None
    if report.counts.total == 0:
        eprint("warning: the predictions file lists no instances")
    sys.stdout.write(report.json_text() if json_out else render_text(report))
    raise CliExit(0)


def _print_usage_failure(message: str, usage: str) -> None:
    eprint(f"Error: {message}", "")
    sys.stderr.write(usage)


def _dispatch(argv: list[str]) -> int:
    if argv and argv[0] in HELP_WORDS:
        sys.stdout.write(RUN_USAGE)
        return 0
    verb = "analyze" if argv and argv[0] == "analyze" else "run"
    rest = argv[1:] if argv and argv[0] in ("analyze", "run") else argv
    if _wants_help(rest):
        sys.stdout.write(_usage(verb))
        return 0
    args = [verb, *normalize_flags(verb, rest)]
    group = typer.main.get_command(app)
    try:
        group.main(args=args, prog_name="tracker-swebench", standalone_mode=False)
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        eprint("Aborted!")
        return 1
    except typer.TyperException as exc:
        _print_usage_failure(exc.format_message(), _usage(verb))
        return 1
    return 0


def run_cli(argv: list[str]) -> int:
    """Run the command in-process and return its exit status (tests call this)."""
    try:
        return _dispatch(list(argv))
    except CliExit as exc:
        return exc.exit_code
    except CliError as exc:
        print_error(exc.message)
        return exc.exit_code
    except UsageFailure as exc:
        _print_usage_failure(exc.message, exc.usage or RUN_USAGE)
        return 1
    except KeyboardInterrupt:
        eprint("error: interrupted")
        return 130
    except BrokenPipeError:
        silence_stdout()
        return 1
    except Exception as exc:  # noqa: BLE001 - the top-level guard: no tracebacks for users
        if os.environ.get("TRACKER_VERBOSE", "") not in ("", "0", "false"):
            traceback.print_exc()
        print_error(f"internal error: {type(exc).__name__}: {exc}")
        return 1


def main() -> None:
    """Console-script entry point."""
    exit_with(run_cli(sys.argv[1:]))
