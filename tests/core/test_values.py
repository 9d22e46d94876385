"""Value syntax shared by the parser, adapter and formatter (spec/dippin.md §2.7)."""

from __future__ import annotations

import pytest
from tracker.dippin.values import (
    format_duration_go,
    format_duration_short,
    parse_bool,
    parse_duration,
    parse_float,
    parse_int,
)

S = 1_000_000_000
M = 60 * S
H = 60 * M


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        ("0", 0),
        ("30s", 30 * S),
        ("5m", 5 * M),
        ("1h30m", H + 30 * M),
        ("1h30m15s", H + 30 * M + 15 * S),
        ("1.5s", 1_500_000_000),
        (".5s", 500_000_000),
        ("1.s", S),
        ("500ms", 500_000_000),
        ("250us", 250_000),
        ("250\u00b5s", 250_000),
        ("250\u03bcs", 250_000),
        ("42ns", 42),
        ("-2m", -2 * M),
        ("+3s", 3 * S),
        ("1m1m", 2 * M),
        ("2562047h47m16.854775807s", (1 << 63) - 1),
    ],
)
def test_parse_duration_accepts_go_syntax(text: str, ns: int) -> None:
    assert parse_duration(text) == ns


@pytest.mark.parametrize(
    "text",
    ["", "30", "1.5", "1d", "2 weeks", "1h 30m", "s", ".s", "--1s", "+", "1x", "5m!", "2562048h"],
)
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize(
    ("ns", "go", "short"),
    [
        (0, "0s", "0s"),
        (5 * M, "5m0s", "5m"),
        (H, "1h0m0s", "1h"),
        (90 * S, "1m30s", "1m30s"),
        (H + 30 * S, "1h0m30s", "1h30s"),
        (500_000_000, "500ms", "500ms"),
        (1_500_000_000, "1.5s", "1.5s"),
        (1_500, "1.5\u00b5s", "1.5\u00b5s"),
        (7, "7ns", "7ns"),
        (-61 * S, "-1m1s", "-1m1s"),
        (26 * H, "26h0m0s", "26h"),
    ],
)
def test_duration_rendering(ns: int, go: str, short: str) -> None:
    assert format_duration_go(ns) == go
    assert format_duration_short(ns) == short


@pytest.mark.parametrize("text", ["1h30m", "45s", "1.25s", "3ms", "0"])
def test_go_rendering_round_trips(text: str) -> None:
    ns = parse_duration(text)
    assert parse_duration(format_duration_go(ns)) == ns
    assert parse_duration(format_duration_short(ns)) == ns


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("true", True),
        ("TRUE", True),
        (" yes ", True),
        ("On", True),
        ("1", True),
        ("false", False),
        ("No", False),
        ("off", False),
        ("0", False),
    ],
)
def test_parse_bool_is_strict_but_case_insensitive(text: str, value: bool) -> None:
    assert parse_bool(text) is value


@pytest.mark.parametrize("text", ["", "maybe", "y", "t", "2", "truthy", "nope"])
def test_parse_bool_rejects_anything_else(text: str) -> None:
    with pytest.raises(ValueError):
        parse_bool(text)


@pytest.mark.parametrize(("text", "value"), [("0", 0), ("42", 42), ("-7", -7), ("+3", 3)])
def test_parse_int_is_go_atoi(text: str, value: int) -> None:
    assert parse_int(text) == value


@pytest.mark.parametrize("text", ["", "3.0", "1e3", "1_000", " 4", "4 ", "0x10", "many", "9" * 20])
def test_parse_int_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_int(text)


@pytest.mark.parametrize(
    ("text", "value"), [("0.8", 0.8), ("1e-1", 0.1), ("3", 3.0), (".5", 0.5), ("-2.5", -2.5)]
)
def test_parse_float(text: str, value: float) -> None:
    assert parse_float(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["", "high", "1,5", "1e999", "0.5.1"])
def test_parse_float_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_float(text)
