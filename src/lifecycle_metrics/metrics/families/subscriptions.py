"""Subscriptions: accounts active at the start of each month, their MRR at its start and end."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from lifecycle_metrics.metrics.families.base import (
    MONEY,
    Family,
    additive_rollup,
    money,
    record_shape,
    register,
    union_all,
)
from lifecycle_metrics.model.model import UNKNOWN, Model


def account_months(model: Model) -> ir.Table:
    """Accounts active at the start of each reported month: segment, MRR at start and end.

    `mrr_end` is NULL when the account has no active subscription at the end of the month.
    """
    subs = model.tables["subscriptions"]
    spine = model.month_starts
    boundaries = (
        spine.select(month=spine.month, at=spine.month_start)
        .union(spine.select(month=spine.month + 1, at=spine.month_end))
        .distinct()
    )
    active = subs.join(
        boundaries,
        (subs.started_at <= boundaries.at)
        & (subs.ended_at.isnull() | (boundaries.at < subs.ended_at)),
    )
    at_boundary = active.group_by(["account_id", "month"]).aggregate(mrr=money(active.mrr).sum())
    end = at_boundary.select(
        account_id=at_boundary.account_id, month=at_boundary.month - 1, mrr_end=at_boundary.mrr
    )
    joined = at_boundary.left_join(end, ["account_id", "month"]).view()
    segments = model.segments.rename({"_segment_account": "account_id"})
    joined = joined.left_join(segments, joined.account_id == segments._segment_account)
    rows = joined.select(
        joined.account_id,
        joined.month,
        segment=joined.segment.fill_null(UNKNOWN),
        mrr_start=joined.mrr,
        mrr_end=joined.mrr_end,
    )
    return rows.filter(rows.month.isin(list(model.window.months)))


def _subscriptions(model: Model, dims: tuple[str, ...]) -> ir.Table:
    """Accounts active at the start of each month and their MRR at its start and end."""
    rows = account_months(model)
    mrr_end = rows.mrr_end.fill_null(ibis.literal(0).cast(MONEY))
    frame = rows.select(
        rows.month,
        rows.segment,
        mrr_start=rows.mrr_start,
        mrr_end=mrr_end,
        churned=rows.mrr_end.isnull(),
        mrr_kept=ibis.ifelse(mrr_end < rows.mrr_start, mrr_end, rows.mrr_start),
    )
    return additive_rollup(
        frame,
        dims,
        lambda t: {
            "active": t.count(),
            "churned": t.churned.sum(),
            "mrr_start": t.mrr_start.sum(),
            "mrr_end": t.mrr_end.sum(),
            "mrr_kept": t.mrr_kept.sum(),
        },
    )


def _subscription_records(model: Model) -> ir.Table:
    rows = account_months(model)
    start = record_shape(
        rows,
        month=rows.month,
        segment=rows.segment,
        set=ibis.literal("active"),
        record=rows.account_id,
        value=rows.mrr_start,
        note=ibis.ifelse(
            rows.mrr_end.isnull(),
            "churned: MRR at end 0",
            "MRR at end " + rows.mrr_end.cast("float64").cast("string"),
        ),
    )
    churned = rows.filter(rows.mrr_end.isnull())
    lost = record_shape(
        churned,
        month=churned.month,
        segment=churned.segment,
        set=ibis.literal("churned"),
        record=churned.account_id,
        value=churned.mrr_start,
        note=ibis.literal("no active subscription at end"),
    )
    return union_all([start, lost])


SUBSCRIPTIONS = register(
    Family(
        "subscriptions",
        reads=("subscriptions",),
        dimensions=("segment",),
        build=_subscriptions,
        sets=("active", "churned"),
        records=_subscription_records,
    )
)
ACTIVE = SUBSCRIPTIONS.measure("active", "active")
CHURNED = SUBSCRIPTIONS.measure("churned", "churned")
MRR_START = SUBSCRIPTIONS.measure("mrr_start", "active")
MRR_END = SUBSCRIPTIONS.measure("mrr_end", "active")
MRR_KEPT = SUBSCRIPTIONS.measure("mrr_kept", "active")
