"""Orchestration overhead of tracker's engine against LangGraph, both with durable checkpoints.

Two measurements, each repeated (median reported):

1. **Chain** — a 1,000-node linear pipeline. tracker: a `Graph` built directly (start →
   999 work nodes → exit) run by `build_engine` with a run directory, so every node writes
   `checkpoint.json` atomically (temp file + fsync + os.replace) and appends its events to
   `activity.jsonl`. LangGraph: a `StateGraph` of 1,000 nodes with `SqliteSaver` on a file,
   `durability="sync"` (each step's checkpoint is committed before the next step runs, as
   tracker's is). Each node on both sides does the same trivial work: set one state key to
   its own id. Printed: µs per node and tracker / langgraph (target ≤ 0.5).
2. **Fan-out** — 100 branches joined. tracker: a `parallel` node with 100 branch nodes
   (same trivial in-process handler) and a `parallel.fan_in` join. LangGraph: a fork node
   with 100 successor nodes, each appending to a list with an `operator.add` reducer, all
   joined by one node. Printed: wall time per run and tracker / langgraph (target ≤ 1.3).

LangGraph is NOT a project dependency; install it into the venv for this script only:

    .venv/bin/pip install langgraph langgraph-checkpoint-sqlite
    .venv/bin/python bench/engine_overhead.py [--nodes 1000] [--branches 100] [--repeat 5]
    .venv/bin/python bench/engine_overhead.py --profile     # + cProfile of tracker's chain

Run it from the repository root. The checkpoint files live in a fresh temp directory
(`--tmp DIR` to put them on another filesystem: fsync cost depends on it).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import operator
import os
import platform
import pstats
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Annotated, Any, TypedDict

from tracker.engine.api import Config, build_engine
from tracker.engine.handler import NodeEnv, Outcome
from tracker.graph.model import Graph, GraphEdge, GraphNode

CHAIN_TARGET = 0.5
FANOUT_TARGET = 1.3
STEP_HANDLER = "bench.step"

try:
    from langgraph.checkpoint.sqlite import SqliteSaver
    from langgraph.graph import END, START, StateGraph
except ImportError:  # pragma: no cover - documented optional dependency
    sys.exit(
        "LangGraph is not installed: .venv/bin/pip install langgraph langgraph-checkpoint-sqlite"
    )


# ---------------------------------------------------------------- tracker side


class StepHandler:
    """The benchmark's node work: set one context key, nothing else (mirrors a LangGraph
    node returning one state update)."""

    name = STEP_HANDLER

    async def execute(self, node: GraphNode, env: NodeEnv) -> Outcome:
        return Outcome(status="success", context_updates={"last": node.id})


def _edge(src: str, dst: str) -> GraphEdge:
    return GraphEdge(**{"from": src, "to": dst})


def tracker_chain(n_nodes: int) -> Graph:
    """start → step_1 … step_{n-2} → exit: `n_nodes` nodes in all."""
    ids = ["start", *(f"step_{i}" for i in range(1, n_nodes - 1)), "exit"]
    nodes = {i: GraphNode(id=i, handler=STEP_HANDLER) for i in ids}
    nodes["start"] = GraphNode(id="start", shape="Mdiamond", handler="start")
    nodes["exit"] = GraphNode(id="exit", shape="Msquare", handler="exit")
    return Graph(
        name="chain",
        start_node="start",
        exit_node="exit",
        nodes=nodes,
        edges=[_edge(a, b) for a, b in zip(ids, ids[1:], strict=False)],
        node_order=ids,
    )


def tracker_fanout(n_branches: int) -> Graph:
    """start → fork ⇉ branch_0 … branch_{k-1} ⇉ join → exit, shaped as the dippin adapter
    shapes a `parallel` / `fan_in` pair (fork also has an edge to the join)."""
    branches = [f"branch_{i}" for i in range(n_branches)]
    nodes = {b: GraphNode(id=b, handler=STEP_HANDLER) for b in branches}
    nodes["start"] = GraphNode(id="start", shape="Mdiamond", handler="start")
    nodes["fork"] = GraphNode(
        id="fork",
        shape="component",
        handler="parallel",
        attrs={"parallel_targets": ",".join(branches), "parallel_join": "join"},
    )
    nodes["join"] = GraphNode(
        id="join",
        shape="tripleoctagon",
        handler="parallel.fan_in",
        attrs={"fan_in_sources": ",".join(branches)},
    )
    nodes["exit"] = GraphNode(id="exit", shape="Msquare", handler="exit")
    edges = [_edge("start", "fork"), _edge("join", "exit")]
    edges += [_edge("fork", b) for b in branches] + [_edge("fork", "join")]
    edges += [_edge(b, "join") for b in branches]
    return Graph(
        name="fanout",
        start_node="start",
        exit_node="exit",
        nodes=nodes,
        edges=edges,
        node_order=["start", "fork", *branches, "join", "exit"],
    )


def run_tracker(graph: Graph, artifacts: Path) -> tuple[float, Path]:
    """One durable run (run directory, checkpoint.json, activity.jsonl); returns the wall
    time of `engine.run()` and the run directory."""
    engine = build_engine(graph, Config(artifact_dir=artifacts, workdir=artifacts))
    engine.handlers[STEP_HANDLER] = StepHandler()
    try:
        started = time.perf_counter()
        result = asyncio.run(engine.run())
        elapsed = time.perf_counter() - started
    finally:
        for sink in engine.sinks:
            closer = getattr(sink, "close", None)
            if callable(closer):
                closer()
    if result.status != "success":
        raise RuntimeError(f"tracker run failed: {result.status} {result.error}")
    assert engine.run_dir is not None
    checkpoint = engine.run_dir / "checkpoint.json"
    activity = engine.run_dir / "activity.jsonl"
    if not checkpoint.is_file() or not activity.is_file():
        raise RuntimeError("tracker run left no checkpoint.json / activity.jsonl")
    return elapsed, engine.run_dir


# ---------------------------------------------------------------- LangGraph side


class ChainState(TypedDict):
    last: str


class FanState(TypedDict):
    results: Annotated[list[str], operator.add]
    last: str


def _set_last(name: str) -> Callable[[Any], dict[str, str]]:
    def node(state: Any) -> dict[str, str]:
        return {"last": name}

    return node


def _append(name: str) -> Callable[[Any], dict[str, list[str]]]:
    def node(state: Any) -> dict[str, list[str]]:
        return {"results": [name]}

    return node


def langgraph_chain(n_nodes: int) -> Any:
    builder = StateGraph(ChainState)
    ids = [f"step_{i}" for i in range(n_nodes)]
    for name in ids:
        builder.add_node(name, _set_last(name))
    builder.add_edge(START, ids[0])
    for a, b in zip(ids, ids[1:], strict=False):
        builder.add_edge(a, b)
    builder.add_edge(ids[-1], END)
    return builder


def langgraph_fanout(n_branches: int) -> Any:
    builder = StateGraph(FanState)
    branches = [f"branch_{i}" for i in range(n_branches)]
    builder.add_node("fork", _set_last("fork"))
    builder.add_node("join", _set_last("join"))
    for name in branches:
        builder.add_node(name, _append(name))
        builder.add_edge("fork", name)
    builder.add_edge(START, "fork")
    builder.add_edge(branches, "join")  # waits for every branch
    builder.add_edge("join", END)
    return builder


def run_langgraph(builder: Any, db: Path, n_steps: int, durability: str) -> float:
    """One run with a fresh SqliteSaver on `db`; returns the wall time of `invoke`."""
    conn = sqlite3.connect(str(db), check_same_thread=False)
    try:
        saver = SqliteSaver(conn)
        saver.setup()
        graph = builder.compile(checkpointer=saver)
        config = {"configurable": {"thread_id": "bench"}, "recursion_limit": n_steps + 10}
        started = time.perf_counter()
        out = graph.invoke({"last": ""}, config, durability=durability)
        elapsed = time.perf_counter() - started
    finally:
        conn.close()
    if not out.get("last"):
        raise RuntimeError("langgraph run produced no state")
    return elapsed


# ---------------------------------------------------------------- harness


def rounds(repeat: int, contenders: dict[str, Callable[[int], float]]) -> dict[str, list[float]]:
    """One warm-up round, then `repeat` rounds; every round runs each contender once, in
    turn, so background load on a shared machine hits all of them alike."""
    for once in contenders.values():
        once(-1)
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for i in range(repeat):
        for name, once in contenders.items():
            samples[name].append(once(i))
    return samples


def paired_ratio(num: list[float], den: list[float]) -> float:
    """Median of the per-round ratios (robust when a round is slowed for everyone)."""
    return statistics.median(a / b for a, b in zip(num, den, strict=True))


def _versions() -> str:
    names = ("tracker-core", "langgraph", "langgraph-checkpoint-sqlite", "pydantic")
    parts = []
    for name in names:
        try:
            parts.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{name} ?")
    return ", ".join(parts)


def _fresh(root: Path, label: str) -> Path:
    path = root / label
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def bench_chain(root: Path, n_nodes: int, repeat: int) -> float:
    graph = tracker_chain(n_nodes)
    builder = langgraph_chain(n_nodes)

    def lg(durability: str) -> Callable[[int], float]:
        return lambda i: run_langgraph(
            builder, _fresh(root, f"lg-chain-{durability}-{i}") / "cp.sqlite", n_nodes, durability
        )

    samples = rounds(
        repeat,
        {
            "tracker": lambda i: run_tracker(graph, _fresh(root, f"tracker-chain-{i}"))[0],
            "sync": lg("sync"),
            "async": lg("async"),
        },
    )
    per = {name: statistics.median(s) / n_nodes * 1e6 for name, s in samples.items()}
    print(f"\n1. chain of {n_nodes} nodes, durable checkpoint after every node")
    rows = (
        ("tracker", "tracker   (checkpoint.json + activity.jsonl)", ""),
        ("sync", "langgraph (SqliteSaver, durability=sync)  ", ""),
        ("async", "langgraph (SqliteSaver, durability=async) ", "  (info)"),
    )
    for name, label, note in rows:
        print(f"   {label:<46} {per[name]:8.0f} µs/node   {_fmt(samples[name])}{note}")
    ratio = paired_ratio(samples["tracker"], samples["sync"])
    verdict = "OK" if ratio <= CHAIN_TARGET else "MISSED"
    print(
        f"   ratio tracker / langgraph(sync) = {ratio:.2f} (median of per-round ratios; "
        f"medians: {per['tracker'] / per['sync']:.2f})   target <= {CHAIN_TARGET}  {verdict}"
    )
    return ratio


def bench_fanout(root: Path, n_branches: int, repeat: int) -> float:
    graph = tracker_fanout(n_branches)
    builder = langgraph_fanout(n_branches)
    samples = rounds(
        repeat,
        {
            "tracker": lambda i: run_tracker(graph, _fresh(root, f"tracker-fan-{i}"))[0],
            "langgraph": lambda i: run_langgraph(
                builder, _fresh(root, f"lg-fan-{i}") / "cp.sqlite", 10, "sync"
            ),
        },
    )
    med = {name: statistics.median(s) * 1e3 for name, s in samples.items()}
    print(f"\n2. fan-out to {n_branches} branches + join, durable checkpoints")
    print(
        f"   {'tracker   (parallel + parallel.fan_in)':<46} {med['tracker']:8.1f} ms/run    "
        f"{_fmt(samples['tracker'])}"
    )
    print(
        f"   {f'langgraph ({n_branches} edges + reducer, sync)':<46} {med['langgraph']:8.1f} ms/run    "
        f"{_fmt(samples['langgraph'])}"
    )
    ratio = paired_ratio(samples["tracker"], samples["langgraph"])
    verdict = "OK" if ratio <= FANOUT_TARGET else "MISSED"
    print(f"   ratio tracker / langgraph = {ratio:.2f}   target <= {FANOUT_TARGET}  {verdict}")
    return ratio


def _fmt(samples: list[float]) -> str:
    return "runs: " + " ".join(f"{s * 1e3:.0f}ms" for s in samples)


def io_floor(root: Path, writes: int = 200) -> float:
    """Median µs of one atomic 2 KB write (temp file, fsync, os.replace) on `root`'s
    filesystem: the floor under any per-node durable checkpoint here."""
    target = root / "floor.json"
    samples = []
    for _ in range(writes):
        started = time.perf_counter()
        tmp = root / "floor.json.tmp"
        with tmp.open("w", encoding="utf-8") as fh:
            fh.write("x" * 2048)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1e6


def profile_chain(root: Path, n_nodes: int, top: int) -> None:
    """cProfile of one tracker chain run: where the per-node time goes."""
    graph = tracker_chain(n_nodes)
    profiler = cProfile.Profile()
    profiler.enable()
    run_tracker(graph, _fresh(root, "tracker-profile"))
    profiler.disable()
    print(f"\ncProfile of tracker's {n_nodes}-node chain (top {top} by cumulative time)")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(top)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--branches", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--tmp", type=Path, default=None, help="where checkpoints are written")
    parser.add_argument("--profile", action="store_true", help="cProfile tracker's chain")
    parser.add_argument("--keep", action="store_true", help="keep the temp directory")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="tracker-bench-", dir=args.tmp))
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()} "
        f"{platform.release()}; Python {platform.python_version()}"
    )
    print(f"versions: {_versions()}")
    print(f"checkpoints under {root}; median of {args.repeat} runs after one warm-up")
    print(f"I/O floor: atomic 2 KB write + fsync + rename = {io_floor(root):.0f} µs (median)")
    started = time.perf_counter()
    try:
        bench_chain(root, args.nodes, args.repeat)
        bench_fanout(root, args.branches, args.repeat)
        if args.profile:
            profile_chain(root, args.nodes, 25)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print(f"\ntotal {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
