"""Core's own plugin: the built-in handlers, lint rules and workflows, registered through
the same hooks a third-party package uses."""

from __future__ import annotations

from tracker.plugins import HandlerSpec, ProviderSpec, WorkflowSpec, hookimpl

#: handler name -> (Dippin kinds, DOT shapes, description)
BUILTIN_HANDLERS: dict[str, tuple[list[str], list[str], str]] = {
    "start": ([], ["Mdiamond"], "pipeline entry point"),
    "exit": ([], ["Msquare"], "pipeline exit point"),
    "codergen": (["agent"], ["box"], "LLM agent session"),
    "wait.human": (["human"], ["hexagon"], "human gate"),
    "tool": (["tool"], ["parallelogram"], "shell command"),
    "parallel": (["parallel"], ["component"], "parallel fan-out"),
    "parallel.fan_in": (["fan_in"], ["tripleoctagon"], "parallel join"),
    "subgraph": (["subgraph"], ["tab"], "nested pipeline"),
    "conditional": (["conditional"], ["diamond"], "routing-only node"),
    "stack.manager_loop": (["manager_loop"], ["house"], "supervised child pipeline loop"),
}


@hookimpl
def register_handlers(register) -> None:
    for name, (kinds, shapes, description) in BUILTIN_HANDLERS.items():
        register(HandlerSpec(name=name, kinds=kinds, shapes=shapes, description=description))


@hookimpl
def register_lint_rules(register) -> None:
    from tracker.lint.rules import CORE_RULES

    for rule in CORE_RULES:
        register(rule)


@hookimpl
def register_workflows(register) -> None:
    from tracker.workflows import builtin_workflow_specs

    for spec in builtin_workflow_specs():
        register(spec)


def _scripted_factory(config=None):
    from tracker.llm.scripted import create_provider

    return create_provider(config)


@hookimpl
def register_providers(register) -> None:
    register(
        ProviderSpec(
            name="scripted",
            factory=_scripted_factory,
            env_keys=["TRACKER_SCRIPTED_FILE"],
            description="deterministic replies from a script file (offline pipeline tests)",
        )
    )
