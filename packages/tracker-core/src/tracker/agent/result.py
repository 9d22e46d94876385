"""What a session reports when it ends (spec agent-llm.md §5.4)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from tracker.llm.types import Usage


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}m{secs:02d}s"


class SessionResult(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    session_id: str
    provider: str = ""
    model: str = ""
    duration: float = 0.0  # seconds
    #: last turn number reached (planning and repair calls are not turns)
    turns: int = 0
    max_turns_used: bool = False
    loop_detected: bool = False
    #: the model stopped on its own (a turn without tool calls)
    stopped_naturally: bool = False
    tool_calls: dict[str, int] = Field(default_factory=dict)
    files_modified: list[str] = Field(default_factory=list)
    files_created: list[str] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    context_utilization: float = 0.0
    tool_cache_hits: int = 0
    tool_cache_misses: int = 0
    tool_timings: dict[str, float] = Field(default_factory=dict)
    compactions_applied: int = 0
    longest_turn: float = 0.0
    episode_summary: str = ""
    #: the session's answer: every text_delta's text, concatenated (spec §5.4)
    final_text: str = ""
    #: success | fail | retry — see `Session` for how it is decided
    status: str = "success"
    #: with auto_status: whether the final text had a STATUS line
    status_line_found: bool = False
    error: str | None = None
    exception: BaseException | None = Field(default=None, exclude=True)

    @property
    def total_tool_calls(self) -> int:
        return sum(self.tool_calls.values())

    @property
    def failed(self) -> bool:
        return self.error is not None or self.loop_detected or self.max_turns_used

    def summary(self) -> str:
        """The text block appended to a node's response.md."""
        state = "failed" if self.failed else "completed"
        lines = [f"Session {self.session_id} {state} in {_duration(self.duration)}"]
        breakdown = ", ".join(f"{n}: {c}" for n, c in sorted(self.tool_calls.items()))
        calls = f"Tool calls: {self.total_tool_calls}" + (f" ({breakdown})" if breakdown else "")
        lines.append(f"Turns: {self.turns} | {calls}")
        if self.files_modified:
            lines.append(f"Files modified: {', '.join(self.files_modified)}")
        if self.files_created:
            lines.append(f"Files created: {', '.join(self.files_created)}")
        u = self.usage
        tokens = f"Tokens: {u.total_tokens} (in: {u.input_tokens}, out: {u.output_tokens})"
        if u.estimated_cost > 0:
            tokens += f" | Cost: ${u.estimated_cost:.2f}"
        lines.append(tokens)
        if self.compactions_applied:
            lines.append(
                f"Compactions: {self.compactions_applied} | "
                f"Longest turn: {_duration(self.longest_turn)}"
            )
        return "\n".join(lines)
