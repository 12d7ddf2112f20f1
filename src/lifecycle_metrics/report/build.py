"""Build the monthly report's model: every number the report shows, before any rendering.

The model is plain data (dataclasses of numbers and strings); HTML, terminal, JSON and
Markdown all render this one object, so they cannot disagree.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from lifecycle_metrics.dataset import Dataset
from lifecycle_metrics.errors import UsageError
from lifecycle_metrics.metrics.catalog import CATALOG
from lifecycle_metrics.metrics.engine import Unavailable, evaluate, split_available
from lifecycle_metrics.metrics.families import email
from lifecycle_metrics.metrics.spec import STAGE_QUESTIONS, Metric, Stage
from lifecycle_metrics.model.model import Model
from lifecycle_metrics.periods import month_label, month_start_utc, parse_instant, parse_month
from lifecycle_metrics.report import panels
from lifecycle_metrics.report.flags import Flag, Quarter, evaluate_flags
from lifecycle_metrics.report.programs import program_answers
from lifecycle_metrics.report.targets import NO_TARGETS, Targets

TREND_MONTHS = 13
RISKY = 60.0  # churn risk at or above this puts an account on the at-risk list
RISKIEST_SHOWN = 5
DIMENSIONS = ("channel", "campaign_id", "segment")
HEADLINE = (
    "new_leads",
    "mqls",
    "sqls",
    "new_customers",
    "bookings",
    "churn_rate",
    "net_revenue_retention",
    "nps",
)
CHANNEL_COLUMNS = (
    "new_leads",
    "mqls",
    "cost_per_mql",
    "sqls",
    "new_customers",
    "bookings",
    "marketing_roi",
)
FUNNEL = (
    ("new_leads", None),
    ("mqls", "lead_to_mql_rate"),
    ("sqls", "mql_to_sql_rate"),
    ("new_customers", "sql_to_customer_rate"),
)
# Reference points the seed material gives, shown beside the metric they belong to.
REFERENCES: dict[str, list[tuple[str, float]]] = {
    "existing_customer_revenue_share": [("average firms", 0.30), ("top performers", 0.50)],
    "upsell_revenue_share": [
        ("young companies, low end", 0.10),
        ("young companies, high end", 0.30),
        ("seasoned companies", 0.50),
    ],
}
STAGE_TITLES = {stage: stage.value.title() for stage in Stage}
Progress = Callable[[str], None]


@dataclass
class Point:
    """One month of a metric's trend."""

    month: str
    value: float | None
    mature: bool


@dataclass
class MetricView:
    """One metric as the report shows it."""

    id: str
    stage: str
    kind: str
    unit: str
    better: str
    question: str
    definition: str
    value: float | None
    previous: float | None
    last_year: float | None
    mature: bool
    trend: list[Point]
    target: float | None = None
    status: str | None = None  # met | missed, when a target is given
    flagged: bool = False
    references: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class QuestionView:
    """A stage's question and the metrics that answer it."""

    question: str
    metrics: list[str]


@dataclass
class StageView:
    """A lifecycle stage: its questions and its pictures."""

    stage: str
    title: str
    questions: list[QuestionView]
    unavailable: list[str]


