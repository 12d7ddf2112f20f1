"""The report's pictures beyond the catalog: one small Ibis query each, for the report month.

Nurture programs, where leads stall, the lead-score distribution and NPS answers are read
from the same model as the metrics (internal contacts removed, rows after as_of ignored), so a
panel never disagrees with a metric about which rows exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from lifecycle_metrics.model.model import Model
from lifecycle_metrics.periods import days_between, within_days
from lifecycle_metrics.schema import FUNNEL_STAGES

MICROS_PER_DAY = 86_400_000_000

STALL_DAYS = 90  # "went nowhere": no later funnel stage within this many days
TOUCH_DAYS = 90  # a program "touched" an MQL it reached in the 90 days up to the MQL
COMMENTS_SHOWN = 5
SCORE_BINS = 10
SCORE_HISTORY_MONTHS = 3  # the month's new leads against those of the three months before


@dataclass(frozen=True)
class MonthSpan:
    """The report month m as UTC instants, with the model's as_of."""

    month: int
    start: datetime
    end: datetime  # start(m+1)
    as_of: datetime


def _timestamp(value: datetime) -> ir.TimestampScalar:
    return ibis.literal(value, type="timestamp")


def _records(expr: ir.Table) -> list[dict[str, Any]]:
    return expr.to_pyarrow().to_pylist()


def program_activity(model: Model, span: MonthSpan) -> dict[str, dict[str, Any]]:
    """Per nurture program: its name, unsubscribes in m and the MQLs of m it touched."""
    if not model.has("activities", "campaigns"):
        return {}
    campaigns = model.tables["campaigns"]
    programs = campaigns.filter((campaigns.audience == "prospect") & campaigns.automated).select(
        _program=campaigns.campaign_id, name=campaigns.name
    )
    activities = model.tables["activities"]
    start, end = _timestamp(span.start), _timestamp(span.end)
    unsubscribes = activities.filter(
        (activities.type == "email_unsubscribe")
        & (activities.occurred_at >= start)
        & (activities.occurred_at < end)
        & activities.campaign_id.notnull()
    )
    unsubscribed = unsubscribes.group_by(_campaign=unsubscribes.campaign_id).aggregate(
        unsubscribes=unsubscribes.count()
    )
    found: dict[str, dict[str, Any]] = {
        row["_program"]: {"name": row["name"], "unsubscribes": 0, "mqls_touched": 0}
        for row in _records(programs)
    }
    for row in _records(
        unsubscribed.semi_join(programs, unsubscribed._campaign == programs._program)
    ):
        found[row["_campaign"]]["unsubscribes"] = int(row["unsubscribes"])
    if model.has("stage_changes") or model.has("contacts"):
        reach = model.reach
        mqls = reach.filter((reach.mql_at >= start) & (reach.mql_at < end)).select(
            _contact=reach.contact_id, mql_at=reach.mql_at
        )
        touches = activities.filter(
            activities.type.isin(("email_sent", "email_open", "email_click"))
            & ~activities.is_machine
            & (activities.occurred_at >= start - ibis.interval(hours=24 * TOUCH_DAYS))
            & (activities.occurred_at < end)
        )
        touches = touches.semi_join(programs, touches.campaign_id == programs._program)
        touched = touches.join(
            mqls,
            (touches.contact_id == mqls._contact)
            & (touches.occurred_at <= mqls.mql_at)
            & (touches.occurred_at >= mqls.mql_at - ibis.interval(hours=24 * TOUCH_DAYS)),
        )
        per_program = touched.group_by(_campaign=touched.campaign_id).aggregate(
            mqls_touched=touched.contact_id.nunique()
        )
        for row in _records(per_program):
            found[row["_campaign"]]["mqls_touched"] = int(row["mqls_touched"])
    return found


def stall(model: Model, span: MonthSpan, cohort_month: int | None) -> list[dict[str, Any]]:
    """Per funnel stage: days spent in it (median, mean, p90) and the share that went nowhere.

    Days in stage S are measured over contacts that reached the next stage in m; "went nowhere"
    is the share of the contacts reaching S in `cohort_month` (the latest month whose 90-day
    window has closed) that reached no later stage within 90 days.
    """
    if not (model.has("stage_changes") or model.has("contacts")):
        return []
    reach = model.reach
    start, end = _timestamp(span.start), _timestamp(span.end)
    rows: list[dict[str, Any]] = []
    for position, stage in enumerate(FUNNEL_STAGES[:-1]):
        after = FUNNEL_STAGES[position + 1]
        begin, finish = reach[f"{stage}_at"], reach[f"{after}_at"]
        moved = reach.filter(
            finish.notnull() & begin.notnull() & (finish >= start) & (finish < end)
        )
        days = days_between(moved[f"{stage}_at"], moved[f"{after}_at"])
        # the mean from an exact sum of microseconds: a float mean depends on the order
        # parallel workers add in, and the report must give the same digits on every run
        micro = moved[f"{after}_at"].delta(moved[f"{stage}_at"], unit="microsecond")
        timing = moved.aggregate(
            contacts=moved.count(),
            median=days.median(),
            micro_total=micro.cast(dt.Decimal(38, 0)).sum(),
            p90=days.quantile(0.9),
        )
        found = _records(timing)[0]
        count = int(found["contacts"] or 0)
        mean = float(Decimal(found["micro_total"]) / count / MICROS_PER_DAY) if count else None
        row: dict[str, Any] = {
            "stage": stage,
            "next": after,
            "contacts": found["contacts"],
            "median": found["median"],
            "mean": mean,
            "p90": found["p90"],
        }
        if cohort_month is not None:
            entered = reach.filter(begin.notnull())
            entered = entered.filter(model.month(entered[f"{stage}_at"]) == cohort_month)
            progressed = entered[f"{after}_at"].notnull() & within_days(
                entered[f"{stage}_at"], entered[f"{after}_at"], STALL_DAYS
            )
            cohort = entered.aggregate(
                cohort=entered.count(), nowhere=(~progressed.fill_null(False)).sum()
            )
            counted = _records(cohort)[0]
            size = int(counted["cohort"] or 0)
            row["cohort"] = size
            row["nowhere_share"] = (int(counted["nowhere"] or 0) / size) if size else None
        rows.append(row)
    return rows


