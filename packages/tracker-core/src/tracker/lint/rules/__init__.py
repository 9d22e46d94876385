"""Core's lint rule pack (DIP001–DIP010, DIP1xx, TRK1xx), in the reference's pass order."""

from tracker.plugins import LintRule

CORE_RULES: list[LintRule] = []
