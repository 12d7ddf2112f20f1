"""Attract: how much traffic do we draw, from which channels?"""

from lifecycle_metrics.metrics.families import web
from lifecycle_metrics.metrics.spec import CHANNEL_ONLY, Kind, Metric, Stage, Unit
from lifecycle_metrics.metrics.values import Count

TRAFFIC = "How much traffic do we draw, from which channels?"

METRICS = (
    Metric(
        id="visits",
        label="visits",
        stage=Stage.ATTRACT,
        kind=Kind.ACTIVITY,
        unit=Unit.COUNT,
        question=TRAFFIC,
        definition="Web sessions started in the month (by the session's own channel).",
        needs=("web_sessions",),
        dimensions=CHANNEL_ONLY,
        additive=True,
        value=Count(web.SESSIONS),
    ),
    Metric(
        id="unique_visitors",
        label="unique_visitors",
        stage=Stage.ATTRACT,
        kind=Kind.ACTIVITY,
        unit=Unit.COUNT,
        question=TRAFFIC,
        definition="Distinct visitor_id with a web session started in the month.",
        needs=("web_sessions",),
        dimensions=CHANNEL_ONLY,
        value=Count(web.VISITORS),
    ),
)
