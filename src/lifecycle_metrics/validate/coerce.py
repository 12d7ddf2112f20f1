"""Read one raw column as its canonical type: the typed value, whether it is empty, whether bad.

Works on any source type: text from CSV, or typed columns from Parquet and databases. The
expressions are Ibis, so the same reading runs on every backend.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from lifecycle_metrics.periods import ReportZone, local_to_utc
from lifecycle_metrics.schema import Column, ColumnType

TRUE_WORDS = ("true", "1", "yes")
FALSE_WORDS = ("false", "0", "no")
TIMESTAMP_PATTERN = (
    r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?"
    r" ?(Z|z|[+-]\d{2}(?::?\d{2})?)?$"
)
OFFSET_PATTERN = r"^([+-])(\d{2}):?(\d{2})?$"
MONTH_TEXT_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
INTEGER_TEXT_PATTERN = r"^[+-]?\d+(\.0*)?$"


@dataclass(frozen=True)
class Coerced:
    """A column read as its canonical type."""

    value: ir.Value  # typed; NULL where empty or invalid
    empty: ir.BooleanValue  # nothing was given
    invalid: ir.BooleanValue  # something was given that is not a valid value
    expected: str  # what a valid value looks like, for messages


def trimmed(text: ir.StringValue) -> ir.StringValue:
    r"""Text without leading and trailing white space, the same on every engine.

    Ibis's strip() passes its characters as a literal with \v and \f escapes that Spark SQL
    reads as the letters v and f, so 'false' lost its f there; a regular expression does not.
    """
    return text.re_replace(r"^\s+|\s+$", "")


def _text(raw: ir.Value, trim: bool) -> ir.StringValue:
    """Text, trimmed when read from a text file; NULL when empty."""
    text: ir.StringValue = raw.cast("string")
    if trim:
        text = trimmed(text)
    return text.nullif("")


def _is_text(raw: ir.Value) -> bool:
    return raw.type().is_string()


def _parse_timestamp_text(text: ir.StringValue, zone: ReportZone) -> ir.TimestampValue:
    def group(index: int) -> ir.StringValue:
        return text.re_extract(TIMESTAMP_PATTERN, index).nullif("")

    fraction = group(4).substr(0, 6)
    wall = (
        group(1)
        + " "
        + group(2).fill_null("00:00")
        + ":"
        + group(3).fill_null("00")
        + ("." + fraction).fill_null("")
    )
    local: ir.TimestampValue = wall.try_cast("timestamp")
    zone_text = group(5)
    offset_match = zone_text.upper().re_search(OFFSET_PATTERN)
    hours = zone_text.re_extract(OFFSET_PATTERN, 2).nullif("").try_cast("int64")
    minutes = zone_text.re_extract(OFFSET_PATTERN, 3).nullif("").try_cast("int64").fill_null(0)
    sign = ibis.ifelse(zone_text.re_extract(OFFSET_PATTERN, 1) == "-", -1, 1)
    offset_seconds = sign * (hours * 3600 + minutes * 60)
    with_offset = local - offset_seconds.as_interval("s")
    result = ibis.cases(
        (zone_text.isnull(), local_to_utc(local, zone.name, zone.years)),
        (zone_text.upper() == "Z", local),
        (offset_match & (hours <= 18) & (minutes <= 59), with_offset),
        else_=ibis.null("timestamp"),
    )
    return result


def _timestamp(
    raw: ir.Value, zone: ReportZone, trim: bool
) -> tuple[ir.Value, ir.BooleanValue, ir.BooleanValue]:
    kind = raw.type()
    if isinstance(kind, dt.Timestamp):
        if kind.timezone is not None:
            value = raw.cast(dt.Timestamp())  # the session zone is UTC, so this is UTC
        else:
            value = local_to_utc(raw, zone.name, zone.years)
        return value, raw.isnull(), ibis.literal(False)
    if isinstance(kind, dt.Date):
        value = local_to_utc(raw.cast("timestamp"), zone.name, zone.years)
        return value, raw.isnull(), ibis.literal(False)
    text = _text(raw, trim)
    parsed = ibis.ifelse(
        text.re_search(TIMESTAMP_PATTERN),
        _parse_timestamp_text(text, zone),
        ibis.null("timestamp"),
    )
    return parsed, text.isnull(), text.notnull() & parsed.isnull()


def _number(raw: ir.Value, trim: bool) -> tuple[ir.Value, ir.BooleanValue, ir.BooleanValue]:
    if raw.type().is_numeric() or raw.type().is_boolean():
        number: ir.FloatingValue = raw.cast("float64")
        empty = raw.isnull()
    else:
        text = _text(raw, trim)
        number = text.try_cast("float64")
        empty = text.isnull()
    finite = number.notnull() & ~number.isnan() & ~number.isinf()
    value = ibis.ifelse(finite, number, ibis.null("float64"))
    return value, empty, ~empty & ~finite


def coerce(raw: ir.Value, column: Column, zone: ReportZone, *, trim: bool = True) -> Coerced:
    """Read `raw` as `column`'s canonical type (SPEC §2); `trim` text read from CSV."""
    kind = column.type
    if kind in (ColumnType.ID, ColumnType.ENUM):
        text = _text(raw, trim)
        if kind is ColumnType.ID:
            return Coerced(text, text.isnull(), ibis.literal(False), "an identifier")
        allowed = ibis.literal(False) if not column.values else text.isin(column.values)
        invalid = text.notnull() & ~allowed
        expected = "one of " + ", ".join(column.values)
        return Coerced(
            ibis.ifelse(invalid, ibis.null("string"), text), text.isnull(), invalid, expected
        )
    if kind is ColumnType.TEXT:
        text_value: ir.StringValue = raw.cast("string")
        empty = text_value.isnull() | (trimmed(text_value) == "")
        return Coerced(
            ibis.ifelse(empty, ibis.null("string"), text_value), empty, ibis.literal(False), "text"
        )
    if kind is ColumnType.BOOLEAN:
        if raw.type().is_boolean():
            return Coerced(
                raw.fill_null(False), raw.isnull(), ibis.literal(False), "true/false, 1/0 or yes/no"
            )
        word = _text(raw, trim).lower()
        value = ibis.cases(
            (word.isnull(), False),
            (word.isin(TRUE_WORDS), True),
            (word.isin(FALSE_WORDS), False),
            else_=ibis.null("boolean"),
        )
        return Coerced(
            value.fill_null(False),
            word.isnull(),
            value.isnull(),
            "true/false, 1/0 or yes/no (any case; empty is false)",
        )
    if kind is ColumnType.TIMESTAMP:
        parsed, empty, invalid = _timestamp(raw, zone, trim)
        return Coerced(
            parsed,
            empty,
            invalid,
            "an ISO 8601 timestamp, e.g. 2024-03-31 or 2024-03-31T09:30:00+02:00",
        )
    if kind is ColumnType.NUMBER:
        number, empty, invalid = _number(raw, trim)
        return Coerced(number, empty, invalid, "a decimal number such as 1250.50")
    if kind is ColumnType.INTEGER:
        number, empty, invalid = _number(raw, trim)
        if _is_text(raw):
            invalid = invalid | (~empty & ~_text(raw, trim).re_search(INTEGER_TEXT_PATTERN))
        whole = number.notnull() & (number == number.floor())
        invalid = invalid | (~empty & ~whole)
        expected = "a whole number"
        if column.min_value is not None and column.max_value is not None:
            expected = f"a whole number from {column.min_value:g} to {column.max_value:g}"
        value = ibis.ifelse(invalid, ibis.null("int64"), number.cast("int64"))
        return Coerced(value, empty, invalid, expected)
    if kind is ColumnType.MONTH:
        if raw.type().is_temporal():
            moment = raw.cast("timestamp")
            index = (moment.year() * 12 + moment.month() - 1).cast("int64")
            return Coerced(index, raw.isnull(), ibis.literal(False), "a month as YYYY-MM")
        text = _text(raw, trim)
        valid = text.re_search(MONTH_TEXT_PATTERN)
        index = text.substr(0, 4).try_cast("int64") * 12 + text.substr(5, 2).try_cast("int64") - 1
        value = ibis.ifelse(valid, index, ibis.null("int64"))
        return Coerced(
            value, text.isnull(), text.notnull() & ~valid, "a month as YYYY-MM, e.g. 2024-03"
        )
    raise AssertionError(f"unhandled column type {kind}")
