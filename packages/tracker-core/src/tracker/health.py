"""Preflight health checks (cli-tui.md §7.5, agent-llm.md §8): the library half of
`tracker doctor`.

`doctor()` returns a `DoctorReport` (cli-tui §11.2 JSON shape) and changes nothing on
disk. With `probe_providers=True` it sends ONE tiny completion per configured provider
through that provider's adapter, straight (no retry middleware), with a 15 s timeout; only
the adapters of configured providers are built, so only their SDKs are imported.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from tracker import config

if TYPE_CHECKING:
    from tracker.plugins.registry import Registry

Status = Literal["ok", "warn", "error", "skip", "hint"]

PROBE_TIMEOUT = 15.0
PROBE_MAX_TOKENS = 16
DISK_WARN_BYTES = 10 * 1024**3
#: the dippin-lang release whose language the built-in parser targets (dippin.md header)
DIPPIN_PINNED = "v0.23.0"
GITIGNORE_ENTRIES = (".tracker/", "runs/", ".ai/")
DANGEROUS_ENV = {
    "TRACKER_PASS_ENV": "passes secrets to tool subprocesses (security risk)",
    "TRACKER_PASS_API_KEYS": "passes API keys to the claude subprocess (security risk)",
}
#: doctor's provider row order (cli-tui §7.5)
DOCTOR_PROVIDER_ORDER = ("anthropic", "openai", "openai-compat", "gemini")
AUTH_WORDS = (
    "401",
    "403",
    "unauthorized",
    "authentication",
    "invalid api key",
    "api key",
    "forbidden",
)


# --------------------------------------------------------------------------- report model


class CheckDetail(BaseModel):
    """One line inside a check (a provider, a binary, a directory)."""

    status: Status
    message: str
    hint: str | None = None


class CheckResult(BaseModel):
    """One section of the report."""

    name: str
    status: Status
    message: str | None = None
    hint: str | None = None
    details: list[CheckDetail] | None = None

    def add(self, status: Status, message: str, hint: str | None = None) -> None:
        self.details = [
            *(self.details or []),
            CheckDetail(status=status, message=message, hint=hint),
        ]


class DoctorReport(BaseModel):
    """`{checks, ok, warnings, errors}`: `ok` is false when any check is an error."""

    checks: list[CheckResult] = Field(default_factory=list)
    ok: bool = True
    warnings: int = 0
    errors: int = 0

    @classmethod
    def of(cls, checks: list[CheckResult]) -> DoctorReport:
        warnings = sum(1 for c in checks if c.status == "warn")
        errors = sum(1 for c in checks if c.status == "error")
        return cls(checks=checks, ok=errors == 0, warnings=warnings, errors=errors)

    @property
    def passed(self) -> int:
        return sum(1 for c in self.checks if c.status == "ok")

    @property
    def exit_code(self) -> int:
        """0 all pass, 1 failures, 2 warnings only (cli-tui §1.3)."""
        return 1 if self.errors else 2 if self.warnings else 0

    def to_json_dict(self) -> dict[str, Any]:
        """The §11.2 document: empty optional fields are omitted."""
        return self.model_dump(mode="json", exclude_none=True)

    def check(self, name: str) -> CheckResult | None:
        return next((c for c in self.checks if c.name == name), None)


def _worst(statuses: list[Status], default: Status = "ok") -> Status:
    for level in ("error", "warn"):
        if level in statuses:
            return level  # type: ignore[return-value]
    return default


# --------------------------------------------------------------------------- environment


def check_env_warnings(env: Mapping[str, str]) -> CheckResult:
    found = [f"{var} ({why})" for var, why in DANGEROUS_ENV.items() if env.get(var)]
    if not found:
        return CheckResult(
            name="Environment Warnings",
            status="ok",
            message="no dangerous environment variables detected",
        )
    return CheckResult(
        name="Environment Warnings",
        status="warn",
        message=f"dangerous variables set: {'; '.join(found)}",
        hint="unset TRACKER_PASS_ENV and TRACKER_PASS_API_KEYS to restore the default security posture",
    )


def check_config_files(work_dir: Path, environ: Mapping[str, str]) -> CheckResult:
    """[PY] which `.env` files are read, whether they parse, and whether the user file is
    private."""
    out = CheckResult(name="Configuration Files", status="ok")
    files = config.env_files(work_dir, environ)
    for path in files:
        try:
            values = config.read_env_file(path)
        except config.EnvFileError as exc:
            out.add("error", str(exc), f"fix or remove {path}")
            continue
        note = f"{path} ({len(values)} variable(s))"
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except OSError:
            mode = 0
        if path != work_dir / config.ENV_FILE and mode & 0o077:
            out.add("warn", f"{note} is readable by other users", f"chmod 600 {path}")
        else:
            out.add("ok", note)
    statuses = [d.status for d in out.details or []]
    out.status = _worst(statuses)
    if not files:
        out.message = "no .env files found (keys come from the environment only)"
        out.add("ok", out.message)
        out.add("hint", f"`tracker setup` writes {config.user_env_path(environ)}")
    elif out.status == "error":
        out.message = "a .env file cannot be loaded"
    else:
        out.message = f"{len(files)} .env file(s) loaded"
    return out


# --------------------------------------------------------------------------- providers


@dataclass
class ProbeOutcome:
    ok: bool
    message: str = ""
    auth: bool = False


_SECRET_PATTERNS = (
    re.compile(r"sk-ant-[A-Za-z0-9_\-]{6,}"),
    re.compile(r"sk-[A-Za-z0-9_\-]{10,}"),
    re.compile(r"AIza[0-9A-Za-z_\-]{20,}"),
)
_BEARER = re.compile(r"(?i)bearer\s+[A-Za-z0-9._\-]{6,}")


def sanitize_error(message: str, key: str = "", limit: int = 80) -> str:
    """Redact API keys and bearer tokens, then cut to `limit` characters + `...`."""
    if key:
        message = message.replace(key, "[redacted-key]")
    for pattern in _SECRET_PATTERNS:
        message = pattern.sub("[redacted-key]", message)
    message = _BEARER.sub("Bearer [redacted]", message)
    message = " ".join(message.split())
    return message if len(message) <= limit else message[:limit] + "..."


def is_auth_failure(exc: BaseException) -> bool:
    """Authentication / permission errors. tracker's own error classes are trusted as
    they are (their text may contain a URL whose port reads `401…`); other exceptions are
    judged by the reference's keyword list."""
    from tracker.llm.errors import AccessDeniedError, AuthenticationError, TrackerLLMError

    if isinstance(exc, AuthenticationError | AccessDeniedError):
        return True
    if isinstance(exc, TrackerLLMError):
        return getattr(exc, "status_code", None) in (401, 403)
    text = str(exc).lower()
    return any(word in text for word in AUTH_WORDS)


