"""Measure families: one Ibis query each, measures per (month, dimension, member).

Each module holds its families' row builders, queries, drill-down records and the measures
they export; `base` holds what they share. Importing this package registers every family.
"""

from lifecycle_metrics.metrics.families import (
    cohorts,
    costs,
    deals,
    email,
    funnel,
    subscriptions,
    surveys,
    web,
)
from lifecycle_metrics.metrics.families.base import FAMILIES, Family
from lifecycle_metrics.metrics.families.funnel import new_lead_score_rows
from lifecycle_metrics.metrics.families.surveys import response_rows

__all__ = [
    "FAMILIES",
    "Family",
    "cohorts",
    "costs",
    "deals",
    "email",
    "funnel",
    "new_lead_score_rows",
    "response_rows",
    "subscriptions",
    "surveys",
    "web",
]
