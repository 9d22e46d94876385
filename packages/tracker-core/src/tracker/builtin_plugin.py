"""Core's own plugin: the built-in handlers, lint rules and workflows, registered through
the same hooks a third-party package uses."""

from __future__ import annotations

from tracker.plugins import EventSinkSpec, HandlerSpec, ProviderSpec, hookimpl

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


#: handler name -> (module, class): imported only when the handler is first built
HANDLER_CLASSES: dict[str, tuple[str, str]] = {
    "start": ("tracker.handlers.basic", "StartHandler"),
    "exit": ("tracker.handlers.basic", "ExitHandler"),
    "conditional": ("tracker.handlers.basic", "ConditionalHandler"),
    "codergen": ("tracker.handlers.codergen", "CodergenHandler"),
    "wait.human": ("tracker.handlers.human", "HumanHandler"),
    "tool": ("tracker.handlers.tool", "ToolHandler"),
    "parallel": ("tracker.handlers.parallel", "ParallelHandler"),
    "parallel.fan_in": ("tracker.handlers.parallel", "FanInHandler"),
    "subgraph": ("tracker.handlers.subgraph", "SubgraphHandler"),
    "stack.manager_loop": ("tracker.handlers.manager_loop", "ManagerLoopHandler"),
}


class _MissingHandler:
    """Stands in for a handler whose module is not installed yet: fails when used."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self._reason = reason

    async def execute(self, node, env):
        from tracker.engine.handler import HandlerError

        raise HandlerError(f"handler {self.name} is not available yet ({self._reason})")


def _handler_factory(name: str):
    def factory(*args, **kwargs):
        import importlib

        module_name, class_name = HANDLER_CLASSES[name]
        try:
            module = importlib.import_module(module_name)
            cls = getattr(module, class_name)
        except (ImportError, AttributeError) as exc:
            if isinstance(exc, ImportError) and exc.name not in (module_name, None):
                raise
            return _MissingHandler(name, f"{module_name}.{class_name} not found")
        return cls(*args, **kwargs)

    return factory


@hookimpl
def register_handlers(register) -> None:
    for name, (kinds, shapes, description) in BUILTIN_HANDLERS.items():
        register(
            HandlerSpec(
                name=name,
                kinds=kinds,
                shapes=shapes,
                description=description,
                factory=_handler_factory(name),
            )
        )


@hookimpl
def register_lint_rules(register) -> None:
    from tracker.lint.rules import CORE_RULES

    for rule in CORE_RULES:
        register(rule)


@hookimpl
def register_workflows(register) -> None:
    from tracker.builtin_workflows import builtin_workflow_specs

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


@hookimpl
def register_gate_uis(register) -> None:
    from tracker.gates.plugin import register_gate_uis as register_core_gate_uis

    register_core_gate_uis(register)


def _backend_factory(module_name: str):
    def factory(env=None):
        import importlib

        return importlib.import_module(module_name).create(env)

    return factory


@hookimpl
def register_backends(register) -> None:
    from tracker.plugins import BackendSpec

    register(
        BackendSpec(
            name="native",
            factory=_backend_factory("tracker.backends.native"),
            description="tracker's own agent session on the configured LLM providers",
        )
    )
    register(
        BackendSpec(
            name="claude-code",
            factory=_backend_factory("tracker.backends.claude_code"),
            description="the `claude` CLI (Claude Code) as the agent",
        )
    )


def _activity_log_factory(run_dir=None, config=None):
    """The run directory's activity.jsonl (none when the run keeps no directory)."""
    if run_dir is None:
        return None
    from tracker.engine.activity import ActivityLog

    return ActivityLog(run_dir)


@hookimpl
def register_event_sinks(register) -> None:
    register(
        EventSinkSpec(
            name="activity-log",
            factory=_activity_log_factory,
            description="append every event to <run dir>/activity.jsonl",
        )
    )
