"""Program effectiveness (SPEC §6): which touches bring customers, and which lift scores.

Touches → journeys of won deals → seven models' credits with cost and ROI; ChannelAttribution
path files through the same models; score lift of activities and opens.
"""

from lifecycle_metrics.attribution.compute import COLUMNS, AttributionResult, attribute
from lifecycle_metrics.attribution.journeys import Settings
from lifecycle_metrics.attribution.models import MODELS, PATH_MODELS
from lifecycle_metrics.attribution.paths import PATH_OUTPUT, credit_paths

__all__ = [
    "COLUMNS",
    "MODELS",
    "PATH_MODELS",
    "PATH_OUTPUT",
    "AttributionResult",
    "Settings",
    "attribute",
    "credit_paths",
]
