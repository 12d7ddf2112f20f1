"""targets.yaml: monthly and quarterly targets per metric, optionally per channel.

    mqls:
      monthly: 450
      quarterly: 1400
      channels:
        paid_search: {monthly: 120, quarterly: 360}
    cost_per_mql:
      monthly: 150

A quarterly target of a flow (a count or an amount summed over months) is the quarter's total;
of anything else (a rate, a level) it is the value to hold in every month of the quarter.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, RootModel, ValidationError

from lifecycle_metrics.errors import UsageError
from lifecycle_metrics.metrics.catalog import CATALOG


class Goal(BaseModel):
    """A monthly and/or a quarterly target."""

    model_config = ConfigDict(extra="forbid")

    monthly: float | None = None
    quarterly: float | None = None


class MetricTargets(Goal):
    """Targets of one metric: for the total, and per channel."""

    channels: dict[str, Goal] = Field(default_factory=dict)


class Targets(RootModel[dict[str, MetricTargets]]):
    """Targets per metric id."""

    def of(self, metric_id: str) -> MetricTargets | None:
        """The targets of one metric, if any."""
        return self.root.get(metric_id)


NO_TARGETS = Targets({})


def load_targets(path: Path) -> Targets:
    """Read and check a targets file; every mistake is named with its place in the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot read targets file {path}: {error.strerror or error}") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise UsageError(f"{path}: not valid YAML: {error}") from None
    if raw is None:
        return NO_TARGETS
    if not isinstance(raw, dict):
        raise UsageError(f"{path}: expected a mapping of metric id to targets")
    try:
        targets = Targets.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        place = ".".join(str(part) for part in first["loc"])
        got = first.get("input")
        raise UsageError(
            f"{path}: {place}: {first['msg'].lower()} (got {got!r}); "
            "expected monthly/quarterly numbers and an optional channels mapping"
        ) from None
    for metric_id, goal in targets.root.items():
        if metric_id not in CATALOG:
            raise UsageError(
                f"{path}: unknown metric {metric_id!r}: see `lifecycle catalog` for the ids"
            )
        if goal.channels and "channel" not in CATALOG.get(metric_id).dimensions:
            raise UsageError(f"{path}: {metric_id}.channels: {metric_id} has no channel dimension")
    return targets
