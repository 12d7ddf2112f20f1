"""Capture: how many new leads, from which channels, at what cost?"""

from lifecycle_metrics.metrics.families import costs, funnel, web
from lifecycle_metrics.metrics.spec import (
    CHANNEL_ONLY,
    CONTACT_DIMENSIONS,
    Better,
    Kind,
    Metric,
    Stage,
    Unit,
)
from lifecycle_metrics.metrics.values import CostPer, Count, Ratio

LEADS = "How many new leads, from which channels, at what cost?"

METRICS = (
    Metric(
        id="new_leads",
        label="New leads",
        stage=Stage.CAPTURE,
        kind=Kind.OUTCOME,
        unit=Unit.COUNT,
        question=LEADS,
        definition="Contacts that reach lead in the month: the earliest of created_at and all "
        "their stage changes.",
        needs=("contacts",),
        dimensions=CONTACT_DIMENSIONS,
        additive=True,
        value=Count(funnel.LEADS),
    ),
    Metric(
        id="visit_to_lead_rate",
        label="visit_to_lead_rate",
        stage=Stage.CAPTURE,
        kind=Kind.OUTCOME,
        unit=Unit.RATE,
        question=LEADS,
        definition="new_leads / unique_visitors of the month (total only).",
        needs=("contacts", "web_sessions"),
        dimensions=(),
        value=Ratio(funnel.LEADS, web.VISITORS),
    ),
    Metric(
        id="cost_per_lead",
        label="cost_per_lead",
        better=Better.LOWER,
        stage=Stage.CAPTURE,
        kind=Kind.ACTIVITY,
        unit=Unit.CURRENCY,
        question=LEADS,
        definition="Cost(m) / new_leads; per channel, the channel's cost with unallocated cost "
        "shared out. Empty in a month without cost rows.",
        needs=("contacts", "costs"),
        dimensions=CHANNEL_ONLY,
        value=CostPer(costs.COST, costs.COST_ROWS, funnel.LEADS),
    ),
)
