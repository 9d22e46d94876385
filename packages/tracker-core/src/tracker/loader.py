"""Pipeline resolution and loading (spec/cli-tui.md §2, spec/dippin.md §11 "Loading").

`resolve_pipeline` turns what the user typed into a source (a file or a built-in);
`load_pipeline` runs the whole front end on it — parse, file directives, validate + lint,
cross-file checks, adapt to a Graph, tracker's graph checks — and always returns a
`LoadedPipeline`: bad input becomes diagnostics, never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from tracker.lint.diagnostic import Diagnostic, DippinError

if TYPE_CHECKING:
    from tracker.dippin.ir import Workflow
    from tracker.graph.model import Graph

PipelineFormat = Literal["dip", "dot", "dipx"]

DOT_DEPRECATION = "WARNING: DOT format is deprecated. Migrate pipelines to .dip format."

#: codes of the structural (Validate) pass; everything else is lint
_VALIDATE_CODES = {f"DIP{n:03d}" for n in range(0, 11)}


class PipelineNotFoundError(Exception):
    """`NAME` is neither a file nor a built-in workflow (message is the user-facing text)."""


@dataclass
class PipelineSource:
    """Where a pipeline comes from. `name` is what reports show: the path as resolved, or
    the bare name of a built-in."""

    name: str
    text: str | None
    path: Path | None
    format: PipelineFormat
    builtin: bool = False
    read_error: str = ""  # set when the file could not be read


@dataclass
class LoadedPipeline:
    """Everything the front end learned about one pipeline."""

    source: PipelineSource
    workflow: Workflow | None = None  # None for DOT
    graph: Graph | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    graph_errors: list[str] = field(default_factory=list)
    graph_warnings: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # one-line stderr notices (DOT warning)
    failed: bool = False  # loading stopped before a graph existed (read/parse/directive error)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]

    @property
    def ok(self) -> bool:
        """No load failure, no error-severity diagnostic, no tracker graph error."""
        return not self.failed and not self.errors and not self.graph_errors


# --------------------------------------------------------------------------- resolution


def _format_for(path: str) -> PipelineFormat:
    lower = path.lower()
    if lower.endswith(".dot"):
        return "dot"
    if lower.endswith(".dipx"):
        return "dipx"
    return "dip"


def _is_explicit_path(name: str) -> bool:
    return "/" in name or "\\" in name or name.endswith((".dip", ".dot", ".dipx"))


def _file_source(display: str, path: Path) -> PipelineSource:
    fmt = _format_for(display)
    text: str | None = None
    read_error = ""
    if fmt != "dipx":
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            read_error = f"read pipeline file: open {display}: no such file or directory"
        except IsADirectoryError:
            read_error = f"read pipeline file: {display} is a directory"
        except UnicodeDecodeError:
            read_error = f"read pipeline file: {display} is not valid UTF-8 text"
        except OSError as exc:
            read_error = f"read pipeline file: {display}: {exc.strerror or exc}"
    elif not path.is_file():
        read_error = f"open bundle {display}: no such file"
    return PipelineSource(display, text, path, fmt, read_error=read_error)


def builtin_names() -> list[str]:
    """Names of every registered built-in workflow, sorted."""
    from tracker.plugins.manager import get_registry

    return sorted(get_registry().workflows)


def not_found_message(name: str) -> str:
    names = builtin_names()
    if not names:
        return f'unknown pipeline "{name}": file not found'
    return (
        f'unknown pipeline "{name}" (no local file found, not a built-in workflow)\n'
        f"  Available built-in workflows: {', '.join(names)}\n"
        "  Run 'tracker workflows' to see details"
    )


def resolve_pipeline(name: str, cwd: Path | None = None) -> PipelineSource:
    """Apply the resolution order of cli-tui §2: explicit path, ./NAME.dip, file NAME,
    built-in workflow. Raises PipelineNotFoundError with the user-facing message."""
    base = Path(cwd) if cwd is not None else Path.cwd()
    if _is_explicit_path(name):
        return _file_source(name, base / name)
    dip = base / f"{name}.dip"
    if dip.is_file():
        return _file_source(f"{name}.dip", dip)
    plain = base / name
    if plain.is_file():
        return _file_source(name, plain)
    from tracker.plugins.manager import get_registry

    spec = get_registry().workflows.get(name)
    if spec is not None:
        return PipelineSource(name, spec.load(), None, "dip", builtin=True)
    raise PipelineNotFoundError(not_found_message(name))


# --------------------------------------------------------------------------- options


def parse_extra_models(spec: str | None) -> dict[str, list[str]]:
    """`--extra-models "prov:m1,m2;prov2:m3"` → {"prov": ["m1", "m2"], "prov2": ["m3"]}."""
    out: dict[str, list[str]] = {}
    if not spec:
        return out
    for group in spec.split(";"):
        group = group.strip()
        if not group:
            continue
        provider, sep, models = group.partition(":")
        provider = provider.strip()
        if not sep or not provider:
            raise ValueError(f'invalid --extra-models entry "{group}": expected provider:model,...')
        names = [m.strip() for m in models.split(",") if m.strip()]
        if not names:
            raise ValueError(f'invalid --extra-models entry "{group}": no models listed')
        out.setdefault(provider, []).extend(names)
    return out


# --------------------------------------------------------------------------- loading


def _error(message: str, file: str = "") -> Diagnostic:
    return Diagnostic(code="DIP000", severity="error", message=message, file=file)


def _handler_names() -> set[str]:
    from tracker.plugins.manager import get_registry

    return set(get_registry().handlers)


def load_pipeline(
    source: PipelineSource, *, extra_models: dict[str, list[str]] | None = None
) -> LoadedPipeline:
    """Run the front end on `source`; never raises for bad input."""
    loaded = LoadedPipeline(source=source)
    if source.read_error:
        loaded.diagnostics.append(_error(source.read_error, source.name))
        loaded.failed = True
        return loaded
    if source.format == "dot":
        _load_dot(loaded)
    elif source.format == "dipx":
        _load_bundle(loaded, extra_models or {})
    else:
        _load_dip(loaded, extra_models or {})
    return loaded


def _load_dot(loaded: LoadedPipeline) -> None:
    from tracker.dippin.dot import parse_dot

    loaded.notices.append(DOT_DEPRECATION)
    try:
        graph = parse_dot(loaded.source.text or "", loaded.source.name)
    except DippinError as exc:
        loaded.diagnostics.extend(exc.diagnostics or [_error(str(exc), loaded.source.name)])
        loaded.failed = True
        return
    if loaded.source.path is not None:
        graph.attrs.setdefault("workflow_dir", str(loaded.source.path.resolve().parent))
    loaded.graph = graph
    _check_graph(loaded)


def _load_dip(loaded: LoadedPipeline, extra_models: dict[str, list[str]]) -> None:
    from tracker.dippin.parser import parse

    source = loaded.source
    result = parse(source.text or "", source.name)
    loaded.workflow = result.workflow
    if not result.ok:
        loaded.diagnostics.extend(result.diagnostics)
        loaded.failed = True
        return
    base_dir = source.path.resolve().parent if source.path is not None else None
    _front_end(loaded, result.workflow, base_dir, extra_models, in_bundle=False)


def _front_end(
    loaded: LoadedPipeline,
    wf: Workflow,
    base_dir: Path | None,
    extra_models: dict[str, list[str]],
    *,
    in_bundle: bool,
    resolve_directives: bool = True,
) -> None:
    """Directives → validate + lint → cross-file → adapt → graph checks."""
    from tracker.lint.context import LintContext
    from tracker.lint.runner import check_workflow

    file = loaded.source.name
    if resolve_directives:
        from tracker.dippin.directives import resolve_file_directives

        directive_diags = resolve_file_directives(wf, base_dir)
        loaded.diagnostics.extend(directive_diags)
        if any(d.severity == "error" for d in directive_diags):
            loaded.failed = True
            return

    ctx = LintContext(
        workflow=wf, file=file, base_dir=base_dir, extra_models=extra_models, in_bundle=in_bundle
    )
    lint = check_workflow(ctx)
    if base_dir is not None and not in_bundle:
        lint = _with_cross_file(lint, ctx, base_dir)
    loaded.diagnostics.extend(lint)

    from tracker.graph.adapter import workflow_to_graph

    try:
        graph = workflow_to_graph(wf, str(base_dir) if base_dir is not None else "")
    except DippinError as exc:
        if not loaded.errors:  # otherwise the validate errors already explain it
            loaded.diagnostics.extend(exc.diagnostics or [_error(str(exc), file)])
        return
    except (ValueError, KeyError, TypeError) as exc:
        if not loaded.errors:
            loaded.diagnostics.append(_error(f"adapt workflow: {exc}", file))
        return
    # DIP001–DIP010 ran and their findings are reported; tracker's DOT-style structural
    # checks would only repeat them in other words.
    graph.dippin_validated = True
    graph.lint_warnings = [
        f"warning[{d.code}]: {d.message}"
        for d in loaded.diagnostics
        if d.severity == "warning" and d.code not in _VALIDATE_CODES
    ]
    loaded.graph = graph
    _check_graph(loaded)


def _with_cross_file(lint: list[Diagnostic], ctx, base_dir: Path) -> list[Diagnostic]:
    """Append the cross-file findings (DIP146, deep DIP143, DIP160), children parsed from
    disk; entry-level refs are relative to the pipeline's directory."""
    from importlib.util import find_spec

    if find_spec("tracker.lint.crossfile") is None:  # pass not available in this build
        return lint
    from tracker.lint.crossfile import apply_cross_file_checks

    def load_child(ref: str) -> Workflow | None:
        from tracker.dippin.parser import parse

        path = Path(ref) if Path(ref).is_absolute() else base_dir / ref
        for candidate in (path, path.with_name(path.name + ".dip")):
            if candidate.is_file():
                try:
                    text = candidate.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError):
                    return None
                result = parse(text, str(candidate))
                return result.workflow if result.ok else None
        return None

    return apply_cross_file_checks(lint, ctx, load_child)