def _error_text(exc: BaseException, timeout: float) -> str:
    from tracker.llm.errors import TrackerLLMError

    if isinstance(exc, TimeoutError):
        return f"no reply within {timeout:g}s"
    if isinstance(exc, TrackerLLMError):
        status = getattr(exc, "status_code", None)
        return exc.message + (f" (HTTP {status})" if status else "")
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


async def probe_provider(
    factory: Any, provider_config: Any, model: str, timeout: float = PROBE_TIMEOUT
) -> ProbeOutcome:
    """One `ping` completion through a freshly built adapter: no retries, `timeout`
    seconds at most. Never raises."""
    from tracker.llm.types import Message, Request

    key = provider_config.api_key
    try:
        adapter = factory(provider_config)
    except Exception as exc:  # noqa: BLE001 - a broken adapter is a probe failure
        return ProbeOutcome(False, sanitize_error(f"build adapter: {exc}", key))
    request = Request(
        model=model,
        provider=provider_config.name,
        messages=[Message.user("ping")],
        max_tokens=PROBE_MAX_TOKENS,
    )
    try:
        await asyncio.wait_for(adapter.complete(request), timeout)
    except Exception as exc:  # noqa: BLE001 - every failure becomes a line, never a traceback
        if is_auth_failure(exc):
            return ProbeOutcome(False, "invalid or expired API key", auth=True)
        return ProbeOutcome(False, sanitize_error(_error_text(exc, timeout), key))
    finally:
        closer = getattr(adapter, "aclose", None)
        if closer is not None:
            try:
                await closer()
            except Exception:  # noqa: BLE001 - closing must not hide the probe result
                pass
    return ProbeOutcome(True)


