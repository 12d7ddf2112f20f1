"""Capture, Nurture, Convert: contacts through the funnel — reach, customers, speed, scores."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from lifecycle_metrics.metrics.families.base import (
    CONTACT_DIMS,
    Family,
    additive_rollup,
    contact_dims,
    record_shape,
    register,
    rollup,
    union_all,
)
from lifecycle_metrics.model.model import Model
from lifecycle_metrics.periods import days_between

REACH_SETS = {"lead": "leads", "mql": "mqls", "sql": "sqls"}  # stage → its record set


# -- Contacts reaching lead, MQL and SQL -------------------------------------------------------
def reach_rows(model: Model) -> ir.Table:
    """One row per contact and stage it reaches (lead, mql, sql), in the month it does."""
    reach = model.reach
    parts = []
    for stage, name in REACH_SETS.items():
        at = reach[f"{stage}_at"]
        rows = reach.filter(at.notnull())
        parts.append(
            rows.select(
                month=model.month(rows[f"{stage}_at"]),
                set=ibis.literal(name),
                contact_id=rows.contact_id,
                at=rows[f"{stage}_at"],
                **contact_dims(rows),
            )
        )
    return union_all(parts)


def _reach(model: Model, dims: tuple[str, ...]) -> ir.Table:
    """Contacts reaching lead, MQL and SQL per month."""
    frame = reach_rows(model)
    return additive_rollup(
        frame, dims, lambda t: {name: (t.set == name).sum() for name in REACH_SETS.values()}
    )


def _reach_records(model: Model) -> ir.Table:
    rows = reach_rows(model)
    return record_shape(
        rows,
        month=rows.month,
        set=rows.set,
        record=rows.contact_id,
        at=rows.at,
        **contact_dims(rows),
    )


REACH = register(
    Family(
        "reach",
        reads=("contacts", "stage_changes"),
        dimensions=CONTACT_DIMS,
        build=_reach,
        sets=tuple(REACH_SETS.values()),
        records=_reach_records,
    )
)
LEADS = REACH.measure("leads", "leads")
MQLS = REACH.measure("mqls", "mqls")
SQLS = REACH.measure("sqls", "sqls")


# -- New customer accounts ---------------------------------------------------------------------
def first_customer_rows(model: Model) -> ir.Table:
    """Per account, its first contact to reach customer (ties: lowest contact_id)."""
    reach = model.reach
    customers = reach.filter(reach.customer_at.notnull())
    rank = ibis.row_number().over(
        group_by=customers.account_key, order_by=[customers.customer_at, customers.contact_id]
    )
    ranked = customers.mutate(_rank=rank)
    return ranked.filter(ranked._rank == 0).drop("_rank")


def _new_customers(model: Model, dims: tuple[str, ...]) -> ir.Table:
    """Accounts whose first contact to reach customer does so in the month."""
    first = first_customer_rows(model)
    frame = first.select(month=model.month(first.customer_at), **contact_dims(first))
    return additive_rollup(frame, dims, lambda t: {"accounts": t.count()})


def _new_customer_records(model: Model) -> ir.Table:
    first = first_customer_rows(model)
    return record_shape(
        first,
        month=model.month(first.customer_at),
        set=ibis.literal("accounts"),
        record=first.account_key,
        at=first.customer_at,
        note="first customer contact " + first.contact_id,
        **contact_dims(first),
    )


NEW_CUSTOMERS = register(
    Family(
        "new_customers",
        reads=("stage_changes",),
        dimensions=CONTACT_DIMS,
        build=_new_customers,
        sets=("accounts",),
        records=_new_customer_records,
    )
)
ACCOUNTS = NEW_CUSTOMERS.measure("accounts", "accounts")


# -- Median days from lead to customer ---------------------------------------------------------
def lead_to_customer_rows(model: Model) -> ir.Table:
    """Contacts reaching customer, in that month, with the days since they reached lead."""
    reach = model.reach
    won = reach.filter(reach.customer_at.notnull())
    return won.select(
        month=model.month(won.customer_at),
        contact_id=won.contact_id,
        customer_at=won.customer_at,
        days=days_between(won.lead_at, won.customer_at),
        **contact_dims(won),
    )


def _lead_to_customer(model: Model, dims: tuple[str, ...]) -> ir.Table:
    """Median days from lead to customer over contacts reaching customer in the month."""
    frame = lead_to_customer_rows(model)
    return rollup(frame, dims, lambda t: {"median_days": t.days.median(), "contacts": t.count()})


def _lead_to_customer_records(model: Model) -> ir.Table:
    rows = lead_to_customer_rows(model)
    return record_shape(
        rows,
        month=rows.month,
        set=ibis.literal("contacts"),
        record=rows.contact_id,
        at=rows.customer_at,
        value=rows.days,
        note=ibis.literal("value: days from lead"),
        **contact_dims(rows),
    )


LEAD_TO_CUSTOMER = register(
    Family(
        "lead_to_customer",
        reads=("stage_changes",),
        dimensions=CONTACT_DIMS,
        build=_lead_to_customer,
        sets=("contacts",),
        records=_lead_to_customer_records,
    )
)
MEDIAN_DAYS_TO_CUSTOMER = LEAD_TO_CUSTOMER.measure("median_days", "contacts")
CONTACTS_WON = LEAD_TO_CUSTOMER.measure("contacts", "contacts")


# -- Contacts reopened after a recycle ---------------------------------------------------------
def reopened_rows(model: Model) -> ir.Table:
    """Stage changes into lead, mql or sql whose previous instant was a recycle, with dims."""
    changes = model.tables["stage_changes"]
    instants = changes.group_by(["contact_id", "changed_at"]).aggregate(
        recycled=(changes.stage == "recycled").any()
    )
    previous = instants.recycled.lag().over(
        group_by=instants.contact_id, order_by=instants.changed_at
    )
    flagged = instants.mutate(previous_recycled=previous.fill_null(False))
    entries = changes.filter(changes.stage.isin(("lead", "mql", "sql")))
    joined = entries.join(flagged, ["contact_id", "changed_at"])
    reopened = joined.filter(joined.previous_recycled).view()
    contacts = model.contacts
    rows = reopened.join(contacts, reopened.contact_id == contacts.contact_id)
    return rows.select(
        rows.contact_id,
        rows.stage,
        rows.changed_at,
        month=model.month(rows.changed_at),
        **contact_dims(rows),
    )


def _reopened(model: Model, dims: tuple[str, ...]) -> ir.Table:
    """Contacts re-entering lead, MQL or SQL straight after being recycled."""
    rows = reopened_rows(model)
    frame = rows.select("contact_id", "month", *CONTACT_DIMS).distinct()
    return additive_rollup(frame, dims, lambda t: {"contacts": t.count()})


def _reopened_records(model: Model) -> ir.Table:
    rows = reopened_rows(model)
    return record_shape(
        rows,
        month=rows.month,
        set=ibis.literal("contacts"),
        record=rows.contact_id,
        at=rows.changed_at,
        note="back into " + rows.stage + " after recycled",
        **contact_dims(rows),
    )


REOPENED = register(
    Family(
        "reopened",
        reads=("stage_changes",),
        dimensions=CONTACT_DIMS,
        build=_reopened,
        sets=("contacts",),
        records=_reopened_records,
    )
)
REOPENED_CONTACTS = REOPENED.measure("contacts", "contacts")


# -- Lead score of new leads -------------------------------------------------------------------
def new_lead_score_rows(model: Model) -> ir.Table:
    """New leads of each reported month with the score in force at its end (ties: highest)."""
    reach = model.reach
    leads = reach.filter(reach.lead_at.notnull())
    leads = leads.mutate(month=model.month(leads.lead_at))
    spine = model.month_starts.select(
        _month=model.month_starts.month, month_end=model.month_starts.month_end
    )
    leads = leads.join(spine, leads.month == spine._month).view()
    scores = model.tables["lead_scores"]
    matched = leads.join(
        scores, (leads.contact_id == scores.contact_id) & (scores.scored_at <= leads.month_end)
    )
    latest = ibis.row_number().over(
        group_by=matched.contact_id,
        order_by=[ibis.desc(matched.scored_at), ibis.desc(matched.score)],
    )
    ranked = matched.mutate(_rank=latest).view()
    rows = ranked.filter(ranked._rank == 0)
    return rows.select(
        rows.contact_id, rows.month, rows.score, rows.scored_at, **contact_dims(rows)
    )


def _new_lead_scores(model: Model, dims: tuple[str, ...]) -> ir.Table:
    """Lead score at the end of the month of contacts reaching lead in it."""
    frame = new_lead_score_rows(model)
    return rollup(frame, dims, lambda t: {"median_score": t.score.median(), "contacts": t.count()})


def _new_lead_score_records(model: Model) -> ir.Table:
    rows = new_lead_score_rows(model)
    return record_shape(
        rows,
        month=rows.month,
        set=ibis.literal("contacts"),
        record=rows.contact_id,
        at=rows.scored_at,
        value=rows.score,
        note=ibis.literal("value: score in force at the end of the month"),
        **contact_dims(rows),
    )


NEW_LEAD_SCORES = register(
    Family(
        "new_lead_scores",
        reads=("stage_changes", "lead_scores"),
        dimensions=CONTACT_DIMS,
        build=_new_lead_scores,
        sets=("contacts",),
        records=_new_lead_score_records,
    )
)
MEDIAN_SCORE = NEW_LEAD_SCORES.measure("median_score", "contacts")
SCORED_LEADS = NEW_LEAD_SCORES.measure("contacts", "contacts")
