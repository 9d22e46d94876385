""".dipx bundles (spec/dippin.md §14): a deterministic ZIP of an entry workflow and every
subgraph it references, described by a hash-pinned `manifest.json`.

`load_bundle` opens strictly: every ZIP, manifest, path and hash rule is checked before any
workflow is handed out, and each failure raises `BundleError` naming the bundle, the member
and what is wrong. `write_bundle` packs a `.dip` and its subgraph refs reproducibly.
"""

from __future__ import annotations

import hashlib
import io
import json
import posixpath
import stat
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from tracker.dippin.ir import ManagerLoopConfig, SubgraphConfig, Workflow
from tracker.graph.model import Graph

MANIFEST_NAME = "manifest.json"
SIGNATURE_NAME = "manifest.sig"
SUPPORTED_FORMAT_VERSIONS = (1, 2)

MAX_MANIFEST_BYTES = 1 << 20  # 1 MiB
MAX_MANIFEST_DEPTH = 32
MAX_ENTRIES = 10_000
MAX_FILE_BYTES = 50 << 20  # per file, uncompressed
MAX_TOTAL_BYTES = 100 << 20  # all files, uncompressed
MAX_PATH_BYTES = 1024
MAX_PATH_SEGMENTS = 16
MAX_REF_DEPTH = 64

#: fixed timestamp for reproducible packs (the ZIP epoch)
_FIXED_DATE = (1980, 1, 1, 0, 0, 0)
_UTF8_NAME_FLAG = 0x800
_ENCRYPTED_FLAG = 0x1
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {
    f"{p}{d}" for p in ("COM", "LPT") for d in "0123456789"
}


class BundleError(Exception):
    """A .dipx that cannot be opened or packed. `member` names the offending entry."""

    def __init__(self, message: str, bundle: str = "", member: str = ""):
        self.bundle = bundle
        self.member = member
        self.reason = message
        where = bundle
        if member:
            where = f"{bundle}: {member}" if bundle else member
        super().__init__(f"{where}: {message}" if where else message)


@dataclass(frozen=True)
class ManifestFile:
    path: str
    sha256: str


@dataclass(frozen=True)
class Manifest:
    format_version: int
    entry: str
    files: tuple[ManifestFile, ...]


@dataclass
class Bundle:
    """An opened, verified bundle. `files` maps bundle path → verified bytes."""

    path: str
    manifest: Manifest
    manifest_bytes: bytes
    files: dict[str, bytes]
    _workflows: dict[str, Workflow] = field(default_factory=dict, repr=False)

    @property
    def entry(self) -> str:
        return self.manifest.entry

    @property
    def identity(self) -> str:
        """`sha256:<hex>` of the manifest bytes as stored: the bundle's content address."""
        return "sha256:" + hashlib.sha256(self.manifest_bytes).hexdigest()

    def workflow_paths(self) -> list[str]:
        return [f.path for f in self.manifest.files if f.path.endswith(".dip")]

    def read_text(self, path: str) -> str:
        try:
            return self.files[path].decode("utf-8")
        except KeyError:
            raise BundleError("not listed in the manifest", self.path, path) from None
        except UnicodeDecodeError:
            raise BundleError("is not valid UTF-8", self.path, path) from None

    def read_workflow(self, path: str | None = None) -> Workflow:
        """The parsed workflow at bundle path `path` (default: the entry). A fresh copy,
        so callers may resolve or adapt it in place."""
        path = path or self.entry
        wf = self._workflows.get(path)
        if wf is None:
            wf = _parse_member(self, path)
            self._workflows[path] = wf
        return wf.model_copy(deep=True)

    def resolve(self, ref: str, parent: str) -> str:
        """Bundle path of subgraph `ref` written in workflow `parent` (spec §14)."""
        try:
            target = resolve_ref(ref, parent)
        except ValueError as exc:
            raise BundleError(str(exc), self.path, parent) from None
        if target not in self.files:
            raise BundleError(
                f"subgraph ref {ref!r} resolves to {target}, which is not in the bundle",
                self.path,
                parent,
            )
        return target

    def rewrite_subgraph_refs(self, graph: Graph, parent: str) -> None:
        """Point every `subgraph_ref` attr of `graph` (adapted from workflow `parent`) at
        its canonical bundle path, so subgraphs are looked up by manifest path."""
        for node in graph.nodes.values():
            ref = node.attrs.get("subgraph_ref", "")
            if ref:
                node.attrs["subgraph_ref"] = self.resolve(ref, parent)


