"""The model layer of SPEC §3, built once per run and shared by every metric family.

Internal contacts are removed with everything they did, rows after `as_of` are ignored, and the
pieces that several metrics read — contacts with their dimensions, first reach time of every
funnel stage, the account of each contact — are built here as Ibis expressions.
"""

from __future__ import annotations

from datetime import datetime
from functools import cached_property
from typing import Any, Self

import ibis
import ibis.expr.types as ir

from lifecycle_metrics.dataset import Dataset
from lifecycle_metrics.model.window import Run, RunWindow, measure_run
from lifecycle_metrics.periods import month_index
from lifecycle_metrics.schema import FUNNEL_STAGES

UNKNOWN = "unknown"


def _label(value: ir.Value) -> ir.StringValue:
    """A dimension member: empty → 'unknown' (loading already made empty text NULL)."""
    return value.cast("string").fill_null(UNKNOWN)


class Model:
    """Shared expressions for one run: filtered tables, contacts, reach times, months.

    `Model(dataset, as_of=…, first_month=…, last_month=…)` measures the run from the data
    (`Model.measure`: the model layer's only queries); `Model.of` builds one from a run already
    measured and only stores it.
    """

    dataset: Dataset
    tz: str
    con: Any
    tables: dict[str, ir.Table]
    window: RunWindow
    as_of: datetime

    def __new__(
        cls,
        dataset: Dataset,
        *,
        as_of: datetime | None = None,
        first_month: int | None = None,
        last_month: int | None = None,
    ) -> Self:
        """The model of `dataset`, its window measured (kept so every caller reads as before)."""
        return cls.measure(dataset, as_of=as_of, first_month=first_month, last_month=last_month)

    @classmethod
    def measure(
        cls,
        dataset: Dataset,
        *,
        as_of: datetime | None = None,
        first_month: int | None = None,
        last_month: int | None = None,
    ) -> Self:
        """Measure as_of and the months from the data (unless given), then build the model."""
        run = measure_run(
            dataset.tables, dataset.tz, as_of=as_of, first_month=first_month, last_month=last_month
        )
        return cls.of(dataset, run)

    @classmethod
    def of(cls, dataset: Dataset, run: Run) -> Self:
        """The model of a measured run: stores the values, runs no query."""
        model = object.__new__(cls)
        model.dataset = dataset
        model.tz = dataset.tz
        model.con = dataset.con
        model.tables = run.tables
        model.window = run.window
        model.as_of = run.window.as_of
        return model

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
        """Month index → start(m) and start(m+1), for the reported months (naive UTC)."""
        months = list(self.window.months)
        return ibis.memtable(
            {
                "month": months,
                "month_start": [self.window.start(m) for m in months],
                "month_end": [self.window.start(m + 1) for m in months],
            },
            schema={"month": "int64", "month_start": "timestamp", "month_end": "timestamp"},
        )


__all__ = ["UNKNOWN", "Model", "RunWindow"]
