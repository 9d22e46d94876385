""".dipx bundles: a packed pipeline round-trips, and every kind of tampering or unsafe
archive is refused with a message naming the member and the problem (spec §14)."""

from __future__ import annotations

import hashlib
import json
import stat
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from tracker.dippin.bundle import (
    BundleError,
    canonical_path_problem,
    load_bundle,
    resolve_ref,
    write_bundle,
    zip_entry_info,
)

PARENT = """workflow Parent
  goal: Run the child
  start: Start
  exit: Done

  agent Start
    label: Start

  subgraph Child
    ref: sub/child.dip

  agent Done
    label: Done

  edges
    Start -> Child
    Child -> Done
"""

CHILD = """workflow Child
  start: Begin
  exit: End

  agent Begin
    label: Begin

  subgraph Leaf
    ref: ../leaf.dip

  agent End
    label: End

  edges
    Begin -> Leaf
    Leaf -> End
"""

LEAF = """workflow Leaf
  start: A
  exit: B

  agent A
    label: A

  agent B
    label: B

  edges
    A -> B
"""


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _source_tree(root: Path) -> Path:
    (root / "sub").mkdir(parents=True)
    (root / "parent.dip").write_text(PARENT)
    (root / "sub" / "child.dip").write_text(CHILD)
    (root / "leaf.dip").write_text(LEAF)
    (root / "unrelated.dip").write_text(LEAF)
    return root / "parent.dip"


def _info(name: str, **changes: object) -> zipfile.ZipInfo:
    info = zip_entry_info(name)
    for key, value in changes.items():
        setattr(info, key, value)
    return info


def _bundle(
    path: Path,
    files: dict[str, bytes],
    *,
    manifest: dict | bytes | None = None,
    extra: dict[str, bytes] | None = None,
    info: Callable[[str], zipfile.ZipInfo] = _info,
) -> Path:
    """Write a .dipx by hand; `manifest` defaults to a correct one for `files`."""
    if manifest is None:
        manifest = {
            "entry": next(iter(files)),
            "files": [{"path": p, "sha256": _sha(b)} for p, b in files.items()],
            "format_version": 1,
        }
    raw = manifest if isinstance(manifest, bytes) else json.dumps(manifest).encode()
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(_info("manifest.json"), raw)
        for name, data in {**files, **(extra or {})}.items():
            zf.writestr(info(name), data)
    return path


def _fails(path: Path) -> BundleError:
    with pytest.raises(BundleError) as exc:
        load_bundle(path)
    assert str(path) in str(exc.value)
    return exc.value


GOOD = {"workflows/main.dip": LEAF.encode()}


# --------------------------------------------------------------------------- round trip


def test_write_then_load_round_trip(tmp_path: Path) -> None:
    entry = _source_tree(tmp_path / "src")
    out = tmp_path / "p.dipx"
    bundle = write_bundle(entry, out)
    assert bundle.entry == "workflows/parent.dip"
    assert sorted(bundle.files) == [
        "workflows/leaf.dip",
        "workflows/parent.dip",
        "workflows/sub/child.dip",
    ]  # unreferenced files are not packed
    assert bundle.files["workflows/sub/child.dip"] == CHILD.encode()

    loaded = load_bundle(out)
    with zipfile.ZipFile(out) as zf:
        manifest_bytes = zf.read("manifest.json")
    assert loaded.identity == "sha256:" + _sha(manifest_bytes)
    assert loaded.manifest.format_version == 1
    assert list(json.loads(manifest_bytes)) == ["entry", "files", "format_version"]
    assert loaded.read_workflow().name == "Parent"
    child = loaded.read_workflow("workflows/sub/child.dip")
    assert child.name == "Child"
    assert loaded.resolve("sub/child.dip", loaded.entry) == "workflows/sub/child.dip"
    assert loaded.resolve("../leaf.dip", "workflows/sub/child.dip") == "workflows/leaf.dip"


def test_subgraph_refs_are_rewritten_to_bundle_paths(tmp_path: Path) -> None:
    from tracker.graph.adapter import workflow_to_graph

    bundle = write_bundle(_source_tree(tmp_path / "src"), tmp_path / "p.dipx")
    child_path = "workflows/sub/child.dip"
    graph = workflow_to_graph(bundle.read_workflow(child_path))
    assert graph.nodes["Leaf"].attrs["subgraph_ref"] == "../leaf.dip"
    bundle.rewrite_subgraph_refs(graph, child_path)
    assert graph.nodes["Leaf"].attrs["subgraph_ref"] == "workflows/leaf.dip"


def test_pack_is_byte_reproducible(tmp_path: Path) -> None:
    entry = _source_tree(tmp_path / "src")
    write_bundle(entry, tmp_path / "a.dipx")
    write_bundle(entry, tmp_path / "b.dipx")
    assert (tmp_path / "a.dipx").read_bytes() == (tmp_path / "b.dipx").read_bytes()


