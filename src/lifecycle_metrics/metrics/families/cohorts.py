"""Cohort rates: of contacts reaching a stage in a month, those reaching a later one in N days.

A `Cohort(start, end, within_days)` is declared once, where its metric is declared
(`cohort("sql", "customer", within_days=180).rate()`); it names its own measures, and the one
`cohorts` family query counts every registered cohort. Two cohorts may share a start stage.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from lifecycle_metrics.metrics.families.base import (
    CONTACT_DIMS,
    Family,
    additive_rollup,
    contact_dims,
    record_shape,
    register,
    union_all,
)
from lifecycle_metrics.metrics.values import Measure, Ratio
from lifecycle_metrics.model.model import Model
from lifecycle_metrics.periods import days_between, within_days
from lifecycle_metrics.schema import FUNNEL_STAGES


@dataclass(frozen=True)
class Cohort:
    """Contacts reaching `start` in a month; converted when they reach `end` within the window."""

    start: str
    end: str
    within_days: int
    entered: Measure
    converted: Measure

    @property
    def name(self) -> str:
        """The cohort's id, e.g. `sql_to_customer`."""
        return f"{self.start}_to_{self.end}"

    def rate(self) -> Ratio:
        """The cohort rate: converted / entered, immature until the window has closed."""
        return Ratio(
            self.converted,
            self.entered,
            present_when=(self.entered,),
            window_days=self.within_days,
        )


COHORTS: dict[str, Cohort] = {}  # by name, in declaration order


def cohort_rows(model: Model) -> ir.Table:
    """One row per contact and registered cohort it enters, with whether it converted."""
    reach = model.reach
    parts = []
    for declared in COHORTS.values():
        begin, finish = reach[f"{declared.start}_at"], reach[f"{declared.end}_at"]
        rows = reach.filter(begin.notnull())
        begin, finish = rows[f"{declared.start}_at"], rows[f"{declared.end}_at"]
        converted = finish.notnull() & within_days(begin, finish, declared.within_days)
        parts.append(
            rows.select(
                month=model.month(begin),
                cohort=ibis.literal(declared.name),
                contact_id=rows.contact_id,
                entered_at=begin,
                converted_at=finish,
                converted=converted.fill_null(False),
                # what the drill-down shows: the sets and notes as an analyst reads them
                _entered_set=ibis.literal(f"{declared.start}_cohort"),
                _entered_note=ibis.literal(f"reached {declared.start}"),
                _converted_set=ibis.literal(f"{declared.start}_converted"),
                _converted_note=ibis.literal(
                    f"reached {declared.end} within {declared.within_days} days (value: days)"
                ),
                **contact_dims(rows),
            )
        )
    return union_all(parts)


def _cohorts(model: Model, dims: tuple[str, ...]) -> ir.Table:
    """Contacts reaching a stage in the month, and those reaching the next within the window."""
    frame = cohort_rows(model)

    def measures(t: ir.Table) -> dict[str, ir.Value]:
        counted: dict[str, ir.Value] = {}
        for declared in COHORTS.values():
            mine = t.cohort == declared.name
            counted[declared.entered.name] = mine.sum()
            counted[declared.converted.name] = (mine & t.converted).sum()
        return counted

    return additive_rollup(frame, dims, measures)


def _cohort_records(model: Model) -> ir.Table:
    rows = cohort_rows(model)
    entered = record_shape(
        rows,
        month=rows.month,
        set=rows._entered_set,
        key=rows.cohort + ":entered",
        record=rows.contact_id,
        at=rows.entered_at,
        note=rows._entered_note,
        **contact_dims(rows),
    )
    hits = rows.filter(rows.converted)
    converted = record_shape(
        hits,
        month=hits.month,
        set=hits._converted_set,
        key=hits.cohort + ":converted",
        record=hits.contact_id,
        at=hits.converted_at,
        value=days_between(hits.entered_at, hits.converted_at),
        note=hits._converted_note,
        **contact_dims(hits),
    )
    return union_all([entered, converted])


COHORT_FAMILY = register(
    Family(
        "cohorts",
        reads=("stage_changes",),
        dimensions=CONTACT_DIMS,
        build=_cohorts,
        records=_cohort_records,
    )
)


def cohort(start: str, end: str, *, within_days: int) -> Cohort:
    """The cohort from `start` to `end`, registered on first declaration with its measures.

    >>> declared = cohort("sql", "customer", within_days=180)
    >>> declared.name, declared.converted.name, declared.rate().cohort_days
    ('sql_to_customer', 'sql_to_customer_converted', 180)
    """
    name = f"{start}_to_{end}"
    if name in COHORTS:
        declared = COHORTS[name]
        if declared.within_days != within_days:
            raise ValueError(
                f"cohort {name!r} is declared with {declared.within_days} and {within_days} days"
            )
        return declared
    stages = FUNNEL_STAGES
    if start not in stages or end not in stages or stages.index(start) >= stages.index(end):
        raise ValueError(f"cohort {name!r}: expected two funnel stages in order {stages}")
    if within_days <= 0:
        raise ValueError(f"cohort {name!r}: the window must be a positive number of days")
    declared = Cohort(
        start=start,
        end=end,
        within_days=within_days,
        entered=COHORT_FAMILY.measure(f"{name}_entered", f"{name}:entered"),
        converted=COHORT_FAMILY.measure(f"{name}_converted", f"{name}:converted"),
    )
    COHORTS[name] = declared
    return declared