def exits(model: Model, span: MonthSpan) -> dict[str, int]:
    """Distinct contacts recycled and disqualified in m."""
    if not model.has("stage_changes"):
        return {}
    changes = model.tables["stage_changes"]
    in_month = changes.filter(
        (changes.changed_at >= _timestamp(span.start)) & (changes.changed_at < _timestamp(span.end))
    )
    counted = in_month.aggregate(
        recycled=in_month.contact_id.nunique(where=in_month.stage == "recycled"),
        disqualified=in_month.contact_id.nunique(where=in_month.stage == "disqualified"),
    )
    row = _records(counted)[0]
    return {name: int(value or 0) for name, value in row.items()}


def score_distribution(model: Model, span: MonthSpan) -> dict[str, Any]:
    """Histogram of the month's new leads' scores against the three months before."""
    if not (model.has("lead_scores") and (model.has("stage_changes") or model.has("contacts"))):
        return {}
    from lifecycle_metrics.metrics.families import new_lead_score_rows

    rows = new_lead_score_rows(model)
    first = span.month - SCORE_HISTORY_MONTHS
    rows = rows.filter((rows.month >= first) & (rows.month <= span.month))
    current = rows.month == span.month
    counts = rows.group_by(current=current, score=rows.score).aggregate(leads=rows.count())
    scored = _records(counts)
    if not scored:
        return {}
    low = min(float(r["score"]) for r in scored)
    high = max(float(r["score"]) for r in scored)
    width = (high - low) / SCORE_BINS or 1.0
    bins: list[dict[str, Any]] = [
        {"low": low + i * width, "high": low + (i + 1) * width, "current": 0, "before": 0}
        for i in range(SCORE_BINS)
    ]
    for row in scored:
        index = min(int((float(row["score"]) - low) / width), SCORE_BINS - 1)
        bins[index]["current" if row["current"] else "before"] += int(row["leads"])
    current_total = sum(b["current"] for b in bins)
    before_total = sum(b["before"] for b in bins)
    for b in bins:
        b["current_share"] = b["current"] / current_total if current_total else None
        b["before_share"] = b["before"] / before_total if before_total else None
    return {"bins": bins, "current_leads": current_total, "before_leads": before_total}


def nps_answers(model: Model, span: MonthSpan, months: tuple[int, ...]) -> dict[str, Any]:
    """Promoters, passives and detractors per month, and the month's latest comments."""
    if not model.has("nps_responses"):
        return {}
    from lifecycle_metrics.metrics.families import response_rows

    rows = response_rows(model)
    rows = rows.filter(rows.month.isin(months))
    split = rows.group_by("month").aggregate(
        promoters=(rows.score >= 9).sum(),
        passives=((rows.score >= 7) & (rows.score <= 8)).sum(),
        detractors=(rows.score <= 6).sum(),
    )
    by_month = {int(r["month"]): r for r in _records(split)}
    latest = (
        rows.filter((rows.month == span.month) & rows.comment.notnull())
        .order_by([ibis.desc(rows.responded_at), rows.response_id])
        .limit(COMMENTS_SHOWN)
        .select("responded_at", "score", "segment", "comment")
    )
    return {
        "split": {
            month: {
                "promoters": int(by_month.get(month, {}).get("promoters") or 0),
                "passives": int(by_month.get(month, {}).get("passives") or 0),
                "detractors": int(by_month.get(month, {}).get("detractors") or 0),
            }
            for month in months
        },
        "comments": _records(latest),
    }


def exclusions(model: Model, span: MonthSpan) -> dict[str, int]:
    """Rows left out of every number: internal contacts, and the month's machine opens/clicks."""
    found: dict[str, int] = {}
    if "contacts" in model.dataset.tables:
        contacts = model.dataset.tables["contacts"]
        found["internal_contacts"] = int(contacts.is_internal.sum().fill_null(0).execute())
    if model.has("activities"):
        activities = model.tables["activities"]
        machine = activities.filter(
            activities.is_machine
            & activities.type.isin(("email_open", "email_click"))
            & (activities.occurred_at >= _timestamp(span.start))
            & (activities.occurred_at < _timestamp(span.end))
        )
        found["machine_opens_and_clicks"] = int(machine.count().execute())
    return found
