"""tracker: pipeline orchestration for multi-agent LLM workflows."""

__version__ = "0.1.0"
