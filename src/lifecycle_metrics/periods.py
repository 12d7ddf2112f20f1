"""The only module that knows months, time zones and `as_of`.

Every timestamp is stored as a naive UTC instant. Converting a local wall-clock time to UTC
follows SPEC §2 and never the engine's own rules: a local time that does not exist (clock moved
forward) is moved forward by the gap, one that occurs twice takes its first occurrence — the
same as Python's ``zoneinfo`` with ``fold=0``. The offsets are computed here, in Python, and
handed to the engine as a balanced tree of comparisons, so every backend agrees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import ibis
import ibis.expr.types as ir

from lifecycle_metrics.errors import UsageError

# Offsets are tabulated over these years; instants outside keep the offset in force at the edge.
FIRST_YEAR = 1970
LAST_YEAR = 2070
MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")


def zone(name: str) -> ZoneInfo:
    """The IANA time zone called `name`, or a usage error naming it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            f"unknown time zone {name!r}: expected an IANA name such as UTC or Europe/Paris"
        ) from None


@dataclass(frozen=True)
class Segment:
    """From `start` on (naive; local or UTC as the table says), `offset_seconds` applies."""

    start: datetime
    offset_seconds: int


def _offset(tz: ZoneInfo, utc: datetime) -> int:
    local = utc.replace(tzinfo=UTC).astimezone(tz)
    delta = local.utcoffset()
    return int(delta.total_seconds()) if delta is not None else 0


@lru_cache(maxsize=32)
def _transitions(tz_name: str) -> tuple[tuple[datetime, int, int], ...]:
    """(UTC instant, offset before, offset after) of every offset change in the tabulated years."""
    tz = zone(tz_name)
    found: list[tuple[datetime, int, int]] = []
    day = datetime(FIRST_YEAR, 1, 1)
    end = datetime(LAST_YEAR + 1, 1, 1)
    previous = _offset(tz, day)
    while day < end:
        following = day + timedelta(days=1)
        after = _offset(tz, following)
        if after != previous:
            low, high = day, following  # offset(low) == previous, offset(high) == after
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                middle = middle.replace(microsecond=0)
                if _offset(tz, middle) == previous:
                    low = middle
                else:
                    high = middle
            found.append((high, previous, after))
            previous = after
        day = following
    return tuple(found)


Years = tuple[int, int]
ALL_YEARS: Years = (FIRST_YEAR, LAST_YEAR)


@dataclass(frozen=True)
class ReportZone:
    """The report time zone and the years the data spans (which bound the offset table)."""

    name: str = "UTC"
    years: Years = ALL_YEARS


def _in_years(tz_name: str, years: Years) -> tuple[int, list[tuple[datetime, int, int]]]:
    """The offset in force when `years` begin and the transitions inside them."""
    first_year, last_year = max(years[0], FIRST_YEAR), min(years[1], LAST_YEAR)
    begin, end = datetime(first_year, 1, 1), datetime(last_year + 1, 1, 1)
    return (
        _offset(zone(tz_name), begin),
        [t for t in _transitions(tz_name) if begin <= t[0] < end],
    )


@lru_cache(maxsize=128)
def utc_segments(tz_name: str, years: Years = ALL_YEARS) -> tuple[Segment, ...]:
    """Offsets by UTC instant: from each segment's UTC start, local = UTC + offset."""
    first, transitions = _in_years(tz_name, years)
    segments = [Segment(datetime.min, first)]
    segments += [Segment(at, after) for at, _, after in transitions]
    return tuple(segments)


@lru_cache(maxsize=128)
def local_segments(tz_name: str, years: Years = ALL_YEARS) -> tuple[Segment, ...]:
    """Offsets by local wall time, with SPEC's rule for gaps and repeated hours.

    A transition at UTC instant T from offset a to b starts to apply at local time
    T + max(a, b): in a gap the earlier offset moves the time forward by the gap; in a
    repeated hour the earlier offset gives the first occurrence. Only transitions within
    `years` are used (instants outside keep the offset at the edge), which keeps the
    expression small: pass the years the data spans.
    """
    first, transitions = _in_years(tz_name, years)
    segments = [Segment(datetime.min, first)]
    for at, before, after in transitions:
        segments.append(Segment(at + timedelta(seconds=max(before, after)), after))
    return tuple(segments)


def _shift_tree(value: ir.TimestampValue, segments: tuple[Segment, ...], sign: int) -> ir.Value:
    """`value + sign * offset`, the offset picked by a balanced tree of comparisons."""
    if len(segments) == 1:
        seconds = sign * segments[0].offset_seconds
        return value if seconds == 0 else value + ibis.interval(seconds=seconds)
    middle = len(segments) // 2
    boundary = ibis.literal(segments[middle].start, type="timestamp")
    return ibis.ifelse(
        value < boundary,
        _shift_tree(value, segments[:middle], sign),
        _shift_tree(value, segments[middle:], sign),
    )