async def check_providers(
    env: Mapping[str, str],
    *,
    probe: bool,
    registry: Registry | None,
    timeout: float = PROBE_TIMEOUT,
) -> CheckResult:
    out = CheckResult(name="LLM Providers", status="ok")
    configured: list[str] = []
    missing: list[str] = []
    rows: list[tuple[config.ProviderInfo, str, str]] = []
    for name in DOCTOR_PROVIDER_ORDER:
        info = config.PROVIDERS[name]
        var, key = config.find_api_key(name, env)
        if not key:
            missing.append(info.display)
            continue
        rows.append((info, var, key))

    specs = registry.providers if registry is not None else {}
    pending: dict[str, asyncio.Future[ProbeOutcome] | ProbeOutcome] = {}
    if probe:
        for info, _, key in rows:
            if config.key_format_problem(info.name, key):
                continue
            spec = specs.get(info.name)
            if spec is None or spec.factory is None:
                pending[info.name] = ProbeOutcome(
                    False, "no adapter installed (pip install tracker-providers)"
                )
                continue
            cfg = config.provider_config(info.name, env, env_keys=tuple(spec.env_keys))
            pending[info.name] = asyncio.ensure_future(
                probe_provider(spec.factory, cfg, info.probe_model, timeout)
            )
    results: dict[str, ProbeOutcome] = {}
    for name, item in pending.items():
        results[name] = await item if isinstance(item, asyncio.Future) else item

    all_verified = True
    for info, var, key in rows:
        label = f"{info.display:<15} {var}={config.mask_key(key)}"
        problem = config.key_format_problem(info.name, key)
        if problem:
            out.add(
                "error",
                f"{label} (invalid format)",
                f"{problem} — check {var} or run `tracker setup`",
            )
            all_verified = False
            continue
        configured.append(info.display)
        outcome = results.get(info.name)
        if outcome is None:
            out.add("ok", label)
            continue
        if outcome.ok:
            out.add("ok", f"{label} (auth verified)")
            continue
        all_verified = False
        if outcome.auth:
            out.add(
                "error",
                f"{label} (auth failed: {outcome.message})",
                f"your {info.display} key in {var} is invalid or expired — export a fresh "
                "key or run `tracker setup`",
            )
        else:
            out.add(
                "error",
                f"{label} (probe failed: {outcome.message})",
                f"the {info.display} probe failed without an auth error — check the network "
                f"and {info.base_url_var} before rotating the key",
            )

    if not rows:
        out.details = None
        for name in DOCTOR_PROVIDER_ORDER:
            info = config.PROVIDERS[name]
            out.add("error", f"{info.display:<15} {info.key_var} not set")
        out.status = "error"
        out.message = "no LLM providers configured"
        out.hint = (
            "run `tracker setup` or export ANTHROPIC_API_KEY / OPENAI_API_KEY / GEMINI_API_KEY"
        )
        return out
    if missing:
        out.add("hint", f"not configured: {', '.join(missing)} (optional)")
    has_errors = any(d.status == "error" for d in out.details or [])
    out.status = "warn" if has_errors else "ok"
    count = f"{len(rows)} provider(s) configured"
    if probe and all_verified:
        out.message = f"{count} and auth verified"
    elif has_errors:
        out.message = f"{count}, some with problems"
        out.hint = "see the lines above; `tracker setup` updates keys"
    else:
        out.message = f"{count}: {', '.join(configured)}"
    return out


def check_gateway(env: Mapping[str, str]) -> CheckResult | None:
    """[later] informational: where each provider's requests go when a gateway is set."""
    gateway = env.get(config.GATEWAY_ENV, "").strip().rstrip("/")
    if not gateway:
        return None
    out = CheckResult(name="Gateway Routing", status="ok", message="gateway configured")
    out.add("ok", f"{config.GATEWAY_ENV}={gateway}")
    overridden = [
        f"{name} ({info.base_url_var})"
        for name, info in config.PROVIDERS.items()
        if env.get(info.base_url_var, "").strip()
    ]
    for name in config.PROVIDERS:
        out.add("ok", f"{name:<14} -> {config.resolve_provider_base_url(name, env)}")
    if overridden:
        out.add("hint", f"per-provider overrides win over the gateway: {', '.join(overridden)}")
    return out


# --------------------------------------------------------------------------- plugins


