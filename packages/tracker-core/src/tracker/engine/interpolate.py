"""`${namespace.key}` expansion (spec/dippin.md §5, engine.md §3.3–3.4): one pass, the
substituted text is never rescanned. The engine, the tool handler and the human handler
all expand through `expand`, so the namespaces and the tool-command safety rule live here.

Namespaces read the run context: `ctx.K` → `K`, `params.K` → `graph.params.K`,
`graph.K` → `graph.K`, `inputs.K` → `inputs.K`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

ALL_NAMESPACES = ("ctx", "params", "graph", "inputs")
#: expanded in every node attribute before execution (prompts also get `ctx`)
ATTR_NAMESPACES = ("graph", "params")
#: the only ctx keys a tool command may interpolate: short routing values the pipeline
#: controls, never free text an LLM or a tool produced (shell injection)
TOOL_SAFE_CTX_KEYS = frozenset(
    {"outcome", "preferred_label", "human_response", "interview_answers"}
)


class InterpolationError(ValueError):
    """Strict-mode miss or an unsafe reference in a tool command."""


def context_key(namespace: str, key: str) -> str | None:
    """The context key a `${namespace.key}` reads, or None for an unknown namespace."""
    if namespace == "ctx":
        return key
    if namespace == "params":
        return f"graph.params.{key}"
    if namespace == "graph":
        return f"graph.{key}"
    if namespace == "inputs":
        return f"inputs.{key}"
    return None


def _fence(key: str, value: str) -> str:
    if key == "tool_stdout" or key.endswith(".tool_stdout"):
        return f"\n\n## Tool Stdout\n\n```text\n{value}\n```\n"
    if key == "tool_stderr" or key.endswith(".tool_stderr"):
        return f"\n\n## Tool Stderr\n\n```text\n{value}\n```\n"
    return value


def expand(
    text: str,
    values: Mapping[str, str],
    *,
    namespaces: Collection[str] = ALL_NAMESPACES,
    strict: bool = False,
    tool_command: bool = False,
    fence_tool_output: bool = False,
) -> str:
    """Expand every `${ns.key}` whose namespace is in `namespaces`; others stay verbatim.

    Lenient (default): a missing key expands to "". `strict`: a missing key raises.
    `tool_command`: a found `ctx.*` outside TOOL_SAFE_CTX_KEYS or any found `inputs.*`
    raises. `fence_tool_output`: tool stdout/stderr render as fenced blocks (prompts)."""
    if "${" not in text:
        return text
    out: list[str] = []
    i = 0
    while True:
        start = text.find("${", i)
        if start < 0:
            out.append(text[i:])
            break
        end = text.find("}", start + 2)
        if end < 0:
            out.append(text[i:])
            break
        out.append(text[i:start])
        body = text[start + 2 : end]
        raw = text[start : end + 1]
        i = end + 1
        namespace, dot, key = body.partition(".")
        if not dot or not key or namespace not in namespaces:
            out.append(raw)
            continue
        ckey = context_key(namespace, key)
        found = ckey is not None and ckey in values
        if tool_command and found:
            if namespace == "inputs" or (namespace == "ctx" and key not in TOOL_SAFE_CTX_KEYS):
                raise InterpolationError(
                    f"tool command must not interpolate {raw}: only "
                    f"{', '.join('ctx.' + k for k in sorted(TOOL_SAFE_CTX_KEYS))}, "
                    "graph.* and params.* are allowed (write the value to a file instead)"
                )
        if not found:
            if strict:
                available = ", ".join(sorted(values)) or "(none)"
                raise InterpolationError(f"unknown variable {raw}; available keys: {available}")
            continue
        value = values[ckey]  # type: ignore[index]
        if fence_tool_output and not tool_command and namespace == "ctx" and value:
            value = _fence(key, value)
        out.append(value)
    return "".join(out)


def expand_tool_command(text: str, values: Mapping[str, str]) -> str:
    """Expand a tool command (all namespaces, tool-safety rule); blank result raises."""
    result = expand(text, values, tool_command=True)
    if not result.strip():
        raise InterpolationError("tool_command expanded to empty")
    return result


def lookup_variable(variable: str, values: Mapping[str, str], internal: Mapping[str, str]) -> str:
    """Condition variable lookup (dippin.md §4.4 step 4): exact key, then without the
    `ctx.`/`context.` prefix, `params.K` as `graph.params.K`, then `internal.K`."""
    if variable in values:
        return values[variable]
    for prefix in ("ctx.", "context."):
        if variable.startswith(prefix):
            rest = variable[len(prefix) :]
            if rest in values:
                return values[rest]
            if rest.startswith("internal."):
                return internal.get(rest[len("internal.") :], "")
            return ""
    if variable.startswith("params.") and f"graph.{variable}" in values:
        return values[f"graph.{variable}"]
    if variable.startswith("internal."):
        return internal.get(variable[len("internal.") :], "")
    return ""
