"""`tracker-swebench analyze`: triage a finished run from its files (cli-tui §12.4).

Reads predictions.jsonl (the instance universe), logs/<id>.log, logs/<id>.empty-patch.json
and an optional evaluator report; needs no provider, docker or network.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from tracker_swebench.classify import SCAN_LIMIT, classify_error
from tracker_swebench.files import iter_predictions
from tracker_swebench.models import EmptyPatchDiagnostic, RunMeta
from tracker_swebench.report import (
    AnalyzeReport,
    Counts,
    EmptyPatchEntry,
    EmptyPatchSection,
    ErrorClasses,
    ErrorSample,
    RepoRow,
    UnresolvedRow,
)

DEFAULT_TOP = 10
NO_DIAGNOSTICS_NOTE = (
    "no diagnostic data \u2014 run with newer tracker-swebench (>= PR #150) to enable "
    "per-instance empty-patch diagnostics"
)
_ELAPSED = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_EVALUATOR_NAMES = ("resolved_ids.json", "resolution.json", "report.json")
_EVALUATOR_SUFFIXES = (".evaluation.json", ".report.json")


class AnalyzeError(Exception):
    """The results cannot be analysed; the message says which file and why."""


@dataclass
class InstanceFacts:
    """What the files say about one instance."""

    instance_id: str
    repo: str
    empty: bool = False
    turns: int = 0
    elapsed: str = ""
    elapsed_secs: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    error: str = ""
    error_class: str = ""
    diagnostic: EmptyPatchDiagnostic | None = None


def repo_from_instance_id(instance_id: str) -> str:
    """`django__django-11099` → `django/django`; no `__` → `unknown`."""
    owner, sep, rest = instance_id.partition("__")
    if not sep:
        return "unknown"
    name, dash, _ = rest.rpartition("-")
    return f"{owner}/{name}" if dash and name else f"{owner}/{rest}"


def elapsed_seconds(text: str) -> int:
    """Seconds of a `XhYmZs` duration as the run logs write it; 0 when unparsable."""
    m = _ELAPSED.fullmatch(text.strip())
    if not m:
        return 0
    h, mi, s = (int(g) if g else 0 for g in m.groups())
    return h * 3600 + mi * 60 + s


def collapse(text: str, limit: int = 200) -> str:
    """Whitespace runs collapsed; cut at `limit` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "\u2026"


def pct(n: int, total: int) -> float:
    return n / total * 100 if total else 0.0


# -- reading ---------------------------------------------------------------------------


def read_run_meta(path: Path) -> RunMeta | None:
    """run_meta.json when present; a malformed one is an error."""
    if not path.exists():
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise ValueError("expected a JSON object")
        return RunMeta.model_validate(raw)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        detail = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
        raise AnalyzeError(f'read run_meta.json: "{path}" is malformed: {detail}') from None


def resolve_predictions_path(results: Path, override: str | None) -> Path:
    """--predictions, else <dir>/predictions.jsonl, else the sibling ../predictions.jsonl."""
    if override:
        path = Path(override)
        if not path.exists():
            raise AnalyzeError(f'--predictions "{override}": file not found')
        if not path.is_file():
            raise AnalyzeError(f'--predictions "{override}": not a regular file')
        return path
    primary = results / "predictions.jsonl"
    sibling = results.parent / "predictions.jsonl"
    for candidate in (primary, sibling):
        if candidate.is_file():
            return candidate
    raise AnalyzeError(
        f'predictions.jsonl not found \u2014 looked in "{primary}" and "{sibling}" '
        "(pass --predictions <path> to override)"
    )


def read_predictions(path: Path) -> dict[str, InstanceFacts]:
    """The instance universe; the last line of an instance decides whether it is empty."""
    try:
        preds = iter_predictions(path)
    except OSError as exc:
        raise AnalyzeError(f'read predictions "{path}": {exc.strerror or exc}') from None
    facts: dict[str, InstanceFacts] = {}
    for pred in preds:
        fact = facts.setdefault(
            pred.instance_id,
            InstanceFacts(pred.instance_id, repo_from_instance_id(pred.instance_id)),
        )
        fact.empty = pred.model_patch == ""
    return facts


def _int_or(text: str, default: int) -> int:
    return int(text) if _INTEGER.fullmatch(text) else default


