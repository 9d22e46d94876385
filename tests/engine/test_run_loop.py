"""The run loop end to end: real loader, real engine, real tool handler; agent nodes use
a stand-in handler that returns scripted outcomes."""

from __future__ import annotations

import pytest
from engine_helpers import OutcomeScript, dip
from tracker.engine.handler import HandlerError, NodeEnv, Outcome
from tracker.graph.model import GraphNode


def test_linear_run_scopes_outputs_per_node(run_dip) -> None:
    text = dip(
        """
  vars
    who: world

  tool Hello
    command:
      printf 'hello ${params.who}'

  edges
    Start -> Hello
    Hello -> Done
"""
    )
    run = run_dip(text, params={"who": "tracker"})
    r = run.result
    assert r.status == "success" and r.error == ""
    assert r.completed_nodes == ["Start", "Hello", "Done"]
    assert r.context["tool_stdout"] == "hello tracker"
    assert r.context["node.Hello.tool_stdout"] == "hello tracker"
    assert r.context["node.Hello.outcome"] == "success"
    assert r.context["graph.goal"] == "ship it"
    assert [(t.node_id, t.status, t.edge_to) for t in r.trace] == [
        ("Start", "success", "Hello"),
        ("Hello", "success", "Done"),
        ("Done", "success", ""),
    ]
    assert run.types("Hello") == [
        "stage_started",
        "decision_outcome",
        "stage_completed",
        "decision_edge",
    ]
    assert [t for t in run.types() if t.startswith("pipeline")] == [
        "pipeline_started",
        "pipeline_completed",
    ]


LOOP = """
  tool Count
    command:
      echo x >> count.txt; wc -l < count.txt | tr -d ' '

  edges
    Start -> Count
    Count -> Start  when ctx.tool_stdout != 3  loop
    Count -> Done   when ctx.tool_stdout = 3
"""


def test_loop_back_restarts_and_keeps_context(run_dip) -> None:
    run = run_dip(dip(LOOP))
    assert run.result.status == "success"
    restarts = [e for e in run.events if e.type == "decision_restart"]
    assert [e.restart_count for e in restarts] == [1, 2]
    assert restarts[0].cleared_nodes == ["Start", "Count", "Done"]
    loop = [e for e in run.events if e.type == "loop_restart"]
    assert loop[0].node_id == "Start"
    assert loop[0].message == 'loop detected, restarting from "Start" (restart 1/5)'
    assert run.result.context["tool_stdout"] == "3"
    assert run.checkpoint()["restart_count"] == 2


def test_max_restarts_fails_the_run(run_dip) -> None:
    run = run_dip(dip(LOOP, defaults="max_restarts: 1"))
    assert run.result.status == "fail"
    assert run.result.error == "max restarts (1) exceeded"
    failed = [e for e in run.events if e.type == "pipeline_failed"]
    assert failed[0].message == "max restarts (1) exceeded"


def test_restart_target_overrides_the_loop_target(run_dip) -> None:
    run = run_dip(dip(LOOP, defaults="restart_target: Count"))
    assert run.result.status == "success"
    assert {e.node_id for e in run.events if e.type == "loop_restart"} == {"Count"}


FAILING_TOOL = """
  tool Boom
    command:
      exit 1
"""


def test_failed_node_without_failure_edge_stops(run_dip) -> None:
    run = run_dip(dip(FAILING_TOOL + "\n  edges\n    Start -> Boom\n    Boom -> Done\n"))
    r = run.result
    assert r.status == "fail"
    assert r.error == 'node "Boom" failed with no conditional edges to handle failure'
    assert run.types("Boom") == [
        "stage_started",
        "decision_outcome",
        "stage_failed",
        "stage_failed",
    ]
    # the node that stopped the run is left for the resume to run again
    cp = run.checkpoint()
    assert cp["current_node"] == "Boom" and "Boom" not in cp["completed_nodes"]


def test_failure_edge_routes(run_dip) -> None:
    body = (
        FAILING_TOOL
        + """
  tool Fix
    command:
      printf fixed

  edges
    Start -> Boom
    Boom -> Fix   when ctx.outcome = fail
    Boom -> Done  when ctx.outcome = success
    Fix -> Done
"""
    )
    run = run_dip(dip(body))
    assert run.result.status == "success"
    assert run.result.completed_nodes == ["Start", "Boom", "Fix", "Done"]
    assert run.result.context["node.Boom.outcome"] == "fail"


