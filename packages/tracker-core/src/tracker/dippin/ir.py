"""The Dippin IR: what a parsed `.dip` file contains (spec/dippin.md §7).

Models mirror the reference IR field for field so that lint rules, the formatter,
the graph adapter and `tracker parse`-style JSON dumps all speak one vocabulary.
Durations are stored as integer nanoseconds (Go semantics); absent numbers are 0 and
absent strings are "".
"""

from __future__ import annotations

from copy import deepcopy
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr
from pydantic_core import PydanticUndefined

from tracker.gcpause import gc_paused

NodeKind = Literal[
    "agent", "human", "tool", "parallel", "fan_in", "subgraph", "conditional", "manager_loop"
]


#: values `copy.deepcopy` returns as they are
_ATOMIC = frozenset({str, int, float, bool, type(None)})


def _deep(value: Any, memo: dict[int, Any]) -> Any:
    """`copy.deepcopy` specialised for IR field values (strings, numbers, lists, str maps
    and IR models), with the same sharing semantics (`memo`), several times faster."""
    cls = value.__class__
    if cls in _ATOMIC:
        return value
    done = memo.get(id(value), memo)
    if done is not memo:
        return done
    if cls is list:
        out: Any = []
        memo[id(value)] = out
        out.extend([v if v.__class__ in _ATOMIC else _deep(v, memo) for v in value])
        return out
    if cls is dict:
        out = {}
        memo[id(value)] = out
        for k, v in value.items():
            out[k if k.__class__ in _ATOMIC else _deep(k, memo)] = (
                v if v.__class__ in _ATOMIC else _deep(v, memo)
            )
        return out
    if isinstance(value, _Model):
        return value.__deepcopy__(memo)
    return deepcopy(value, memo)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False)

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Any:
        """Same result as pydantic's `BaseModel.__deepcopy__` (which `model_copy(deep=True)`
        calls), without routing every string and list through `copy.deepcopy`."""
        if memo is None:
            with gc_paused():  # the copy is acyclic (tracker/gcpause.py)
                return self.__deepcopy__({})
        cls = type(self)
        m = cls.__new__(cls)
        memo[id(self)] = m
        atomic = _ATOMIC
        set_ = object.__setattr__
        set_(
            m,
            "__dict__",
            {k: v if v.__class__ in atomic else _deep(v, memo) for k, v in self.__dict__.items()},
        )
        extra = self.__pydantic_extra__
        set_(m, "__pydantic_extra__", None if extra is None else deepcopy(extra, memo))
        set_(m, "__pydantic_fields_set__", set(self.__pydantic_fields_set__))
        private = getattr(self, "__pydantic_private__", None)
        if private is None:
            set_(m, "__pydantic_private__", None)
        else:
            set_(
                m,
                "__pydantic_private__",
                _deep({k: v for k, v in private.items() if v is not PydanticUndefined}, memo),
            )
        return m


class SourceLocation(_Model):
    file: str = ""
    line: int = 0
    column: int = 0


# --------------------------------------------------------------------------- conditions


class CondCompare(_Model):
    type: Literal["compare"] = "compare"
    variable: str
    op: str  # "=", "==", "!=", "contains", "startswith", "endswith", "in", "<", "<=", ">", ">=", "matches"
    value: str


class CondAnd(_Model):
    type: Literal["and"] = "and"
    left: CondExpr
    right: CondExpr


class CondOr(_Model):
    type: Literal["or"] = "or"
    left: CondExpr
    right: CondExpr


class CondNot(_Model):
    type: Literal["not"] = "not"
    inner: CondExpr


CondExpr = Annotated[CondCompare | CondAnd | CondOr | CondNot, Field(discriminator="type")]
CondAnd.model_rebuild()
CondOr.model_rebuild()
CondNot.model_rebuild()


class Condition(_Model):
    """An edge condition: `raw` is the token-joined text (§4.1); `parsed` is filled by
    `tracker.dippin.conditions.parse_condition` (None when unparsable or empty)."""

    raw: str = ""
    parsed: CondExpr | None = None


# --------------------------------------------------------------------------- node configs


class RetryConfig(_Model):
    policy: str = ""
    max_retries: int = 0
    base_delay: int = 0  # ns
    retry_target: str = ""
    fallback_target: str = ""
    fallback_retry_target: str = ""


class NodeIO(_Model):
    reads: list[str] = Field(default_factory=list)
    writes: list[str] = Field(default_factory=list)


class AgentConfig(_Model):
    kind: Literal["agent"] = "agent"
    prompt: str = ""
    prompt_file: str = ""
    system_prompt: str = ""
    system_prompt_file: str = ""
    prompt_include: str = ""
    prompt_prefix: str = ""  # only "none" is meaningful
    prompt_suffix: str = ""
    model: str = ""
    provider: str = ""
    max_turns: int = 0
    cmd_timeout: int = 0  # ns
    cache_tools: bool = False
    compaction: str = ""
    compaction_threshold: float = 0.0
    reasoning_effort: str = ""
    fidelity: str = ""
    auto_status: bool = False
    goal_gate: bool = False
    response_format: str = ""
    response_schema: str = ""
    backend: str = ""
    working_dir: str = ""
    tool_access: str = ""
    writable_paths: list[str] = Field(default_factory=list)
    last_response_truncate: int = 0
    params: dict[str, str] = Field(default_factory=dict)
    # Content of `prompt_include`, filled by dippin.directives (not part of the IR dump).
    _prompt_include_text: str = PrivateAttr(default="")


class HumanConfig(_Model):
    kind: Literal["human"] = "human"
    mode: str = ""
    default: str = ""
    prompt: str = ""
    questions_key: str = ""
    answers_key: str = ""
    timeout: int = 0  # ns
    timeout_action: str = ""


