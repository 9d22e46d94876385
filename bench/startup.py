"""Start-up cost of the `tracker` command, measured against the import floor.

Prints the median wall time of N fresh subprocesses for:
  * `python -c "import typer, pydantic, lark, pluggy, httpx"` - the floor: what our
    dependencies cost to import before tracker does anything;
  * `tracker --help`;
  * `tracker validate <largest .dip of the reference corpus>`;
and the ratio validate / floor (target: <= 2.5x).

    .venv/bin/python bench/startup.py [--runs 15] [--pipeline path/to/file.dip]

Standard library only; run it from the repository root with the project's venv.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "tracker"
FLOOR_IMPORTS = "import typer, pydantic, lark, pluggy, httpx"
TARGET_RATIO = 2.5


def tracker_command() -> list[str]:
    script = Path(sys.executable).with_name("tracker")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from tracker.cli.app import main; main()"]


def largest_dip() -> Path:
    candidates = list(CORPUS.rglob("*.dip")) or list(
        (REPO / "packages" / "tracker-core" / "src" / "tracker" / "workflows").glob("*.dip")
    )
    if not candidates:
        sys.exit("no .dip file found; pass --pipeline")
    return max(candidates, key=lambda p: p.stat().st_size)


def median_seconds(cmd: list[str], runs: int) -> tuple[float, int]:
    """Median wall time of `runs` executions (after one warm-up) and the last exit code."""
    subprocess.run(cmd, capture_output=True, check=False)  # warm the OS file cache
    times = []
    code = 0
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
        code = proc.returncode
    return statistics.median(times), code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs per command (default 15)")
    parser.add_argument("--pipeline", type=Path, help="pipeline to validate (default: largest)")
    args = parser.parse_args()
    pipeline = args.pipeline or largest_dip()
    tracker = tracker_command()

    rows = [
        ("import floor", [sys.executable, "-c", FLOOR_IMPORTS]),
        ("tracker --help", [*tracker, "--help"]),
        (f"tracker validate {pipeline.name}", [*tracker, "validate", str(pipeline)]),
    ]
    print(f"python {sys.version.split()[0]}, {args.runs} runs each, median wall time")
    print(f"pipeline: {pipeline} ({pipeline.stat().st_size:,} bytes)\n")
    results: dict[str, float] = {}
    for label, cmd in rows:
        seconds, code = median_seconds(cmd, args.runs)
        results[label] = seconds
        note = "" if code in (0, 1) else f"  (exit code {code}!)"
        print(f"  {label:<48} {seconds * 1000:8.1f} ms{note}")

    floor = results["import floor"]
    help_ratio = results["tracker --help"] / floor
    validate_ratio = results[rows[2][0]] / floor
    verdict = "ok" if validate_ratio <= TARGET_RATIO else "ABOVE TARGET"
    print(f"\n  --help   / import floor: {help_ratio:5.2f}x")
    print(
        f"  validate / import floor: {validate_ratio:5.2f}x  (target <= {TARGET_RATIO}x: {verdict})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
