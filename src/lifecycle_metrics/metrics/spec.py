"""What a metric is: the closed sets of stages, kinds, units and dimensions, and the registry.

A metric is data: an id, where it sits in the lifecycle, what it answers and how its value is
formed from measures of a *family* (one query each, see `families/`). Everything that lists
or shows metrics reads this registry.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from lifecycle_metrics.metrics.values import ValueRule


class Stage(StrEnum):
    """The five lifecycle stages, in order."""

    ATTRACT = "attract"
    CAPTURE = "capture"
    NURTURE = "nurture"
    CONVERT = "convert"
    EXPAND = "expand"


class Kind(StrEnum):
    """Activity metrics are in marketing's control; outcome metrics are what customers did."""

    ACTIVITY = "activity"
    OUTCOME = "outcome"


class Unit(StrEnum):
    """How a value is read and shown."""

    COUNT = "count"
    RATE = "rate"
    CURRENCY = "currency"
    DAYS = "days"
    SCORE = "score"


class Better(StrEnum):
    """Which way a metric should move: what early warnings call a move against it."""

    HIGHER = "higher"
    LOWER = "lower"


DIMENSIONS: tuple[str, ...] = ("channel", "source", "campaign_id", "segment")
CONTACT_DIMENSIONS: tuple[str, ...] = ("channel", "source", "campaign_id", "segment")
EMAIL_DIMENSIONS: tuple[str, ...] = ("campaign_id", "channel")
CHANNEL_ONLY: tuple[str, ...] = ("channel",)
SEGMENT_ONLY: tuple[str, ...] = ("segment",)

STAGE_QUESTIONS: dict[Stage, tuple[str, ...]] = {
    Stage.ATTRACT: ("How much traffic do we draw, from which channels?",),
    Stage.CAPTURE: ("How many new leads, from which channels, at what cost?",),
    Stage.NURTURE: (
        "Which automated programs nurture best?",
        "Where do leads stall or drop out?",
        "Which activity lifts lead scores?",
        "How many MQLs, at what cost?",
    ),
    Stage.CONVERT: (
        "Which lead sources and programs bring customers?",
        "How fast do leads convert?",
        "How many SQLs and new customers, at what cost, with what ROI per channel?",
    ),
    Stage.EXPAND: (
        "Which customer programs work best?",
        "How well do we retain and upsell customers?",
        "How is loyalty trending?",
    ),
}


@dataclass(frozen=True, kw_only=True)
class Metric:
    """One metric of the catalog, declared once."""

    id: str
    label: str  # how the report names it (the id itself where it has no other name)
    stage: Stage
    kind: Kind
    unit: Unit
    question: str
    definition: str
    needs: tuple[str, ...]
    dimensions: tuple[str, ...]
    value: ValueRule
    additive: bool = False  # members of a dimension sum to the total
    better: Better = Better.HIGHER
    stock: bool = False  # a level at an instant (not summed over months into a quarter)

    def __post_init__(self) -> None:
        if self.question not in STAGE_QUESTIONS[self.stage]:
            raise ValueError(
                f"metric {self.id!r}: {self.question!r} is not a {self.stage.value} "
                "question of SPEC §1"
            )
        unknown = set(self.dimensions) - set(DIMENSIONS)
        if unknown:
            raise ValueError(f"metric {self.id!r}: unknown dimensions {sorted(unknown)}")

    @property
    def families(self) -> tuple[str, ...]:
        """The measure families its value reads."""
        return self.value.families


class Registry:
    """The catalog: metrics in declaration order; refuses duplicate ids."""

    def __init__(self) -> None:
        self._metrics: dict[str, Metric] = {}

    def add(self, *metrics: Metric) -> None:
        """Register metrics; an id may be declared only once."""
        for metric in metrics:
            if metric.id in self._metrics:
                raise ValueError(f"metric {metric.id!r} is declared twice")
            self._metrics[metric.id] = metric

    def __iter__(self) -> Iterator[Metric]:
        return iter(self._metrics.values())

    def __len__(self) -> int:
        return len(self._metrics)

    def __contains__(self, metric_id: object) -> bool:
        return metric_id in self._metrics

    def get(self, metric_id: str) -> Metric:
        """The metric called `metric_id`."""
        return self._metrics[metric_id]

    def ids(self) -> tuple[str, ...]:
        """All metric ids in catalog order."""
        return tuple(self._metrics)

    def enabled_by(self, table: str) -> tuple[str, ...]:
        """Ids of the metrics that need `table`."""
        return tuple(metric.id for metric in self if table in metric.needs)
