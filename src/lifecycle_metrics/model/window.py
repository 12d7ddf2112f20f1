"""The run's window, measured from the data: as_of, the months reported, the tables in force.

The only queries of the model layer run here, once per run (SPEC §3): the latest event (for
as_of, unless given) and the earliest one on or before it (for the first month).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import ibis
import ibis.expr.types as ir

from lifecycle_metrics.errors import DataError, UsageError
from lifecycle_metrics.periods import month_label, month_of_utc, month_start_utc
from lifecycle_metrics.schema import TABLES_BY_NAME

# Tables whose rows carry a contact_id: removed with an internal contact (SPEC §3).
CONTACT_TABLES = (
    "stage_changes",
    "activities",
    "lead_scores",
    "nps_responses",
    "deals",
    "web_sessions",
    "product_usage",
)


@dataclass(frozen=True)
class RunWindow:
    """The instants and months one run reports on."""

    tz: str
    as_of: datetime  # naive UTC
    months: tuple[int, ...]  # month indexes reported, ascending

    def start(self, month: int) -> datetime:
        """The month's first instant (local midnight on its first day), as naive UTC."""
        return month_start_utc(month, self.tz)

    def mature(self, month: int, within_days: int) -> bool:
        """Whether a cohort month's window had closed by as_of."""
        from datetime import timedelta

        return self.start(month + 1) + timedelta(hours=24 * within_days) <= self.as_of

    @property
    def labels(self) -> tuple[str, ...]:
        """'YYYY-MM' of every reported month."""
        return tuple(month_label(month) for month in self.months)


@dataclass(frozen=True)
class Run:
    """One run's tables (internal contacts and rows after as_of removed) and its window."""

    tables: dict[str, ir.Table]
    window: RunWindow


def measure_run(
    tables: dict[str, ir.Table],
    tz: str,
    *,
    as_of: datetime | None = None,
    first_month: int | None = None,
    last_month: int | None = None,
) -> Run:
    """The run over `tables` in zone `tz`: as_of and the months default to the data's span."""
    without_internal = remove_internal(tables)
    as_of = as_of if as_of is not None else _latest_event(without_internal)
    kept = up_to(without_internal, as_of)
    earliest = _earliest_event(kept)
    # nothing on or before as_of: the as_of month alone, with nothing counted in it
    start = earliest if earliest is not None else as_of
    first = first_month if first_month is not None else month_of_utc(start, tz)
    last = last_month if last_month is not None else month_of_utc(as_of, tz)
    if first > last:
        raise UsageError(f"--from {month_label(first)} is after --to {month_label(last)}")
    months = tuple(m for m in range(first, last + 1) if month_start_utc(m, tz) <= as_of)
    return Run(tables=kept, window=RunWindow(tz=tz, as_of=as_of, months=months))


def remove_internal(tables: dict[str, ir.Table]) -> dict[str, ir.Table]:
    """The tables without internal contacts and everything they did (SPEC §3)."""
    if "contacts" not in tables:
        return dict(tables)
    contacts = tables["contacts"]
    internal = contacts.filter(contacts.is_internal).select(_internal_id=contacts.contact_id)
    kept = {"contacts": contacts.filter(~contacts.is_internal)}
    for name, table in tables.items():
        if name in CONTACT_TABLES:
            kept[name] = table.anti_join(internal, table.contact_id == internal._internal_id)
        elif name != "contacts":
            kept[name] = table
    return kept


def _latest_event(tables: dict[str, ir.Table]) -> datetime:
    latest = _event_span(tables)[1]
    if not _present(latest):
        raise DataError("the dataset has no event timestamp to take as_of from; give --as-of")
    return _as_datetime(latest)


def _earliest_event(tables: dict[str, ir.Table]) -> datetime | None:
    earliest = _event_span(tables)[0]
    return _as_datetime(earliest) if _present(earliest) else None


def up_to(tables: dict[str, ir.Table], as_of: datetime) -> dict[str, ir.Table]:
    """Ignore rows whose event lies after as_of; a deal closed later is still open then."""
    limit = ibis.literal(as_of, type="timestamp")
    kept: dict[str, ir.Table] = {}
    for name, table in tables.items():
        events = TABLES_BY_NAME[name].event_columns
        if events:
            table = table.filter(table[events[0]] <= limit)
        if name == "deals":
            closed_later = table.closed_at > limit
            table = table.mutate(
                status=ibis.ifelse(closed_later.fill_null(False), "open", table.status),
                closed_at=ibis.ifelse(
                    closed_later.fill_null(False), ibis.null("timestamp"), table.closed_at
                ),
            )
        kept[name] = table
    return kept


def _event_times(tables: dict[str, ir.Table]) -> list[tuple[ir.Table, ir.Value]]:
    """Every event timestamp column of SPEC §3's as_of list, with the table it is read from."""
    columns: list[tuple[ir.Table, ir.Value]] = []
    for name, table in tables.items():
        for column in TABLES_BY_NAME[name].event_columns:
            columns.append((table, table[column]))
    if "deals" in tables:
        deals = tables["deals"]
        closed = ibis.ifelse(
            deals.status.isin(("won", "lost")), deals.closed_at, ibis.null("timestamp")
        )
        columns.append((deals, closed))
    return columns


def _event_span(tables: dict[str, ir.Table]) -> tuple[Any, Any]:
    """(earliest, latest) event timestamp over every event column, in one query."""
    parts = [
        table.aggregate(lo=column.cast("timestamp").min(), hi=column.cast("timestamp").max())
        for table, column in _event_times(tables)
    ]
    if not parts:
        return None, None
    spans = parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]
    row = spans.aggregate(lo=spans.lo.min(), hi=spans.hi.max()).to_pyarrow().to_pylist()[0]
    return row["lo"], row["hi"]


def _present(value: Any) -> bool:
    return value is not None and not isinstance(value, float) and str(value) != "NaT"


def _as_datetime(value: object) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo else value
    to_pydatetime = getattr(value, "to_pydatetime", None)
    if to_pydatetime is not None:
        result = to_pydatetime()
        return result.replace(tzinfo=None) if result.tzinfo else result
    raise TypeError(f"not a timestamp: {value!r}")
