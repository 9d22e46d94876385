"""The top-level usage text (kept as plain text so `tracker --help` needs no rich)."""

from __future__ import annotations

USAGE = """\
tracker — pipeline orchestration for multi-agent LLM workflows

Usage:
  tracker [flags] <pipeline> [flags]      run a pipeline (.dip file, or a built-in name)
  tracker <command> [arguments]

Commands:
  run <pipeline>         run a pipeline (same as `tracker <pipeline>`)
  validate <pipeline>    check a pipeline: errors, lint warnings (--json for a JSON document)
  simulate <pipeline>    print the execution plan without running anything
  fmt <file.dip>         print the canonical formatting (--check, --write)
  workflows              list the built-in workflows
  init <workflow>        copy a built-in workflow to ./<workflow>.dip
  plugins                list installed plugins and what they register (--json)
  doctor [pipeline]      check keys, providers and the workdir (--probe=false, --json)
  setup                  store provider API keys (~/.config/tracker/.env, mode 600)
  diagnose [runID]       analyse the failures of a run (default: the most recent)
  audit [runID]          audit report of a run; without an ID, list the runs
  list                   list the runs, newest first (alias of audit)
  version                show version information
  help                   show this help

Common flags:
  -w, --workdir string   working directory (default: current directory)
  -r, --resume string    resume a previous run by ID
  --json                 machine-readable output on stdout
  --verbose              more detail (and tracebacks for internal errors)
  --auto-approve         answer human gates with their defaults (run flag)
  --scripted FILE        answer agent nodes from a script, no API key (run flag)
  --version              show version information

Pipelines resolve as: a path (contains / or ends .dip/.dot/.dipx), else ./NAME.dip,
else a file called NAME, else a built-in workflow (`tracker workflows`).
Run 'tracker <command> --help' for the flags of a command ('tracker run --help': all run flags).
"""
