"""IR builder for the Dippin parser: lark trees → `Workflow` (spec/dippin.md §3, §7).

The grammar only checks shape; this module owns the meaning: which fields each node kind
accepts, value types (§2.7), version gates (§3.2), edge attributes (§3.9) and every
semantic parse error of §3.11. Errors are collected, never raised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lark import Token, Tree

from tracker.lint.diagnostic import Diagnostic

from ._parse_tables import (
    BRANCH_FIELDS,
    COMMON_FIELDS,
    CONFIG_CLASSES,
    CSV,
    CSV_NE,
    DEFAULTS_FIELDS,
    EXCLUSIVE_PAIRS,
    INPUT_FIELDS,
    INT,
    KIND_FIELDS,
    MAP,
    PARSERS,
    STR,
    TYPE_HELP,
    TYPE_NAMES,
)
from .ir import (
    BranchConfig,
    Condition,
    Edge,
    FanInConfig,
    Input,
    Node,
    ParallelConfig,
    Selector,
    SourceLocation,
    StylesheetRule,
    Workflow,
)
from .lexer import tokenize, unquote
from .values import parse_int
from .views import node_outcome_channel

OUTCOME_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")

_BAD = object()


@dataclass(slots=True)
class FieldVal:
    """One `key: value` (or `key:` + block) field as the builder sees it."""

    key: str
    value: str
    line: int
    col: int
    block: bool
    block_line: int
    pipe: bool
    block_col: int = 1  # column of the block's first content line

    def line_of(self, index: int) -> int:
        """Source line of the index-th line of the value."""
        return self.block_line + index if self.block else self.line


def field_of(tree: Tree) -> FieldVal:
    """The FieldVal the lexer attached to a `field` tree's FIELD token."""
    tok = tree.children[0]
    return tok.extra  # type: ignore[union-attr,return-value]


def _tokens(tree: Tree) -> list[Token]:
    return [c for c in tree.children if isinstance(c, Token)]


def _trees(tree: Tree, name: str | None = None) -> list[Tree]:
    return [c for c in tree.children if isinstance(c, Tree) and (name is None or c.data == name)]