# --------------------------------------------------------------------------- paths


def canonical_path_problem(p: str) -> str | None:
    """Why `p` is not a canonical bundle path, or None when it is."""
    if not p:
        return "empty path"
    for ch in p:
        if ch == "\\":
            return "backslash separator"
        if ch == "\x00":
            return "NUL byte"
        if ord(ch) < 0x20 or ord(ch) == 0x7F:
            return "control character"
    if unicodedata.normalize("NFC", p) != p:
        return "not in NFC form"
    if len(p.encode("utf-8", "surrogatepass")) > MAX_PATH_BYTES:
        return f"path exceeds {MAX_PATH_BYTES} bytes"
    if p.startswith("/"):
        return "absolute path"
    if p.startswith("./"):
        return "leading ./"
    segments = p.split("/")
    if "" in segments:
        return "empty path component"
    if ".." in segments:
        return "contains .. segment"
    if len(segments) > MAX_PATH_SEGMENTS:
        return f"more than {MAX_PATH_SEGMENTS} path components"
    for seg in segments:
        stem = seg.split(".", 1)[0]
        if seg != seg.strip(" ") or stem != stem.rstrip(" "):
            return f"leading/trailing space in component {seg!r}"
        if seg.endswith("."):
            return f"trailing dot in component {seg!r}"
        if stem.upper() in _WINDOWS_RESERVED:
            return f"Windows reserved name {seg!r}"
    if posixpath.normpath(p) != p:
        return "not canonical"
    return None


def _path_policy_problem(p: str, version: int) -> str | None:
    if p in (MANIFEST_NAME, SIGNATURE_NAME):
        return "reserved bundle name"
    if not p.startswith("workflows/"):
        return "must start with workflows/"
    if version == 1 and not p.endswith(".dip"):
        return "must end with .dip"
    return None


def resolve_ref(ref: str, parent: str) -> str:
    """Lexically resolve `ref` against the directory of bundle path `parent`; the result
    must be a canonical `workflows/….dip` path (`..` may appear in the ref if it stays in).
    Raises ValueError otherwise."""
    if not ref:
        raise ValueError("empty subgraph ref")
    target = posixpath.normpath(posixpath.join(posixpath.dirname(parent), ref))
    problem = canonical_path_problem(target) or _path_policy_problem(target, 1)
    if problem:
        raise ValueError(f"subgraph ref {ref!r} resolves to {target!r}: {problem}")
    return target


# --------------------------------------------------------------------------- manifest


class _Float(str):
    """A JSON number literal with a fraction or exponent, kept as written."""


def _reject_constant(name: str) -> object:
    raise ValueError(f"invalid JSON constant {name}")


def _check_depth(value: object, depth: int = 1) -> None:
    if depth > MAX_MANIFEST_DEPTH:
        raise ValueError(f"JSON nesting deeper than {MAX_MANIFEST_DEPTH}")
    if isinstance(value, dict):
        for v in value.values():
            _check_depth(v, depth + 1)
    elif isinstance(value, list):
        for v in value:
            _check_depth(v, depth + 1)


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    out: dict[str, object] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key {k!r}")
        out[k] = v
    return out


