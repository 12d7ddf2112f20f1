"""The model layer of SPEC §3, built once per run and shared by every metric family.

Internal contacts are removed with everything they did, rows after `as_of` are ignored, and the
pieces that several metrics read — contacts with their dimensions, first reach time of every
funnel stage, the account of each contact — are built here as Ibis expressions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

import ibis
import ibis.expr.types as ir

from lifecycle_metrics.dataset import Dataset
from lifecycle_metrics.errors import DataError, UsageError
from lifecycle_metrics.periods import month_index, month_label, month_of_utc, month_start_utc
from lifecycle_metrics.schema import FUNNEL_STAGES, TABLES_BY_NAME

UNKNOWN = "unknown"
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
        """start(m) as naive UTC."""
        return month_start_utc(month, self.tz)

    def mature(self, month: int, within_days: int) -> bool:
        """Whether a cohort month's window had closed by as_of."""
        from datetime import timedelta

        return self.start(month + 1) + timedelta(hours=24 * within_days) <= self.as_of

    @property
    def labels(self) -> tuple[str, ...]:
        """'YYYY-MM' of every reported month."""
        return tuple(month_label(month) for month in self.months)


def _label(value: ir.Value) -> ir.StringValue:
    """A dimension member: empty → 'unknown' (loading already made empty text NULL)."""
    return value.cast("string").fill_null(UNKNOWN)  # type: ignore[return-value]


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