def test_defaults_on_failure_routes_once_per_node(run_dip) -> None:
    body = (
        FAILING_TOOL
        + """
  tool Recover
    command:
      printf recovered

  edges
    Start -> Boom
    Boom -> Done
    Recover -> Boom  loop
"""
    )
    run = run_dip(dip(body, defaults="on_failure: Recover"))
    # Boom fails → fallback to Recover → back to Boom (restart) → fails again → stops
    assert run.result.status == "fail"
    fallback = [
        e for e in run.events if e.type == "decision_edge" and e.edge_priority == "fallback"
    ]
    assert [(e.edge_from, e.edge_to) for e in fallback] == [("Boom", "Recover")]
    assert run.checkpoint()["fallback_taken"] == {"Boom": True}


def test_a_raised_handler_error_is_fatal_even_with_failure_edges(run_dip) -> None:
    class Broken:
        name = "codergen"

        async def execute(self, node: GraphNode, env: NodeEnv) -> Outcome:
            raise HandlerError("bad configuration")

    body = """
  agent Work
    prompt: go

  edges
    Start -> Work
    Work -> Done  when ctx.outcome = fail
    Work -> Done  when ctx.outcome = success
"""
    run = run_dip(dip(body), handlers={"codergen": Broken()})
    r = run.result
    assert r.status == "fail"
    assert r.error == 'handler error at node "Work": bad configuration'
    assert r.trace[-1].status == "error" and r.trace[-1].error == "bad configuration"
    assert run.types("Work") == ["stage_started", "stage_failed"]


AGENT = """
  agent Work
    prompt: go
{extra}
  edges
    Start -> Work
    Work -> Done
"""


def _agent(extra: str = "") -> str:
    return dip(AGENT.format(extra="".join(f"    {line}\n" for line in extra.splitlines())))


def test_retry_backoff_and_events(run_dip) -> None:
    script = OutcomeScript({"Work": [Outcome(status="retry"), Outcome(status="retry"), Outcome()]})

    def fixed_jitter(engine) -> None:
        engine.jitter = lambda: 0.5  # multiplier exactly 1.0

    run = run_dip(
        _agent("max_retries: 2\nbase_delay: 1s"), handlers={"codergen": script}, setup=fixed_jitter
    )
    assert run.result.status == "success"
    assert script.calls == ["Work", "Work", "Work"]
    assert run.sleeps == [1.0, 2.0]
    retrying = [e.message for e in run.events if e.type == "stage_retrying"]
    assert retrying == [
        'retrying node "Work" (attempt 1/2, policy=standard)',
        'retrying node "Work" (attempt 2/2, policy=standard)',
    ]
    assert [t.status for t in run.result.trace if t.node_id == "Work"] == [
        "retry",
        "retry",
        "success",
    ]


def test_linear_policy_delays(run_dip) -> None:
    script = OutcomeScript({"Work": [Outcome(status="retry")] * 3 + [Outcome()]})
    run = run_dip(
        _agent("retry_policy: linear"),
        handlers={"codergen": script},
        setup=lambda e: setattr(e, "jitter", lambda: 0.5),
    )
    assert run.sleeps == [2.0, 4.0, 6.0]
    assert run.result.status == "success"


def test_retries_exhausted_fail_and_node_is_not_completed(run_dip) -> None:
    script = OutcomeScript({"Work": [Outcome(status="retry")]})
    run = run_dip(_agent("max_retries: 1\nbase_delay: 1ms"), handlers={"codergen": script})
    r = run.result
    assert r.status == "fail"
    assert "Work" not in r.completed_nodes
    assert run.types("Work")[-3:] == ["stage_started", "decision_outcome", "stage_failed"]
    assert run.types()[-1] == "pipeline_failed"


def test_fail_never_retries(run_dip) -> None:
    script = OutcomeScript({"Work": [Outcome(status="fail")]})
    run = run_dip(_agent("max_retries: 3"), handlers={"codergen": script})
    assert script.calls == ["Work"] and run.result.status == "fail"


def test_fallback_retry_target_after_exhaustion(run_dip) -> None:
    body = """
  agent Work
    prompt: go
    max_retries: 1
    base_delay: 1ms
    fallback_retry_target: Plan

  tool Plan
    command:
      printf plan-b

  edges
    Start -> Work
    Work -> Done
    Work -> Plan  when ctx.outcome = fail
    Plan -> Done
"""
    script = OutcomeScript({"Work": [Outcome(status="retry")]})
    run = run_dip(dip(body), handlers={"codergen": script})
    assert run.result.status == "success"
    assert run.result.completed_nodes == ["Start", "Plan", "Done"]


GATE = """
  agent Gate
    prompt: check
    goal_gate: true
    retry_target: Gate
    max_retries: {retries}

  edges
    Start -> Gate
    Gate -> Done  when ctx.outcome = fail
    Gate -> Done  when ctx.outcome = success
"""


