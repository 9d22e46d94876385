"""`tracker validate` accepts every corpus pipeline except the ones broken on purpose
(README.md, "Corpus exceptions", lists them with their reasons)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tracker.cli.app import run_cli

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "tracker"

#: corpus-relative path -> a fragment of the error it must report
BROKEN_ON_PURPOSE = {
    "pipeline/testdata/filedirectives/workflow_missing.dip": "scripts/does_not_exist.sh",
    "pipeline/testdata/cycle.dot": "cycle",
    "testdata/expand_child.dip": 'unrecognized agent field "llm_model"',
    "testdata/expand_subgraph_params.dip": "DIP004",
}

PIPELINES = sorted(
    str(p.relative_to(CORPUS)) for ext in ("*.dip", "*.dot") for p in CORPUS.rglob(ext)
)


def test_readme_lists_every_exception() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for rel in BROKEN_ON_PURPOSE:
        assert rel in readme


@pytest.mark.parametrize("rel", PIPELINES)
def test_corpus_pipeline_validates(rel: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = run_cli(["validate", str(CORPUS / rel)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    if rel in BROKEN_ON_PURPOSE:
        assert code == 1
        assert BROKEN_ON_PURPOSE[rel] in out + err
    else:
        assert code == 0, out + err
        assert ": valid" in out
