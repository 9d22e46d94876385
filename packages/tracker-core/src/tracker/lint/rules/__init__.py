"""Core's lint rule pack (DIP001–DIP010, DIP1xx, TRK1xx), in the reference's pass order.

Each code is one `LintRule`; `order` reproduces the reference's output order (spec
§8 for the structural checks, §18 for lint). Cross-file codes (DIP146, DIP160 and the
deep DIP143) need the filesystem and live in `tracker.lint.crossfile`.
"""

from tracker.plugins import LintRule

from . import nodes, routing, shell, structural, tool_safety, tracker_codes, variables  # noqa: F401
from ._base import RULES

#: Structural validation order (spec §8).
VALIDATE_ORDER = [
    "DIP008", "DIP001", "DIP002", "DIP003", "DIP006",
    "DIP009", "DIP004", "DIP005", "DIP007", "DIP010",
]  # fmt: skip

#: Lint pass order (spec §18), then the later passes in code order, then tracker's own.
LINT_ORDER = [
    "DIP101", "DIP102", "DIP103", "DIP104", "DIP105", "DIP106", "DIP107", "DIP108",
    "DIP109", "DIP110", "DIP111", "DIP112", "DIP113", "DIP134", "DIP114", "DIP115",
    "DIP116", "DIP119", "DIP120", "DIP117", "DIP118", "DIP121", "DIP122", "DIP123",
    "DIP124", "DIP125", "DIP126", "DIP135", "DIP136", "DIP137", "DIP127", "DIP128",
    "DIP129", "DIP130", "DIP131", "DIP132", "DIP133", "DIP139", "DIP140", "DIP141",
    "DIP142", "DIP143", "DIP144", "DIP145", "DIP147", "DIP148", "DIP149", "DIP150",
    "DIP151", "DIP152", "DIP153", "DIP154", "DIP155", "DIP156", "DIP157", "DIP158",
    "DIP159", "TRK101", "TRK102",
]  # fmt: skip

#: code -> pass position; validate codes sort before every lint code
PASS_ORDER: dict[str, float] = {
    **{code: float(i + 1) for i, code in enumerate(VALIDATE_ORDER)},
    **{code: float(100 + i) for i, code in enumerate(LINT_ORDER)},
}


def _build() -> list[LintRule]:
    missing = set(PASS_ORDER) ^ set(RULES)
    if missing:  # a rule module and the order table disagree: a bug in core
        raise RuntimeError(f"core lint rules and PASS_ORDER disagree on {sorted(missing)}")
    return [
        LintRule(
            code=code,
            severity=RULES[code].severity,
            check=RULES[code].check,
            description=RULES[code].description,
            order=PASS_ORDER[code],
            origin=RULES[code].origin,
        )
        for code in sorted(PASS_ORDER, key=PASS_ORDER.__getitem__)
    ]


CORE_RULES: list[LintRule] = _build()

__all__ = ["CORE_RULES", "LINT_ORDER", "PASS_ORDER", "VALIDATE_ORDER"]
