"""A minimal PEP 517 build backend (standard library only) for the test plugin packages.

It packs every package under `src/` into a pure-Python wheel whose metadata (name,
version, dependencies, entry points) comes from pyproject.toml's [project] table. That is
all pip needs to install a plugin whose entry points tracker then discovers.
"""

from __future__ import annotations

import base64
import hashlib
import re
import tomllib
import zipfile
from pathlib import Path


def _project() -> dict:
    return tomllib.loads(Path("pyproject.toml").read_text(encoding="utf-8"))["project"]


def _dist_name(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _metadata_files(project: dict) -> dict[str, str]:
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {project['name']}",
        f"Version: {project['version']}",
    ]
    if project.get("description"):
        lines.append(f"Summary: {project['description']}")
    lines += [f"Requires-Dist: {dep}" for dep in project.get("dependencies", [])]
    entry_points = ""
    for group, items in project.get("entry-points", {}).items():
        entry_points += f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in items.items())
    return {
        "METADATA": "\n".join(lines) + "\n",
        "WHEEL": "Wheel-Version: 1.0\nGenerator: acme_backend\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
        "entry_points.txt": entry_points,
    }


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def get_requires_for_build_wheel(config_settings: dict | None = None) -> list[str]:
    return []


def build_wheel(
    wheel_directory: str,
    config_settings: dict | None = None,
    metadata_directory: str | None = None,
) -> str:
    project = _project()
    stem = f"{_dist_name(project['name'])}-{project['version']}"
    dist_info = f"{stem}.dist-info"
    files: dict[str, bytes] = {}
    for source in sorted(Path("src").rglob("*.py")):
        files[source.relative_to("src").as_posix()] = source.read_bytes()
    for name, text in _metadata_files(project).items():
        files[f"{dist_info}/{name}"] = text.encode()
    record = [_record_line(path, data) for path, data in files.items()]
    record.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()

    wheel_name = f"{stem}-py3-none-any.whl"
    with zipfile.ZipFile(Path(wheel_directory) / wheel_name, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, data in files.items():
            zf.writestr(path, data)
    return wheel_name