def test_goal_gate_retries_until_satisfied(run_dip) -> None:
    script = OutcomeScript({"Gate": [Outcome(status="fail"), Outcome()]})
    run = run_dip(dip(GATE.format(retries=2)), handlers={"codergen": script})
    assert run.result.status == "success"
    assert script.calls == ["Gate", "Gate"]
    msgs = [e.message for e in run.events if e.type == "stage_retrying"]
    assert msgs == ['goal-gate retry for "Gate" → "Gate" (attempt 1/2)']


def test_goal_gate_exhausted_fails(run_dip) -> None:
    script = OutcomeScript({"Gate": [Outcome(status="fail")]})
    run = run_dip(dip(GATE.format(retries=1)), handlers={"codergen": script})
    assert run.result.status == "fail"
    assert script.calls == ["Gate", "Gate"]
    failed = [e.message for e in run.events if e.type == "stage_failed" and e.node_id == "Gate"]
    assert failed[-1] == 'goal-gate retries exhausted for "Gate"'


def test_unknown_status_warns_and_counts_as_success(run_dip) -> None:
    script = OutcomeScript({"Work": [Outcome(status="skipped")]})
    run = run_dip(_agent(), handlers={"codergen": script})
    assert run.result.status == "success"
    assert "warning" in run.types("Work")


def test_partial_success_is_silent_success(run_dip) -> None:
    script = OutcomeScript({"Work": [Outcome(status="partial_success")]})
    run = run_dip(_agent(), handlers={"codergen": script})
    assert run.result.status == "success" and "warning" not in run.types()


def test_prompt_expands_ctx_graph_and_params_once(run_dip) -> None:
    seen: list[str] = []

    class Capture:
        name = "codergen"

        async def execute(self, node: GraphNode, env: NodeEnv) -> Outcome:
            seen.append(node.attrs["prompt"])
            return Outcome(context_updates={"note": "${ctx.outcome}"})

    body = """
  vars
    lang: go

  tool Probe
    command:
      printf out

  agent Work
    prompt: goal=${graph.goal} lang=${params.lang} prev=${ctx.node.Probe.outcome} note=${ctx.note}

  agent Again
    prompt: note=${ctx.note}

  edges
    Start -> Probe
    Probe -> Work
    Work -> Again
    Again -> Done
"""
    run = run_dip(dip(body), handlers={"codergen": Capture()})
    assert run.result.status == "success"
    assert seen[0] == "goal=ship it lang=go prev=success note="
    assert seen[1] == "note=${ctx.outcome}"  # substituted text is never rescanned


def test_steering_updates_reach_the_next_node(run_dip) -> None:
    import asyncio

    queue: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    queue.put_nowait({"hint": "go left"})
    body = """
  tool Show
    command:
      printf 'x'

  edges
    Start -> Show
    Show -> Done
"""
    run = run_dip(dip(body), steering=queue)
    assert run.result.context["hint"] == "go left"
    assert "node.Start.hint" not in run.result.context  # steering is not scoped


def test_child_run_events_are_prefixed(run_dip) -> None:
    from tracker.engine.api import load_graph

    child_src = dip(
        "\n  tool Inner\n    command:\n      printf inner\n\n  edges\n    Start -> Inner\n    Inner -> Done\n",
        name="child",
    )

    class Nest:
        name = "codergen"

        async def execute(self, node: GraphNode, env: NodeEnv) -> Outcome:
            graph, _ = load_graph(child_src)
            result = await env.run_child(graph, env.context.snapshot())
            return Outcome(
                status=result.status, context_updates={"inner": result.context["tool_stdout"]}
            )

    run = run_dip(_agent(), handlers={"codergen": Nest()})
    assert run.result.status == "success"
    assert run.result.context["inner"] == "inner"
    assert run.types("Work/Inner") == [
        "stage_started",
        "decision_outcome",
        "stage_completed",
        "decision_edge",
    ]
    assert run.types().count("pipeline_started") == 1


def test_cancel_saves_checkpoint_and_fails(run_dip) -> None:
    def cancel_after_start(engine) -> None:
        original = engine._event_handler

        def handler(event):
            original(event)
            if event.type == "stage_completed" and event.node_id == "Start":
                engine.cancelled.set()

        engine._event_handler = handler

    run = run_dip(_agent(), handlers={"codergen": OutcomeScript()}, setup=cancel_after_start)
    assert run.result.status == "fail"
    assert run.result.error == "pipeline cancelled: context cancelled"
    last = run.events[-1]
    assert (last.type, last.message) == ("pipeline_failed", "context cancelled")
    assert run.checkpoint()["current_node"] == "Work"


@pytest.mark.parametrize("status", ["success", "fail"])
def test_exit_node_outcome(run_dip, status: str) -> None:
    class Exit:
        name = "exit"

        async def execute(self, node: GraphNode, env: NodeEnv) -> Outcome:
            return Outcome(status=status)

    run = run_dip(_agent(), handlers={"exit": Exit(), "codergen": OutcomeScript()})
    assert run.result.status == status
