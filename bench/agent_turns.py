"""Per-turn overhead of the native agent session's turn loop.

Runs one session of N tool turns (default 1,000) against the scripted provider through a
full `tracker.llm.Client` (retry + token-tracking middleware, streamed through a trace
observer because an event observer is attached). Every turn is one `read` tool call on
a small file (a different window each turn, so loop detection stays quiet), then a
final text turn. It prints:

  * the session's wall time per turn;
  * the tool call alone: the time the session measured around each `read`
    (`result.tool_timings`), and the same calls timed directly on the tool registry in
    the same process, outside any session;
  * the loop's own cost per turn = (session wall time − tool time) / turns — the LLM
    client, scripted replies, events, message bookkeeping — and its ratio to the tool.

Target: loop overhead under 1 ms per turn.

    .venv/bin/python bench/agent_turns.py [--turns 1000] [--no-events]

Standard library only besides tracker; run it from the repository root with the venv.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

from tracker.agent import Session, SessionConfig
from tracker.agent.confinement import Workspace
from tracker.agent.tools import ALL_TOOLS, ToolContext, ToolRegistry
from tracker.llm import Client
from tracker.llm.scripted import ScriptedProvider

TARGET_MS = 1.0
FILE_LINES = 200


def read_args(turn: int) -> dict[str, int | str]:
    return {"path": "module.py", "offset": turn % (FILE_LINES - 20) + 1, "limit": 20}


def script(turns: int) -> list[dict]:
    replies: list[dict] = [
        {
            "tool_calls": [{"name": "read", "arguments": read_args(n)}],
            "usage": {"input_tokens": 1000 + n, "output_tokens": 20},
        }
        for n in range(turns)
    ]
    replies.append({"text": "done", "usage": {"input_tokens": 1000, "output_tokens": 5}})
    return replies


async def run_session(root: Path, turns: int, events: bool) -> tuple[float, float, int, int]:
    provider = ScriptedProvider(script(turns))
    client = Client({"scripted": provider})
    count = 0

    def observer(_event) -> None:
        nonlocal count
        count += 1

    session = Session(
        client,
        SessionConfig(
            working_dir=str(root),
            provider="scripted",
            model="claude-sonnet-4-6",
            max_turns=turns + 1,
        ),
        on_event=observer if events else None,
    )
    started = time.perf_counter()
    result = await session.run("read the module")
    wall = time.perf_counter() - started
    assert result.error is None and result.turns == turns + 1, result
    return wall, result.tool_timings.get("read", 0.0), result.turns, count


async def tool_alone(root: Path, turns: int) -> float:
    registry = ToolRegistry(ALL_TOOLS.values())
    context = ToolContext(workspace=Workspace(root))
    started = time.perf_counter()
    for n in range(turns):
        text, is_error = await registry.execute("read", json.dumps(read_args(n)), context)
        assert not is_error, text
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=1000)
    parser.add_argument("--no-events", action="store_true", help="run without an observer")
    args = parser.parse_args()
    turns = args.turns

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        body = "".join(f"def f{n}(x):\n    return x + {n}\n" for n in range(FILE_LINES // 2))
        (root / "module.py").write_text(body)
        asyncio.run(run_session(root, 20, True))  # warm-up: imports, caches
        wall, in_session_tool, turn_count, events = asyncio.run(
            run_session(root, turns, not args.no_events)
        )
        direct_tool = asyncio.run(tool_alone(root, turns))

    ms = 1000.0
    per_turn = wall / turn_count * ms
    tool_per_call = in_session_tool / turns * ms
    direct_per_call = direct_tool / turns * ms
    overhead = (wall - in_session_tool) / turn_count * ms
    print(
        f"agent session: {turns} read-tool turns + 1 final turn, events {'off' if args.no_events else 'on'}"
    )
    print(f"  events emitted                     {events:>10,}")
    print(f"  session wall time per turn         {per_turn:10.3f} ms")
    print(f"  tool call alone (timed in session) {tool_per_call:10.3f} ms")
    print(f"  tool call alone (timed directly)   {direct_per_call:10.3f} ms")
    print(
        f"  loop overhead per turn             {overhead:10.3f} ms   (target < {TARGET_MS:.1f} ms)"
    )
    ratio = overhead / direct_per_call if direct_per_call else float("inf")
    print(f"  overhead / tool call               {ratio:10.1f}x")
    print(f"  verdict: {'OK' if overhead < TARGET_MS else 'OVER TARGET'}")


if __name__ == "__main__":
    main()
