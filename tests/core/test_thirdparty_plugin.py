"""A third-party package extends tracker through the `tracker` entry-point group.

The fixture package in tests/data/thirdparty_plugin is pip-installed (non-editable, from a
copy so no build artefacts land in the repo) into the project's venv, exercised through the
real `tracker` command, and uninstalled again, exactly as a user would do it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "thirdparty_plugin"

TODO_PIPELINE = """\
workflow AcmeDemo
  goal: "Exercise the ACME plugin"
  start: Start
  exit: Done

  agent Start
    label: Start

  agent Draft
    label: "TODO decide what this does"
    prompt: Say hello.

  agent Done
    label: Done

  edges
    Start -> Draft
    Draft -> Done
"""

CLEAN_PIPELINE = """\
workflow Clean
  goal: "Nothing to see"
  start: Start
  exit: Done

  tool Start
    label: Start
    timeout: 5s
    command: echo hi

  tool Done
    label: Done
    timeout: 5s
    command: echo bye

  edges
    Start -> Done
"""


def tracker(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed `tracker` console script of this venv."""
    script = Path(sys.executable).with_name("tracker")
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "tracker.cli.app"]
    return subprocess.run(
        [*cmd, *args], capture_output=True, text=True, cwd=cwd, timeout=60, check=False
    )


def pip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def install(package_dir: Path, dist: str) -> None:
    # A leftover from an interrupted earlier run would make the assertions meaningless.
    pip("uninstall", "-y", dist)
    result = pip("install", "--no-deps", "--no-build-isolation", "--no-index", str(package_dir))
    if result.returncode != 0:
        pytest.fail(f"pip install of {dist} failed:\n{result.stdout}\n{result.stderr}")


def uninstall(dist: str) -> None:
    result = pip("uninstall", "-y", dist)
    assert result.returncode == 0, result.stderr


def write_broken_plugin(root: Path) -> Path:
    """A package whose plugin module raises on import."""
    pkg = root / "broken_plugin"
    (pkg / "src" / "tracker_broken").mkdir(parents=True)
    shutil.copytree(FIXTURE / "_build", pkg / "_build")  # the same offline build backend
    (pkg / "pyproject.toml").write_text(
        textwrap.dedent(
            """\
            [build-system]
            requires = []
            build-backend = "acme_backend"
            backend-path = ["_build"]

            [project]
            name = "tracker-broken-plugin"
            version = "0.0.1"

            [project.entry-points.tracker]
            brokenacme = "tracker_broken"
            """
        )
    )
    (pkg / "src" / "tracker_broken" / "__init__.py").write_text(
        'raise ImportError("acme backend library is missing")\n'
    )
    return pkg


def test_plugin_rule_and_handler_are_used_and_listed(tmp_path: Path) -> None:
    package_dir = tmp_path / "pkg"
    shutil.copytree(FIXTURE, package_dir)
    pipeline = tmp_path / "acme_demo.dip"
    pipeline.write_text(TODO_PIPELINE)

    install(package_dir, "tracker-acme-rules")
    try:
        validated = tracker("validate", str(pipeline))
        output = validated.stdout + validated.stderr
        assert validated.returncode == 0, output
        assert "ACME001" in output
        assert 'agent "Draft" has a TODO in its label' in output
        assert "Traceback" not in output

        listed = tracker("plugins")
        assert listed.returncode == 0, listed.stderr
        assert "ACME001" in listed.stdout
        assert "acme.notify" in listed.stdout
        assert "tracker-acme-rules" in listed.stdout

        as_json = tracker("plugins", "--json")
        assert as_json.returncode == 0, as_json.stderr
        doc = json.loads(as_json.stdout)
        rules = {r["name"]: r for r in doc["registrations"]["lint_rules"]}
        handlers = {h["name"]: h for h in doc["registrations"]["handlers"]}
        assert rules["ACME001"]["distribution"] == "tracker-acme-rules"
        assert handlers["acme.notify"]["distribution"] == "tracker-acme-rules"
        assert any(p["distribution"] == "tracker-acme-rules" for p in doc["plugins"])
        assert doc["errors"] == []
    finally:
        uninstall("tracker-acme-rules")

    validated = tracker("validate", str(pipeline))
    assert "ACME001" not in validated.stdout + validated.stderr
    listed = tracker("plugins", "--json")
    doc = json.loads(listed.stdout)
    assert "ACME001" not in {r["name"] for r in doc["registrations"]["lint_rules"]}
    assert "acme.notify" not in {h["name"] for h in doc["registrations"]["handlers"]}


def test_plugin_that_fails_to_import_is_reported_once_and_the_rest_works(
    tmp_path: Path,
) -> None:
    package_dir = write_broken_plugin(tmp_path)
    pipeline = tmp_path / "clean.dip"
    pipeline.write_text(CLEAN_PIPELINE)

    install(package_dir, "tracker-broken-plugin")
    try:
        listed = tracker("plugins")
        assert listed.returncode == 0, listed.stderr
        assert listed.stderr.count("brokenacme") == 1, listed.stderr
        assert "acme backend library is missing" in listed.stderr
        assert "Traceback" not in listed.stdout + listed.stderr
        assert "codergen" in listed.stdout  # core's registrations are all still there

        validated = tracker("validate", str(pipeline))
        assert validated.returncode == 0, validated.stdout + validated.stderr
        assert "valid" in validated.stdout
        assert validated.stderr.count("brokenacme") == 1, validated.stderr
    finally:
        uninstall("tracker-broken-plugin")

    listed = tracker("plugins")
    assert "brokenacme" not in listed.stdout + listed.stderr
