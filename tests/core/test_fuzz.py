"""Fuzzing the Dippin front end with mutated real pipelines.

Every `.dip` in the reference corpus (plus the four built-ins) is mutated line- and
token-wise — lines deleted, duplicated, swapped or re-indented, syntax fragments (`->`,
`:`, quotes, `when`, brackets, `${`...) inserted, the file truncated — and fed to the parser
and, when it parses, to the full validation `tracker validate` runs (Validate + lint, the
graph adapter and tracker's graph checks). Whatever the input, nothing may raise, and every
error must point at a line so the user can find it.

Hypothesis runs derandomized (same examples on every machine) and without an example
database, so the test is deterministic and leaves nothing behind. Inputs that once crashed
a module are kept as small files in tests/data/fuzz_crashes/ and replayed on every run.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tracker.dippin.ir import Workflow
from tracker.lint.diagnostic import Diagnostic, DippinError

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpus" / "tracker"
BUILTINS = REPO / "packages" / "tracker-core" / "src" / "tracker" / "workflows"
CRASHES = REPO / "tests" / "data" / "fuzz_crashes"

#: files above this size get fewer examples (each example parses and lints the whole file)
LARGE = 20_000

#: fragments a confused author (or a bad merge) leaves in a pipeline
TOKENS = (
    "->", "<-", ":", '"', "'", "when", "on", "loop", "label:", "choice:", "[", "]", "(", ")",
    "${", "}", "${ctx.", "#", " # ", "=", "==", "!=", "<", ">=", "and", "or", "not", "in",
    "&&", "||", ",", "agent", "human", "tool", "parallel", "fan_in", "edges", "defaults",
    "workflow", "else ->", "start:", "exit:", "dip 2", "timeout: 5x", "max_retries: -1",
    "mode: interview", "override: true", "restart: yes", "\t", "  ", "\r", "\\", "µ", "\x00",
    "prompt: |", "- item", "weight: 3",
)  # fmt: skip

#: diagnostics that describe the whole file or a node the parser gives no position to,
#: so line 0 is legitimate for them
WHOLE_FILE_CODES = {
    "DIP001",  # no (or unknown) start node: the header line may be absent altogether
    "DIP002",  # same for exit
}


# --------------------------------------------------------------------------- mutations


class Chooser:
    """Where a mutation gets its randomness: hypothesis draws or a seeded Random."""

    def __init__(self, draw_int: Callable[[int, int], int]):
        self.draw_int = draw_int

    def index(self, n: int) -> int:
        return self.draw_int(0, max(n - 1, 0))

    def pick(self, items: tuple[str, ...]) -> str:
        return items[self.index(len(items))]


def _delete(lines: list[str], c: Chooser) -> None:
    if lines:
        del lines[c.index(len(lines))]


def _duplicate(lines: list[str], c: Chooser) -> None:
    if lines:
        i = c.index(len(lines))
        lines.insert(i, lines[i])


def _swap(lines: list[str], c: Chooser) -> None:
    if len(lines) > 1:
        i, j = c.index(len(lines)), c.index(len(lines))
        lines[i], lines[j] = lines[j], lines[i]


def _reindent(lines: list[str], c: Chooser) -> None:
    if lines:
        i = c.index(len(lines))
        body = lines[i].lstrip(" \t")
        lines[i] = c.pick(("", " ", "  ", "   ", "    ", "      ", "\t", "\t  ", " \t")) + body


def _insert_token(lines: list[str], c: Chooser) -> None:
    if not lines:
        lines.append("")
    i = c.index(len(lines))
    col = c.draw_int(0, len(lines[i]))
    lines[i] = lines[i][:col] + c.pick(TOKENS) + lines[i][col:]


def _insert_line(lines: list[str], c: Chooser) -> None:
    indent = c.pick(("", "  ", "    ", "      "))
    words = " ".join(c.pick(TOKENS) for _ in range(c.draw_int(1, 4)))
    lines.insert(c.index(len(lines) + 1), indent + words)


def _replace_char(lines: list[str], c: Chooser) -> None:
    if lines:
        i = c.index(len(lines))
        if lines[i]:
            col = c.index(len(lines[i]))
            lines[i] = lines[i][:col] + c.pick(TOKENS)[:1] + lines[i][col + 1 :]


def _truncate(lines: list[str], c: Chooser) -> None:
    if lines:
        i = c.index(len(lines))
        cut = c.draw_int(0, len(lines[i]))
        lines[i] = lines[i][:cut]
        del lines[i + 1 :]


MUTATIONS = (
    _delete, _duplicate, _swap, _reindent, _insert_token, _insert_line, _replace_char,
    _truncate,
)  # fmt: skip


def mutate(text: str, c: Chooser, count: int) -> str:
    lines = text.split("\n")
    for _ in range(count):
        MUTATIONS[c.index(len(MUTATIONS))](lines, c)
    return "\n".join(lines)


# --------------------------------------------------------------------------- the oracle


@cache
def seed_files() -> tuple[tuple[str, str], ...]:
    """(name, text) of every corpus .dip and built-in workflow, sorted by name."""
    paths = sorted(CORPUS.rglob("*.dip")) + sorted(BUILTINS.glob("*.dip"))
    return tuple((p.name, p.read_text(encoding="utf-8")) for p in paths)


def seeds(large: bool) -> list[str]:
    return [text for _, text in seed_files() if (len(text) > LARGE) == large]


def unlocated_errors(diags: list[Diagnostic]) -> list[Diagnostic]:
    return [
        d for d in diags if d.severity == "error" and d.line < 1 and d.code not in WHOLE_FILE_CODES
    ]


def check_text(text: str, base_dir: Path) -> None:
    """Everything `tracker validate` does to a .dip file, in process; must never raise.
    `base_dir` is where `*_file` directives are looked up (an empty directory)."""
    from tracker.dippin.directives import resolve_file_directives
    from tracker.dippin.parser import parse
    from tracker.lint.context import LintContext
    from tracker.lint.runner import check_workflow

    result = parse(text, file="fuzz.dip")
    assert isinstance(result.workflow, Workflow)
    if not result.ok:
        assert any(d.severity == "error" for d in result.diagnostics)
        bad = unlocated_errors(result.diagnostics)
        assert not bad, f"parse errors without a line: {[d.message for d in bad]}"
        return
    resolved = resolve_file_directives(result.workflow, base_dir)
    if any(d.severity == "error" for d in resolved):
        bad = unlocated_errors(resolved)
        assert not bad, f"directive errors without a line: {[d.message for d in bad]}"
        return
    ctx = LintContext(workflow=result.workflow, file="fuzz.dip", base_dir=base_dir)
    diags = check_workflow(ctx)
    bad = unlocated_errors(diags)
    assert not bad, f"errors without a line: {[(d.code, d.message) for d in bad]}"
    if any(d.severity == "error" for d in diags):
        return
    from tracker.graph.adapter import workflow_to_graph
    from tracker.graph.checks import check_graph

    try:
        graph = workflow_to_graph(result.workflow)
    except DippinError:
        return  # documented adapter errors are user errors, reported by the loader
    check_graph(graph, known_handlers=KNOWN_HANDLERS)


KNOWN_HANDLERS = {
    "start", "exit", "codergen", "wait.human", "tool", "parallel", "parallel.fan_in",
    "subgraph", "stack.manager_loop", "conditional",
}  # fmt: skip

FUZZ_SETTINGS = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# --------------------------------------------------------------------------- tests


def test_corpus_is_available() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"reference corpus not found at {CORPUS}")
    assert len(seeds(large=False)) > 40
    assert seeds(large=True)


@pytest.fixture(scope="module")
def empty_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz_base")


@settings(FUZZ_SETTINGS, max_examples=2500)
@given(data=st.data())
def test_mutated_small_pipelines_never_crash(empty_dir: Path, data: st.DataObject) -> None:
    texts = seeds(large=False)
    text = texts[data.draw(st.integers(0, len(texts) - 1), label="seed")]
    chooser = Chooser(lambda lo, hi: data.draw(st.integers(lo, hi)))
    mutated = mutate(text, chooser, data.draw(st.integers(1, 5), label="mutations"))
    check_text(mutated, empty_dir)


@settings(FUZZ_SETTINGS, max_examples=120)
@given(data=st.data())
def test_mutated_large_pipelines_never_crash(empty_dir: Path, data: st.DataObject) -> None:
    texts = seeds(large=True)
    text = texts[data.draw(st.integers(0, len(texts) - 1), label="seed")]
    chooser = Chooser(lambda lo, hi: data.draw(st.integers(lo, hi)))
    mutated = mutate(text, chooser, data.draw(st.integers(1, 8), label="mutations"))
    check_text(mutated, empty_dir)


@pytest.mark.parametrize(
    "path", sorted(CRASHES.glob("*.dip")) if CRASHES.is_dir() else [], ids=lambda p: p.name
)
def test_recorded_crash_inputs_stay_fixed(path: Path, tmp_path: Path) -> None:
    check_text(path.read_text(encoding="utf-8", errors="surrogateescape"), tmp_path)


def test_mutation_operators_change_the_text() -> None:
    """Guard against a fuzzer that silently feeds unmodified files."""
    text = "workflow W\n  start: A\n  exit: B\n\n  agent A\n    label: A\n"
    rng = random.Random(7)
    chooser = Chooser(rng.randint)
    changed = {mutate(text, chooser, 1) != text for _ in range(50)}
    assert True in changed


def tracker_command() -> list[str]:
    script = Path(sys.executable).with_name("tracker")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tracker.cli.app"]


def test_tracker_validate_survives_mutated_files(tmp_path: Path) -> None:
    rng = random.Random(20240611)
    chooser = Chooser(rng.randint)
    texts = seed_files()
    files = []
    for n in range(24):
        _, text = texts[rng.randrange(len(texts))]
        path = tmp_path / f"mutant_{n:02d}.dip"
        path.write_text(mutate(text, chooser, rng.randint(1, 6)), encoding="utf-8")
        files.append(path)

    def validate(path: Path) -> tuple[Path, subprocess.CompletedProcess[str]]:
        proc = subprocess.run(
            [*tracker_command(), "validate", str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            cwd=tmp_path,
        )
        return path, proc

    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        results = list(pool.map(validate, files))
    for path, proc in results:
        output = proc.stdout + proc.stderr
        where = f"{path.name}:\n{output}"
        assert proc.returncode in (0, 1), where
        assert "Traceback" not in output, where
        assert "internal error" not in output, where
    assert any(proc.returncode == 1 for _, proc in results)  # the mutations do break files