def check_plugins(registry: Registry | None, load_error: str = "") -> CheckResult:
    """[PY] installed plugins, what they register, and the ones that failed to load."""
    out = CheckResult(name="Plugins", status="ok")
    if registry is None:
        out.status = "error"
        out.message = f"the plugin registry could not be loaded: {load_error}"
        return out
    counts: dict[str, int] = {}
    for entries in registry.entries.values():
        for reg in entries.values():
            counts[reg.plugin] = counts.get(reg.plugin, 0) + 1
    for plugin in registry.plugins:
        version = f" {plugin.version}" if plugin.version else ""
        out.add(
            "ok",
            f"{plugin.name:<12} {plugin.distribution}{version} "
            f"({counts.get(plugin.name, 0)} registration(s))",
        )
    for err in registry.errors:
        out.add("warn", f"{err.plugin} ({err.distribution}) failed to load: {err.reason}")
    providers = ", ".join(registry.providers) or "none"
    if registry.errors:
        out.status = "warn"
        out.message = f"{len(registry.errors)} plugin problem(s)"
        out.hint = "reinstall or remove the failing plugin (`tracker plugins` lists them)"
    else:
        out.message = f"{len(registry.plugins)} plugin(s) loaded; providers: {providers}"
    return out


# --------------------------------------------------------------------------- binaries


def _binary_version(path: str, *args: str) -> str:
    try:
        proc = subprocess.run([path, *args], capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return "(version unknown)"
    text = (proc.stdout or proc.stderr).strip().splitlines()
    if proc.returncode != 0 or not text:
        return "(version unknown)"
    first = text[0].strip()
    for prefix in ("dippin ", "version "):
        first = first.removeprefix(prefix)
    return first or "(version unknown)"


def check_dippin(path_env: str | None) -> CheckResult:
    """[PY] the built-in parser always works; the external `dippin` binary is optional."""
    from tracker import __version__

    out = CheckResult(name="Dippin Language", status="ok")
    out.add("ok", f"built-in Dippin parser (tracker {__version__}, language {DIPPIN_PINNED}+)")
    binary = shutil.which("dippin", path=path_env)
    if binary:
        out.add("ok", f"dippin {_binary_version(binary, '--version')} at {binary}")
        out.message = "built-in parser; dippin binary found"
    else:
        out.add("warn", "dippin binary not found in PATH (optional: external linting)")
        out.status = "warn"
        out.message = "built-in parser in use; dippin binary not installed"
        out.hint = "install from https://github.com/2389-research/dippin-lang (optional)"
    return out


def _major_minor(version: str) -> tuple[int, int] | None:
    match = re.search(r"v?(\d+)\.(\d+)", version)
    return (int(match[1]), int(match[2])) if match else None


def check_versions(version: str | None, commit: str | None, path_env: str | None) -> CheckResult:
    out = CheckResult(name="Version Compatibility", status="ok")
    if version:
        out.add("ok", f"tracker   {version}" + (f" (commit {commit})" if commit else ""))
    binary = shutil.which("dippin", path=path_env)
    if not binary:
        out.add(
            "ok", f"built-in Dippin parser targets {DIPPIN_PINNED} (no dippin binary to compare)"
        )
        out.message = f"tracker {version}" if version else "built-in parser only"
        return out
    installed = _binary_version(binary, "--version")
    out.add("ok", f"dippin    {installed} (installed) / {DIPPIN_PINNED} (built-in)")
    have, want = _major_minor(installed), _major_minor(DIPPIN_PINNED)
    if have and want and have != want:
        out.add(
            "warn",
            f"dippin version mismatch: installed v{have[0]}.{have[1]} != v{want[0]}.{want[1]}",
        )
        out.status = "warn"
        out.message = f"dippin {installed} (mismatched — built-in parser targets {DIPPIN_PINNED})"
        out.hint = "the external dippin may accept or reject syntax differently from tracker"
    else:
        out.message = f"dippin {installed}"
    return out


def check_binaries(backend: str, path_env: str | None, registry: Registry | None) -> CheckResult:
    out = CheckResult(name="Optional Binaries", status="ok")
    if shutil.which("git", path=path_env):
        out.add("ok", "git found (recommended for pipeline versioning)")
    else:
        out.add("warn", "git not found in PATH (recommended for pipeline versioning)")
    claude = shutil.which("claude", path=path_env)
    if claude:
        out.add("ok", f"claude {_binary_version(claude, '--version')} (for --backend claude-code)")
    elif backend == "claude-code":
        out.add(
            "error",
            "claude CLI not found in PATH (required for --backend claude-code)",
            "install the Claude CLI from https://claude.ai/code",
        )
    else:
        out.add("warn", "claude not found in PATH (install for --backend claude-code support)")
    if backend and backend != "native" and registry is not None:
        backends = registry.entries.get("backends", {})
        if backend not in backends:
            known = ", ".join(sorted(backends)) or "none"
            out.add(
                "error",
                f"backend {backend!r} is not installed (registered: {known})",
                "install its package, e.g. pip install tracker-acp for --backend acp",
            )
    out.status = _worst([d.status for d in out.details or []])
    if out.status == "error":
        out.message = "required binary or backend missing for the selected backend"
        out.hint = next((d.hint for d in out.details or [] if d.hint), None)
    elif out.status == "warn":
        out.message = "some optional binaries missing"
        out.hint = "install git and/or the Claude CLI to unlock all tracker features"
    else:
        out.message = "optional binaries available"
    return out


# --------------------------------------------------------------------------- directories


def missing_gitignore_entries(work_dir: Path) -> list[str] | None:
    """The tracker entries `.gitignore` lacks; None when there is no `.gitignore`."""
    try:
        text = (work_dir / ".gitignore").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    present = {
        line.strip().rstrip("/")
        for line in text.splitlines()
        if line.strip() and not line.strip().startswith("#")
    }
    return [entry for entry in GITIGNORE_ENTRIES if entry.rstrip("/") not in present]


def _writable(directory: Path) -> bool:
    try:
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".tracker_probe_"):
            return True
    except OSError:
        return False


