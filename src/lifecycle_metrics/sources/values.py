"""Vendor values in canonical form, as Ibis expressions: text, instants, booleans, numbers.

Each reader returns the canonical text (NULL when empty) and, where a value was given but cannot
be read, a NULL with `bad` true, so the row goes to the quarantine with its value.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from lifecycle_metrics.validate.coerce import TIMESTAMP_PATTERN, trimmed

EPOCH_MILLISECONDS = r"^-?\d{12,14}$"  # HubSpot's API and exports: milliseconds since 1970
# `2019-09-15 2:50:54` (a one-digit hour, as the connectors' seeds print it) and `… UTC`
ONE_DIGIT_HOUR = r"^(\d{4}-\d{2}-\d{2})[T ](\d):"
# SPEC's timestamps (validate.coerce.TIMESTAMP_PATTERN) with hours, minutes and seconds in range
STRICT_TIMESTAMP = (
    r"^\d{4}-\d{2}-\d{2}(?:[T ](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:[.,]\d{1,9})?)?)?"
    r" ?(?:Z|z|[+-]\d{2}(?::?\d{2})?)?$"
)
US_DATE = r"^(\d{1,2})/(\d{1,2})/(\d{4})(?: (\d{1,2}):(\d{2})(?::(\d{2}))? ?([AaPp][Mm])?)?$"


@dataclass(frozen=True)
class Read:
    """A value read: canonical text (NULL when empty or bad) and whether it was bad."""

    text: ir.StringValue
    bad: ir.BooleanValue


def text(value: ir.Value | None) -> ir.StringValue:
    """Trimmed text, NULL when empty or when the column is absent."""
    if value is None:
        return ibis.null().cast("string")
    return trimmed(value.cast("string")).nullif("")


def column(table: ir.Table, name: str) -> ir.StringValue:
    """The named column as trimmed text; NULL on every row when the table has no such column."""
    return text(table[name] if name in table.columns else None)


def first_of(table: ir.Table, *names: str) -> ir.StringValue:
    """The first of the named columns that the table has, as text (NULL when it has none)."""
    for name in names:
        if name in table.columns:
            return column(table, name)
    return text(None)


def _two(value: ir.StringValue) -> ir.StringValue:
    return value.lpad(2, "0")


def instant(value: ir.StringValue) -> Read:
    """An ISO 8601 timestamp as SPEC reads it: naive stays naive, offsets and epochs become UTC.

    Accepts HubSpot's epoch milliseconds, a one-digit hour, a trailing ` UTC`, Salesforce's
    `+0000` and US dates (`6/30/2024 2:05 PM`), which exports print in a US locale. The
    expression names each piece once or twice only: imports read many timestamp columns, and
    every repetition is written out again in the SQL.
    """
    cleaned = value.re_replace(r"\s+UTC$", "Z").re_replace(ONE_DIGIT_HOUR, r"\1 0\2:")
    from_epoch = cleaned.try_cast("int64").as_timestamp("ms").strftime("%Y-%m-%dT%H:%M:%S.%gZ")
    hour = cleaned.re_extract(US_DATE, 4).nullif("").try_cast("int64")
    meridiem = cleaned.re_extract(US_DATE, 7).upper().nullif("")
    hour24 = ibis.ifelse(meridiem.isnull(), hour, hour % 12 + ibis.ifelse(meridiem == "PM", 12, 0))
    us_time = (
        " "
        + _two(hour24.cast("string"))
        + ":"
        + cleaned.re_extract(US_DATE, 5)
        + ":"
        + _two(cleaned.re_extract(US_DATE, 6).nullif("").fill_null("0"))
    ).fill_null("")
    from_us = (
        cleaned.re_extract(US_DATE, 3)
        + "-"
        + _two(cleaned.re_extract(US_DATE, 1))
        + "-"
        + _two(cleaned.re_extract(US_DATE, 2))
        + us_time
    )
    canonical = ibis.cases(
        (cleaned.re_search(EPOCH_MILLISECONDS), from_epoch),
        (cleaned.re_search(US_DATE), from_us),
        else_=cleaned,
    )
    # STRICT_TIMESTAMP checks hours, minutes and seconds; the date cast checks the calendar
    # (2024-02-30 and 2024-13-45 are no instants)
    valid = (
        canonical.re_search(STRICT_TIMESTAMP) & canonical.substr(0, 10).try_cast("date").notnull()
    )
    result = ibis.ifelse(valid, canonical, ibis.null().cast("string"))
    return Read(result, value.notnull() & result.isnull())


def flag(value: ir.StringValue) -> Read:
    """A boolean as `true`/`false` (SPEC's words, any case; empty is false)."""
    lowered = value.lower()
    # 1.0 / 0.0: a flag column a spreadsheet or pandas wrote as numbers
    true = lowered.isin(("true", "1", "1.0", "yes", "t", "y"))
    false = lowered.isin(("false", "0", "0.0", "no", "f", "n"))
    result = ibis.cases((true, "true"), (false | value.isnull(), "false"), else_=ibis.null())
    return Read(result.cast("string"), value.notnull() & ~(true | false))


def number(value: ir.StringValue) -> Read:
    """A decimal number as text (thousands separators and a currency sign refused)."""
    valid = value.re_search(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
    return Read(ibis.ifelse(valid, value, ibis.null().cast("string")), value.notnull() & ~valid)


def member(value: ir.StringValue) -> ir.StringValue:
    """A channel name as SPEC's members are spelled: lower case, words joined by `_`."""
    return value.lower().re_replace(r"[^a-z0-9]+", "_").re_replace(r"^_+|_+$", "").nullif("")


def wall_clock(value: ir.StringValue) -> ir.TimestampValue:
    """The wall-clock time a timestamp text writes, its offset (if any) not applied.

    NULL when the text is no SPEC timestamp or names a day the calendar lacks (2024-02-30).
    """

    def group(index: int) -> ir.StringValue:
        return value.re_extract(TIMESTAMP_PATTERN, index).nullif("")

    fraction = group(4).substr(0, 6)
    wall = (
        group(1)
        + " "
        + group(2).fill_null("00:00")
        + ":"
        + group(3).fill_null("00")
        + ("." + fraction).fill_null("")
    )
    return wall.try_cast("timestamp")
