"""Score lift (SPEC §6.5): how a contact's lead score moved in the 7 days after a touch.

Each activity touch (§6.1) and each human email_open, of a contact scored strictly before
it, is paired with the score in force just before and the score at occurred_at + 7 × 24 h;
the lift is their difference. Rows per month of occurred_at: a total and each member's n,
mean lift and 95 % interval, flagged *no visible effect* when the interval holds 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

import ibis
import ibis.expr.types as ir

from lifecycle_metrics.attribution.touches import TOUCH_ACTIVITY_TYPES
from lifecycle_metrics.dataset import Dataset
from lifecycle_metrics.errors import UsageError
from lifecycle_metrics.metrics.families.email import with_send_campaign
from lifecycle_metrics.model.model import UNKNOWN, Model, RunWindow
from lifecycle_metrics.periods import month_label, parse_span

LIFT_COLUMNS = (
    "month",
    "dimension",
    "member",
    "touches",
    "mean_lift",
    "ci_low",
    "ci_high",
    "no_visible_effect",
)
LIFT_DIMENSIONS = ("type", "campaign_id")
AFTER_HOURS = 7 * 24
Z_95 = 1.96
Progress = Callable[[str], None]


def lift_events(model: Model) -> ir.Table:
    """Touch activities and human opens with campaign filled (§4), each with its member columns."""
    activities = model.tables["activities"]
    events = (*TOUCH_ACTIVITY_TYPES, "email_open")
    # sends stay, machine or not, to lend their campaign to clicks and opens without one
    human = activities.type.isin(events) & ~activities.is_machine.fill_null(False)
    kept = activities.filter(human | (activities.type == "email_sent"))
    filled = with_send_campaign(
        kept.select(
            "activity_id", "contact_id", "type", "occurred_at", "message_id", "campaign_id"
        ),
        borrowers=("email_click", "email_open"),
    )
    # a click or open whose campaign is neither its own nor its send's is ignored (§6.1, §6.5)
    needs_campaign = filled.type.isin(("email_click", "email_open"))
    events = filled.filter(
        (filled.type != "email_sent") & (~needs_campaign | filled.campaign_id.notnull())
    )
    return events.select(
        events.activity_id,
        events.contact_id,
        events.type,
        events.occurred_at,
        campaign_id=events.campaign_id.fill_null(UNKNOWN),
    )


def _score_at(
    events: ir.Table, scores: ir.Table, instant: ir.TimestampValue, strictly: bool, name: str
) -> ir.Table:
    """Each event's score in force at `instant` (latest row; ties the highest), as `name`."""
    matched = events.join(
        scores,
        (events.contact_id == scores.contact_id)
        & (scores.scored_at < instant if strictly else scores.scored_at <= instant),
    )
    latest = ibis.row_number().over(
        group_by=matched.activity_id,
        order_by=[ibis.desc(matched.scored_at), ibis.desc(matched.score)],
    )
    ranked = matched.mutate(_rank=latest).view()
    found = ranked.filter(ranked._rank == 0)
    return found.select(_event=found.activity_id, **{name: found.score.cast("float64")})


def lift_rows(model: Model) -> ir.Table:
    """Every event with both scores: activity, type, campaign, month, before, after, lift."""
    events = lift_events(model)
    after = events.occurred_at + ibis.interval(hours=AFTER_HOURS)
    events = events.filter(after <= ibis.literal(model.as_of, type="timestamp"))
    events = events.mutate(_after=events.occurred_at + ibis.interval(hours=AFTER_HOURS)).view()
    scores = model.tables["lead_scores"]
    before = _score_at(events, scores, events.occurred_at, True, "score_before")
    later = _score_at(events, scores, events._after, False, "score_after")
    joined = events.join(before, events.activity_id == before._event)
    joined = joined.join(later, joined.activity_id == later._event)
    return joined.select(
        joined.activity_id,
        joined.contact_id,
        joined.type,
        joined.campaign_id,
        joined.occurred_at,
        month=model.month(joined.occurred_at),
        score_before=joined.score_before,
        score_after=joined.score_after,
        lift=joined.score_after - joined.score_before,
    )


def score_lift(
    dataset: Dataset,
    *,
    by: str = "type",
    first_month: str | None = None,
    last_month: str | None = None,
    as_of: str | datetime | None = None,
    progress: Progress | None = None,
) -> tuple[list[dict[str, Any]], RunWindow]:
    """SPEC §6.5's rows per month: the total, then each member of `by`, in member order."""
    say = progress or (lambda _message: None)
    if by not in LIFT_DIMENSIONS:
        raise UsageError(f"--by {by!r}: expected one of {', '.join(LIFT_DIMENSIONS)}")
    missing = [t for t in ("activities", "lead_scores") if t not in dataset.tables]
    if missing:
        raise UsageError(f"score lift needs the {' and '.join(missing)} table(s)")
    first, last, instant = parse_span(first_month, last_month, as_of, dataset.tz)
    say("preparing the model")
    model = Model(dataset, as_of=instant, first_month=first, last_month=last)
    say("pairing touches with scores")
    rows = lift_rows(model)
    months = list(model.window.months)
    rows = rows.filter(rows.month.isin(months))
    totals = rows.group_by("month").aggregate(**_stats(rows)).mutate(member=ibis.null("string"))
    members = rows.group_by(["month", rows[by].name("member")]).aggregate(**_stats(rows))
    found: dict[tuple[int, str | None], dict[str, Any]] = {
        (int(r["month"]), r["member"]): r
        for r in totals.union(members.select(totals.columns)).to_pyarrow().to_pylist()
    }
    result: list[dict[str, Any]] = []
    for month in months:
        keys = [(month, None), *sorted(k for k in found if k[0] == month and k[1] is not None)]
        for key in keys:
            result.append(_row(month, by if key[1] is not None else None, key[1], found.get(key)))
    return result, model.window


def _stats(rows: ir.Table) -> dict[str, ir.Value]:
    return {
        "touches": rows.count(),
        "mean_lift": rows.lift.mean(),
        "sd": rows.lift.std(how="sample"),
    }


def _row(
    month: int, dimension: str | None, member: str | None, stats: dict[str, Any] | None
) -> dict[str, Any]:
    """One output row: n, mean and the 95 % interval mean ± 1.96·s/√n (empty with n < 2)."""
    n = int(stats["touches"]) if stats else 0
    mean = float(stats["mean_lift"]) if stats and n else None
    low = high = None
    if stats and n >= 2 and mean is not None and stats["sd"] is not None:
        half = Z_95 * float(stats["sd"]) / math.sqrt(n)
        low, high = mean - half, mean + half
    flagged = low is not None and high is not None and low <= 0 <= high
    return {
        "month": month_label(month),
        "dimension": dimension,
        "member": member,
        "touches": n,
        "mean_lift": mean,
        "ci_low": low,
        "ci_high": high,
        "no_visible_effect": flagged,
    }
