"""Expand: which customer programs work, how well we retain and upsell, how loyalty trends."""

from lifecycle_metrics.metrics.families import deals, email, subscriptions, surveys
from lifecycle_metrics.metrics.spec import (
    CHANNEL_ONLY,
    EMAIL_DIMENSIONS,
    SEGMENT_ONLY,
    Better,
    Kind,
    Metric,
    Stage,
    Unit,
)
from lifecycle_metrics.metrics.values import Count, Measure, Ratio

PROGRAMS = "Which customer programs work best?"
RETAIN = "How well do we retain and upsell customers?"
LOYALTY = "How is loyalty trending?"
SUBS = ("subscriptions",)


def _retention(numerator: Measure) -> Ratio:
    return Ratio(
        numerator,
        subscriptions.MRR_START,
        present_when=(subscriptions.ACTIVE,),
    )


METRICS = (
    Metric(
        id="customers",
        label="customers",
        stock=True,
        stage=Stage.EXPAND,
        kind=Kind.OUTCOME,
        unit=Unit.COUNT,
        question=RETAIN,
        definition="Accounts with an active subscription at the start of the month.",
        needs=SUBS,
        dimensions=SEGMENT_ONLY,
        additive=True,
        value=Count(subscriptions.ACTIVE),
    ),
    Metric(
        id="churn_rate",
        label="Churn",
        better=Better.LOWER,
        stage=Stage.EXPAND,
        kind=Kind.OUTCOME,
        unit=Unit.RATE,
        question=RETAIN,
        definition="Accounts active at the start of the month and not active at its end, over "
        "accounts active at its start.",
        needs=SUBS,
        dimensions=SEGMENT_ONLY,
        value=Ratio(subscriptions.CHURNED, subscriptions.ACTIVE),
    ),
    Metric(
        id="gross_revenue_retention",
        label="gross_revenue_retention",
        stage=Stage.EXPAND,
        kind=Kind.OUTCOME,
        unit=Unit.RATE,
        question=RETAIN,
        definition="Over accounts active at the start: Σ min(MRR at end, MRR at start) / "
        "Σ MRR at start.",
        needs=SUBS,
        dimensions=SEGMENT_ONLY,
        value=_retention(subscriptions.MRR_KEPT),
    ),
    Metric(
        id="net_revenue_retention",
        label="Net revenue retention",
        stage=Stage.EXPAND,
        kind=Kind.OUTCOME,
        unit=Unit.RATE,
        question=RETAIN,
        definition="Over accounts active at the start: Σ MRR at end / Σ MRR at start.",
        needs=SUBS,
        dimensions=SEGMENT_ONLY,
        value=_retention(subscriptions.MRR_END),
    ),
    Metric(
        id="upsell_revenue_share",
        label="upsell_revenue_share",
        stage=Stage.EXPAND,
        kind=Kind.OUTCOME,
        unit=Unit.RATE,
        question=RETAIN,
        definition="Amount of upsell and cross_sell deals won in the month / amount of all "
        "deals won in it.",
        needs=("deals",),
        dimensions=CHANNEL_ONLY,
        value=Ratio(
            deals.EXPANSION_AMOUNT,
            deals.WON_AMOUNT,
            present_when=(deals.WON_ROWS,),
        ),
    ),
    Metric(
        id="existing_customer_revenue_share",
        label="existing_customer_revenue_share",
        stage=Stage.EXPAND,
        kind=Kind.OUTCOME,
        unit=Unit.RATE,
        question=RETAIN,
        definition="Amount of upsell, cross_sell and renewal deals won in the month / amount "
        "of all deals won in it.",
        needs=("deals",),
        dimensions=CHANNEL_ONLY,
        value=Ratio(
            deals.EXISTING_AMOUNT,
            deals.WON_AMOUNT,
            present_when=(deals.WON_ROWS,),
        ),
    ),
    Metric(
        id="customer_open_rate",
        label="customer_open_rate",
        stage=Stage.EXPAND,
        kind=Kind.ACTIVITY,
        unit=Unit.RATE,
        question=PROGRAMS,
        definition="As nurture_open_rate, over campaigns with audience = customer.",
        needs=("activities", "campaigns"),
        dimensions=EMAIL_DIMENSIONS,
        value=Ratio(
            email.CUSTOMER_OPENS,
            email.CUSTOMER_DELIVERED,
            present_when=(email.CUSTOMER_OPENS, email.CUSTOMER_EMAIL_ROWS),
        ),
    ),
    Metric(
        id="customer_click_rate",
        label="customer_click_rate",
        stage=Stage.EXPAND,
        kind=Kind.ACTIVITY,
        unit=Unit.RATE,
        question=PROGRAMS,
        definition="As nurture_click_rate, over campaigns with audience = customer.",
        needs=("activities", "campaigns"),
        dimensions=EMAIL_DIMENSIONS,
        value=Ratio(
            email.CUSTOMER_CLICKS,
            email.CUSTOMER_DELIVERED,
            present_when=(email.CUSTOMER_CLICKS, email.CUSTOMER_EMAIL_ROWS),
        ),
    ),
    Metric(
        id="nps",
        label="NPS",
        stage=Stage.EXPAND,
        kind=Kind.OUTCOME,
        unit=Unit.SCORE,
        question=LOYALTY,
        definition="Over responses in the month: 100 × (responses scoring 9–10 − responses "
        "scoring 0–6) / responses.",
        needs=("nps_responses",),
        dimensions=SEGMENT_ONLY,
        value=Ratio(
            surveys.NET_PROMOTERS,
            surveys.RESPONSES,
            present_when=(surveys.RESPONSES,),
            scale=100.0,
        ),
    ),
)