def local_to_utc(
    value: ir.TimestampValue, tz_name: str, years: Years = ALL_YEARS
) -> ir.TimestampValue:
    """The UTC instant of a naive local wall-clock time in zone `tz_name` (SPEC §2 rules)."""
    result = _shift_tree(value, local_segments(tz_name, years), -1)
    return result


def utc_to_local(
    value: ir.TimestampValue, tz_name: str, years: Years = ALL_YEARS
) -> ir.TimestampValue:
    """The local wall-clock time in zone `tz_name` of a naive UTC instant."""
    result = _shift_tree(value, utc_segments(tz_name, years), +1)
    return result


def month_index(
    utc_value: ir.TimestampValue, tz_name: str, years: Years = ALL_YEARS
) -> ir.IntegerValue:
    """The month (year × 12 + month − 1) in zone `tz_name` holding each UTC instant."""
    local = utc_to_local(utc_value, tz_name, years)
    return (local.year() * 12 + local.month() - 1).cast("int64")


def python_local_to_utc(local: datetime, tz_name: str) -> datetime:
    """Plain-Python twin of :func:`local_to_utc` (fold=0), for spines and tests."""
    aware = local.replace(tzinfo=zone(tz_name), fold=0)
    return aware.astimezone(UTC).replace(tzinfo=None)


def python_utc_to_local(utc: datetime, tz_name: str) -> datetime:
    """Plain-Python twin of :func:`utc_to_local`."""
    return utc.replace(tzinfo=UTC).astimezone(zone(tz_name)).replace(tzinfo=None)


# ---------------------------------------------------------------------------------------------
# Months


def month_label(index: int) -> str:
    """'YYYY-MM' of a month index.

    >>> month_label(24290)
    '2024-03'
    """
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def parse_month(text: str, *, option: str = "month") -> int:
    """The month index of 'YYYY-MM', or a usage error naming the option.

    >>> parse_month("2024-03")
    24290
    >>> parse_month("2024-13", option="--month")
    Traceback (most recent call last):
    ...
    lifecycle_metrics.errors.UsageError: --month '2024-13' is not a month: expected YYYY-MM, ...
    """
    match = MONTH_PATTERN.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise UsageError(f"{option} {text!r} is not a month: expected YYYY-MM, e.g. 2024-03")
    if not FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR:
        raise UsageError(
            f"{option} {text!r}: the year must lie between {FIRST_YEAR} and {LAST_YEAR}"
        )
    return int(match.group(1)) * 12 + int(match.group(2)) - 1


def month_start_utc(index: int, tz_name: str) -> datetime:
    """start(m): the UTC instant of local midnight on the first day of month `index`.

    >>> month_start_utc(parse_month("2024-07"), "Europe/Paris")
    datetime.datetime(2024, 6, 30, 22, 0)
    """
    return python_local_to_utc(datetime(index // 12, index % 12 + 1, 1), tz_name)


def month_of_utc(utc: datetime, tz_name: str) -> int:
    """The month index holding a UTC instant, in zone `tz_name`."""
    local = python_utc_to_local(utc, tz_name)
    return local.year * 12 + local.month - 1


def parse_instant(text: str, tz_name: str, *, option: str = "--as-of") -> datetime:
    """A user-given instant ('YYYY-MM-DD[ HH:MM[:SS]][offset]') as naive UTC."""
    raw = text.strip()
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"{option} {text!r} is not a timestamp: expected ISO 8601, e.g. 2024-03-31 or "
            "2024-03-31T23:59:59+02:00"
        ) from None
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        raise UsageError(
            f"{option} {text!r}: the year must lie between {FIRST_YEAR} and {LAST_YEAR}"
        )
    if parsed.tzinfo is not None:
        return parsed.astimezone(UTC).replace(tzinfo=None)
    return python_local_to_utc(parsed, tz_name)


def parse_span(
    first_month: str | None, last_month: str | None, as_of: str | datetime | None, tz_name: str
) -> tuple[int | None, int | None, datetime | None]:
    """`--from`, `--to` and `--as-of` as month indexes and a naive UTC instant (None: unset)."""
    first = parse_month(first_month, option="--from") if first_month else None
    last = parse_month(last_month, option="--to") if last_month else None
    instant = parse_instant(as_of, tz_name) if isinstance(as_of, str) else as_of
    return first, last, instant


def days_between(start: ir.TimestampValue, end: ir.TimestampValue) -> ir.FloatingValue:
    """Fractional days from `start` to `end` (seconds / 86,400, to the microsecond)."""
    return end.delta(start, unit="microsecond") / 86_400_000_000


def within_days(start: ir.TimestampValue, end: ir.TimestampValue, days: int) -> ir.BooleanValue:
    """True when `end` lies at most `days` × 24 hours after `start` (SPEC's 'within N days')."""
    return end <= start + ibis.interval(hours=24 * days)
