"""Model stylesheet (`model_stylesheet` graph attr, as the adapter serialises it):
`selector { key: value; … } …`. Rules fill node attrs the node does not set itself;
`#id` beats `.class` beats a shape selector beats `*`."""

from __future__ import annotations

import re

from tracker.graph.model import GraphNode

_RULE = re.compile(r"\s*([^{}\s]+)\s*\{([^{}]*)\}")


class StylesheetError(ValueError):
    pass


Rule = tuple[str, dict[str, str]]


def parse_stylesheet(text: str) -> list[Rule]:
    rules: list[Rule] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _RULE.match(text, pos)
        if not m:
            raise StylesheetError(f"invalid model_stylesheet near {text[pos : pos + 30]!r}")
        props: dict[str, str] = {}
        for decl in m.group(2).split(";"):
            if not decl.strip():
                continue
            key, sep, value = decl.partition(":")
            if not sep:
                raise StylesheetError(f"invalid model_stylesheet declaration {decl.strip()!r}")
            props[key.strip()] = value.strip()
        rules.append((m.group(1), props))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return rules


def _specificity(selector: str, node: GraphNode) -> int | None:
    if selector == "*":
        return 0
    if selector.startswith("#"):
        return 3 if selector[1:] == node.id else None
    if selector.startswith("."):
        classes = {c.strip() for c in node.attrs.get("class", "").split(",")}
        return 2 if selector[1:] in classes else None
    return 1 if selector == node.shape else None


def apply_stylesheet(node: GraphNode, rules: list[Rule]) -> dict[str, str]:
    """Node attrs with stylesheet values filled in where the node leaves them unset."""
    resolved: dict[str, str] = {}
    ranked = [
        (s, i, props)
        for i, (sel, props) in enumerate(rules)
        if (s := _specificity(sel, node)) is not None
    ]
    for _, _, props in sorted(ranked, key=lambda r: (r[0], r[1])):
        resolved.update(props)
    attrs = dict(node.attrs)
    for key, value in resolved.items():
        if not attrs.get(key):
            attrs[key] = value
    return attrs