def check_workdir(work_dir: Path, home: Path | None) -> CheckResult:
    out = CheckResult(name="Working Directory", status="ok")
    if not work_dir.exists():
        out.status = "error"
        out.message = f"{work_dir} does not exist"
        out.hint = f"create the directory: mkdir -p {work_dir}"
        return out
    if not work_dir.is_dir():
        out.status = "error"
        out.message = f"{work_dir} is not a directory"
        out.hint = "point --workdir at a directory, not a file"
        return out
    if not _writable(work_dir):
        out.status = "error"
        out.message = f"{work_dir} is not writable"
        out.hint = f"check permissions: chmod u+w {work_dir}"
        return out
    if work_dir == Path("/") or (home is not None and work_dir == home):
        out.add("warn", f"{work_dir} (risk of accidental data loss — use a project subdirectory)")
    missing = missing_gitignore_entries(work_dir)
    if missing is None:
        out.add(
            "warn",
            ".gitignore not found — add .tracker/, runs/, and .ai/ to prevent committing run artifacts",
        )
    elif missing:
        out.add("warn", f".gitignore missing entries: {', '.join(missing)}")
    out.add("ok", f"{work_dir} (writable)")
    out.status = _worst([d.status for d in out.details or []])
    suffix = " (with warnings)" if out.status == "warn" else ""
    out.message = f"{work_dir} is writable{suffix}"
    return out


def check_artifact_dirs(work_dir: Path) -> CheckResult:
    out = CheckResult(name="Artifact Directories", status="ok")
    ai_dir = work_dir / ".ai"
    if ai_dir.exists():
        if not ai_dir.is_dir():
            out.add("error", ".ai is not a directory")
        elif not _writable(ai_dir):
            out.add("error", f"{ai_dir} exists but is not writable", f"chmod u+w {ai_dir}")
        else:
            out.add("ok", f"{ai_dir} exists and is writable")
    elif work_dir.is_dir() and _writable(work_dir):
        out.add("ok", f"{ai_dir} will be created on first run")
    else:
        out.add("error", f"{ai_dir} cannot be created (parent not writable)")
    out.status = _worst([d.status for d in out.details or []])
    out.message = (
        "artifact directories usable" if out.status == "ok" else "artifact directory problem"
    )
    return out


def check_disk_space(work_dir: Path) -> CheckResult:
    probe = work_dir
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        free = shutil.disk_usage(probe).free
    except OSError as exc:
        return CheckResult(name="Disk Space", status="skip", message=f"cannot measure: {exc}")
    gb = free / 1024**3
    if free < DISK_WARN_BYTES:
        return CheckResult(
            name="Disk Space",
            status="warn",
            message=f"{gb:.1f} GB free (below 10 GB)",
            hint="free some space: runs write artifacts and checkpoints",
        )
    return CheckResult(name="Disk Space", status="ok", message=f"{gb:.1f} GB free")


# --------------------------------------------------------------------------- pipeline