def _check_graph(loaded: LoadedPipeline) -> None:
    from tracker.graph.checks import check_graph

    assert loaded.graph is not None
    errors, warnings = check_graph(loaded.graph, _handler_names())
    loaded.graph_errors.extend(errors)
    loaded.graph_warnings.extend(warnings)


def _load_bundle(loaded: LoadedPipeline, extra_models: dict[str, list[str]]) -> None:
    """A .dipx: open strictly (hashes verified), lint the entry workflow from its IR and
    point every subgraph ref at its canonical bundle path."""
    from tracker.dippin.bundle import BundleError, load_bundle
    from tracker.dippin.ir import ManagerLoopConfig, SubgraphConfig

    source = loaded.source
    assert source.path is not None
    try:
        bundle = load_bundle(source.path)
        wf = bundle.read_workflow()
        for node in wf.nodes:
            cfg = node.config
            if isinstance(cfg, SubgraphConfig) and cfg.ref:
                cfg.ref = bundle.resolve(cfg.ref, bundle.entry)
            elif isinstance(cfg, ManagerLoopConfig) and cfg.subgraph_ref:
                cfg.subgraph_ref = bundle.resolve(cfg.subgraph_ref, bundle.entry)
    except BundleError as exc:
        loaded.diagnostics.append(_error(f"open bundle: {exc}", source.name))
        loaded.failed = True
        return
    except DippinError as exc:
        loaded.diagnostics.extend(exc.diagnostics or [_error(str(exc), source.name)])
        loaded.failed = True
        return
    loaded.workflow = wf
    _front_end(loaded, wf, None, extra_models, in_bundle=True, resolve_directives=False)