def parse_manifest(raw: bytes, bundle: str = "") -> Manifest:
    """Decode and shape-check manifest bytes (JSON rules, then schema rules)."""

    def bad(message: str, member: str = MANIFEST_NAME) -> BundleError:
        return BundleError(message, bundle, member)

    if len(raw) > MAX_MANIFEST_BYTES:
        raise bad("manifest exceeds 1 MiB")
    if raw.startswith(b"\xef\xbb\xbf"):
        raise bad("manifest starts with a byte-order mark")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise bad("manifest is not valid UTF-8") from None
    try:
        doc = json.loads(
            text,
            object_pairs_hook=_no_duplicate_keys,
            parse_float=_Float,
            parse_constant=_reject_constant,
        )
        _check_depth(doc)
    except RecursionError:
        raise bad(f"JSON nesting deeper than {MAX_MANIFEST_DEPTH}") from None
    except ValueError as exc:  # JSONDecodeError is a ValueError; trailing data lands here
        raise bad(f"invalid manifest JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise bad("manifest must be a JSON object")
    if "signatures" in doc:
        raise bad("reserved top-level key 'signatures' is present")

    version = doc.get("format_version")
    if version is None:
        raise bad("format_version is missing")
    if isinstance(version, str) and not isinstance(version, _Float):
        raise bad("format_version must be a JSON integer, not a string")
    if isinstance(version, _Float) or type(version) is not int:
        raise bad(f"format_version must be an integer literal (got {version!r})")
    if version not in SUPPORTED_FORMAT_VERSIONS:
        supported = ", ".join(map(str, SUPPORTED_FORMAT_VERSIONS))
        raise bad(f"unsupported format_version {version} (supported: {supported})")

    entry = doc.get("entry")
    if not isinstance(entry, str):
        raise bad("entry must be a string")
    files_raw = doc.get("files")
    if not isinstance(files_raw, list) or not files_raw:
        raise bad("files[] must be a non-empty array")

    files: list[ManifestFile] = []
    seen: set[str] = set()
    seen_fold: set[str] = set()
    for item in files_raw:
        if not isinstance(item, dict):
            raise bad("files[] entries must be objects")
        path, digest = item.get("path"), item.get("sha256")
        if not isinstance(path, str) or not path:
            raise bad("files[] entry missing required key: path")
        problem = canonical_path_problem(path) or _path_policy_problem(path, version)
        if problem:
            raise bad(f"unsafe path in manifest: {problem}", path)
        if (
            not isinstance(digest, str)
            or len(digest) != 64
            or any(c not in "0123456789abcdef" for c in digest)
        ):
            raise bad("sha256 must be 64 lowercase hex characters", path)
        if path in seen:
            raise bad("duplicate path in files[]", path)
        if path.lower() in seen_fold:
            raise bad("case-fold-duplicate path in files[]", path)
        seen.add(path)
        seen_fold.add(path.lower())
        files.append(ManifestFile(path, digest))

    problem = canonical_path_problem(entry) or _path_policy_problem(entry, 1)
    if problem:
        raise bad(f"unsafe entry path: {problem}", entry or MANIFEST_NAME)
    if entry not in seen:
        raise bad("entry is not listed in files[]", entry)
    return Manifest(version, entry, tuple(files))


# --------------------------------------------------------------------------- ZIP reading


def _admit_members(zf: zipfile.ZipFile, bundle: str) -> dict[str, zipfile.ZipInfo]:
    """Apply the ZIP feature constraints; returns file members by name (dirs skipped)."""
    infos = zf.infolist()
    if len(infos) > MAX_ENTRIES:
        raise BundleError(f"archive has {len(infos)} entries; at most {MAX_ENTRIES}", bundle)
    members: dict[str, zipfile.ZipInfo] = {}
    seen_fold: set[str] = set()
    for info in infos:
        name = info.filename
        if name == SIGNATURE_NAME:
            raise BundleError("manifest.sig is reserved for signatures", bundle, name)
        if info.flag_bits & _ENCRYPTED_FLAG:
            raise BundleError("encrypted entries are not allowed", bundle, name)
        if not info.flag_bits & _UTF8_NAME_FLAG:
            raise BundleError("entry name is not marked UTF-8 (ZIP flag bit 11)", bundle, name)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise BundleError(
                f"compression method {info.compress_type} is not allowed (Store or Deflate only)",
                bundle,
                name,
            )
        if info.create_system == 3:  # Unix: mode bits in the high word
            mode = info.external_attr >> 16
            kind = stat.S_IFMT(mode)
            if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
                what = "symlink" if stat.S_ISLNK(mode) else "special file"
                raise BundleError(f"{what} entries are not allowed", bundle, name)
        if name.endswith("/"):
            continue
        if name in members:
            raise BundleError("duplicate entry", bundle, name)
        if name.lower() in seen_fold:
            raise BundleError("case-fold-duplicate entry", bundle, name)
        members[name] = info
        seen_fold.add(name.lower())
    return members


def _read_capped(zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int, bundle: str) -> bytes:
    try:
        with zf.open(info) as fh:
            data = fh.read(cap + 1)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
        raise BundleError(f"cannot read entry: {exc}", bundle, info.filename) from None
    if len(data) > cap:
        raise BundleError(f"entry exceeds {cap} bytes uncompressed", bundle, info.filename)
    if len(data) != info.file_size:
        raise BundleError(
            f"decompressed {len(data)} bytes but the header claims {info.file_size}",
            bundle,
            info.filename,
        )
    return data


def load_bundle(path: str | Path) -> Bundle:
    """Open a .dipx strictly: ZIP constraints, manifest rules, no unlisted members, every
    hash verified, every workflow parsed, subgraph refs listed and acyclic."""
    bundle = str(path)
    try:
        zf = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise BundleError("file not found", bundle) from None
    except (zipfile.BadZipFile, OSError) as exc:
        raise BundleError(f"not a readable ZIP archive ({exc})", bundle) from None
    with zf:
        members = _admit_members(zf, bundle)
        info = members.get(MANIFEST_NAME)
        if info is None:
            raise BundleError("manifest.json is missing from the archive root", bundle)
        manifest_bytes = _read_capped(zf, info, MAX_MANIFEST_BYTES, bundle)
        manifest = parse_manifest(manifest_bytes, bundle)

        listed = {f.path for f in manifest.files}
        for name in members:
            if name != MANIFEST_NAME and name not in listed:
                raise BundleError("archive entry is not listed in the manifest", bundle, name)

        files: dict[str, bytes] = {}
        total = 0
        for entry in manifest.files:
            member = members.get(entry.path)
            if member is None:
                raise BundleError(
                    "listed in the manifest but missing from the archive", bundle, entry.path
                )
            budget = min(MAX_FILE_BYTES, MAX_TOTAL_BYTES - total)
            if budget <= 0:
                raise BundleError(
                    f"bundle exceeds {MAX_TOTAL_BYTES} bytes uncompressed", bundle, entry.path
                )
            data = _read_capped(zf, member, budget, bundle)
            actual = hashlib.sha256(data).hexdigest()
            if actual != entry.sha256:
                raise BundleError(
                    f"sha256 mismatch (manifest {entry.sha256}, actual {actual})",
                    bundle,
                    entry.path,
                )
            total += len(data)
            files[entry.path] = data

    result = Bundle(path=bundle, manifest=manifest, manifest_bytes=manifest_bytes, files=files)
    _check_refs(result)
    return result


def _parse_member(bundle: Bundle, path: str) -> Workflow:
    from tracker.dippin.parser import parse

    result = parse(bundle.read_text(path), file=path)
    if not result.ok:
        first = next((d for d in result.diagnostics if d.severity == "error"), None)
        detail = f" at line {first.line}: {first.message}" if first else ""
        what = "entry workflow" if path == bundle.entry else "subgraph workflow"
        raise BundleError(f"{what} does not parse{detail}", bundle.path, path)
    return result.workflow


def workflow_refs(wf: Workflow) -> list[str]:
    """The subgraph / manager_loop refs a workflow names, in declaration order."""
    refs: list[str] = []
    for node in wf.nodes:
        if isinstance(node.config, SubgraphConfig) and node.config.ref:
            refs.append(node.config.ref)
        elif isinstance(node.config, ManagerLoopConfig) and node.config.subgraph_ref:
            refs.append(node.config.subgraph_ref)
    return refs


def _check_refs(bundle: Bundle) -> None:
    """Every ref resolves to a listed workflow, and the ref graph has no cycle."""
    graph: dict[str, list[str]] = {}
    for path in bundle.workflow_paths():
        wf = bundle._workflows.get(path) or _parse_member(bundle, path)
        bundle._workflows[path] = wf
        graph[path] = [bundle.resolve(ref, path) for ref in workflow_refs(wf)]

    for root in graph:
        cycle = _find_cycle(graph, root, {}, [], 0, bundle.path)
        if cycle:
            raise BundleError("subgraph ref cycle: " + " -> ".join(cycle), bundle.path, cycle[0])


def _find_cycle(
    graph: dict[str, list[str]],
    node: str,
    color: dict[str, int],
    stack: list[str],
    depth: int,
    bundle: str,
) -> list[str] | None:
    """Tri-colour DFS; returns the first cycle found as a closed path."""
    if depth > MAX_REF_DEPTH:
        raise BundleError(f"subgraph refs nest deeper than {MAX_REF_DEPTH}", bundle, node)
    color[node] = 1
    stack.append(node)
    for nxt in graph.get(node, []):
        if color.get(nxt) == 1:
            return stack[stack.index(nxt) :] + [nxt]
        if not color.get(nxt):
            found = _find_cycle(graph, nxt, color, stack, depth + 1, bundle)
            if found:
                return found
    stack.pop()
    color[node] = 2
    return None


# --------------------------------------------------------------------------- packing


def _collect(entry_dip: Path) -> dict[str, bytes]:
    """Entry plus every transitively referenced subgraph, keyed by bundle path (relative
    to the entry's directory). Refs may not leave that directory or pass a symlink."""
    from tracker.dippin.parser import parse

    entry = entry_dip.resolve()
    root = entry.parent
    out: dict[str, bytes] = {}
    queue = [entry]
    seen: set[Path] = set()
    while queue:
        current = queue.pop(0)
        if current in seen:
            continue
        seen.add(current)
        rel = current.relative_to(root).as_posix()
        _no_symlinks(root, current)
        try:
            raw = current.read_bytes()
        except OSError as exc:
            raise BundleError(f"cannot read source file: {exc.strerror}", member=rel) from None
        if len(raw) > MAX_FILE_BYTES:
            raise BundleError(f"source file exceeds {MAX_FILE_BYTES} bytes", member=rel)
        result = parse(raw.decode("utf-8"), file=str(current))
        if not result.ok:
            first = result.diagnostics[0] if result.diagnostics else None
            detail = f" at line {first.line}: {first.message}" if first else ""
            raise BundleError(f"does not parse{detail}", member=rel)
        out["workflows/" + rel] = raw
        for ref in workflow_refs(result.workflow):
            target = Path(posixpath.normpath((current.parent / ref).as_posix()))
            try:
                target.relative_to(root)
            except ValueError:
                raise BundleError(
                    f"subgraph ref {ref!r} escapes the source directory", member=rel
                ) from None
            if not target.is_file():
                raise BundleError(f"subgraph ref {ref!r} not found", member=rel)
            queue.append(target)
    return out


def _no_symlinks(root: Path, target: Path) -> None:
    probe = target
    while probe != root and root in probe.parents:
        if probe.is_symlink():
            raise BundleError("symlinks are not packed", member=str(target.relative_to(root)))
        probe = probe.parent


class _Utf8ZipInfo(zipfile.ZipInfo):
    """A ZipInfo that always sets the UTF-8 name flag (bit 11), which strict readers —
    ours and dippin's — require even for ASCII names. zipfile resets `flag_bits` when it
    writes an entry, so the flag is added where the name is encoded instead."""

    __slots__ = ()

    def _encodeFilenameFlags(self) -> tuple[bytes, int]:  # noqa: N802 - zipfile's hook
        return self.filename.encode("utf-8"), self.flag_bits | _UTF8_NAME_FLAG


def zip_entry_info(name: str) -> zipfile.ZipInfo:
    """The entry header a packed bundle uses: Deflate, fixed timestamp, regular file
    0644, UTF-8 name flag."""
    info = _Utf8ZipInfo(name, date_time=_FIXED_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    return info


def pack_bytes(files: dict[str, bytes], entry: str) -> bytes:
    """Deterministic .dipx bytes for bundle-path → content (format_version 1)."""
    manifest = {
        "entry": entry,
        "files": [
            {"path": p, "sha256": hashlib.sha256(files[p]).hexdigest()} for p in sorted(files)
        ],
        "format_version": 1,
    }
    manifest_bytes = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(zip_entry_info(MANIFEST_NAME), manifest_bytes)
        for p in sorted(files):
            zf.writestr(zip_entry_info(p), files[p])
    return buf.getvalue()


def write_bundle(entry_dip: Path, out: Path) -> Bundle:
    """Pack `entry_dip` and its subgraph refs into `out`, byte-reproducibly, and return
    the bundle as `load_bundle` sees it. Sources are shipped as written (file directives
    are not inlined)."""
    entry_dip = Path(entry_dip)
    files = _collect(entry_dip)
    entry = "workflows/" + entry_dip.name
    data = pack_bytes(files, entry)
    Path(out).write_bytes(data)
    return load_bundle(out)
