"""Timestamps and durations as the inspection reports show them.

The activity log has used two timestamp spellings (RFC 3339 with nanoseconds, and with
milliseconds); both parse here. Reports print RFC 3339 with trailing fraction zeros trimmed
(Go's `RFC3339Nano`), durations as integer nanoseconds in JSON and in the CLI's short
`850ms` / `4.2s` / `3m07s` form."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

#: Go's zero `time.Time`: what a checkpoint without a timestamp carries
ZERO_TIME = datetime(1, 1, 1, tzinfo=UTC)

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$"
)


def parse_timestamp(text: str) -> datetime | None:
    """An aware datetime for an RFC 3339 stamp (fraction optional, up to 9 digits, kept to
    the microsecond), or None when `text` is not one."""
    m = _RFC3339.match(text) if isinstance(text, str) else None
    if m is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    frac, zone = m.group(7) or "", m.group(8)
    if zone == "Z":
        tz = UTC
    else:
        hours, minutes = int(zone[1:3]), int(zone[4:6])
        if hours > 23 or minutes > 59:
            return None
        offset = timedelta(hours=hours, minutes=minutes)
        tz = timezone(-offset if zone[0] == "-" else offset)
    try:
        return datetime(
            year, month, day, hour, minute, second, int((frac + "000000")[:6]), tzinfo=tz
        )
    except ValueError:
        return None


def format_rfc3339(ts: datetime) -> str:
    """RFC 3339 with the fraction's trailing zeros dropped and `Z` for a zero offset."""
    text = (
        f"{ts.year:04d}-{ts.month:02d}-{ts.day:02d}T{ts.hour:02d}:{ts.minute:02d}:{ts.second:02d}"
    )
    if ts.microsecond:
        text += "." + f"{ts.microsecond:06d}".rstrip("0")
    return text + _offset(ts, colon=True)


def zone_label(ts: datetime) -> str:
    """The zone column of `2026-04-17 11:00:00 UTC`: `UTC` for a zero offset, the local
    zone's abbreviation when the offset is the local one, else `+hhmm`."""
    offset = ts.utcoffset() or timedelta(0)
    if not offset:
        return "UTC"
    try:
        local = ts.astimezone()
    except (OverflowError, ValueError, OSError):
        local = None
    if local is not None and local.utcoffset() == offset and local.tzname():
        return str(local.tzname())
    return _offset(ts, colon=False)


def _offset(ts: datetime, *, colon: bool) -> str:
    offset = ts.utcoffset() or timedelta(0)
    if not offset:
        return "Z" if colon else "+0000"
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    sep = ":" if colon else ""
    return f"{sign}{minutes // 60:02d}{sep}{minutes % 60:02d}"


def delta_ns(later: datetime, earlier: datetime) -> int:
    """`later - earlier` in integer nanoseconds (exact: datetimes hold microseconds)."""
    d = later - earlier
    return ((d.days * 86_400 + d.seconds) * 1_000_000 + d.microseconds) * 1_000


def format_elapsed(ns: int) -> str:
    """`850ms` under a second, `4.2s` under a minute, else `3m07s` (truncated minutes)."""
    if ns < 1_000_000_000:
        return f"{_trunc_div(ns, 1_000_000)}ms"
    if ns < 60_000_000_000:
        return f"{ns / 1e9:.1f}s"
    seconds = ns // 1_000_000_000
    return f"{seconds // 60}m{seconds % 60:02d}s"


def _trunc_div(a: int, b: int) -> int:
    q = abs(a) // b
    return -q if a < 0 else q