class Builder:
    """Accumulates IR into `wf` and diagnostics into `diags`."""

    def __init__(self, wf: Workflow, file: str, diags: list[Diagnostic]) -> None:
        self.wf = wf
        self.file = file
        self.diags = diags
        self.version = 1
        self._defaults_seen = False
        self._input_names: set[str] = set()
        #: id -> first node declared with it (what `wf.node(id)` finds), kept as nodes
        #: are added so that `on` edges do not scan every node
        self._nodes_by_id: dict[str, Node] = {}
        for n in wf.nodes:
            self._nodes_by_id.setdefault(n.id, n)

    def _add_node(self, node: Node) -> None:
        self.wf.nodes.append(node)
        self._nodes_by_id.setdefault(node.id, node)

    # ------------------------------------------------------------------ helpers

    def error(self, message: str, line: int, col: int = 0, help_: str = "") -> None:
        self.diags.append(
            Diagnostic(
                code="DIP000",
                severity="error",
                message=message,
                file=self.file,
                line=max(line or 1, 1),
                column=max(col or 0, 0),
                help=help_,
            )
        )

    def loc(self, tok: Token | None, line: int = 0, col: int = 0) -> SourceLocation:
        if tok is not None:
            line, col = tok.line or 1, tok.column or 1
        return SourceLocation(file=self.file, line=line, column=col)

    def convert(self, f: FieldVal, typ: str) -> Any:
        """Typed value of a field, or _BAD after reporting the error."""
        if typ == STR:
            return f.value
        if typ == CSV:
            return [p.strip() for p in f.value.split(",")] if f.value.strip() else []
        if typ == CSV_NE:
            return [p.strip() for p in f.value.split(",") if p.strip()]
        if typ == MAP:
            return self.parse_map(f, "params")
        text = f.value.strip()
        try:
            return PARSERS[typ](text)
        except ValueError:
            self.error(
                f'invalid {TYPE_NAMES[typ]} for {f.key}: "{f.value}"',
                f.line,
                f.col,
                TYPE_HELP[typ],
            )
            return _BAD

    def parse_map(self, f: FieldVal, what: str) -> dict[str, str]:
        """A `k: v` block (§2.7): split at the first colon, unquote, last duplicate wins."""
        out: dict[str, str] = {}
        for i, text in enumerate(f.value.split("\n")):
            s = text.strip()
            if ":" not in s:
                continue
            k, v = s.split(":", 1)
            k = k.strip()
            if not k:
                continue
            if k in out:
                self.error(f'duplicate {what} key "{k}" (last value wins)', f.line_of(i), f.col)
            out[k] = unquote(v.strip())
        return out

    def parse_steer_context(self, f: FieldVal) -> dict[str, str]:
        """Block `k: v` lines or inline `k=v, k=v`, whichever separator comes first."""
        raw = f.value.strip()
        if not raw:
            return {}
        colon, equals = raw.find(":"), raw.find("=")
        if colon >= 0 and (equals < 0 or colon < equals):
            result = self.parse_map(f, "steer_context")
        else:
            result = {}
            for part in raw.split(","):
                entry = part.strip()
                if not entry:
                    continue
                if "=" not in entry:
                    self.error(
                        f'steer_context entry "{entry}" must be key=value',
                        f.line,
                        f.col,
                        "write steer_context inline as `k=v, k=v` or as a block of `k: v` lines",
                    )
                    continue
                k, v = entry.split("=", 1)
                k = k.strip()
                if not k:
                    continue
                if k in result:
                    self.error(
                        f'duplicate steer_context key "{k}" (last value wins)', f.line, f.col
                    )
                result[k] = unquote(v.strip())
        for k in [k for k in result if ":" in k]:
            self.error(
                f"steer_context key \"{k}\" contains ':' which breaks block-form round-trip "
                "through the formatter",
                f.line,
                f.col,
            )
            del result[k]
        return result

    # ------------------------------------------------------------------ file level

    def pragma(self, tree: Tree) -> None:
        toks = _tokens(tree)
        dip = toks[0]
        version = next((t for t in toks if t.type == "VERSION"), None)
        if version is None:
            self.error(
                "invalid version declaration: expected integer after 'dip'",
                dip.line or 1,
                dip.column or 1,
                "write e.g. `dip 2`",
            )
            return
        try:
            n = parse_int(str(version))
        except ValueError:
            n = 0
        if n < 1:
            self.error(
                f"invalid version declaration: expected integer >= 1 after 'dip', "
                f'got "{version}"',
                version.line or 1,
                version.column or 1,
                "write e.g. `dip 2` (omit the line for version 1)",
            )
            return
        self.version = n
        self.wf.version = str(n)

    def workflow_head(self, tree: Tree) -> None:
        toks = _tokens(tree)
        if len(toks) >= 2:
            self.wf.name = str(toks[1])

    def finish(self) -> None:
        """Whole-file checks that need every item: the dip-2 redundant fan-edge gate."""
        if self.version < 2:
            return
        nodes = self.wf.node_map()
        for e in self.wf.edges:
            if (
                e.condition is not None
                or e.label
                or e.choice
                or e.weight
                or e.restart
                or e.override
            ):
                continue
            src, dst = nodes.get(e.from_), nodes.get(e.to)
            fork = src is not None and isinstance(src.config, ParallelConfig)
            join = dst is not None and isinstance(dst.config, FanInConfig)
            if (fork and e.to in src.config.targets) or (join and e.from_ in dst.config.sources):
                self.error(
                    f'redundant edge "{e.from_}" -> "{e.to}": the inline parallel/fan_in list '
                    "is authoritative under dip 2",
                    e.source.line,
                    e.source.column,
                    "remove the edge (`dippin fmt` does it)",
                )

    # ------------------------------------------------------------------ items

    def item(self, tree: Tree, lines_dropped: bool = False) -> None:
        handler = getattr(self, f"_item_{tree.data}", None)
        if handler is not None:
            handler(tree, lines_dropped)

    def _item_field(self, tree: Tree, _dropped: bool) -> None:
        f = field_of(tree)
        if f.key == "goal":
            self.wf.goal = f.value
        elif f.key == "start":
            self.wf.start = f.value
        elif f.key == "exit":
            self.wf.exit = f.value
        elif f.key == "requires":
            self.wf.requires = self.convert(f, CSV_NE)
        elif f.key == "stylesheet":
            self.wf.stylesheet.extend(self.stylesheet(f))

    def stylesheet(self, f: FieldVal) -> list[StylesheetRule]:
        rules: list[StylesheetRule] = []
        current: StylesheetRule | None = None
        for i, text in enumerate(f.value.split("\n")):
            s = text.strip()
            if not s:
                continue
            indent = len(text) - len(text.lstrip(" \t"))
            if indent == 0 or current is None:
                sel = s.rstrip(":{").strip() if s.endswith((":", "{")) else s
                if sel == "*":
                    selector = Selector(kind="universal")
                elif sel.startswith("."):
                    selector = Selector(kind="class", value=sel[1:])
                elif sel.startswith("#"):
                    selector = Selector(kind="id", value=sel[1:])
                else:
                    selector = Selector(kind="kind", value=sel)
                col = (f.block_col if f.block else f.col) + indent
                current = StylesheetRule(
                    selector=selector, source=self.loc(None, f.line_of(i), col)
                )
                rules.append(current)
            elif ":" in s:
                k, v = s.split(":", 1)
                if k.strip():
                    current.properties[k.strip()] = unquote(v.strip())
        return rules

    def _kv_fields(self, tree: Tree | None) -> list[FieldVal]:
        if tree is None:
            return []
        return [field_of(t) for t in _trees(tree, "field")]

    def _item_defaults(self, tree: Tree, _dropped: bool) -> None:
        kw = _tokens(tree)[0]
        d = self.wf.defaults
        if not self._defaults_seen:
            d.source = self.loc(kw)
            self._defaults_seen = True
        for f in self._kv_fields(next(iter(_trees(tree, "kv_block")), None)):
            typ = DEFAULTS_FIELDS.get(f.key)
            if typ is None:
                help_ = ""
                if f.key == "system_prompt":
                    help_ = (
                        "defaults take `system_prompt_file:`; put inline system prompts on agents"
                    )
                self.error(f'unknown defaults field "{f.key}"', f.line, f.col, help_)
                continue
            value = self.convert(f, typ)
            if value is not _BAD:
                setattr(d, f.key, value)

    def _item_vars(self, tree: Tree, _dropped: bool) -> None:
        for f in self._kv_fields(next(iter(_trees(tree, "kv_block")), None)):
            if f.key in self.wf.vars:
                self.error(f'duplicate vars key "{f.key}" (last value wins)', f.line, f.col)
            self.wf.vars[f.key] = f.value

    def _item_inputs(self, tree: Tree, _dropped: bool) -> None:
        for entry in _trees(tree, "input_entry"):
            head = field_of(entry.children[0])
            inp = Input(
                name=head.key,
                type="" if head.block else head.value,
                source=self.loc(None, head.line, head.col),
            )
            if head.key in self._input_names:
                self.error(f'duplicate input "{head.key}"', head.line, head.col)
            self._input_names.add(head.key)
            attrs = self._kv_fields(next(iter(_trees(entry, "kv_block")), None))
            if head.block:
                attrs = self._block_as_fields(head)
            for f in attrs:
                typ = INPUT_FIELDS.get(f.key)
                if typ is None:
                    self.error(
                        f'unrecognized input field "{f.key}"',
                        f.line,
                        f.col,
                        "input attributes: " + ", ".join(INPUT_FIELDS),
                    )
                    continue
                value = self.convert(f, typ)
                if value is _BAD:
                    continue
                setattr(inp, f.key, value)
                if f.key == "default":
                    inp.has_default = True
            self.wf.inputs.append(inp)

    def _block_as_fields(self, head: FieldVal) -> list[FieldVal]:
        """`name:` followed by deeper lines was captured as a block; read it as fields."""
        out: list[FieldVal] = []
        for i, text in enumerate(head.value.split("\n")):
            s = text.strip()
            if ":" not in s:
                continue
            k, v = s.split(":", 1)
            if k.strip():
                out.append(
                    FieldVal(k.strip(), unquote(v.strip()), head.line_of(i), 1, False, 0, False)
                )
        return out

    # ------------------------------------------------------------------ nodes

    def _item_node(self, tree: Tree, dropped: bool) -> None:
        toks = _tokens(tree)
        kind_tok, id_tok = toks[0], toks[1]
        kind = str(kind_tok)
        node = Node(
            id=str(id_tok),
            kind=kind,
            config=CONFIG_CLASSES[kind](),
            source=self.loc(kind_tok),
        )
        bodies = _trees(tree, "node_body")
        if not bodies:
            if not dropped:
                self.error(
                    f"empty node body: {kind} {id_tok} has no indented fields",
                    kind_tok.line or 1,
                    kind_tok.column or 1,
                    "indent at least one field (e.g. `label: ...`) under the declaration",
                )
        else:
            for line in bodies[0].children:
                if isinstance(line, Tree):
                    self._node_line(node, line)
        self._add_node(node)

    def _node_line(self, node: Node, line: Tree) -> None:
        nested = next(iter(_trees(line, "nested")), None)
        if line.data == "bare_line":
            word = _tokens(line)[0]
            if str(word) == "retry":
                self._nested_retry(word.line or 1, word.column or 1)
                return
            self._expected_colon(word)
            return
        if line.data == "bad_line":
            word = _tokens(line)[0]
            if str(word) == "retry":
                self._nested_retry(word.line or 1, word.column or 1)
                return
            self._expected_colon(word)
            return
        f = field_of(_trees(line, "field")[0])
        if f.key == "retry":
            self._nested_retry(f.line, f.col)
            return
        if nested is not None:
            self._nested_under_field(f, nested)
        self.apply_node_field(node, f)

    def _expected_colon(self, word: Token) -> None:
        self.error(
            f"expected ':' after '{word}'",
            word.line or 1,
            (word.column or 1) + len(str(word)),
            "fields are written `key: value`; quote multi-word text or put it in a block",
        )

    def _nested_retry(self, line: int, col: int) -> None:
        self.error(
            "nested retry blocks are not supported; use flat attributes instead "
            "(retry_policy, max_retries, retry_target, fallback_target, base_delay)",
            line,
            col,
            "write e.g. `max_retries: 3` directly in the node body",
        )

    def _nested_under_field(self, f: FieldVal, nested: Tree) -> None:
        first_line = next(iter(_trees(nested, "any_line")), None)
        toks = _tokens(first_line) if first_line is not None else []
        line = (toks[0].line if toks else None) or f.line
        col = (toks[0].column if toks else None) or 1
        if f.pipe:
            self.error(
                f"expected ':' (`{f.key}: |` is not a block marker, so the indented text "
                "below it is read as fields)",
                line,
                col,
                f"use `{f.key}:` alone on its line, then indent the text",
            )
            return
        self.error(
            f"unexpected indented block under `{f.key}: ...`",
            line,
            col,
            "only a `key:` line with nothing after the colon starts a multiline block",
        )

    def apply_node_field(self, node: Node, f: FieldVal) -> None:
        key, kind = f.key, node.kind
        if key in COMMON_FIELDS:
            if key == "fallback_target" and self.version >= 2:
                self.error(
                    "`fallback_target` is not a node field in dip 2",
                    f.line,
                    f.col,
                    "route failures with an `on fail` edge, or use `fallback_retry_target`",
                )
                return
            target, attr, typ = COMMON_FIELDS[key]
            value = self.convert(f, typ)
            if value is _BAD:
                return
            obj = {"node": node, "retry": node.retry, "io": node.io}[target]
            setattr(obj, attr, value)
            return
        fields = KIND_FIELDS[kind]
        typ = fields.get(key)
        if kind == "subgraph" and key in ("params", "inputs"):
            wanted = "inputs" if self.version >= 2 else "params"
            if key != wanted:
                if self.version >= 2:
                    self.error(
                        "subgraph `params:` is spelled `inputs:` under dip 2",
                        f.line,
                        f.col,
                        "rename `params:` to `inputs:`",
                    )
                else:
                    self.error(
                        'unrecognized subgraph field "inputs"',
                        f.line,
                        f.col,
                        "`inputs:` is the dip 2 spelling; under dip 1 use `params:`",
                    )
                return
            node.config.params = self.parse_map(f, "params")
            return
        if typ is None:
            help_ = ""
            if kind in ("agent", "subgraph"):
                help_ = f"put it under params: (`params:` then `{key}: ...` indented)"
            self.error(f'unrecognized {kind} field "{key}"', f.line, f.col, help_)
            return
        cfg = node.config
        if key == "writable_paths" and not self.convert(f, CSV_NE):
            self._blank_writable_paths(f)
            return
        if key in ("stop_condition", "steer_condition"):
            setattr(cfg, key, Condition(raw=f.value))
            return
        if key == "steer_context":
            cfg.steer_context = self.parse_steer_context(f)
            return
        if key == "params":
            cfg.params = self.parse_map(f, "params")
            return
        value = self.convert(f, typ)
        if value is _BAD:
            return
        if key == "timeout_action" and value not in ("", "fail", "default"):
            self.error(
                f'invalid timeout_action "{value}" (use fail, default, or empty)',
                f.line,
                f.col,
            )
            return
        if key == "output_limit" and value < 0:
            self.error(f"invalid output_limit {value} (must be non-negative)", f.line, f.col)
            return
        setattr(cfg, key, value)
        other = EXCLUSIVE_PAIRS.get(key)
        if other in fields and getattr(cfg, key) and getattr(cfg, other):
            base = key.removesuffix("_file")
            self.error(
                f'{kind} node "{node.id}" has both `{base}` and `{base}_file` set; choose one',
                f.line,
                f.col,
                f"keep either the inline `{base}:` or the `{base}_file:` reference",
            )

    def _blank_writable_paths(self, f: FieldVal) -> None:
        self.error(
            "writable_paths declared with no paths — list at least one glob or omit the field "
            "(an empty safety field would grant unbounded writes)",
            f.line,
            f.col,
        )

    # ------------------------------------------------------------------ parallel / fan_in

    def _ids(self, tree: Tree) -> list[str]:
        lst = _trees(tree, "id_list")[0]
        return [str(t) for t in _tokens(lst) if t.type in ("NAME", "STRING")]

    def _nested_params(self, tree: Tree) -> dict[str, str]:
        """`params:` inside the optional block under an inline parallel / fan_in; any
        other line there is ignored (§3.7)."""
        params: dict[str, str] = {}
        for nested in _trees(tree, "nested"):
            for line in _trees(nested, "any_line"):
                toks = _tokens(line)
                if toks and toks[0].type == "FIELD" and str(toks[0]) == "params":
                    params = self.parse_map(toks[0].extra, "params")  # type: ignore[attr-defined]
        return params

    def _item_parallel_inline(self, tree: Tree, _dropped: bool) -> None:
        toks = _tokens(tree)
        cfg = ParallelConfig(targets=self._ids(tree), params=self._nested_params(tree))
        self._add_node(Node(id=str(toks[1]), kind="parallel", config=cfg, source=self.loc(toks[0])))

    def _item_fan_in(self, tree: Tree, _dropped: bool) -> None:
        toks = _tokens(tree)
        cfg = FanInConfig(sources=self._ids(tree), params=self._nested_params(tree))
        self._add_node(Node(id=str(toks[1]), kind="fan_in", config=cfg, source=self.loc(toks[0])))

    def _item_parallel_block(self, tree: Tree, _dropped: bool) -> None:
        toks = _tokens(tree)
        cfg = ParallelConfig()
        for par_line in _trees(tree, "par_line"):
            f = field_of(_trees(par_line, "field")[0])
            if f.key == "params":
                cfg.params = self.parse_map(f, "params")
            elif f.key == "branch":
                branch = self._branch(f, next(iter(_trees(par_line, "kv_block")), None))
                if branch is not None:
                    cfg.branches.append(branch)
        cfg.targets = [b.target for b in cfg.branches]
        self._add_node(Node(id=str(toks[1]), kind="parallel", config=cfg, source=self.loc(toks[0])))

    def _branch(self, f: FieldVal, attrs: Tree | None) -> BranchConfig | None:
        words = tokenize(f.value) if not f.block else []
        if not words:
            self.error(
                "expected a branch target after `branch:`",
                f.line,
                f.col,
                "write `branch: <NodeID>` and indent the branch's fields under it",
            )
            return None
        branch = BranchConfig(target=words[0].value, source=self.loc(None, f.line, f.col))
        for a in self._kv_fields(attrs):
            typ = BRANCH_FIELDS.get(a.key)
            if typ is None:
                self.error(
                    f'unrecognized branch field "{a.key}"',
                    a.line,
                    a.col,
                    "branch fields: " + ", ".join(BRANCH_FIELDS),
                )
                continue
            if a.key == "writable_paths" and not self.convert(a, CSV_NE):
                self._blank_writable_paths(a)
                continue
            value = self.convert(a, typ)
            if value is not _BAD:
                setattr(branch, a.key, value)
        return branch

    # ------------------------------------------------------------------ edges

    def _item_edges(self, tree: Tree, _dropped: bool) -> None:
        for line in _trees(tree):
            if line.data == "edge":
                self._edge(line)
            elif line.data == "else_line":
                self._else(line)

    def _else(self, line: Tree) -> None:
        toks = _tokens(line)
        kw = toks[0]
        types = [t.type for t in toks]
        where = (kw.line or 1, kw.column or 1)
        if "ARROW" not in types:
            self.error(
                "`else` must be followed by `-> <node>` (e.g. `else -> Cleanup`)",
                *where,
            )
            return
        target = next((t for t in toks if t.type == "ELSE_TARGET"), None)
        if target is None:
            self.error("`else ->` requires a target node (e.g. `else -> Cleanup`)", *where)
            return
        if self.wf.else_target:
            self.error(
                "duplicate `else` default; an edges block may declare at most one `else`",
                *where,
            )
            return
        self.wf.else_target = str(target)
        self.wf.else_target_source = self.loc(kw)

    def _edge(self, line: Tree) -> None:
        toks = _tokens(line)
        src, dst = toks[0], toks[2]
        edge = Edge(**{"from": str(src), "to": str(dst)}, source=self.loc(src))
        prev: Tree | None = None
        for attr in _trees(line):
            self._edge_attr(edge, attr, prev)
            prev = attr
        self.wf.edges.append(edge)

    def _edge_attr(self, edge: Edge, attr: Tree, prev: Tree | None) -> None:
        toks = _tokens(attr)
        head = toks[0]
        kind = attr.data
        if kind == "when_attr":
            cond = toks[1] if len(toks) > 1 else None
            for q in getattr(cond, "extra", None) or []:
                self.error(
                    "unterminated double-quoted literal in condition",
                    cond.line or 1,
                    q.col,
                    'close the string with a matching `"`',
                )
            edge.condition = Condition(raw=str(cond) if cond else "")
        elif kind == "on_attr":
            self._on(edge, head, toks[1] if len(toks) > 1 else None)
        elif kind == "loop_attr":
            edge.restart = True
            colon = next((t for t in toks if t.type == "COLON"), None)
            if colon is not None:
                self.error(
                    "`loop` takes no value; write `loop` (no colon)",
                    colon.line or 1,
                    colon.column or 1,
                )
        elif kind == "kv_attr":
            key = str(head)
            if head.type == "ATTR":
                rt = head.extra  # the value's RawTok
                value, vline, vcol = rt.value, head.line or 1, rt.col
            else:
                value, vline, vcol = str(toks[2]), toks[2].line or 1, toks[2].column or 1
            if key == "label":
                edge.label = value
            elif key == "choice":
                edge.choice = value
            elif key == "weight":
                try:
                    edge.weight = parse_int(value)
                except ValueError:
                    self.error(
                        f'invalid integer for weight: "{value}"', vline, vcol, TYPE_HELP[INT]
                    )
            elif key == "restart":
                edge.restart = value == "true"
            elif key == "override":
                edge.override = value == "true"
        elif kind == "unknown_attr":
            help_ = "edge attributes: when, on, loop, label:, choice:, weight:, restart:, override:"
            if prev is not None and prev.data == "kv_attr":
                pk = str(_tokens(prev)[0])
                if pk in ("label", "choice"):
                    help_ = f'{pk} takes one token: quote multi-word text, e.g. {pk}: "A B"'
            self.error(f'unknown edge attribute "{head}"', head.line or 1, head.column or 1, help_)
        elif kind == "bracket_attr":
            self.error(
                "bracket syntax [label: ...] is not supported; use keyword syntax instead",
                head.line or 1,
                head.column or 1,
                "e.g. `A -> B  when ctx.outcome = success  label: go`",
            )

    def _on(self, edge: Edge, on_tok: Token, value: Token | None) -> None:
        src = self._nodes_by_id.get(edge.from_)
        if src is None:
            return  # unknown (or later-declared) source: silently unconditional (§3.9)
        channel = node_outcome_channel(src)
        if not channel:
            self.error(
                "`on` shorthand requires a source node with a defined outcome channel "
                "(agent, or tool with marker_grep); use `when` instead",
                on_tok.line or 1,
                on_tok.column or 1,
            )
            return
        if value is None:
            self.error(
                "`on` requires an outcome token (e.g. `on success`)",
                on_tok.line or 1,
                on_tok.column or 1,
            )
            return
        text = str(value)
        if not (getattr(value, "extra", False) and OUTCOME_TOKEN.fullmatch(text)):
            shown = text if text[:1] in "\"'" else f'"{text}"'
            self.error(
                f"`on` value {shown} must be a bare identifier ([A-Za-z0-9][A-Za-z0-9_-]*)",
                value.line or 1,
                value.column or 1,
                f"use `when {channel} = ...` for other values",
            )
            return
        edge.condition = Condition(raw=f"{channel} = {text}")
