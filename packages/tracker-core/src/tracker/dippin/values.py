"""Scalar value parsing shared by the Dippin parser, the adapter and the formatter.

Dippin inherits Go's value syntax (spec/dippin.md §2.7): durations are Go durations in
integer nanoseconds, integers follow `strconv.Atoi`, booleans are strict. Keeping the rules
in one module means every consumer agrees on what `30` or `yes` means.
"""

from __future__ import annotations

import math
import re

NS = 1
US = 1_000
MS = 1_000_000
SECOND = 1_000_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE

_INT64_MAX = (1 << 63) - 1

_UNITS: dict[str, int] = {
    "ns": NS,
    "us": US,
    "\u00b5s": US,  # micro sign
    "\u03bcs": US,  # Greek mu
    "ms": MS,
    "s": SECOND,
    "m": MINUTE,
    "h": HOUR,
}

_NUMBER = re.compile(r"([0-9]*)(?:\.([0-9]*))?")

_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})

_ATOI = re.compile(r"[+-]?[0-9]+")
_DECIMAL_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_SPECIAL_FLOAT = re.compile(r"[+-]?(?:inf|infinity|nan)", re.IGNORECASE)
_HEX_FLOAT = re.compile(r"[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?[0-9]+")


def parse_duration(s: str) -> int:
    """Parse a Go duration (`1h30m`, `1.5s`, `-2m`, `0`) into nanoseconds.

    Raises ValueError for anything Go's `time.ParseDuration` rejects: a bare number other
    than `0`, a missing or unknown unit (`d` is not a unit), or an out-of-range value.
    """
    if not isinstance(s, str):
        raise ValueError(f"invalid duration {s!r}")
    rest = s
    negative = False
    if rest and rest[0] in "+-":
        negative = rest[0] == "-"
        rest = rest[1:]
    if rest == "0":
        return 0
    if not rest:
        raise ValueError(f"invalid duration {s!r}")
    total = 0
    while rest:
        m = _NUMBER.match(rest)
        whole = m.group(1) if m else ""
        frac = (m.group(2) or "") if m else ""
        if not whole and not frac:
            raise ValueError(f"invalid duration {s!r}")
        rest = rest[m.end() :] if m else rest
        i = 0
        while i < len(rest) and rest[i] != "." and not ("0" <= rest[i] <= "9"):
            i += 1
        unit_text = rest[:i]
        rest = rest[i:]
        if not unit_text:
            raise ValueError(f"missing unit in duration {s!r}")
        unit = _UNITS.get(unit_text)
        if unit is None:
            raise ValueError(f"unknown unit {unit_text!r} in duration {s!r}")
        value = int(whole or "0") * unit
        if frac:
            value += int(frac) * unit // (10 ** len(frac))
        total += value
        if total > _INT64_MAX + (1 if negative else 0):
            raise ValueError(f"invalid duration {s!r} (out of range)")
    return -total if negative else total


def _frac_digits(value: int, precision: int) -> tuple[str, int]:
    """Split `value` into (".ddd" with trailing zeros dropped, value // 10**precision)."""
    digits = ""
    printed = False
    for _ in range(precision):
        digit = value % 10
        printed = printed or digit != 0
        if printed:
            digits = str(digit) + digits
        value //= 10
    return ("." + digits if printed else ""), value


def format_duration_go(ns: int) -> str:
    """Render nanoseconds exactly like Go's `time.Duration.String()` (`5m0s`, `1h0m0s`,
    `500ms`, `1.5µs`, `0s`). tracker's graph attributes carry this form."""
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    u = abs(ns)
    if u < SECOND:
        if u < US:
            return f"{sign}{u}ns"
        if u < MS:
            frac, whole = _frac_digits(u, 3)
            return f"{sign}{whole}{frac}\u00b5s"
        frac, whole = _frac_digits(u, 6)
        return f"{sign}{whole}{frac}ms"
    frac, secs = _frac_digits(u, 9)
    out = f"{secs % 60}{frac}s"
    mins = secs // 60
    if mins > 0:
        out = f"{mins % 60}m" + out
        hours = mins // 60
        if hours > 0:
            out = f"{hours}h" + out
    return sign + out


def format_duration_short(ns: int) -> str:
    """The formatter's duration form: Go's rendering with zero parts dropped
    (`90s` → `1m30s`, `1h` not `1h0m0s`, `500ms`, `0s` for zero)."""
    text = format_duration_go(ns)
    if ns == 0 or abs(ns) < SECOND:
        return text
    sign = "-" if text.startswith("-") else ""
    body = text.lstrip("-")
    parts = re.findall(r"([0-9.]+)([hms])", body)
    kept = [f"{num}{unit}" for num, unit in parts if float(num) != 0]
    return sign + ("".join(kept) or "0s")


def parse_bool(s: str) -> bool:
    """Strict boolean (dippin v0.29+): true/1/yes/on or false/0/no/off, any case,
    surrounding spaces ignored. Anything else is an error, never a silent false."""
    word = s.strip().lower() if isinstance(s, str) else ""
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError(f"invalid boolean {s!r} (use true or false)")


def parse_int(s: str) -> int:
    """Go `strconv.Atoi`: optional sign then decimal digits, 64-bit range, no spaces or
    underscores."""
    if not isinstance(s, str) or not _ATOI.fullmatch(s):
        raise ValueError(f"invalid integer {s!r}")
    n = int(s)
    if n > _INT64_MAX or n < -_INT64_MAX - 1:
        raise ValueError(f"integer {s!r} out of range")
    return n


def parse_float(s: str) -> float:
    """Go `strconv.ParseFloat(s, 64)` for the forms that appear in practice: decimal with
    optional exponent, hex floats, inf/infinity/nan. Out-of-range values are errors."""
    if not isinstance(s, str):
        raise ValueError(f"invalid float {s!r}")
    if _SPECIAL_FLOAT.fullmatch(s):
        return float(s)
    if _HEX_FLOAT.fullmatch(s):
        value = float.fromhex(s)
    elif _DECIMAL_FLOAT.fullmatch(s):
        value = float(s)
    else:
        raise ValueError(f"invalid float {s!r}")
    if math.isinf(value):
        raise ValueError(f"float {s!r} out of range")
    return value
