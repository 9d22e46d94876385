"""Context compaction (spec agent-llm.md §5.5): when the conversation nears the context
window, replace old successful tool results by one-line placeholders that tell the
model how to get the content back. No LLM call is made; error results are kept, since
they explain the model's later choices."""

from __future__ import annotations

from collections.abc import Sequence

from tracker.llm.types import ContentPart, Message, Role

KEEP_TURNS = 5  # most recent assistant turns left intact

_FAIL_WORDS = ("failed", "error", "failure")
_PASS_WORDS = ("passed", "ok")


def _lines(n: int) -> str:
    return f"{n} line" if n == 1 else f"{n} lines"


def _bash_placeholder(content: str) -> str:
    lines = content.split("\n")
    first = lines[0][:80]
    tail = "\n".join(lines[-10:]).lower()
    verdict = ""
    if any(w in tail for w in _FAIL_WORDS):
        verdict = " (failed)"
    elif any(w in tail for w in _PASS_WORDS):
        verdict = " (passed)"
    return f"[previously ran: {first}{verdict} — {_lines(len(lines))} output. Re-run if needed.]"


def placeholder(tool: str, content: str) -> str:
    """The one-line stand-in for an old result of `tool` (attractor names accepted)."""
    if tool in ("read", "read_file"):
        return f"[previously read: {_lines(max(1, content.count(chr(10))))}. Re-read with read if needed.]"
    if tool in ("grep_search", "grep"):
        matches = sum(1 for ln in content.split("\n") if ln.strip())
        return f"[previously searched: {matches} matches found. Re-run grep_search if needed.]"
    if tool in ("bash", "shell"):
        return _bash_placeholder(content)
    return f"[previous {tool} result — {len(content)} chars. Re-run if needed.]"


def _is_placeholder(content: str) -> bool:
    return content.startswith("[previous")


def compact(messages: Sequence[Message], keep_turns: int = KEEP_TURNS) -> tuple[list[Message], int]:
    """(new messages, characters saved). Tool messages before the last `keep_turns`
    assistant turns get placeholders; everything else is returned unchanged."""
    assistant_at = [i for i, m in enumerate(messages) if m.role is Role.ASSISTANT]
    if len(assistant_at) <= keep_turns:
        return list(messages), 0
    cutoff = assistant_at[-keep_turns]
    names: dict[str, str] = {}
    for message in messages[:cutoff]:
        for call in message.tool_calls:
            names[call.id] = call.name
    out: list[Message] = []
    saved = 0
    for i, message in enumerate(messages):
        if i >= cutoff or message.role is not Role.TOOL:
            out.append(message)
            continue
        parts: list[ContentPart] = []
        for part in message.content:
            result = part.tool_result
            if result is None or result.is_error or _is_placeholder(result.content):
                parts.append(part)
                continue
            tool = result.name or names.get(result.tool_call_id, "tool")
            short = placeholder(tool, result.content)
            if len(short) >= len(result.content):
                parts.append(part)
                continue
            saved += len(result.content) - len(short)
            parts.append(
                part.model_copy(
                    update={"tool_result": result.model_copy(update={"content": short})}
                )
            )
        out.append(message.model_copy(update={"content": parts}))
    return out, saved


__all__ = ["KEEP_TURNS", "compact", "placeholder"]