class ToolConfig(_Model):
    kind: Literal["tool"] = "tool"
    command: str = ""
    command_file: str = ""
    timeout: int = 0  # ns
    outputs: list[str] = Field(default_factory=list)
    marker_grep: str = ""
    route_required: bool = False
    output_limit: int = 0


class BranchConfig(_Model):
    target: str
    model: str = ""
    provider: str = ""
    fidelity: str = ""
    tool_access: str = ""
    writable_paths: list[str] = Field(default_factory=list)
    last_response_truncate: int = 0
    source: SourceLocation = Field(default_factory=SourceLocation)


class ParallelConfig(_Model):
    kind: Literal["parallel"] = "parallel"
    targets: list[str] = Field(default_factory=list)
    branches: list[BranchConfig] = Field(default_factory=list)
    params: dict[str, str] = Field(default_factory=dict)


class FanInConfig(_Model):
    kind: Literal["fan_in"] = "fan_in"
    sources: list[str] = Field(default_factory=list)
    params: dict[str, str] = Field(default_factory=dict)


class SubgraphConfig(_Model):
    kind: Literal["subgraph"] = "subgraph"
    ref: str = ""
    params: dict[str, str] = Field(default_factory=dict)


class ConditionalConfig(_Model):
    kind: Literal["conditional"] = "conditional"


class ManagerLoopConfig(_Model):
    kind: Literal["manager_loop"] = "manager_loop"
    subgraph_ref: str = ""
    poll_interval: int = 0  # ns
    max_cycles: int = 0
    stop_condition: Condition | None = None
    steer_condition: Condition | None = None
    steer_context: dict[str, str] = Field(default_factory=dict)


NodeConfig = Annotated[
    AgentConfig
    | HumanConfig
    | ToolConfig
    | ParallelConfig
    | FanInConfig
    | SubgraphConfig
    | ConditionalConfig
    | ManagerLoopConfig,
    Field(discriminator="kind"),
]


class Node(_Model):
    id: str
    kind: NodeKind
    label: str = ""
    classes: list[str] = Field(default_factory=list)
    config: NodeConfig
    retry: RetryConfig = Field(default_factory=RetryConfig)
    io: NodeIO = Field(default_factory=NodeIO)
    source: SourceLocation = Field(default_factory=SourceLocation)

    @property
    def display_label(self) -> str:
        return self.label or self.id


class Edge(_Model):
    from_: str = Field(alias="from")
    to: str
    label: str = ""
    choice: str = ""
    condition: Condition | None = None
    weight: int = 0
    restart: bool = False
    override: bool = False
    source: SourceLocation = Field(default_factory=SourceLocation)

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @property
    def is_conditional(self) -> bool:
        return self.condition is not None


class WorkflowDefaults(_Model):
    model: str = ""
    provider: str = ""
    retry_policy: str = ""
    max_retries: int = 0
    fidelity: str = ""
    max_restarts: int = 0
    restart_target: str = ""
    cache_tools: bool = False
    compaction: str = ""
    on_resume: str = ""
    max_total_tokens: int = 0
    max_cost_cents: int = 0
    max_wall_time: int = 0  # ns
    tool_commands_allow: str = ""
    tool_denylist_add: str = ""
    on_failure: str = ""
    stall_timeout: int = 0  # ns
    prompt_prefix: str = ""
    prompt_suffix: str = ""
    prompt_prefix_file: str = ""
    prompt_suffix_file: str = ""
    system_prompt_file: str = ""
    source: SourceLocation = Field(default_factory=SourceLocation)


class Input(_Model):
    name: str
    type: str
    required: bool = False
    default: str = ""
    has_default: bool = False
    prompt: str = ""
    description: str = ""
    options: list[str] = Field(default_factory=list)
    pattern: str = ""
    min: str = ""
    max: str = ""
    max_length: int = 0
    multiline: bool = False
    source: SourceLocation = Field(default_factory=SourceLocation)


SelectorKind = Literal["universal", "kind", "class", "id"]


class Selector(_Model):
    kind: SelectorKind
    value: str = ""

    @property
    def specificity(self) -> int:
        return {"universal": 0, "kind": 1, "class": 2, "id": 3}[self.kind]


class StylesheetRule(_Model):
    selector: Selector
    properties: dict[str, str] = Field(default_factory=dict)
    source: SourceLocation = Field(default_factory=SourceLocation)


class Workflow(_Model):
    name: str = ""
    version: str = "1"
    goal: str = ""
    start: str = ""
    exit: str = ""
    requires: list[str] = Field(default_factory=list)
    defaults: WorkflowDefaults = Field(default_factory=WorkflowDefaults)
    vars: dict[str, str] = Field(default_factory=dict)
    inputs: list[Input] = Field(default_factory=list)
    header_comment: list[str] = Field(default_factory=list)
    nodes: list[Node] = Field(default_factory=list)
    edges: list[Edge] = Field(default_factory=list)
    else_target: str = ""
    else_target_source: SourceLocation = Field(default_factory=SourceLocation)
    stylesheet: list[StylesheetRule] = Field(default_factory=list)
    source_file: str = ""

    # ---------------------------------------------------------------- lookups

    def node(self, node_id: str) -> Node | None:
        for n in self.nodes:
            if n.id == node_id:
                return n
        return None

    def node_map(self) -> dict[str, Node]:
        """First declaration wins (duplicates are DIP008's business)."""
        out: dict[str, Node] = {}
        for n in self.nodes:
            out.setdefault(n.id, n)
        return out

    @property
    def version_int(self) -> int:
        try:
            return int(self.version)
        except ValueError:
            return 1
