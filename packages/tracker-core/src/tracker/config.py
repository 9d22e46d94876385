"""Provider configuration: `.env` files, key and base-URL variables, the gateway rule.

Keys come from the process environment, then `<workdir>/.env`, then the user file
`$XDG_CONFIG_HOME/tracker/.env` (default `~/.config/tracker/.env`; when that file does
not exist, the seed README's `.../2389/tracker/.env`). A variable already set is never
overwritten (cli-tui.md §3.1, design.md "Configuration"). Everything here is cheap and
imports no provider SDK: `tracker version`, `doctor` and the run start-up share it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tracker.llm.client import ProviderConfig

GATEWAY_ENV = "TRACKER_GATEWAY_URL"
ENV_FILE = ".env"


@dataclass(frozen=True)
class ProviderInfo:
    """What tracker knows about one built-in provider (cli-tui §3.2, agent-llm §8)."""

    name: str
    display: str
    key_vars: tuple[str, ...]
    base_url_var: str
    gateway_suffix: str
    key_prefix: str  # "" = no prefix rule
    probe_model: str

    @property
    def key_var(self) -> str:
        """The variable `tracker setup` writes (Gemini: GEMINI_API_KEY)."""
        return self.key_vars[0]


#: the built-in providers, in default-provider order (anthropic, openai, gemini, compat)
PROVIDERS: dict[str, ProviderInfo] = {
    p.name: p
    for p in (
        ProviderInfo(
            "anthropic",
            "Anthropic",
            ("ANTHROPIC_API_KEY",),
            "ANTHROPIC_BASE_URL",
            "/anthropic",
            "sk-ant-",
            "claude-haiku-4-5",
        ),
        ProviderInfo(
            "openai",
            "OpenAI",
            ("OPENAI_API_KEY",),
            "OPENAI_BASE_URL",
            "/openai",
            "sk-",
            "gpt-4o-mini",
        ),
        ProviderInfo(
            "gemini",
            "Gemini",
            ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
            "GEMINI_BASE_URL",
            "/google-ai-studio",
            "",
            "gemini-3-flash-preview",
        ),
        ProviderInfo(
            "openai-compat",
            "OpenAI-Compat",
            ("OPENAI_COMPAT_API_KEY",),
            "OPENAI_COMPAT_BASE_URL",
            "/compat",
            "sk-",
            "gpt-4o-mini",
        ),
    )
}


class EnvFileError(Exception):
    """A `.env` file that cannot be read or parsed; the message is user-facing."""


# --------------------------------------------------------------------------- file locations


def _env(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


def config_home(environ: Mapping[str, str] | None = None) -> Path:
    """`$XDG_CONFIG_HOME`, else `~/.config`."""
    env = _env(environ)
    base = env.get("XDG_CONFIG_HOME", "").strip()
    if base:
        return Path(base)
    home = env.get("HOME", "").strip()
    return (Path(home) if home else Path.home()) / ".config"


def user_env_path(environ: Mapping[str, str] | None = None) -> Path:
    """The user config file `tracker setup` writes: `$XDG_CONFIG_HOME/tracker/.env`."""
    return config_home(environ) / "tracker" / ENV_FILE


def legacy_env_paths(environ: Mapping[str, str] | None = None) -> list[Path]:
    """Where the seed README kept keys: `.../2389/tracker/.env` under the config home
    (and under `~/.config` when XDG_CONFIG_HOME points elsewhere)."""
    env = _env(environ)
    paths = [config_home(environ) / "2389" / "tracker" / ENV_FILE]
    home = env.get("HOME", "").strip()
    default = (Path(home) if home else Path.home()) / ".config" / "2389" / "tracker" / ENV_FILE
    if default not in paths:
        paths.append(default)
    return paths


def user_env_file(environ: Mapping[str, str] | None = None) -> Path | None:
    """The user file that is read: the XDG one, else the first legacy file that exists."""
    primary = user_env_path(environ)
    if primary.is_file():
        return primary
    return next((p for p in legacy_env_paths(environ) if p.is_file()), None)


def env_files(
    workdir: Path | str | None = None, environ: Mapping[str, str] | None = None
) -> list[Path]:
    """The existing `.env` files in precedence order: `<workdir>/.env`, then the user file."""
    files: list[Path] = []
    local = Path(workdir if workdir is not None else Path.cwd()) / ENV_FILE
    if local.is_file():
        files.append(local)
    user = user_env_file(environ)
    if user is not None and user.resolve() not in {f.resolve() for f in files}:
        files.append(user)
    return files


# --------------------------------------------------------------------------- parsing

_KEY_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\", "$": "$"}


def _double_quoted(text: str, start: int) -> tuple[str, int] | None:
    """Value of a double-quoted string opening at `start`: (value, index after the
    closing quote), or None when it never closes. Backslash escapes are honoured."""
    out: list[str] = []
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append(_ESCAPES.get(nxt, "\\" + nxt))
            i += 2
            continue
        if ch == '"':
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    return None


def parse_env_text(text: str, source: str = ".env") -> dict[str, str]:
    """Parse dotenv text: `KEY=VALUE`, optional `export `, `#` comments, single quotes
    (literal), double quotes (escapes, may span lines), inline ` # comment` after
    unquoted values. A malformed line raises EnvFileError naming `source` and the line."""
    values: dict[str, str] = {}
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        lineno = i + 1
        line = lines[i].strip()
        i += 1
        if not line or line.startswith("#"):
            continue
        if line.startswith("export ") or line.startswith("export\t"):
            line = line[len("export") :].lstrip()
        key, sep, rest = line.partition("=")
        key = key.strip()
        if not sep:
            raise EnvFileError(f"load env file {source}: line {lineno}: expected KEY=VALUE")
        if not _KEY_RE.fullmatch(key):
            raise EnvFileError(f"load env file {source}: line {lineno}: invalid name {key!r}")
        rest = rest.lstrip()
        if rest.startswith('"'):
            # a double-quoted value may continue on the following lines
            joined = rest
            parsed = _double_quoted(joined, 0)
            while parsed is None and i < len(lines):
                joined += "\n" + lines[i]
                i += 1
                parsed = _double_quoted(joined, 0)
            if parsed is None:
                raise EnvFileError(
                    f"load env file {source}: line {lineno}: unterminated quoted value"
                )
            value, end = parsed
            tail = joined[end:].strip()
        elif rest.startswith("'"):
            end = rest.find("'", 1)
            if end < 0:
                raise EnvFileError(
                    f"load env file {source}: line {lineno}: unterminated quoted value"
                )
            value, tail = rest[1:end], rest[end + 1 :].strip()
        else:
            value = "" if rest.startswith("#") else re.split(r"\s#", rest, maxsplit=1)[0]
            value, tail = value.strip(), ""
        if tail and not tail.startswith("#"):
            raise EnvFileError(
                f"load env file {source}: line {lineno}: unexpected text after the value"
            )
        values[key] = value
    return values


def read_env_file(path: Path | str) -> dict[str, str]:
    """The variables of one `.env` file; a missing file is empty, an unreadable or
    malformed one raises EnvFileError (`load env file <path>: <reason>`)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except UnicodeDecodeError:
        raise EnvFileError(f"load env file {path}: not valid UTF-8 text") from None
    except OSError as exc:
        raise EnvFileError(f"load env file {path}: {exc.strerror or exc}") from None
    return parse_env_text(text, str(path))