def test_read_workflow_returns_independent_copies(tmp_path: Path) -> None:
    bundle = load_bundle(_bundle(tmp_path / "b.dipx", GOOD))
    first = bundle.read_workflow()
    first.name = "changed"
    assert bundle.read_workflow().name == "Leaf"


def test_pack_rejects_ref_outside_source_dir(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "outside.dip").write_text(LEAF)
    entry = tmp_path / "src" / "main.dip"
    entry.write_text(PARENT.replace("sub/child.dip", "../outside.dip"))
    with pytest.raises(BundleError, match="escapes the source directory"):
        write_bundle(entry, tmp_path / "x.dipx")


def test_pack_rejects_missing_ref(tmp_path: Path) -> None:
    entry = tmp_path / "main.dip"
    entry.write_text(PARENT)
    with pytest.raises(BundleError, match="not found"):
        write_bundle(entry, tmp_path / "x.dipx")


# --------------------------------------------------------------------------- tampering


def test_rejects_hash_mismatch(tmp_path: Path) -> None:
    manifest = {
        "entry": "workflows/main.dip",
        "files": [{"path": "workflows/main.dip", "sha256": _sha(b"something else")}],
        "format_version": 1,
    }
    err = _fails(_bundle(tmp_path / "b.dipx", GOOD, manifest=manifest))
    assert err.member == "workflows/main.dip"
    assert "sha256 mismatch" in str(err)


def test_rejects_unlisted_file(tmp_path: Path) -> None:
    path = _bundle(tmp_path / "b.dipx", GOOD, extra={"workflows/extra.dip": b"x"})
    err = _fails(path)
    assert err.member == "workflows/extra.dip"
    assert "not listed in the manifest" in str(err)


def test_rejects_path_with_dotdot(tmp_path: Path) -> None:
    files = {"workflows/../evil.dip": LEAF.encode()}
    err = _fails(_bundle(tmp_path / "b.dipx", files))
    assert ".." in str(err)


def test_rejects_string_format_version(tmp_path: Path) -> None:
    manifest = {
        "entry": "workflows/main.dip",
        "files": [{"path": "workflows/main.dip", "sha256": _sha(GOOD["workflows/main.dip"])}],
        "format_version": "1",
    }
    err = _fails(_bundle(tmp_path / "b.dipx", GOOD, manifest=manifest))
    assert "format_version must be a JSON integer, not a string" in str(err)


@pytest.mark.parametrize(
    ("literal", "message"),
    [("1.0", "integer literal"), ("1e0", "integer literal"), ("3", "unsupported format_version")],
)
def test_rejects_non_integer_or_unknown_format_version(
    tmp_path: Path, literal: str, message: str
) -> None:
    digest = _sha(GOOD["workflows/main.dip"])
    raw = (
        '{"entry":"workflows/main.dip","files":[{"path":"workflows/main.dip",'
        f'"sha256":"{digest}"}}],"format_version":{literal}}}'
    ).encode()
    assert message in str(_fails(_bundle(tmp_path / "b.dipx", GOOD, manifest=raw)))


def test_rejects_entry_not_listed(tmp_path: Path) -> None:
    manifest = {
        "entry": "workflows/other.dip",
        "files": [{"path": "workflows/main.dip", "sha256": _sha(GOOD["workflows/main.dip"])}],
        "format_version": 1,
    }
    err = _fails(_bundle(tmp_path / "b.dipx", GOOD, manifest=manifest))
    assert err.member == "workflows/other.dip"
    assert "entry is not listed" in str(err)


def test_rejects_listed_file_missing_from_archive(tmp_path: Path) -> None:
    manifest = {
        "entry": "workflows/main.dip",
        "files": [
            {"path": "workflows/main.dip", "sha256": _sha(GOOD["workflows/main.dip"])},
            {"path": "workflows/gone.dip", "sha256": _sha(b"")},
        ],
        "format_version": 1,
    }
    err = _fails(_bundle(tmp_path / "b.dipx", GOOD, manifest=manifest))
    assert err.member == "workflows/gone.dip"
    assert "missing from the archive" in str(err)


def test_rejects_missing_manifest(tmp_path: Path) -> None:
    path = tmp_path / "b.dipx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(_info("workflows/main.dip"), LEAF)
    assert "manifest.json is missing" in str(_fails(path))


