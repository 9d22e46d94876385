"""Helpers for engine tests: run a `.dip` text through the real loader and engine."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from tracker.engine.api import Config, build_engine
from tracker.engine.events import PipelineEvent
from tracker.engine.result import EngineResult


@dataclass
class Run:
    result: EngineResult
    events: list[PipelineEvent]
    run_dir: Path | None
    engine: Any = None
    sleeps: list[float] = field(default_factory=list)

    def types(self, node_id: str | None = None) -> list[str]:
        return [e.type for e in self.events if node_id is None or e.node_id == node_id]

    def activity(self) -> list[dict[str, Any]]:
        assert self.run_dir is not None
        lines = (self.run_dir / "activity.jsonl").read_text().splitlines()
        return [json.loads(line) for line in lines]

    def checkpoint(self) -> dict[str, Any]:
        assert self.run_dir is not None
        return json.loads((self.run_dir / "checkpoint.json").read_text())


@pytest.fixture
def run_dip(tmp_path: Path) -> Callable[..., Run]:
    def runner(
        text: str,
        *,
        handlers: dict[str, Any] | None = None,
        artifacts: bool = True,
        resume: str = "",
        setup: Callable[[Any], None] | None = None,
        **config: Any,
    ) -> Run:
        source = tmp_path / "pipeline.dip"
        source.write_text(text)
        events: list[PipelineEvent] = []
        sleeps: list[float] = []
        cfg = Config(
            workdir=tmp_path,
            artifact_dir=tmp_path / "runs" if artifacts else None,
            event_handler=events.append,
            resume_run_id=resume,
            **config,
        )
        engine = build_engine(source, cfg)
        engine.handlers.update(handlers or {})

        async def fake_sleep(seconds: float) -> None:
            sleeps.append(seconds)

        engine.sleep = fake_sleep
        if setup is not None:
            setup(engine)
        result = asyncio.run(engine.run())
        for sink in engine.sinks:
            getattr(sink, "close", lambda: None)()
        return Run(result, events, engine.run_dir, engine, sleeps)

    return runner