# --------------------------------------------------------------------------- loading


def file_values(
    workdir: Path | str | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """What the `.env` files define, the workdir file winning over the user file."""
    merged: dict[str, str] = {}
    for path in reversed(env_files(workdir, environ)):
        merged.update(read_env_file(path))
    return merged


def effective_env(
    workdir: Path | str | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment a run would see after loading the `.env` files, without changing
    the process environment: process env > `<workdir>/.env` > user file."""
    env = dict(_env(environ))
    for key, value in file_values(workdir, env).items():
        env.setdefault(key, value)
    return env


def load_env(
    workdir: Path | str | None = None, environ: MutableMapping[str, str] | None = None
) -> list[Path]:
    """Load the `.env` files into `environ` (default: os.environ), never overwriting a
    variable that is already present. Returns the files read, highest precedence first."""
    target: MutableMapping[str, str] = os.environ if environ is None else environ
    files = env_files(workdir, target)
    for path in files:
        for key, value in read_env_file(path).items():
            if key not in target:
                target[key] = value
    return files


# --------------------------------------------------------------------------- providers


def provider_info(name: str) -> ProviderInfo | None:
    return PROVIDERS.get(name)


def key_vars(name: str) -> tuple[str, ...]:
    """The variables that may hold `name`'s key (`<NAME>_API_KEY` for unknown ones)."""
    info = PROVIDERS.get(name)
    return info.key_vars if info else (name.upper().replace("-", "_") + "_API_KEY",)


def base_url_var(name: str) -> str:
    info = PROVIDERS.get(name)
    return info.base_url_var if info else name.upper().replace("-", "_") + "_BASE_URL"


def find_api_key(
    name: str, environ: Mapping[str, str] | None = None, env_keys: tuple[str, ...] = ()
) -> tuple[str, str]:
    """`(variable, key)` of the first non-empty key variable, or `("", "")`."""
    env = _env(environ)
    for var in env_keys or key_vars(name):
        value = (env.get(var) or "").strip()
        if value:
            return var, value
    return "", ""


def configured_providers(environ: Mapping[str, str] | None = None) -> list[str]:
    """Built-in providers whose key variable is non-empty, in default-provider order."""
    return [name for name in PROVIDERS if find_api_key(name, environ)[1]]


def _clean_url(url: str) -> str:
    return url.strip().strip("\"'").strip().rstrip("/")


def resolve_provider_base_url(
    name: str, environ: Mapping[str, str] | None = None, gateway_url: str | None = None
) -> str:
    """`<NAME>_BASE_URL` if set; else the gateway root (`gateway_url`, else
    TRACKER_GATEWAY_URL, trailing slashes removed) plus the provider's suffix; else ""
    (the SDK default)."""
    env = _env(environ)
    explicit = _clean_url(env.get(base_url_var(name), ""))
    if explicit:
        return explicit
    gateway = _clean_url(gateway_url if gateway_url is not None else env.get(GATEWAY_ENV, ""))
    if not gateway:
        return ""
    info = PROVIDERS.get(name)
    return gateway + (info.gateway_suffix if info else "/" + name)


def provider_config(
    name: str,
    environ: Mapping[str, str] | None = None,
    *,
    env_keys: tuple[str, ...] | list[str] = (),
    gateway_url: str | None = None,
    options: Mapping[str, Any] | None = None,
) -> ProviderConfig:
    """The `ProviderConfig` a provider factory receives: key, resolved base URL (gateway
    rule applied), the environment, and caller options."""
    from tracker.llm.client import ProviderConfig

    env = dict(_env(environ))
    _, key = find_api_key(name, env, tuple(env_keys))
    base_url = resolve_provider_base_url(name, env, gateway_url)
    return ProviderConfig(name, key, base_url, env, dict(options or {}))


# --------------------------------------------------------------------------- key checks


def key_format_problem(name: str, key: str) -> str | None:
    """Why `key` does not look like a `name` key (None when it does): Anthropic keys
    start `sk-ant-`, OpenAI and compat keys `sk-`, and every key is longer than 10."""
    info = PROVIDERS.get(name)
    key = key.strip()
    if info is None:
        return None
    if info.key_prefix and not key.startswith(info.key_prefix):
        return f"{info.display} keys start with {info.key_prefix!r}"
    if len(key) <= 10:
        return f"{info.display} keys are longer than 10 characters"
    return None


def mask_key(key: str) -> str:
    """First 4 + `...` + last 4 characters; keys of 8 characters or fewer are `****`."""
    return "****" if len(key) <= 8 else f"{key[:4]}...{key[-4:]}"


# --------------------------------------------------------------------------- writing

_ASSIGN_RE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=")
_PLAIN_VALUE_RE = re.compile(r"[A-Za-z0-9_./:@+,=~%-]+")


def format_env_value(value: str) -> str:
    """A value as it should appear after `KEY=`: bare when safe, else double-quoted."""
    if _PLAIN_VALUE_RE.fullmatch(value):
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def merge_env_text(text: str, updates: Mapping[str, str]) -> str:
    """`text` with each key of `updates` set: assignments are rewritten in place (all
    other lines, comments and order kept), new keys appended at the end."""
    lines = text.splitlines()
    done: set[str] = set()
    out: list[str] = []
    for line in lines:
        match = _ASSIGN_RE.match(line)
        key = match.group(1) if match else None
        if key is not None and key in updates:
            if key in done:
                continue  # a duplicate assignment would shadow nothing; drop it
            out.append(f"{key}={format_env_value(updates[key])}")
            done.add(key)
            continue
        out.append(line)
    for key, value in updates.items():
        if key not in done:
            out.append(f"{key}={format_env_value(value)}")
    return "\n".join(out) + "\n" if out else ""


def _write_private(path: Path, text: str) -> None:
    """Write `text` to `path` atomically (temp file + os.replace), mode 600, in a
    directory created with mode 700."""
    import tempfile

    parent = path.parent
    if not parent.is_dir():
        parent.mkdir(parents=True, exist_ok=True)
        os.chmod(parent, 0o700)
    fd, tmp = tempfile.mkstemp(dir=parent, prefix=".env.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    os.chmod(path, 0o600)


def save_user_env(
    updates: Mapping[str, str], environ: Mapping[str, str] | None = None
) -> tuple[Path, bool]:
    """Merge non-empty `updates` into the user file (`$XDG_CONFIG_HOME/tracker/.env`) and
    return `(path, written)`. When only the legacy file exists its lines seed the new
    file, so moving to the XDG location loses no key. Nothing is written when the
    content would not change."""
    path = user_env_path(environ)
    updates = {k: v.strip() for k, v in updates.items() if v and v.strip()}
    if not updates:
        return path, False
    source = user_env_file(environ)
    try:
        current = source.read_text(encoding="utf-8") if source is not None else ""
    except (OSError, UnicodeDecodeError) as exc:
        raise EnvFileError(f"load env file {source}: {exc}") from None
    merged = merge_env_text(current, updates)
    if source == path and merged == current:
        return path, False
    _write_private(path, merged)
    return path, True
