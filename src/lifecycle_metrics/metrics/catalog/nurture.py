"""Nurture: which programs nurture best, where leads stall, what lifts scores, how many MQLs."""

from lifecycle_metrics.metrics.spec import (
    CHANNEL_ONLY,
    CONTACT_DIMENSIONS,
    EMAIL_DIMENSIONS,
    Better,
    Kind,
    Metric,
    Stage,
    Unit,
)
from lifecycle_metrics.metrics.values import CostPer, Count, Median, Ratio, Ref

PROGRAMS = "Which automated programs nurture best?"
STALL = "Where do leads stall or drop out?"
SCORES = "Which activity lifts lead scores?"
MQLS = "How many MQLs, at what cost?"
EMAIL_NEEDS = ("activities", "campaigns")


def _email_rate(numerator: str, denominator: str) -> Ratio:
    return Ratio(
        Ref("email", f"nurture_{numerator}"),
        Ref("email", f"nurture_{denominator}"),
        present_when=(
            Ref("email", f"nurture_{numerator}"),
            Ref(
                "email",
                "nurture_email_rows" if denominator == "delivered" else f"nurture_{denominator}",
            ),
        ),
    )


METRICS = (
    Metric(
        id="reopened_leads",
        label="reopened_leads",
        stage=Stage.NURTURE,
        kind=Kind.OUTCOME,
        unit=Unit.COUNT,
        question=STALL,
        definition="Distinct contacts with a stage change in the month into lead, mql or sql "
        "whose previous stage change (the latest instant strictly before) was "
        "recycled.",
        needs=("stage_changes",),
        dimensions=CONTACT_DIMENSIONS,
        additive=True,
        value=Count(Ref("reopened", "contacts")),
    ),
    Metric(
        id="nurture_open_rate",
        label="nurture_open_rate",
        stage=Stage.NURTURE,
        kind=Kind.ACTIVITY,
        unit=Unit.RATE,
        question=PROGRAMS,
        definition="Automated prospect programs: unique human opens (distinct contact, "
        "campaign, message) / delivered (sends − bounces) in the month.",
        needs=EMAIL_NEEDS,
        dimensions=EMAIL_DIMENSIONS,
        value=_email_rate("opens", "delivered"),
    ),
    Metric(
        id="nurture_click_rate",
        label="nurture_click_rate",
        stage=Stage.NURTURE,
        kind=Kind.ACTIVITY,
        unit=Unit.RATE,
        question=PROGRAMS,
        definition="Automated prospect programs: unique human clicks / delivered in the month.",
        needs=EMAIL_NEEDS,
        dimensions=EMAIL_DIMENSIONS,
        value=_email_rate("clicks", "delivered"),
    ),
    Metric(
        id="nurture_click_to_open_rate",
        label="nurture_click_to_open_rate",
        stage=Stage.NURTURE,
        kind=Kind.ACTIVITY,
        unit=Unit.RATE,
        question=PROGRAMS,
        definition="Automated prospect programs: unique clicks / unique opens in the month.",
        needs=EMAIL_NEEDS,
        dimensions=EMAIL_DIMENSIONS,
        value=_email_rate("clicks", "opens"),
    ),
    Metric(
        id="new_lead_score_median",
        label="new_lead_score_median",
        stage=Stage.NURTURE,
        kind=Kind.OUTCOME,
        unit=Unit.SCORE,
        question=SCORES,
        definition="Median lead score at the end of the month over contacts reaching lead in "
        "it that have a score by then.",
        needs=("contacts", "lead_scores"),
        dimensions=CONTACT_DIMENSIONS,
        value=Median(Ref("new_lead_scores", "median_score"), Ref("new_lead_scores", "contacts")),
    ),
    Metric(
        id="mqls",
        label="MQLs",
        stage=Stage.NURTURE,
        kind=Kind.OUTCOME,
        unit=Unit.COUNT,
        question=MQLS,
        definition="Contacts that reach mql (or, skipping it, a later funnel stage) in the "
        "month, first time only.",
        needs=("stage_changes",),
        dimensions=CONTACT_DIMENSIONS,
        additive=True,
        value=Count(Ref("reach", "mqls")),
    ),
    Metric(
        id="cost_per_mql",
        label="Cost per MQL",
        better=Better.LOWER,
        stage=Stage.NURTURE,
        kind=Kind.ACTIVITY,
        unit=Unit.CURRENCY,
        question=MQLS,
        definition="Cost(m) / mqls.",
        needs=("stage_changes", "costs"),
        dimensions=CHANNEL_ONLY,
        value=CostPer(Ref("reach", "mqls")),
    ),
    Metric(
        id="lead_to_mql_rate",
        label="lead_to_mql_rate",
        stage=Stage.NURTURE,
        kind=Kind.OUTCOME,
        unit=Unit.RATE,
        question=STALL,
        definition="Of contacts reaching lead in the month, the share reaching mql within 90 "
        "days of their lead time (immature until 90 days after the month ends).",
        needs=("stage_changes",),
        dimensions=CONTACT_DIMENSIONS,
        value=Ratio(
            Ref("cohorts", "lead_converted"),
            Ref("cohorts", "lead_cohort"),
            present_when=(Ref("cohorts", "lead_cohort"),),
            window_days=90,
        ),
    ),
)
