"""`tracker plugins`: what is installed, what each plugin registered, and from where."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tracker.cli.registry import cli_registry

if TYPE_CHECKING:
    from tracker.plugins.registry import Registry

CATEGORY_TITLES: dict[str, str] = {
    "handlers": "Handlers",
    "providers": "Providers",
    "backends": "Backends",
    "gate_uis": "Gate UIs",
    "lint_rules": "Lint rules",
    "event_sinks": "Event sinks",
    "workflows": "Workflows",
}


def _description(spec: Any) -> str:
    text = getattr(spec, "description", "") or ""
    return " ".join(text.split())


def plugins_document(registry: Registry) -> dict[str, Any]:
    """The `--json` document: plugins, registrations per category, load errors."""
    counts: dict[str, int] = {}
    registrations: dict[str, list[dict[str, str]]] = {}
    for category in CATEGORY_TITLES:
        rows = []
        for name, reg in sorted(registry.entries.get(category, {}).items()):
            counts[reg.plugin] = counts.get(reg.plugin, 0) + 1
            rows.append(
                {
                    "name": name,
                    "plugin": reg.plugin,
                    "distribution": reg.distribution,
                    "description": _description(reg.spec),
                }
            )
        registrations[category] = rows
    plugins = [
        {
            "name": p.name,
            "distribution": p.distribution,
            "version": p.version,
            "registrations": counts.get(p.name, 0),
        }
        for p in registry.plugins
    ]
    errors = [
        {"plugin": e.plugin, "distribution": e.distribution, "reason": e.reason}
        for e in registry.errors
    ]
    return {"plugins": plugins, "registrations": registrations, "errors": errors}


def render_plugins(doc: dict[str, Any]) -> str:
    lines = [f"Installed plugins ({len(doc['plugins'])}):"]
    for p in doc["plugins"]:
        dist = p["distribution"] + (f" {p['version']}" if p["version"] else "")
        note = "  — registers nothing yet" if p["registrations"] == 0 else ""
        lines.append(f"  {p['name']:<20}  {dist}{note}")
    for category, title in CATEGORY_TITLES.items():
        rows = doc["registrations"][category]
        lines += ["", f"{title} ({len(rows)}):"]
        if not rows:
            lines.append("  (none)")
        for row in rows:
            origin = f"{row['plugin']} ({row['distribution']})"
            text = f"  {row['name']:<30}  {origin:<32}  {row['description']}"
            lines.append(text.rstrip())
    if doc["errors"]:
        lines += ["", f"Failed to load ({len(doc['errors'])}):"]
        lines += [f"  {e['plugin']} ({e['distribution']}): {e['reason']}" for e in doc["errors"]]
    return "\n".join(lines) + "\n"


def run_plugins(*, json_out: bool = False) -> int:
    doc = plugins_document(cli_registry())
    if json_out:
        print(json.dumps(doc, indent=2))
    else:
        print(render_plugins(doc), end="")
    return 0
