"""Expand: which customer programs work, how well we retain and upsell, how loyalty trends."""

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
from lifecycle_metrics.metrics.values import Count, Ratio, Ref

PROGRAMS = "Which customer programs work best?"
RETAIN = "How well do we retain and upsell customers?"
LOYALTY = "How is loyalty trending?"
SUBS = ("subscriptions",)


def _retention(numerator: str) -> Ratio:
    return Ratio(
        Ref("subscriptions", numerator),
        Ref("subscriptions", "mrr_start"),
        present_when=(Ref("subscriptions", "active"),),
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
        value=Count(Ref("subscriptions", "active")),
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
        value=Ratio(Ref("subscriptions", "churned"), Ref("subscriptions", "active")),
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
        value=_retention("mrr_kept"),
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
        value=_retention("mrr_end"),
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
            Ref("won_deals", "expansion_amount"),
            Ref("won_deals", "amount"),
            present_when=(Ref("won_deals", "won_rows"),),
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
            Ref("won_deals", "existing_amount"),
            Ref("won_deals", "amount"),
            present_when=(Ref("won_deals", "won_rows"),),
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
            Ref("email", "customer_opens"),
            Ref("email", "customer_delivered"),
            present_when=(Ref("email", "customer_opens"), Ref("email", "customer_email_rows")),
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
            Ref("email", "customer_clicks"),
            Ref("email", "customer_delivered"),
            present_when=(Ref("email", "customer_clicks"), Ref("email", "customer_email_rows")),
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
            Ref("nps", "net_promoters"),
            Ref("nps", "responses"),
            present_when=(Ref("nps", "responses"),),
            scale=100.0,
        ),
    ),
)