class Model:
    """Shared expressions for one run: filtered tables, contacts, reach times, months."""

    def __init__(
        self,
        dataset: Dataset,
        *,
        as_of: datetime | None = None,
        first_month: int | None = None,
        last_month: int | None = None,
    ) -> None:
        self.dataset = dataset
        self.tz = dataset.tz
        self.con = dataset.con
        without_internal = self._remove_internal(dataset.tables)
        self.as_of = as_of if as_of is not None else self._latest_event(without_internal)
        self.tables = self._up_to(without_internal, self.as_of)
        earliest = self._earliest_event(self.tables)
        # nothing on or before as_of: the as_of month alone, with nothing counted in it
        start = earliest if earliest is not None else self.as_of
        first = first_month if first_month is not None else month_of_utc(start, self.tz)
        last = last_month if last_month is not None else month_of_utc(self.as_of, self.tz)
        if first > last:
            raise UsageError(f"--from {month_label(first)} is after --to {month_label(last)}")
        months = tuple(
            m for m in range(first, last + 1) if month_start_utc(m, self.tz) <= self.as_of
        )
        self.window = RunWindow(tz=self.tz, as_of=self.as_of, months=months)

    # -- filtering -----------------------------------------------------------------------------
    @staticmethod
    def _remove_internal(tables: dict[str, ir.Table]) -> dict[str, ir.Table]:
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

    @staticmethod
    def _latest_event(tables: dict[str, ir.Table]) -> datetime:
        latest = _event_span(tables)[1]
        if not _present(latest):
            raise DataError("the dataset has no event timestamp to take as_of from; give --as-of")
        return _as_datetime(latest)

    @staticmethod
    def _earliest_event(tables: dict[str, ir.Table]) -> datetime | None:
        earliest = _event_span(tables)[0]
        return _as_datetime(earliest) if _present(earliest) else None

    @staticmethod
    def _up_to(tables: dict[str, ir.Table], as_of: datetime) -> dict[str, ir.Table]:
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

    # -- shared pieces -------------------------------------------------------------------------
    def has(self, *names: str) -> bool:
        """True when every named table was given."""
        return all(name in self.tables for name in names)

    def month(self, value: ir.TimestampValue) -> ir.IntegerValue:
        """Month index in the report zone of a UTC instant."""
        return month_index(value, self.tz, self.dataset.zone.years)

    @cached_property
    def segments(self) -> ir.Table:
        """account_id → segment label."""
        if "accounts" not in self.tables:
            return ibis.memtable(
                {"account_id": [], "segment": []},
                schema={"account_id": "string", "segment": "string"},
            )
        accounts = self.tables["accounts"]
        return accounts.select(accounts.account_id, segment=_label(accounts.segment))

    @cached_property
    def contacts(self) -> ir.Table:
        """Every known contact with its dimensions and account (SPEC §3)."""
        ids: list[ir.Table] = []
        if "contacts" in self.tables:
            contacts = self.tables["contacts"]
            base = contacts.select(
                contact_id=contacts.contact_id,
                created_at=ibis.ifelse(
                    contacts.created_at <= ibis.literal(self.as_of),
                    contacts.created_at,
                    ibis.null("timestamp"),
                ),
                channel=_label(contacts.channel),
                source=_label(contacts.source),
                campaign_id=_label(contacts.campaign_id),
                account_key=contacts.account_id.fill_null(contacts.contact_id),
            )
            ids.append(base)
        if "stage_changes" in self.tables:
            changes = self.tables["stage_changes"]
            only_changes = changes.select("contact_id").distinct()
            if ids:
                only_changes = only_changes.anti_join(ids[0], "contact_id")
            ids.append(
                only_changes.select(
                    contact_id=only_changes.contact_id,
                    created_at=ibis.null("timestamp"),
                    channel=ibis.literal(UNKNOWN),
                    source=ibis.literal(UNKNOWN),
                    campaign_id=ibis.literal(UNKNOWN),
                    account_key=only_changes.contact_id,
                )
            )
        if not ids:
            raise AssertionError("contacts are built only when contacts or stage changes exist")
        every = ids[0] if len(ids) == 1 else ids[0].union(ids[1])
        segments = self.segments
        joined = every.left_join(segments, every.account_key == segments.account_id)
        return joined.select(
            *[joined[c] for c in every.columns], segment=joined.segment.fill_null(UNKNOWN)
        ).view()

    @cached_property
    def reach(self) -> ir.Table:
        """First reach time of every funnel stage per contact (skips honoured, SPEC §3)."""
        contacts = self.contacts
        if "stage_changes" not in self.tables:
            return contacts.mutate(
                **{f"{stage}_at": ibis.null("timestamp") for stage in FUNNEL_STAGES[1:]},
                lead_at=contacts.created_at,
            )
        changes = self.tables["stage_changes"]
        firsts = {"first_change": changes.changed_at.min()}
        for position, stage in enumerate(FUNNEL_STAGES[1:], start=1):
            later = FUNNEL_STAGES[position:]
            firsts[f"{stage}_at"] = changes.changed_at.min(where=changes.stage.isin(later))
        per_contact = changes.group_by("contact_id").aggregate(**firsts)
        joined = contacts.left_join(per_contact, contacts.contact_id == per_contact.contact_id)
        created, first = joined.created_at, joined.first_change
        lead_at = ibis.cases(
            (created.isnull(), first),
            (first.isnull(), created),
            (first < created, first),
            else_=created,
        )
        reach = joined.select(
            *[joined[c] for c in contacts.columns],
            lead_at=lead_at,
            **{f"{stage}_at": joined[f"{stage}_at"] for stage in FUNNEL_STAGES[1:]},
        )
        # Five families read it: compute it once (a temp table on DuckDB and PostgreSQL, a
        # persisted frame on Spark).
        return reach.cache()

    @cached_property
    def month_starts(self) -> ir.Table:
        """month index → start(m) and start(m+1), for the reported months (naive UTC)."""
        months = list(self.window.months)
        return ibis.memtable(
            {
                "month": months,
                "month_start": [self.window.start(m) for m in months],
                "month_end": [self.window.start(m + 1) for m in months],
            },
            schema={"month": "int64", "month_start": "timestamp", "month_end": "timestamp"},
        )


def _as_datetime(value: object) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo else value
    to_pydatetime = getattr(value, "to_pydatetime", None)
    if to_pydatetime is not None:
        result = to_pydatetime()
        return result.replace(tzinfo=None) if result.tzinfo else result  # type: ignore[no-any-return]
    raise TypeError(f"not a timestamp: {value!r}")
