"""Nurture: which programs nurture best, where leads stall, what lifts scores, how many MQLs."""

from lifecycle_metrics.metrics.families import costs, email, funnel
from lifecycle_metrics.metrics.families.cohorts import cohort
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
from lifecycle_metrics.metrics.values import CostPer, Count, Measure, Median, Ratio

PROGRAMS = "Which automated programs nurture best?"
STALL = "Where do leads stall or drop out?"
SCORES = "Which activity lifts lead scores?"
MQLS = "How many MQLs, at what cost?"
EMAIL_NEEDS = ("activities", "campaigns")


def _email_rate(numerator: Measure, denominator: Measure) -> Ratio:
    # a member with sends but no delivery (all bounced) still appears: SPEC's set is the rows
    shown = email.NURTURE_EMAIL_ROWS if denominator is email.NURTURE_DELIVERED else denominator
    return Ratio(numerator, denominator, present_when=(numerator, shown))


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
        value=Count(funnel.REOPENED_CONTACTS),
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
        value=_email_rate(email.NURTURE_OPENS, email.NURTURE_DELIVERED),
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
        value=_email_rate(email.NURTURE_CLICKS, email.NURTURE_DELIVERED),
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
        value=_email_rate(email.NURTURE_CLICKS, email.NURTURE_OPENS),
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
        value=Median(funnel.MEDIAN_SCORE, funnel.SCORED_LEADS),
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
        value=Count(funnel.MQLS),
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
        value=CostPer(costs.COST, costs.COST_ROWS, funnel.MQLS),
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
        value=cohort("lead", "mql", within_days=90).rate(),
    ),
)
