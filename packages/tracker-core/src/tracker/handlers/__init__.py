"""Built-in node handlers. Each module exposes one handler class; the registry's factories
(tracker.builtin_plugin) import them lazily, so unused handlers cost nothing."""
