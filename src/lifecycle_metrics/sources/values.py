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
    `+0000` and US dates (`6/30/2024 2:05 PM`), which exports print in a US locale.
    """
    cleaned = value.re_replace(r"\s+UTC$", "Z").re_replace(ONE_DIGIT_HOUR, r"\1 0\2:")
    is_epoch = cleaned.re_search(EPOCH_MILLISECONDS)
    milliseconds = cleaned.try_cast("int64")
    seconds = ibis.ifelse(is_epoch, milliseconds, 0).div(1000).floor().cast("int64")
    remainder = (ibis.ifelse(is_epoch, milliseconds, 0) - seconds * 1000).cast("string")
    from_epoch = (
        seconds.as_timestamp("s").strftime("%Y-%m-%dT%H:%M:%S") + "." + remainder.lpad(3, "0") + "Z"
    )
    month = cleaned.re_extract(US_DATE, 1)
    day = cleaned.re_extract(US_DATE, 2)
    year = cleaned.re_extract(US_DATE, 3)
    hour = cleaned.re_extract(US_DATE, 4).nullif("").try_cast("int64")
    meridiem = cleaned.re_extract(US_DATE, 7).upper().nullif("")
    hour24 = ibis.cases(
        (meridiem.isnull(), hour),
        ((meridiem == "AM") & (hour == 12), 0),
        ((meridiem == "PM") & (hour < 12), hour + 12),
        else_=hour,
    )
    us_time = ibis.ifelse(
        hour.isnull(),
        "",
        " "
        + _two(hour24.cast("string"))
        + ":"
        + cleaned.re_extract(US_DATE, 5)
        + ":"
        + _two(cleaned.re_extract(US_DATE, 6).nullif("").fill_null("0")),
    )
    from_us = year + "-" + _two(month) + "-" + _two(day) + us_time
    canonical = ibis.cases(
        (is_epoch, from_epoch),
        (cleaned.re_search(US_DATE), from_us),
        else_=cleaned,
    )
    # the pattern checks digits only: 2024-02-30, 2024-13-45 and 25:00 are no instants either
    calendar = canonical.substr(0, 10).try_cast("date").notnull() & ~canonical.re_search(
        r"[T ](2[4-9]|[3-9]\d):|[T ]\d{2}:[6-9]\d|[T ]\d{2}:\d{2}:[6-9]\d"
    )
    valid = canonical.re_search(TIMESTAMP_PATTERN) & calendar
    return Read(ibis.ifelse(valid, canonical, ibis.null().cast("string")), value.notnull() & ~valid)


def flag(value: ir.StringValue) -> Read:
    """A boolean as `true`/`false` (SPEC's words, any case; empty is false)."""
    lowered = value.lower()
    true = lowered.isin(("true", "1", "yes", "t", "y"))
    false = lowered.isin(("false", "0", "no", "f", "n"))
    result = ibis.cases((true, "true"), (false | value.isnull(), "false"), else_=ibis.null())
    return Read(result.cast("string"), value.notnull() & ~(true | false))


def number(value: ir.StringValue) -> Read:
    """A decimal number as text (thousands separators and a currency sign refused)."""
    valid = value.re_search(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
    return Read(ibis.ifelse(valid, value, ibis.null().cast("string")), value.notnull() & ~valid)


def member(value: ir.StringValue) -> ir.StringValue:
    """A channel name as SPEC's members are spelled: lower case, words joined by `_`."""
    return value.lower().re_replace(r"[^a-z0-9]+", "_").re_replace(r"^_+|_+$", "").nullif("")
