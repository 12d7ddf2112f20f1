"""scoring.yaml: the loyalty weights, advocacy thresholds and cross-sell readiness in one file.

    loyalty:   {adoption: 0.3, usage_trend: 0.15, engagement: 0.15, nps: 0.2, tenure: 0.1,
                expansion: 0.1}
    advocacy:  {lover_min_acts: 1, liker_min_nps: 9, liker_min_engagement: 1}
    readiness: {min_breadth: 0.5, min_tenure_days: 90, max_risk: 50, max_usage_drop: 0.3}

Every key is optional; what is left out keeps its default.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lifecycle_metrics.customers.crosssell import Readiness
from lifecycle_metrics.customers.scores import AdvocacyRules, LoyaltyWeights
from lifecycle_metrics.errors import UsageError


class ScoringConfig(BaseModel):
    """All the rules of account scoring."""

    model_config = ConfigDict(extra="forbid")

    loyalty: LoyaltyWeights = Field(default_factory=LoyaltyWeights)
    advocacy: AdvocacyRules = Field(default_factory=AdvocacyRules)
    readiness: Readiness = Field(default_factory=Readiness)


def load_scoring_config(path: Path | None) -> ScoringConfig:
    """Read a scoring config (defaults without a file); mistakes are named with their place."""
    if path is None:
        return ScoringConfig()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UsageError(f"cannot read scoring config {path}: {error.strerror or error}") from None
    except yaml.YAMLError as error:
        raise UsageError(f"{path}: not valid YAML: {error}") from None
    try:
        config = ScoringConfig.model_validate(raw or {})
    except ValidationError as error:
        first = error.errors()[0]
        place = ".".join(str(part) for part in first["loc"])
        raise UsageError(
            f"{path}: {place}: {first['msg'].lower()} (got {first.get('input')!r})"
        ) from None
    weights = config.loyalty
    if sum(getattr(weights, name) for name in LoyaltyWeights.model_fields) <= 0:
        raise UsageError(f"{path}: loyalty: the weights must not all be zero")
    return config
