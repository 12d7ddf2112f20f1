"""Drill-down: the records behind a number — the sets a metric counts, with their timestamps.

For every family a `records` reading lists the rows its measures are made of, tagged with the
measure (`set`) they feed. `drill` keeps the sets one metric's value reads, for one month and
optionally one dimension member, so an analyst can check any figure against the source.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import ibis
import ibis.expr.types as ir

from lifecycle_metrics.dataset import Dataset
from lifecycle_metrics.errors import UsageError
from lifecycle_metrics.metrics import families as fam
from lifecycle_metrics.metrics.engine import select_metrics
from lifecycle_metrics.metrics.values import (
    CostPer,
    Count,
    Median,
    Ratio,
    Ref,
    TrailingReturn,
    ValueRule,
)
from lifecycle_metrics.model.model import UNKNOWN, Model
from lifecycle_metrics.periods import (
    days_between,
    month_label,
    parse_instant,
    parse_month,
    zone,
)

RECORD_COLUMNS = ("set", "record", "at", "value", "note")
Records = Callable[[Model], ir.Table]
RECORDS: dict[str, Records] = {}


def records(name: str) -> Callable[[Records], Records]:
    """Register the record reading of family `name`."""

    def register(function: Records) -> Records:
        RECORDS[name] = function
        return function

    return register


def _shape(table: ir.Table, **columns: Any) -> ir.Table:
    """Records in the common shape: month, the four dimensions, set, record, at, value, note."""
    base = {
        "month": columns.pop("month").cast("int64"),
        **{dim: columns.pop(dim, ibis.null("string")).cast("string") for dim in fam.CONTACT_DIMS},
        "set": columns.pop("set"),
        "record": columns.pop("record").cast("string"),
        "at": columns.pop("at", ibis.null("timestamp")).cast("timestamp"),
        "value": columns.pop("value", ibis.null("float64")).cast("float64"),
        "note": columns.pop("note", ibis.null("string")).cast("string"),
    }
    return table.select(**base)


def _union(parts: list[ir.Table]) -> ir.Table:
    result = parts[0]
    for part in parts[1:]:
        result = result.union(part, distinct=False)
    return result


def _dims(table: ir.Table) -> dict[str, ir.Value]:
    return {dim: table[dim] for dim in fam.CONTACT_DIMS}


@records("reach")
def _reach(model: Model) -> ir.Table:
    reach = model.reach
    parts = []
    for stage, name in (("lead", "leads"), ("mql", "mqls"), ("sql", "sqls")):
        at = reach[f"{stage}_at"]
        rows = reach.filter(at.notnull())
        parts.append(
            _shape(
                rows,
                month=model.month(rows[f"{stage}_at"]),
                set=ibis.literal(name),
                record=rows.contact_id,
                at=rows[f"{stage}_at"],
                **_dims(rows),
            )
        )
    return _union(parts)


@records("new_customers")
def _new_customers(model: Model) -> ir.Table:
    first = fam.first_customer_rows(model)
    return _shape(
        first,
        month=model.month(first.customer_at),
        set=ibis.literal("accounts"),
        record=first.account_key,
        at=first.customer_at,
        note="first customer contact " + first.contact_id,
        **_dims(first),
    )


@records("cohorts")
def _cohorts(model: Model) -> ir.Table:
    reach = model.reach
    parts = []
    for start, end, days in fam.COHORTS:
        begin, finish = f"{start}_at", f"{end}_at"
        rows = reach.filter(reach[begin].notnull())
        converted = rows[finish].notnull() & fam.within_days(rows[begin], rows[finish], days)
        month = model.month(rows[begin])
        parts.append(
            _shape(
                rows,
                month=month,
                set=ibis.literal(f"{start}_cohort"),
                record=rows.contact_id,
                at=rows[begin],
                note=ibis.literal(f"reached {start}"),
                **_dims(rows),
            )
        )
        hits = rows.filter(converted)
        parts.append(
            _shape(
                hits,
                month=model.month(hits[begin]),
                set=ibis.literal(f"{start}_converted"),
                record=hits.contact_id,
                at=hits[finish],
                value=days_between(hits[begin], hits[finish]),
                note=ibis.literal(f"reached {end} within {days} days (value: days)"),
                **_dims(hits),
            )
        )
    return _union(parts)


@records("lead_to_customer")
def _lead_to_customer(model: Model) -> ir.Table:
    reach = model.reach
    won = reach.filter(reach.customer_at.notnull())
    return _shape(
        won,
        month=model.month(won.customer_at),
        set=ibis.literal("contacts"),
        record=won.contact_id,
        at=won.customer_at,
        value=days_between(won.lead_at, won.customer_at),
        note=ibis.literal("value: days from lead"),
        **_dims(won),
    )


@records("reopened")
def _reopened(model: Model) -> ir.Table:
    rows = fam.reopened_rows(model)
    return _shape(
        rows,
        month=rows.month,
        set=ibis.literal("contacts"),
        record=rows.contact_id,
        at=rows.changed_at,
        note="back into " + rows.stage + " after recycled",
        **_dims(rows),
    )


@records("new_lead_scores")
def _new_lead_scores(model: Model) -> ir.Table:
    rows = fam.new_lead_score_rows(model)
    return _shape(
        rows,
        month=rows.month,
        set=ibis.literal("contacts"),
        record=rows.contact_id,
        at=rows.scored_at,
        value=rows.score,
        note=ibis.literal("value: score in force at the end of the month"),
        **_dims(rows),
    )


@records("web")
def _web(model: Model) -> ir.Table:
    sessions = model.tables["web_sessions"]
    return _shape(
        sessions,
        month=model.month(sessions.started_at),
        channel=sessions.channel.fill_null(UNKNOWN),
        set=ibis.literal("sessions"),
        record=sessions.session_id,
        at=sessions.started_at,
        note="visitor " + sessions.visitor_id,
    )


@records("email")
def _email(model: Model) -> ir.Table:
    rows = fam.email_events(model)
    return _shape(
        rows,
        month=rows.month,
        campaign_id=rows.campaign_id,
        channel=rows.channel,
        set=rows.scope + ":" + rows.type,
        record=rows.activity_id,
        at=rows.occurred_at,
        note=(
            "contact "
            + rows.contact_id
            + ", message "
            + rows.message.nullif("").fill_null("(none)")
            + ibis.ifelse(rows.human, "", " (machine: not counted)")
        ),
    )


@records("costs")
def _costs(model: Model) -> ir.Table:
    rows = fam.cost_rows(model)
    channel = rows.channel.fill_null("unallocated")
    return _shape(
        rows,
        month=rows.month,
        channel=channel,
        set=ibis.literal("cost"),
        record="row " + rows._row.cast("string"),
        value=rows.amount,
        note=rows.category
        + ibis.ifelse(rows.channel.isnull(), " (unallocated: shared out by channel cost)", ""),
    )


@records("won_deals")
def _won_deals(model: Model) -> ir.Table:
    won = fam.won_deal_rows(model)
    return _shape(
        won,
        month=won.month,
        channel=won.channel,
        set=ibis.literal("amount"),
        record=won.deal_id,
        at=won.closed_at,
        value=won.amount,
        note=won.type,
    )


@records("subscriptions")
def _subscriptions(model: Model) -> ir.Table:
    rows = fam.account_months(model)
    start = _shape(
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
    lost = _shape(
        churned,
        month=churned.month,
        segment=churned.segment,
        set=ibis.literal("churned"),
        record=churned.account_id,
        value=churned.mrr_start,
        note=ibis.literal("no active subscription at end"),
    )
    return _union([start, lost])


@records("nps")
def _nps(model: Model) -> ir.Table:
    rows = fam.response_rows(model)
    return _shape(
        rows,
        month=rows.month,
        segment=rows.segment,
        set=ibis.literal("responses"),
        record=rows.response_id,
        at=rows.responded_at,
        value=rows.score,
        note=rows.comment.fill_null(""),
    )


def _refs(rule: ValueRule) -> list[Ref]:
    if isinstance(rule, Count):
        return [rule.of]
    if isinstance(rule, Ratio):
        return [rule.numerator, rule.denominator]
    if isinstance(rule, Median):
        return [rule.of]
    if isinstance(rule, CostPer):
        return [Ref("costs", "cost"), rule.count]
    if isinstance(rule, TrailingReturn):
        return [rule.gain, rule.cost]
    raise AssertionError(f"no drill-down for {type(rule).__name__}")


# Which record sets feed a measure (records carry the sets; measures are derived from them).
def _sets_for(ref: Ref) -> tuple[str, ...]:
    if ref.family == "email":
        scope, _, measure = ref.measure.partition("_")
        kinds = {
            "delivered": ("email_sent", "email_bounce"),
            "email": ("email_sent", "email_bounce"),
            "opens": ("email_open",),
            "clicks": ("email_click",),
        }
        return tuple(f"{scope}:{kind}" for kind in kinds[measure.split("_")[0]])
    if ref.family == "won_deals" or ref.family == "costs":
        return ("amount",) if ref.family == "won_deals" else ("cost",)
    if ref.family == "subscriptions":
        return ("churned",) if ref.measure == "churned" else ("active",)
    if ref.family == "nps":
        return ("responses",)
    if ref.family == "web":
        return ("sessions",)
    if ref.family in ("new_lead_scores", "lead_to_customer", "reopened"):
        return ("contacts",)
    return (ref.measure,)


@dataclass
class DrillResult:
    """The records behind one number."""

    metric: str
    month: str
    member: tuple[str, str] | None
    rows: list[dict[str, Any]]


def drill(
    dataset: Dataset,
    metric_id: str,
    month: str,
    member: str | None = None,
    as_of: str | None = None,
) -> DrillResult:
    """The records one metric's value for `month` (and dimension member) is made of."""
    metric = select_metrics([metric_id])[0]
    missing = [table for table in metric.needs if table not in dataset.tables]
    if missing:
        raise UsageError(f"{metric_id} is unavailable: it needs {', '.join(missing)}")
    index = parse_month(month, option="--month")
    dimension = value = None
    if member:
        dimension, _, value = member.partition("=")
        if dimension not in metric.dimensions or not value:
            raise UsageError(
                f"--member {member!r}: expected DIM=VALUE with DIM one of "
                f"{', '.join(metric.dimensions) or '(none: total only)'}"
            )
    instant = parse_instant(as_of, dataset.tz) if as_of else None
    model = Model(dataset, as_of=instant)
    if index not in model.window.months:
        known = (
            f"{model.window.labels[0]} … {model.window.labels[-1]}"
            if model.window.months
            else "none"
        )
        raise UsageError(
            f"--month {month_label(index)} is outside the data's months ({known}, as_of "
            f"{model.as_of:%Y-%m-%d %H:%M} UTC)"
        )
    months = list(metric.value.months_read(index))
    parts = []
    for ref in _refs(metric.value):
        table = RECORDS[ref.family](model)
        table = table.filter(table.month.isin(months) & table.set.isin(_sets_for(ref)))
        if dimension is not None:
            table = table.filter(table[dimension].fill_null(UNKNOWN) == value)
        parts.append(table)
    combined = _union(parts).distinct()
    rows = combined.order_by(["set", "at", "record"]).to_pyarrow().to_pylist()
    tz = zone(dataset.tz)
    for row in rows:
        if row["at"] is not None:
            local = row["at"].replace(tzinfo=UTC).astimezone(tz)
            row["at"] = local.isoformat()
        row["month"] = month_label(row["month"])
    return DrillResult(
        metric=metric_id,
        month=month,
        member=(dimension, value) if dimension else None,  # type: ignore[arg-type]
        rows=rows,
    )