def test_rejects_non_zip(tmp_path: Path) -> None:
    path = tmp_path / "b.dipx"
    path.write_text("workflow X\n")
    assert "not a readable ZIP archive" in str(_fails(path))


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"entry":"a","entry":"b","files":[],"format_version":1}', "duplicate key"),
        (b'{"format_version":1,"entry":"workflows/main.dip","files":[]}', "non-empty"),
        (b'{"format_version":1} {}', "invalid manifest JSON"),
        (b"\xef\xbb\xbf{}", "byte-order mark"),
        (b'{"format_version":1,"signatures":[]}', "signatures"),
        (b"[1]", "JSON object"),
    ],
)
def test_rejects_malformed_manifest(tmp_path: Path, raw: bytes, message: str) -> None:
    err = _fails(_bundle(tmp_path / "b.dipx", GOOD, manifest=raw))
    assert err.member == "manifest.json"
    assert message in str(err)


def test_rejects_deeply_nested_manifest(tmp_path: Path) -> None:
    raw = b'{"format_version":1,"x":' + b"[" * 40 + b"]" * 40 + b"}"
    assert "nesting" in str(_fails(_bundle(tmp_path / "b.dipx", GOOD, manifest=raw)))


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("workflows/a\\b.dip", "backslash"),
        ("/workflows/a.dip", "absolute"),
        ("./workflows/a.dip", "leading ./"),
        ("workflows//a.dip", "empty path component"),
        ("workflows/CON.dip", "Windows reserved"),
        ("workflows/a./b.dip", "trailing dot"),
        ("workflows/ a.dip", "space"),
        ("workflows/a\x01.dip", "control character"),
        ("workflows/e\u0301.dip", "NFC"),
        ("/".join(["d"] * 17) + ".dip", "components"),
    ],
)
def test_canonical_path_rules(path: str, problem: str) -> None:
    found = canonical_path_problem(path)
    assert found is not None and problem in found


def test_canonical_paths_accepted() -> None:
    assert canonical_path_problem("workflows/sub/child.dip") is None
    assert canonical_path_problem("workflows/..foo/x.dip") is None


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("other/main.dip", "must start with workflows/"),
        ("workflows/main.txt", "must end with .dip"),
    ],
)
def test_rejects_paths_outside_policy(tmp_path: Path, path: str, message: str) -> None:
    err = _fails(_bundle(tmp_path / "b.dipx", {path: LEAF.encode()}))
    assert message in str(err)


def test_rejects_case_fold_duplicate_paths(tmp_path: Path) -> None:
    files = {"workflows/main.dip": LEAF.encode(), "workflows/MAIN.dip": LEAF.encode()}
    assert "case-fold-duplicate" in str(_fails(_bundle(tmp_path / "b.dipx", files)))


def test_rejects_symlink_entry(tmp_path: Path) -> None:
    def info(name: str) -> zipfile.ZipInfo:
        return _info(name, external_attr=(stat.S_IFLNK | 0o777) << 16)

    err = _fails(_bundle(tmp_path / "b.dipx", GOOD, info=info))
    assert "symlink" in str(err)


def test_rejects_unsupported_compression(tmp_path: Path) -> None:
    def info(name: str) -> zipfile.ZipInfo:
        return _info(name, compress_type=zipfile.ZIP_BZIP2)

    assert "Store or Deflate only" in str(_fails(_bundle(tmp_path / "b.dipx", GOOD, info=info)))


def test_rejects_reserved_signature_member(tmp_path: Path) -> None:
    err = _fails(_bundle(tmp_path / "b.dipx", GOOD, extra={"manifest.sig": b"sig"}))
    assert err.member == "manifest.sig"


def test_rejects_unparsable_workflow(tmp_path: Path) -> None:
    files = {"workflows/main.dip": b"workflow X\n  start: A\n  bogus_field: 1\n"}
    err = _fails(_bundle(tmp_path / "b.dipx", files))
    assert "entry workflow does not parse" in str(err)


def test_rejects_ref_to_unlisted_workflow(tmp_path: Path) -> None:
    files = {"workflows/parent.dip": PARENT.encode()}
    err = _fails(_bundle(tmp_path / "b.dipx", files))
    assert "workflows/sub/child.dip, which is not in the bundle" in str(err)


def test_rejects_ref_cycle(tmp_path: Path) -> None:
    a = PARENT.replace("sub/child.dip", "b.dip").encode()
    b = PARENT.replace("sub/child.dip", "a.dip").encode()
    files = {"workflows/a.dip": a, "workflows/b.dip": b}
    err = _fails(_bundle(tmp_path / "b.dipx", files))
    assert "subgraph ref cycle: workflows/a.dip -> workflows/b.dip -> workflows/a.dip" in str(err)


def test_ref_resolution_rules() -> None:
    assert resolve_ref("x.dip", "workflows/main.dip") == "workflows/x.dip"
    assert resolve_ref("../y.dip", "workflows/a/b.dip") == "workflows/y.dip"
    for bad in ("../../escape.dip", "/abs.dip", "child", ""):
        with pytest.raises(ValueError):
            resolve_ref(bad, "workflows/main.dip")
