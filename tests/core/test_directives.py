"""File directives: what gets loaded into the workflow, what the security envelope refuses,
and how an agent's prompt is composed from the defaults cascade."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from tracker.dippin.directives import (
    MAX_DIRECTIVE_BYTES,
    compose_prompt,
    resolve_file_directives,
)
from tracker.dippin.ir import (
    AgentConfig,
    HumanConfig,
    Node,
    SourceLocation,
    ToolConfig,
    Workflow,
    WorkflowDefaults,
)
from tracker.lint.diagnostic import Diagnostic

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "tracker"
FIXTURE = CORPUS / "pipeline" / "testdata" / "filedirectives"
needs_fixture = pytest.mark.skipif(not FIXTURE.is_dir(), reason="reference corpus not available")


def agent(node_id: str, line: int = 5, **fields: str) -> Node:
    return Node(
        id=node_id,
        kind="agent",
        config=AgentConfig(**fields),
        source=SourceLocation(file="w.dip", line=line, column=3),
    )


def tool(node_id: str, line: int = 9, **fields: str) -> Node:
    return Node(
        id=node_id,
        kind="tool",
        config=ToolConfig(**fields),
        source=SourceLocation(file="w.dip", line=line, column=3),
    )


def workflow(*nodes: Node, **defaults: str) -> Workflow:
    return Workflow(
        name="W",
        source_file="w.dip",
        defaults=WorkflowDefaults(**defaults, source=SourceLocation(file="w.dip", line=3)),
        nodes=list(nodes),
    )


def cfg(wf: Workflow, node_id: str) -> AgentConfig | ToolConfig:
    node = wf.node(node_id)
    assert node is not None and isinstance(node.config, AgentConfig | ToolConfig)
    return node.config


def only_error(diags: list[Diagnostic]) -> Diagnostic:
    assert len(diags) == 1, diags
    d = diags[0]
    assert (d.code, d.severity) == ("DIP000", "error")
    return d


# --------------------------------------------------------------------------- the fixture


@needs_fixture
def test_fixture_workflow_resolves_prompt_and_command_byte_for_byte() -> None:
    wf = workflow(
        agent("Start", prompt_file="prompts/start.md"),
        tool("RunScript", command_file="scripts/cmd.sh"),
        agent("Done"),
    )
    assert resolve_file_directives(wf, FIXTURE) == []
    start, run = cfg(wf, "Start"), cfg(wf, "RunScript")
    assert isinstance(start, AgentConfig) and isinstance(run, ToolConfig)
    assert start.prompt == (FIXTURE / "prompts" / "start.md").read_text(encoding="utf-8")
    assert start.prompt.endswith("\n")  # not trimmed
    assert run.command == (FIXTURE / "scripts" / "cmd.sh").read_text(encoding="utf-8")
    # The directive stays set so the formatter can keep writing it.
    assert start.prompt_file == "prompts/start.md"
    assert run.command_file == "scripts/cmd.sh"


@needs_fixture
def test_fixture_missing_command_file_names_node_directive_and_path() -> None:
    wf = workflow(
        agent("Start"), tool("RunScript", line=11, command_file="scripts/does_not_exist.sh")
    )
    d = only_error(resolve_file_directives(wf, FIXTURE))
    assert d.message == 'node "RunScript": command_file "scripts/does_not_exist.sh": file not found'
    assert (d.file, d.line, d.column) == ("w.dip", 11, 3)
    assert str(FIXTURE) not in d.message


@needs_fixture
def test_fixture_files_through_the_parser() -> None:
    parser = pytest.importorskip("tracker.dippin.parser")
    good = parser.parse((FIXTURE / "workflow.dip").read_text(encoding="utf-8"), "workflow.dip")
    assert good.ok, good.diagnostics
    assert resolve_file_directives(good.workflow, FIXTURE) == []
    start = good.workflow.node("Start")
    assert start is not None and isinstance(start.config, AgentConfig)
    assert start.config.prompt == "prompt from file directive fixture\n"

    text = (FIXTURE / "workflow_missing.dip").read_text(encoding="utf-8")
    bad = parser.parse(text, "workflow_missing.dip")
    d = only_error(resolve_file_directives(bad.workflow, FIXTURE))
    assert "scripts/does_not_exist.sh" in d.message and "not found" in d.message
    assert d.file == "workflow_missing.dip" and d.line > 0


# --------------------------------------------------------------------------- envelope


@pytest.fixture
def base(tmp_path: Path) -> Path:
    root = tmp_path / "pipe"
    (root / "prompts").mkdir(parents=True)
    (root / "prompts" / "plan.md").write_text("Plan it.\n", encoding="utf-8")
    (tmp_path / "secret.md").write_text("top secret", encoding="utf-8")
    return root


def resolve_one(base: Path, path: str) -> tuple[Workflow, list[Diagnostic]]:
    wf = workflow(agent("Plan", prompt_file=path))
    return wf, resolve_file_directives(wf, base)


def test_relative_path_inside_is_read(base: Path) -> None:
    wf, diags = resolve_one(base, "prompts/plan.md")
    assert diags == []
    assert cfg(wf, "Plan").prompt == "Plan it.\n"  # type: ignore[union-attr]


def test_dotdot_that_stays_inside_is_fine(base: Path) -> None:
    wf, diags = resolve_one(base, "prompts/../prompts/plan.md")
    assert diags == []
    assert cfg(wf, "Plan").prompt == "Plan it.\n"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("../secret.md", "path resolves outside the pipeline directory"),
        ("prompts/../../secret.md", "path resolves outside the pipeline directory"),
        ("prompts/missing.md", "file not found"),
        ("nodir/missing.md", "file not found"),
        ("prompts", "not a regular file"),
    ],
)
def test_envelope_rejections(base: Path, path: str, reason: str) -> None:
    wf, diags = resolve_one(base, path)
    d = only_error(diags)
    assert d.message == f'node "Plan": prompt_file "{path}": {reason}'
    assert str(base) not in d.message
    assert cfg(wf, "Plan").prompt == ""  # type: ignore[union-attr]


def test_absolute_path_is_rejected_without_reading_it(base: Path) -> None:
    target = str(base.parent / "secret.md")
    wf, diags = resolve_one(base, target)
    d = only_error(diags)
    assert "absolute paths are not allowed" in d.message
    assert cfg(wf, "Plan").prompt == ""  # type: ignore[union-attr]


def test_symlinked_leaf_is_rejected_even_inside(base: Path) -> None:
    (base / "prompts" / "link.md").symlink_to(base / "prompts" / "plan.md")
    _, diags = resolve_one(base, "prompts/link.md")
    assert only_error(diags).message.endswith(": symlinks are not allowed")


def test_symlinked_leaf_pointing_outside_is_rejected(base: Path) -> None:
    (base / "leak.md").symlink_to(base.parent / "secret.md")
    wf, diags = resolve_one(base, "leak.md")
    assert "symlinks are not allowed" in only_error(diags).message
    assert cfg(wf, "Plan").prompt == ""  # type: ignore[union-attr]


def test_parent_directory_symlinked_outside_is_rejected(base: Path) -> None:
    outside = base.parent / "elsewhere"
    outside.mkdir()
    (outside / "x.md").write_text("outside", encoding="utf-8")
    (base / "shared").symlink_to(outside, target_is_directory=True)
    wf, diags = resolve_one(base, "shared/x.md")
    d = only_error(diags)
    assert (
        d.message
        == 'node "Plan": prompt_file "shared/x.md": path resolves outside the pipeline directory'
    )
    assert str(outside) not in d.message
    assert cfg(wf, "Plan").prompt == ""  # type: ignore[union-attr]


def test_parent_directory_symlinked_inside_is_allowed(base: Path) -> None:
    (base / "alias").symlink_to(base / "prompts", target_is_directory=True)
    wf, diags = resolve_one(base, "alias/plan.md")
    assert diags == []
    assert cfg(wf, "Plan").prompt == "Plan it.\n"  # type: ignore[union-attr]


def test_base_dir_reached_through_a_symlink_still_works(base: Path, tmp_path: Path) -> None:
    link = tmp_path / "via-link"
    link.symlink_to(base, target_is_directory=True)
    wf, diags = resolve_one(link, "prompts/plan.md")
    assert diags == []


def test_size_limit(base: Path) -> None:
    (base / "exact.md").write_bytes(b"a" * MAX_DIRECTIVE_BYTES)
    (base / "big.md").write_bytes(b"a" * (MAX_DIRECTIVE_BYTES + 1))
    wf, diags = resolve_one(base, "exact.md")
    assert diags == [] and len(cfg(wf, "Plan").prompt) == MAX_DIRECTIVE_BYTES  # type: ignore[union-attr]
    wf, diags = resolve_one(base, "big.md")
    assert "file is too large" in only_error(diags).message
    assert "max 4 MiB" in diags[0].message


def test_content_is_used_byte_for_byte(base: Path) -> None:
    raw = b"\n  indented\r\nline two  \n\n"
    (base / "ws.md").write_bytes(raw)
    wf, diags = resolve_one(base, "ws.md")
    assert diags == []
    assert cfg(wf, "Plan").prompt.encode("utf-8") == raw  # type: ignore[union-attr]


def test_no_base_dir_with_a_directive_is_a_clear_error() -> None:
    wf = workflow(agent("Plan", prompt_file="prompts/plan.md"))
    d = only_error(resolve_file_directives(wf, None))
    assert d.message.startswith('node "Plan": prompt_file "prompts/plan.md": ')
    assert "stdin" in d.message


def test_no_base_dir_without_directives_is_fine() -> None:
    wf = workflow(agent("Plan", prompt="inline"), tool("T", command="echo hi"))
    assert resolve_file_directives(wf, None) == []


def test_every_failing_directive_is_reported(base: Path) -> None:
    wf = workflow(
        agent("A", line=5, prompt_file="a.md", system_prompt_file="/etc/passwd"),
        tool("T", line=9, command_file="run.sh"),
        prompt_prefix_file="../prefix.md",
    )
    diags = resolve_file_directives(wf, base)
    assert [d.message.split(": ")[0:2] for d in diags] == [
        ["defaults", 'prompt_prefix_file "../prefix.md"'],
        ['node "A"', 'prompt_file "a.md"'],
        ['node "A"', 'system_prompt_file "/etc/passwd"'],
        ['node "T"', 'command_file "run.sh"'],
    ]
    assert [d.line for d in diags] == [3, 5, 5, 9]


# --------------------------------------------------------------------------- cascade


@pytest.fixture
def cascade_dir(tmp_path: Path) -> Path:
    files = {
        "prefix.md": "PREFIX",
        "suffix.md": "SUFFIX\n",
        "body.md": "BODY",
        "frag.md": "FRAGMENT",
        "system.md": "You are careful.",
        "own_system.md": "Own system.",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def cascade_workflow() -> Workflow:
    return workflow(
        agent("Full", prompt_file="body.md", prompt_include="frag.md"),
        agent("InlineBody", prompt="Inline."),
        agent("OnlyInclude", prompt_include="frag.md"),
        agent("NoPrefix", prompt="Body.", prompt_prefix="none"),
        agent("NoSuffix", prompt="Body.", prompt_suffix="none"),
        agent("Bare"),
        agent("OwnSystem", prompt="x", system_prompt_file="own_system.md"),
        agent("InlineSystem", prompt="x", system_prompt="Inline system."),
        tool("T", command="echo hi"),
        prompt_prefix_file="prefix.md",
        prompt_suffix_file="suffix.md",
        system_prompt_file="system.md",
    )


def composed(wf: Workflow) -> dict[str, str]:
    return {n.id: compose_prompt(wf, n) for n in wf.nodes if n.kind == "agent"}


def test_defaults_files_fill_the_cascade(cascade_dir: Path) -> None:
    wf = cascade_workflow()
    assert resolve_file_directives(wf, cascade_dir) == []
    assert wf.defaults.prompt_prefix == "PREFIX"
    assert wf.defaults.prompt_suffix == "SUFFIX\n"
    assert wf.defaults.prompt_prefix_file == "prefix.md"


def test_compose_prompt_joins_parts_in_order(cascade_dir: Path) -> None:
    wf = cascade_workflow()
    resolve_file_directives(wf, cascade_dir)
    assert composed(wf) == {
        "Full": "PREFIX\n\nBODY\n\nFRAGMENT\n\nSUFFIX\n",
        "InlineBody": "PREFIX\n\nInline.\n\nSUFFIX\n",
        "OnlyInclude": "PREFIX\n\nFRAGMENT\n\nSUFFIX\n",
        "NoPrefix": "Body.\n\nSUFFIX\n",
        "NoSuffix": "PREFIX\n\nBody.",
        "Bare": "",  # never a prompt made of the cascade alone
        "OwnSystem": "PREFIX\n\nx\n\nSUFFIX\n",
        "InlineSystem": "PREFIX\n\nx\n\nSUFFIX\n",
    }
    # The body itself is left as written; composition is a separate step.
    assert cfg(wf, "Full").prompt == "BODY"  # type: ignore[union-attr]


def test_defaults_system_prompt_file_only_fills_agents_without_one(cascade_dir: Path) -> None:
    wf = cascade_workflow()
    resolve_file_directives(wf, cascade_dir)
    systems = {n.id: n.config.system_prompt for n in wf.nodes if isinstance(n.config, AgentConfig)}
    assert systems["Full"] == "You are careful."
    assert systems["Bare"] == "You are careful."
    assert systems["OwnSystem"] == "Own system."
    assert systems["InlineSystem"] == "Inline system."


def test_inline_cascade_needs_no_files() -> None:
    wf = workflow(agent("A", prompt="Do it."), prompt_prefix="Be brief.", prompt_suffix="End.")
    assert resolve_file_directives(wf, None) == []
    assert compose_prompt(wf, wf.nodes[0]) == "Be brief.\n\nDo it.\n\nEnd."


def test_compose_without_cascade_is_the_body() -> None:
    wf = workflow(agent("A", prompt="  spaced body\n"))
    assert compose_prompt(wf, wf.nodes[0]) == "  spaced body\n"


def test_compose_for_a_human_gate_is_its_prompt() -> None:
    gate = Node(id="G", kind="human", config=HumanConfig(prompt="Approve?"))
    wf = workflow(gate, prompt_prefix="ignored")
    assert compose_prompt(wf, gate) == "Approve?"


def test_include_survives_a_deep_copy(cascade_dir: Path) -> None:
    wf = workflow(agent("A", prompt="Body", prompt_include="frag.md"))
    resolve_file_directives(wf, cascade_dir)
    copy = wf.model_copy(deep=True)
    assert compose_prompt(copy, copy.nodes[0]) == "Body\n\nFRAGMENT"


def test_failing_include_leaves_the_body_alone(cascade_dir: Path) -> None:
    wf = workflow(agent("A", prompt="Body", prompt_include="nope.md"))
    d = only_error(resolve_file_directives(wf, cascade_dir))
    assert d.message == 'node "A": prompt_include "nope.md": file not found'
    assert compose_prompt(wf, wf.nodes[0]) == "Body"


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read anything")
def test_unreadable_file_is_reported_without_its_absolute_path(base: Path) -> None:
    secret = base / "locked.md"
    secret.write_text("x", encoding="utf-8")
    secret.chmod(0)
    try:
        _, diags = resolve_one(base, "locked.md")
    finally:
        secret.chmod(0o644)
    d = only_error(diags)
    assert d.message == 'node "Plan": prompt_file "locked.md": file is not readable'


def test_copied_fixture_tree_resolves_in_tmp(tmp_path: Path) -> None:
    if not FIXTURE.is_dir():
        pytest.skip("reference corpus not available")
    dest = tmp_path / "fd"
    shutil.copytree(FIXTURE, dest)
    (dest / "scripts" / "cmd.sh").chmod(0o644)
    (dest / "scripts" / "cmd.sh").unlink()
    (dest / "scripts" / "cmd.sh").symlink_to(dest / "prompts" / "start.md")
    wf = workflow(tool("RunScript", command_file="scripts/cmd.sh"))
    d = only_error(resolve_file_directives(wf, dest))
    assert d.message == 'node "RunScript": command_file "scripts/cmd.sh": symlinks are not allowed'
