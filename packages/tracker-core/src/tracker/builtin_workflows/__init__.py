"""The built-in workflows shipped as package data (`tracker workflows`, `tracker init`)."""

from __future__ import annotations

from importlib.resources import files

from tracker.plugins import WorkflowSpec

BUILTIN_NAMES = ("ask_and_execute", "build_product", "build_product_with_superspec", "deep_review")


def _loader(name: str):
    def load() -> str:
        return files(__package__).joinpath(f"{name}.dip").read_text(encoding="utf-8")

    return load


def builtin_workflow_specs() -> list[WorkflowSpec]:
    return [WorkflowSpec(name=n, load=_loader(n)) for n in BUILTIN_NAMES]
