"""Field tables for the Dippin builder (spec/dippin.md §2.7, §3.3–§3.7): which keys each
block accepts and the value type of each, kept as data so adding a field is one line."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .ir import (
    AgentConfig,
    ConditionalConfig,
    HumanConfig,
    ManagerLoopConfig,
    SubgraphConfig,
    ToolConfig,
)
from .values import parse_bool, parse_duration, parse_float, parse_int

# value types
STR, INT, FLOAT, DUR, BOOL, CSV, CSV_NE, MAP = "str int float dur bool csv csv_ne map".split()

COMMON_FIELDS: dict[str, tuple[str, str, str]] = {
    "label": ("node", "label", STR),
    "class": ("node", "classes", CSV),
    "reads": ("io", "reads", CSV),
    "writes": ("io", "writes", CSV),
    "retry_policy": ("retry", "policy", STR),
    "max_retries": ("retry", "max_retries", INT),
    "base_delay": ("retry", "base_delay", DUR),
    "retry_target": ("retry", "retry_target", STR),
    "fallback_target": ("retry", "fallback_target", STR),
    "fallback_retry_target": ("retry", "fallback_retry_target", STR),
}

KIND_FIELDS: dict[str, dict[str, str]] = {
    "agent": {
        "prompt": STR,
        "prompt_file": STR,
        "system_prompt": STR,
        "system_prompt_file": STR,
        "prompt_include": STR,
        "prompt_prefix": STR,
        "prompt_suffix": STR,
        "model": STR,
        "provider": STR,
        "backend": STR,
        "working_dir": STR,
        "tool_access": STR,
        "writable_paths": CSV_NE,
        "max_turns": INT,
        "cmd_timeout": DUR,
        "cache_tools": BOOL,
        "compaction": STR,
        "compaction_threshold": FLOAT,
        "reasoning_effort": STR,
        "fidelity": STR,
        "auto_status": BOOL,
        "goal_gate": BOOL,
        "response_format": STR,
        "response_schema": STR,
        "last_response_truncate": INT,
        "params": MAP,
    },
    "human": {
        "mode": STR,
        "default": STR,
        "prompt": STR,
        "questions_key": STR,
        "answers_key": STR,
        "timeout": DUR,
        "timeout_action": STR,
    },
    "tool": {
        "command": STR,
        "command_file": STR,
        "timeout": DUR,
        "outputs": CSV,
        "marker_grep": STR,
        "route_required": BOOL,
        "output_limit": INT,
    },
    "subgraph": {"ref": STR, "params": MAP, "inputs": MAP},
    "conditional": {},
    "manager_loop": {
        "subgraph_ref": STR,
        "poll_interval": DUR,
        "max_cycles": INT,
        "stop_condition": STR,
        "steer_condition": STR,
        "steer_context": STR,
    },
}

CONFIG_CLASSES: dict[str, Any] = {
    "agent": AgentConfig,
    "human": HumanConfig,
    "tool": ToolConfig,
    "subgraph": SubgraphConfig,
    "conditional": ConditionalConfig,
    "manager_loop": ManagerLoopConfig,
}

EXCLUSIVE_PAIRS = {
    "prompt": "prompt_file",
    "prompt_file": "prompt",
    "system_prompt": "system_prompt_file",
    "system_prompt_file": "system_prompt",
    "command": "command_file",
    "command_file": "command",
}

BRANCH_FIELDS = {
    "model": STR,
    "provider": STR,
    "fidelity": STR,
    "tool_access": STR,
    "writable_paths": CSV_NE,
    "last_response_truncate": INT,
}

DEFAULTS_FIELDS = {
    "model": STR,
    "provider": STR,
    "retry_policy": STR,
    "max_retries": INT,
    "fidelity": STR,
    "max_restarts": INT,
    "restart_target": STR,
    "cache_tools": BOOL,
    "compaction": STR,
    "on_resume": STR,
    "max_total_tokens": INT,
    "max_cost_cents": INT,
    "max_wall_time": DUR,
    "tool_commands_allow": STR,
    "tool_denylist_add": STR,
    "on_failure": STR,
    "stall_timeout": DUR,
    "prompt_prefix": STR,
    "prompt_suffix": STR,
    "prompt_prefix_file": STR,
    "prompt_suffix_file": STR,
    "system_prompt_file": STR,
}

INPUT_FIELDS = {
    "required": BOOL,
    "multiline": BOOL,
    "max_length": INT,
    "default": STR,
    "options": CSV_NE,
    "prompt": STR,
    "description": STR,
    "pattern": STR,
    "min": STR,
    "max": STR,
}

TYPE_NAMES = {INT: "integer", FLOAT: "float", DUR: "duration", BOOL: "boolean"}
TYPE_HELP = {
    INT: "write a whole number, e.g. 3",
    FLOAT: "write a decimal number, e.g. 0.8",
    DUR: "durations need a unit: 30s, 5m, 1h30m (units ns us ms s m h; no d)",
    BOOL: "use true or false (yes/no, on/off and 1/0 also work)",
}
PARSERS: dict[str, Callable[[str], Any]] = {
    INT: parse_int,
    FLOAT: parse_float,
    DUR: parse_duration,
    BOOL: parse_bool,
}
