"""Cross-sell readiness: who has adopted what it owns, is healthy, and looks like the buyers.

An account is *ready* for product P when it does not own P, has used at least `min_breadth`
of the features of what it owns in the last 30 days, has been a customer for at least
`min_tenure_days`, and is not at risk (churn risk ≤ `max_risk` and feature use not falling by
more than `max_usage_drop`). Ready accounts are ranked by a propensity learned from the
accounts that own P against those that do not (logistic regression on the snapshot's facts),
so the top of the list is the accounts most like P's buyers.
"""

from __future__ import annotations

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from lifecycle_metrics.errors import UsageError
from lifecycle_metrics.scoring.pipeline import CATEGORICAL, churn_pipeline, prepare_features

FACTS = (
    "breadth",
    "depth",
    "usage_trend",
    "uses_30d",
    "customer_clicks_90d",
    "events_90d",
    "latest_nps",
    "tenure_days",
    "expansions_won",
    "mrr",
)
MIN_BUYERS = 5  # fewer owners than this: no model, rank by loyalty


class Readiness(BaseModel):
    """Who may be offered a new product."""

    model_config = ConfigDict(extra="forbid")

    min_breadth: float = Field(default=0.5, ge=0, le=1)
    min_tenure_days: float = Field(default=90, ge=0)
    max_risk: float = Field(default=50, ge=0, le=100)
    max_usage_drop: float = Field(default=0.3, ge=0, le=1)


def cross_sell(
    scored: pd.DataFrame,
    owned: pd.DataFrame,
    product: str,
    readiness: Readiness | None = None,
) -> pd.DataFrame:
    """Ready accounts for `product`, best prospects first, with their propensity and reasons."""
    rules = readiness or Readiness()
    known = sorted(set(owned["product"]))
    if product not in known:
        raise UsageError(
            f"unknown product {product!r}: the subscriptions name "
            + (", ".join(repr(p) for p in known) if known else "no product")
        )
    owners = set(owned.account_id[owned["product"] == product])
    frame = scored.assign(owns=scored.account_id.isin(owners).astype("int64"))
    trend = frame.usage_trend.astype("float64")
    ready = (
        (frame.owns == 0)
        & (frame.breadth.astype("float64").fillna(0) >= rules.min_breadth)
        & (frame.tenure_days.astype("float64") >= rules.min_tenure_days)
        & (frame.risk <= rules.max_risk)
        & ~(trend < -rules.max_usage_drop).fillna(False)
    )
    candidates = frame[ready].copy()
    if frame.owns.sum() >= MIN_BUYERS and (frame.owns == 0).sum() >= MIN_BUYERS:
        model = churn_pipeline(FACTS, CATEGORICAL)
        model.fit(prepare_features(frame, FACTS), frame.owns)
        candidates["propensity"] = (
            model.predict_proba(prepare_features(candidates, FACTS))[:, 1]
            if len(candidates)
            else []
        )
        basis = f"learned from {int(frame.owns.sum()):,} accounts that own {product}"
    else:
        candidates["propensity"] = candidates.loyalty / 100
        basis = f"too few owners of {product} to learn from: ranked by loyalty"
    candidates["product"] = product
    candidates["basis"] = basis
    return candidates.sort_values(["propensity", "account_id"], ascending=[False, True])