def check_pipeline(pipeline: str, cwd: Path) -> CheckResult:
    """Resolve (built-in names too, [PY]), parse, validate and lint a pipeline."""
    from tracker.loader import PipelineNotFoundError, load_pipeline, resolve_pipeline

    out = CheckResult(name="Pipeline File", status="ok")
    try:
        source = resolve_pipeline(pipeline, cwd)
    except PipelineNotFoundError as exc:
        out.status = "error"
        out.message = str(exc).splitlines()[0]
        out.hint = "check the path, or run `tracker workflows` for built-in names"
        return out
    if not source.builtin and not source.name.lower().endswith((".dip", ".dot", ".dipx")):
        out.add("warn", f"{source.name} does not end in .dip or .dot")
    loaded = load_pipeline(source)
    for diag in loaded.errors or (loaded.diagnostics if loaded.failed else []):
        out.add(
            "error", f"{diag.code}: {diag.message}" + (f" (line {diag.line})" if diag.line else "")
        )
    for message in loaded.graph_errors:
        out.add("error", message)
    if not loaded.failed:
        for diag in loaded.warnings:
            line = f" (line {diag.line})" if diag.line else ""
            out.add("warn", f"{diag.code}: {diag.message}{line}")
        for message in loaded.graph_warnings:
            out.add("warn", message)
    out.status = _worst([d.status for d in out.details or []])
    graph = loaded.graph
    if out.status == "error":
        out.message = f"{source.name} has errors"
        out.hint = f"run `tracker validate {pipeline}` for details"
    else:
        size = f" ({len(graph.nodes)} nodes, {len(graph.edges)} edges)" if graph else ""
        out.add("ok", f"{source.name} is valid{size}")
        out.message = f"{source.name} is valid" + (
            " (with warnings)" if out.status == "warn" else ""
        )
    return out


# --------------------------------------------------------------------------- entry points


def _load_registry() -> tuple[Registry | None, str]:
    try:
        from tracker.plugins.manager import get_registry

        return get_registry(), ""
    except Exception as exc:  # noqa: BLE001 - reported as a failed check
        return None, f"{type(exc).__name__}: {exc}"


async def adoctor(
    work_dir: str | Path | None = None,
    backend: str = "",
    probe_providers: bool = False,
    pipeline_file: str = "",
    version: str | None = None,
    commit: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    registry: Registry | None = None,
    probe_timeout: float = PROBE_TIMEOUT,
) -> DoctorReport:
    """Run every check and return the report (async form of `doctor`).

    `env` is the environment to judge (default: the process environment plus the `.env`
    files, read without changing os.environ). Nothing on disk is modified."""
    cwd = Path.cwd()
    wd = Path(work_dir).expanduser() if work_dir else cwd
    wd = wd if wd.is_absolute() else cwd / wd
    process_env = dict(os.environ)
    config_check = check_config_files(wd, process_env)
    if env is None:
        try:
            env = config.effective_env(wd, process_env)
        except config.EnvFileError:
            env = process_env  # already reported by the Configuration Files check
    load_error = ""
    if registry is None:
        registry, load_error = _load_registry()
    home = env.get("HOME")
    path_env = env.get("PATH")
    checks: list[CheckResult] = [
        check_env_warnings(env),
        config_check,
        await check_providers(env, probe=probe_providers, registry=registry, timeout=probe_timeout),
        check_plugins(registry, load_error),
        check_dippin(path_env),
        check_versions(version, commit, path_env),
        check_binaries(backend, path_env, registry),
        check_workdir(wd, Path(home) if home else None),
        check_artifact_dirs(wd),
        check_disk_space(wd),
    ]
    gateway = check_gateway(env)
    if gateway is not None:
        checks.append(gateway)
    if pipeline_file:
        checks.append(check_pipeline(pipeline_file, cwd))
    return DoctorReport.of(checks)


def doctor(
    work_dir: str | Path | None = None,
    backend: str = "",
    probe_providers: bool = False,
    pipeline_file: str = "",
    version: str | None = None,
    commit: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    registry: Registry | None = None,
    probe_timeout: float = PROBE_TIMEOUT,
) -> DoctorReport:
    """Preflight checks (cli-tui §11.1 `tracker.health`): read-only, and no network
    unless `probe_providers` is true. Call `adoctor` from inside an event loop."""
    return asyncio.run(
        adoctor(
            work_dir,
            backend,
            probe_providers,
            pipeline_file,
            version,
            commit,
            env=env,
            registry=registry,
            probe_timeout=probe_timeout,
        )
    )