@dataclass
class Report:
    """The whole monthly report."""

    dataset: str
    month: str
    as_of: str  # in the report zone
    tz: str
    partial_month: bool
    month_share: float
    unavailable: list[dict[str, str]]
    metrics: dict[str, MetricView]
    headline: list[str]
    stages: list[StageView]
    flags: list[Flag]
    quarters: list[Quarter]
    funnel: list[dict[str, Any]]
    channels: list[dict[str, Any]]
    programs: list[dict[str, Any]]
    stall: list[dict[str, Any]]
    stall_cohort: str | None
    exits: dict[str, int]
    scores: dict[str, Any]
    nps: dict[str, Any]
    customers: dict[str, Any]
    appendix: dict[str, Any]
    # which sources, programs and activities work (SPEC §6): see report/programs.py
    attribution: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready data."""
        data = dataclasses.asdict(self)
        for flag, raw in zip(self.flags, data["flags"], strict=True):
            raw["driver"] = dataclasses.asdict(flag.driver) if flag.driver else None
        return data


def default_month(model: Model) -> int:
    """The latest month that is over by as_of (or within a day of being over)."""
    last = model.window.months[-1]
    if month_start_utc(last + 1, model.tz) <= model.as_of + timedelta(days=1):
        return last
    return last - 1 if last - 1 in model.window.months else last


def build_report(
    dataset: Dataset,
    *,
    month: str | None = None,
    as_of: str | None = None,
    targets: Targets = NO_TARGETS,
    progress: Progress | None = None,
    programs: bool = True,
) -> Report:
    """Compute everything the monthly report shows for one month.

    `programs=False` leaves out the attribution and score-lift answers (SPEC §6).
    """
    say = progress or (lambda _message: None)
    instant = parse_instant(as_of, dataset.tz) if as_of else None
    available, unavailable = split_available(dataset, list(CATALOG))
    if not available:
        raise UsageError("none of the catalog's metrics can be computed from the tables given")
    say("preparing the model")
    whole = Model(dataset, as_of=instant)
    chosen = parse_month(month, option="--month") if month else default_month(whole)
    if chosen not in whole.window.months:
        known = f"{whole.window.labels[0]} … {whole.window.labels[-1]}"
        raise UsageError(
            f"--month {month_label(chosen)} is outside the data's months ({known}, as_of "
            f"{whole.as_of:%Y-%m-%d %H:%M} UTC)"
        )
    # Months the report reads: the 13-month trend and the trailing 12 before it; marketing_roi
    # reads back 12 more through its own window rule.
    # (never before the data's first month: a month before any data is unknown, not zero)
    first = max(chosen - TREND_MONTHS + 1, whole.window.months[0])
    model = Model(dataset, as_of=whole.as_of, first_month=first, last_month=chosen)
    result = evaluate(model, available, DIMENSIONS, say)
    say("early warnings")
    series: dict[tuple[str, str | None, str | None], dict[int, float | None]] = {}
    mature: dict[tuple[str, int], bool] = {}
    for row in result.rows:
        index = parse_month(row["month"], option="month")
        series.setdefault((row["metric"], row["dimension"], row["member"]), {})[index] = row[
            "value"
        ]
        mature[(row["metric"], index)] = row["mature"]
    span = panels.MonthSpan(
        chosen,
        month_start_utc(chosen, model.tz),
        month_start_utc(chosen + 1, model.tz),
        model.as_of,
    )
    # a month whose data ends within a day of its end is over (exports stop before midnight)
    over = span.end - model.as_of <= timedelta(days=1)
    through = span.end if over else model.as_of
    flags, quarters = evaluate_flags(
        available,
        chosen,
        series=series,
        families=result.families,
        mature=mature,
        targets=targets,
        tz=model.tz,
        through=through,
        dims=DIMENSIONS,
    )
    views = _metric_views(available, chosen, series, mature, targets, flags)
    say("programs, stalls, scores and answers")
    report = Report(
        dataset=dataset.source,
        month=month_label(chosen),
        as_of=_local(model.as_of, model.tz),
        tz=model.tz,
        partial_month=through < span.end,
        month_share=(through - span.start) / (span.end - span.start),
        unavailable=[{"metric": u.metric, "reason": u.reason} for u in unavailable],
        metrics=views,
        headline=[m for m in HEADLINE if m in views],
        stages=_stages(views, unavailable),
        flags=flags,
        quarters=quarters,
        funnel=_funnel(views, series, chosen, model),
        channels=_channels(series, chosen),
        programs=_programs(model, span, result.families),
        stall=[],
        stall_cohort=None,
        exits=panels.exits(model, span),
        scores=panels.score_distribution(model, span),
        nps=_nps(model, span),
        customers=_customers(dataset, through),
        appendix=_appendix(dataset, model, span, views),
    )
    cohort = _latest_mature(model, chosen, panels.STALL_DAYS)
    report.stall = panels.stall(model, span, cohort)
    if programs:
        report.attribution = program_answers(dataset, model, chosen, say)
    report.stall_cohort = month_label(cohort) if cohort is not None else None
    return report


def _local(instant: Any, tz: str) -> str:
    from datetime import UTC
    from zoneinfo import ZoneInfo

    local = instant.replace(tzinfo=UTC).astimezone(ZoneInfo(tz))
    return local.strftime("%Y-%m-%d %H:%M:%S %Z")


def _latest_mature(model: Model, month: int, days: int) -> int | None:
    """The latest month ≤ `month` whose `days`-day cohort window had closed by as_of."""
    candidate = month
    while candidate >= month - 24:
        if model.window.mature(candidate, days):
            return candidate
        candidate -= 1
    return None


def _metric_views(
    metrics: list[Metric],
    month: int,
    series: dict[tuple[str, str | None, str | None], dict[int, float | None]],
    mature: dict[tuple[str, int], bool],
    targets: Targets,
    flags: list[Flag],
) -> dict[str, MetricView]:
    flagged = {flag.metric for flag in flags if not flag.favourable}
    views: dict[str, MetricView] = {}
    for metric in metrics:
        values = series.get((metric.id, None, None), {})
        goal = targets.of(metric.id)
        target = None
        if goal is not None:
            target = goal.monthly
            if target is None and not (metric.additive and not metric.stock):
                target = goal.quarterly
        value = values.get(month)
        status = None
        if target is not None and value is not None:
            worse = value < target if metric.better.value == "higher" else value > target
            status = "missed" if worse else "met"
        trend_months = range(month - TREND_MONTHS + 1, month + 1)
        views[metric.id] = MetricView(
            id=metric.id,
            stage=metric.stage.value,
            kind=metric.kind.value,
            unit=metric.unit.value,
            better=metric.better.value,
            question=metric.question,
            definition=metric.definition,
            value=value,
            previous=values.get(month - 1),
            last_year=values.get(month - 12),
            mature=mature.get((metric.id, month), True),
            trend=[
                Point(month_label(m), values.get(m), mature.get((metric.id, m), True))
                for m in trend_months
                if (metric.id, m) in mature
            ],
            target=target,
            status=status,
            flagged=metric.id in flagged,
            references=[{"label": label, "value": v} for label, v in REFERENCES.get(metric.id, [])],
        )
    return views


def _stages(views: dict[str, MetricView], unavailable: list[Unavailable]) -> list[StageView]:
    missing = {u.metric for u in unavailable}
    stages: list[StageView] = []
    for stage in Stage:
        questions = [
            QuestionView(
                question,
                [m.id for m in CATALOG if m.question == question and m.id in views],
            )
            for question in STAGE_QUESTIONS[stage]
        ]
        stages.append(
            StageView(
                stage=stage.value,
                title=STAGE_TITLES[stage],
                questions=questions,
                unavailable=[m.id for m in CATALOG if m.stage is stage and m.id in missing],
            )
        )
    return stages


def _funnel(
    views: dict[str, MetricView],
    series: dict[tuple[str, str | None, str | None], dict[int, float | None]],
    month: int,
    model: Model,
) -> list[dict[str, Any]]:
    """Counts of the month and cohort conversion to each next stage (latest mature too)."""
    steps: list[dict[str, Any]] = []
    for count_id, rate_id in FUNNEL:
        if count_id not in views:
            continue
        step: dict[str, Any] = {"metric": count_id, "count": views[count_id].value}
        if rate_id is not None and rate_id in views:
            rate = views[rate_id]
            step.update(rate=rate.value, rate_metric=rate_id, mature=rate.mature)
            values = series.get((rate_id, None, None), {})
            days = CATALOG.get(rate_id).value.cohort_days or 0
            latest = _latest_mature(model, month, days)
            if latest is not None and latest in values:
                step.update(mature_rate=values[latest], mature_month=month_label(latest))
        steps.append(step)
    return steps


def _channels(
    series: dict[tuple[str, str | None, str | None], dict[int, float | None]], month: int
) -> list[dict[str, Any]]:
    members = sorted(
        {
            key[2]
            for key in series
            if key[1] == "channel" and key[0] in CHANNEL_COLUMNS and key[2] is not None
        }
    )
    rows = []
    for member in members:
        row: dict[str, Any] = {"channel": member}
        for metric_id in CHANNEL_COLUMNS:
            value = series.get((metric_id, "channel", member), {}).get(month)
            if value is None and metric_id in CATALOG and CATALOG.get(metric_id).additive:
                value = 0  # a channel without a row in the month had none of it
            row[metric_id] = value
        if any(row[m] for m in CHANNEL_COLUMNS):
            rows.append(row)
    rows.sort(key=lambda r: (-(r.get("new_leads") or 0), r["channel"]))
    return rows


def _programs(model: Model, span: panels.MonthSpan, families: Any) -> list[dict[str, Any]]:
    """Nurture programs of the month ranked by click rate, with MQLs touched and unsubscribes."""
    activity = panels.program_activity(model, span)
    rows = []
    for key in families.get(email.EMAIL.name, {}):
        month, dim, member = key
        if month != span.month or dim != "campaign_id" or member not in activity:
            continue
        delivered = email.NURTURE_DELIVERED.number(families, key)
        opens = email.NURTURE_OPENS.number(families, key)
        clicks = email.NURTURE_CLICKS.number(families, key)
        extra = activity[member]
        if not delivered and not opens and not clicks:
            continue
        rows.append(
            {
                "campaign_id": member,
                "name": extra["name"],
                "delivered": int(delivered),
                "unique_opens": int(opens),
                "unique_clicks": int(clicks),
                "open_rate": opens / delivered if delivered > 0 else None,
                "click_rate": clicks / delivered if delivered > 0 else None,
                "unsubscribes": extra["unsubscribes"],
                "unsubscribe_rate": extra["unsubscribes"] / delivered if delivered > 0 else None,
                "mqls_touched": extra["mqls_touched"],
            }
        )
    rows.sort(key=lambda r: (-(r["click_rate"] or -1.0), r["campaign_id"]))
    return rows


def _nps(model: Model, span: panels.MonthSpan) -> dict[str, Any]:
    months = tuple(range(span.month - TREND_MONTHS + 1, span.month + 1))
    found = panels.nps_answers(model, span, months)
    if not found:
        return {}
    found["split"] = {month_label(m): v for m, v in found["split"].items()}
    for comment in found["comments"]:
        comment["responded_at"] = _local(comment["responded_at"], model.tz)
    return found


def _customers(dataset: Dataset, through: datetime) -> dict[str, Any]:
    """The Expand stage's account view at the end of the month.

    Adoption, risk, advocacy and the cross-sell pipeline.
    """
    if "subscriptions" not in dataset.tables:
        return {}
    from lifecycle_metrics.customers import customer_view
    from lifecycle_metrics.customers.crosssell import cross_sell
    from lifecycle_metrics.customers.insights import (
        BANDS,
        adoption_curves,
        loyalty_advocacy_matrix,
        loyalty_band,
        profit_vs_advocacy,
    )
    from lifecycle_metrics.customers.scores import advocacy_shares

    view = customer_view(dataset, through)
    scored = view.scored
    if scored.empty:
        return {}
    bands = loyalty_band(scored["loyalty"])
    band_names = [name for name, _, _ in BANDS]
    by_band = scored.assign(band=bands).groupby("band")["mrr"].agg(["size", "sum"])
    at_risk = scored[scored["risk"] >= RISKY].sort_values(
        ["mrr", "account_id"], ascending=[False, True]
    )
    pipeline = [
        {"product": product, "ready": len(cross_sell(scored, view.owned, product))}
        for product in sorted(set(view.owned["product"]))
    ]
    return {
        "accounts": len(scored),
        "mrr": float(scored["mrr"].sum()),
        "bands": {
            band: {
                "accounts": int(by_band["size"].get(band, 0)),
                "mrr": float(by_band["sum"].get(band, 0.0)),
            }
            for band in band_names
        },
        "at_risk_accounts": len(at_risk),
        "at_risk_mrr": float(at_risk["mrr"].sum()),
        "riskiest": at_risk.head(RISKIEST_SHOWN)[
            ["account_id", "segment", "mrr", "risk", "reasons"]
        ]
        .astype({"mrr": "float64", "risk": "float64"})
        .to_dict(orient="records"),
        "advocacy": advocacy_shares(scored),
        "loyalty_is_not_advocacy": loyalty_advocacy_matrix(scored),
        "profit_is_not_advocacy": profit_vs_advocacy(scored),
        "adoption": adoption_curves(view.model),
        "cross_sell": pipeline,
    }


def _appendix(
    dataset: Dataset, model: Model, span: panels.MonthSpan, views: dict[str, MetricView]
) -> dict[str, Any]:
    excluded = panels.exclusions(model, span)
    return {
        "definitions": [
            {"id": v.id, "kind": v.kind, "unit": v.unit, "definition": v.definition}
            for v in views.values()
        ],
        "tz": model.tz,
        "as_of": _local(model.as_of, model.tz),
        "month_start": _local(span.start, model.tz),
        "month_end": _local(span.end, model.tz),
        "windows": [
            f"Cohort rates: {_cohort_windows()} of reaching the earlier stage (24-hour days); a "
            "month whose window has not closed by as_of is marked immature.",
            "marketing_roi: the 12 months ending with the report month.",
            "Normal ranges: the trailing 12 months before the report month.",
            f"Stalls: no later stage within {panels.STALL_DAYS} days, over the latest cohort "
            "month whose window has closed.",
            f"MQLs touched by a program: a send, human open or click of the program in the "
            f"{panels.TOUCH_DAYS} days up to reaching MQL.",
        ],
        "excluded": {
            **excluded,
            "quarantined_rows": dataset.rows_quarantined,
        },
    }


# Stages named by their acronym in prose (marketing- and sales-qualified lead).
ACRONYM_STAGES = ("mql", "sql")


def _cohort_windows() -> str:
    """Every cohort rate of the catalog with its window, e.g. `lead→MQL within 90 days`."""
    by_window: dict[int, list[str]] = {}
    for metric in CATALOG:  # the whole catalog: the text does not depend on the tables given
        days = metric.value.cohort_days
        if days is not None:
            by_window.setdefault(days, []).append(_cohort_name(metric.id))
    return ", ".join(f"{_listed(names)} within {days} days" for days, names in by_window.items())


def _cohort_name(metric_id: str) -> str:
    """`lead_to_mql_rate` as `lead→MQL`; an id of another shape as itself."""
    start, to, end = metric_id.removesuffix("_rate").partition("_to_")
    if not to:
        return metric_id
    return "→".join(s.upper() if s in ACRONYM_STAGES else s for s in (start, end))


def _listed(names: list[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    return " and ".join(filter(None, (", ".join(names[:-1]), names[-1])))
