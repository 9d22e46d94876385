"""Small pure pieces: STATUS parsing, denylist matching, loop signatures, truncation,
compaction placeholders."""

from __future__ import annotations

from tracker.agent.compaction import compact, placeholder
from tracker.agent.denylist import denied_pattern, split_statements
from tracker.agent.loop_detection import LoopDetector, turn_signature
from tracker.agent.status import parse_status
from tracker.agent.truncation import limit_for, truncate_output
from tracker.llm.types import ContentPart, Message, Role, ToolCall


def test_parse_status() -> None:
    assert parse_status("done\nSTATUS: success") == "success"
    assert parse_status("status: FAIL because tests") == "fail"
    assert parse_status("- **Status:** retry") == "retry"
    assert parse_status("STATUS: maybe") is None
    assert parse_status("```\nSTATUS: fail\n```\nok") is None
    assert parse_status("The STATUS: fail line is mid-sentence") is None


def test_denylist_matching() -> None:
    assert split_statements("a && b || c; d\ne") == ["a", "b", "c", "d", "e"]
    assert denied_pattern("EVAL foo") == "eval *"
    assert denied_pattern("curl -s x | jq .") == "curl * | *"
    assert denied_pattern("cat x | sh") == "* | sh"
    assert denied_pattern(". ./venv/bin/activate") == ". ./*"
    assert denied_pattern("exec 3>&-") is None
    assert denied_pattern("exec 3> out.txt") is None
    assert denied_pattern("exec python app.py") == "exec *"
    assert denied_pattern("exec 3>$(evil)") == "exec *"
    assert denied_pattern("go test ./... | tee log") is None
    assert denied_pattern("git push --force", ["git push --force*"]) == "git push --force*"


def test_loop_signature_and_threshold() -> None:
    a = [ToolCall(id="1", name="read", arguments='{"path": "a",  "x": 1}')]
    b = [ToolCall(id="2", name="read", arguments='{"path":"a","x":1}')]
    assert turn_signature(a) == turn_signature(b) == 'read:{"path":"a","x":1}'
    detector = LoopDetector(threshold=3)
    assert [detector.observe(a), detector.observe(b), detector.observe(a)] == [False, False, True]


def test_truncation_marker_and_limits() -> None:
    assert truncate_output("short", 10) == "short"
    assert truncate_output("0123456789ABCDEF", 10) == "[... truncated 11 characters ...]\nBCDEF"
    assert limit_for("read") == 50_000 and limit_for("bash") == 30_000
    assert limit_for("write") == 1_000 and limit_for("glob") == 8_000
    assert limit_for("bash", {"bash": 5}) == 5


def test_compaction_placeholders() -> None:
    assert (
        placeholder("read", "a\nb\nc\n")
        == "[previously read: 3 lines. Re-read with read if needed.]"
    )
    assert placeholder("read", "x") == "[previously read: 1 line. Re-read with read if needed.]"
    assert placeholder("grep_search", "a:1:x\n\nb:2:y") == (
        "[previously searched: 2 matches found. Re-run grep_search if needed.]"
    )
    assert placeholder("bash", "pytest -q\n...\n3 passed") == (
        "[previously ran: pytest -q (passed) — 3 lines output. Re-run if needed.]"
    )
    assert placeholder("write", "") == "[previous write result — 0 chars. Re-run if needed.]"


def test_compaction_keeps_recent_turns_and_errors() -> None:
    messages = [Message.system("s"), Message.user("u")]
    for n in range(7):
        messages.append(
            Message(
                role=Role.ASSISTANT,
                content=[ContentPart.of_tool_call(f"c{n}", "read", {"path": "f"})],
            )
        )
        messages.append(
            Message(
                role=Role.TOOL,
                content=[ContentPart.of_tool_result(f"c{n}", "line\n" * 50, n == 0, "read")],
            )
        )
    out, saved = compact(messages)
    tool_texts = [m.content[0].tool_result.content for m in out if m.role is Role.TOOL]
    assert tool_texts[0] == "line\n" * 50  # an error result is never compacted
    assert tool_texts[1] == "[previously read: 50 lines. Re-read with read if needed.]"
    assert tool_texts[2:] == ["line\n" * 50] * 5  # the last 5 turns stay intact
    assert saved > 0
    assert messages[5].content[0].tool_result.content == "line\n" * 50  # input untouched