def parse_instance_log(text: str, fact: InstanceFacts) -> None:
    """Apply the `key: value` lines of logs/<id>.log. Everything from the first `error:`
    line on is the error text (the first 8 KiB of it)."""
    error_parts: list[str] = []
    size = 0
    in_error = False
    for line in text.split("\n"):
        if in_error:
            if size < SCAN_LIMIT:
                error_parts.append(line)
                size += len(line) + 1
            continue
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key, value = key.strip(), value.strip()
        if key == "turns":
            fact.turns = _int_or(value, fact.turns)
        elif key == "elapsed":
            fact.elapsed = value
            fact.elapsed_secs = elapsed_seconds(value)
        elif key == "input_tokens":
            fact.input_tokens = _int_or(value, fact.input_tokens)
        elif key == "output_tokens":
            fact.output_tokens = _int_or(value, fact.output_tokens)
        elif key == "write_prediction_error":
            if not error_parts:
                error_parts.append(value)
                size += len(value) + 1
            fact.error_class = "harness"
        elif key == "error":
            in_error = True
            error_parts.append(value)
            size += len(value) + 1
    message = "\n".join(error_parts).strip()
    if message:
        fact.error = message
        fact.error_class = fact.error_class or classify_error(message)


def read_diagnostic(path: Path) -> EmptyPatchDiagnostic | None:
    """An empty-patch diagnostic, or None when it cannot be read (it is only a hint)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            return None
        return EmptyPatchDiagnostic.model_validate(raw)
    except (OSError, UnicodeDecodeError, ValueError):
        return None


def scan_logs(logs: Path, facts: dict[str, InstanceFacts]) -> None:
    """Fill in facts from logs/ for known instances; orphans and transcripts are ignored."""
    if not logs.is_dir():
        return
    try:
        entries = sorted(p for p in logs.iterdir() if p.is_file())
    except OSError as exc:
        raise AnalyzeError(f'read logs dir "{logs}": {exc.strerror or exc}') from None
    diagnostics: dict[str, EmptyPatchDiagnostic] = {}
    for path in entries:
        name = path.name
        if name.endswith(".empty-patch.json"):
            iid = name.removesuffix(".empty-patch.json")
            diag = read_diagnostic(path) if iid in facts else None
            if diag is not None:
                diagnostics[iid] = diag
        elif name.endswith(".log") and not name.endswith(".transcript.log"):
            fact = facts.get(name.removesuffix(".log"))
            if fact is not None:
                try:
                    parse_instance_log(path.read_text(encoding="utf-8", errors="replace"), fact)
                except OSError:
                    continue
    for iid, diag in diagnostics.items():
        fact = facts[iid]
        fact.diagnostic = diag
        if fact.turns == 0:
            fact.turns = diag.turns


def _resolved_ids(raw: object) -> set[str] | None:
    """The resolved set of an evaluator report, or None if the file is not one."""
    if isinstance(raw, dict):
        ids = raw.get("resolved_ids")
        if isinstance(ids, list):
            return {i for i in ids if isinstance(i, str) and i}
        return None
    if isinstance(raw, list) and all(isinstance(i, str) for i in raw):
        return {i for i in raw if i}
    return None


def find_evaluator_report(results: Path) -> tuple[set[str] | None, Path | None]:
    """The first usable evaluator report among the top-level candidates, by name."""
    try:
        names = sorted(p.name for p in results.iterdir() if p.is_file())
    except OSError as exc:
        raise AnalyzeError(f'read results dir "{results}": {exc.strerror or exc}') from None
    for name in names:
        if not (name in _EVALUATOR_NAMES or name.endswith(_EVALUATOR_SUFFIXES)):
            continue
        path = results / name
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError):
            continue
        ids = _resolved_ids(raw)
        if ids is not None:
            return ids, path
    return None, None


# -- computing -------------------------------------------------------------------------


def outcome(fact: InstanceFacts, resolved: set[str] | None) -> str:
    """The one bucket an instance falls in (first match wins)."""
    if fact.error:
        return "errors"
    if fact.empty:
        return "empty"
    if resolved is not None:
        return "resolved" if fact.instance_id in resolved else "unresolved"
    return "patched_unverified"


def compute_counts(facts: list[InstanceFacts], resolved: set[str] | None) -> Counts:
    c = Counts(total=len(facts), resolved_known=resolved is not None)
    for fact in facts:
        bucket = outcome(fact, resolved)
        setattr(c, bucket, getattr(c, bucket) + 1)
    for bucket in ("resolved", "unresolved", "patched_unverified", "empty", "errors"):
        setattr(c, f"{bucket}_pct", pct(getattr(c, bucket), c.total))
    return c


def compute_per_repo(facts: list[InstanceFacts], resolved: set[str] | None) -> list[RepoRow]:
    known = resolved is not None
    rows: dict[str, RepoRow] = {}
    for fact in facts:
        row = rows.setdefault(fact.repo, RepoRow(repo=fact.repo, resolved_known=known))
        row.total += 1
        bucket = outcome(fact, resolved)
        setattr(row, bucket, getattr(row, bucket) + 1)
    for row in rows.values():
        hits = row.resolved if known else row.total - row.empty - row.errors
        row.rate = pct(hits, row.total)
    return sorted(rows.values(), key=lambda r: (-r.rate, -r.total, r.repo))


def compute_top_empty(facts: list[InstanceFacts], top: int) -> EmptyPatchSection:
    empties = [f for f in facts if f.empty and not f.error]
    with_diag = sum(1 for f in empties if f.diagnostic is not None)
    empties.sort(key=lambda f: (f.diagnostic is None, -f.turns, f.instance_id))
    entries = []
    for fact in empties[:top]:
        entry = EmptyPatchEntry(instance_id=fact.instance_id, turns=fact.turns)
        if fact.diagnostic is not None:
            entry.termination_reason = fact.diagnostic.termination_reason
            entry.final_message = collapse(fact.diagnostic.final_message)
            entry.last_tool_calls = list(fact.diagnostic.last_tool_calls)
        entries.append(entry)
    return EmptyPatchSection(
        diagnostics_available=with_diag > 0,
        notes=NO_DIAGNOSTICS_NOTE if empties and not with_diag else None,
        total_empty=len(empties),
        diagnostics_found=with_diag,
        instances=entries,
    )


def compute_top_unresolved(
    facts: list[InstanceFacts], resolved: set[str] | None, top: int
) -> list[UnresolvedRow]:
    resolved = resolved or set()
    rows = [f for f in facts if not f.error and not f.empty and f.instance_id not in resolved]
    rows.sort(key=lambda f: (-f.turns, -f.elapsed_secs, f.instance_id))
    return [
        UnresolvedRow(
            instance_id=f.instance_id,
            turns=f.turns,
            elapsed=f.elapsed,
            elapsed_secs=f.elapsed_secs,
            input_tokens=f.input_tokens,
            output_tokens=f.output_tokens,
        )
        for f in rows[:top]
    ]


def compute_error_classes(facts: list[InstanceFacts]) -> ErrorClasses:
    dist = ErrorClasses()
    samples: dict[str, list[ErrorSample]] = {"setup": [], "patch": [], "harness": []}
    for fact in sorted(facts, key=lambda f: f.instance_id):
        if not fact.error:
            continue
        cls = fact.error_class if fact.error_class in samples else "harness"
        dist.total += 1
        setattr(dist, cls, getattr(dist, cls) + 1)
        if len(samples[cls]) < 3:
            samples[cls].append(
                ErrorSample(class_=cls, instance_id=fact.instance_id, message=collapse(fact.error))
            )
    dist.samples = samples["setup"] + samples["patch"] + samples["harness"]
    return dist


def build_report(
    results_dir: str | Path, *, top: int = DEFAULT_TOP, predictions: str | None = None
) -> AnalyzeReport:
    """Analyse a results directory; AnalyzeError for anything that prevents a report."""
    top = top if top > 0 else DEFAULT_TOP
    results = Path(os.path.abspath(results_dir))
    if not results.exists():
        raise AnalyzeError(f'results dir "{results}" not found')
    if not results.is_dir():
        raise AnalyzeError(f'"{results}" is not a directory')
    meta = read_run_meta(results / "run_meta.json")
    facts_by_id = read_predictions(resolve_predictions_path(results, predictions))
    scan_logs(results / "logs", facts_by_id)
    resolved, evaluator = find_evaluator_report(results)
    facts = list(facts_by_id.values())
    return AnalyzeReport(
        results_dir=str(results),
        run_meta=meta,
        evaluator_report_path=str(evaluator) if evaluator else None,
        counts=compute_counts(facts, resolved),
        per_repo=compute_per_repo(facts, resolved),
        top_empty_patches=compute_top_empty(facts, top),
        top_longest_unresolved=compute_top_unresolved(facts, resolved, top),
        error_classes=compute_error_classes(facts),
    )
