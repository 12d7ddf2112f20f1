"""Convert: which sources bring customers, how fast, how many, at what cost and ROI."""

from lifecycle_metrics.metrics.families import costs, deals, funnel
from lifecycle_metrics.metrics.families.cohorts import cohort
from lifecycle_metrics.metrics.spec import (
    CHANNEL_ONLY,
    CONTACT_DIMENSIONS,
    Better,
    Kind,
    Metric,
    Stage,
    Unit,
)
from lifecycle_metrics.metrics.values import CostPer, Count, Median, TrailingReturn

SOURCES = "Which lead sources and programs bring customers?"
SPEED = "How fast do leads convert?"
VOLUME = "How many SQLs and new customers, at what cost, with what ROI per channel?"

METRICS = (
    Metric(
        id="sqls",
        label="SQLs",
        stage=Stage.CONVERT,
        kind=Kind.OUTCOME,
        unit=Unit.COUNT,
        question=VOLUME,
        definition="Contacts that reach sql (or a later funnel stage) in the month, first "
        "time only.",
        needs=("stage_changes",),
        dimensions=CONTACT_DIMENSIONS,
        additive=True,
        value=Count(funnel.SQLS),
    ),
    Metric(
        id="new_customers",
        label="New customers",
        stage=Stage.CONVERT,
        kind=Kind.OUTCOME,
        unit=Unit.COUNT,
        question=SOURCES,
        definition="Accounts whose first contact to reach customer does so in the month "
        "(dimensions of that contact; ties go to the lowest contact_id).",
        needs=("stage_changes",),
        dimensions=CONTACT_DIMENSIONS,
        additive=True,
        value=Count(funnel.ACCOUNTS),
    ),
    Metric(
        id="cost_per_sql",
        label="cost_per_sql",
        better=Better.LOWER,
        stage=Stage.CONVERT,
        kind=Kind.ACTIVITY,
        unit=Unit.CURRENCY,
        question=VOLUME,
        definition="Cost(m) / sqls.",
        needs=("stage_changes", "costs"),
        dimensions=CHANNEL_ONLY,
        value=CostPer(costs.COST, costs.COST_ROWS, funnel.SQLS),
    ),
    Metric(
        id="cost_per_customer",
        label="cost_per_customer",
        better=Better.LOWER,
        stage=Stage.CONVERT,
        kind=Kind.ACTIVITY,
        unit=Unit.CURRENCY,
        question=VOLUME,
        definition="Cost(m) / new_customers.",
        needs=("stage_changes", "costs"),
        dimensions=CHANNEL_ONLY,
        value=CostPer(costs.COST, costs.COST_ROWS, funnel.ACCOUNTS),
    ),
    Metric(
        id="mql_to_sql_rate",
        label="mql_to_sql_rate",
        stage=Stage.CONVERT,
        kind=Kind.OUTCOME,
        unit=Unit.RATE,
        question=SPEED,
        definition="Of contacts reaching mql in the month, the share reaching sql within 90 days.",
        needs=("stage_changes",),
        dimensions=CONTACT_DIMENSIONS,
        value=cohort("mql", "sql", within_days=90).rate(),
    ),
    Metric(
        id="sql_to_customer_rate",
        label="sql_to_customer_rate",
        stage=Stage.CONVERT,
        kind=Kind.OUTCOME,
        unit=Unit.RATE,
        question=SPEED,
        definition="Of contacts reaching sql in the month, the share reaching customer within "
        "180 days.",
        needs=("stage_changes",),
        dimensions=CONTACT_DIMENSIONS,
        value=cohort("sql", "customer", within_days=180).rate(),
    ),
    Metric(
        id="sql_to_opportunity_rate",
        label="sql_to_opportunity_rate",
        stage=Stage.CONVERT,
        kind=Kind.OUTCOME,
        unit=Unit.RATE,
        question=SPEED,
        definition="Of contacts reaching sql in the month, the share reaching opportunity within "
        "90 days.",
        needs=("stage_changes",),
        dimensions=CONTACT_DIMENSIONS,
        value=cohort("sql", "opportunity", within_days=90).rate(),
    ),
    Metric(
        id="lead_to_customer_days",
        label="lead_to_customer_days",
        better=Better.LOWER,
        stage=Stage.CONVERT,
        kind=Kind.OUTCOME,
        unit=Unit.DAYS,
        question=SPEED,
        definition="Median days from reaching lead to reaching customer, over contacts reaching "
        "customer in the month.",
        needs=("stage_changes",),
        dimensions=CONTACT_DIMENSIONS,
        value=Median(funnel.MEDIAN_DAYS_TO_CUSTOMER, funnel.CONTACTS_WON),
    ),
    Metric(
        id="bookings",
        label="Bookings",
        stage=Stage.CONVERT,
        kind=Kind.OUTCOME,
        unit=Unit.CURRENCY,
        question=SOURCES,
        definition="Sum of amount of deals won (closed_at) in the month.",
        needs=("deals",),
        dimensions=CHANNEL_ONLY,
        additive=True,
        value=Count(deals.WON_AMOUNT, size=deals.WON_ROWS),
    ),
    Metric(
        id="marketing_roi",
        label="ROI (12 months)",
        stage=Stage.CONVERT,
        kind=Kind.OUTCOME,
        unit=Unit.RATE,
        question=VOLUME,
        definition="Over the 12 months ending with the month: (amount of new_business deals "
        "won − Σ Cost) / Σ Cost; empty while the window has no cost.",
        needs=("deals", "costs"),
        dimensions=CHANNEL_ONLY,
        value=TrailingReturn(
            gain=deals.NEW_BUSINESS_AMOUNT,
            cost=costs.COST,
            present_when=(deals.NEW_BUSINESS_ROWS, costs.COST_ROWS),
        ),
    ),
)
