"""Loyalty behaviour score (0–100) with its reasons in words, and advocacy segments.

Both are explicit rules over an account snapshot (`snapshot.py`), configurable, vectorised
over all accounts at once. Each loyalty component lies in [0, 1]:

  adoption    share of the features of its products used in the last 30 days
  usage_trend use in the last 30 days against the 30 before: −100 % → 0, flat → 0.5, +100 % → 1
  engagement  (unique customer-campaign clicks + 2 × events attended) in 90 days, 3 or more → 1
  nps         latest NPS score / 10 (no answer → 0.5, neutral)
  tenure      years as a customer, 2 or more → 1
  expansion   upsell or cross-sell won at least once → 1

Advocacy (lurkers / likers / lovers): lovers acted for the brand (an advocacy activity in the
last 365 days); likers are promoters or active in customer programs but do not advocate;
lurkers use the product quietly. Segments come from behaviour, never from quantiles.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

COMPONENTS = ("adoption", "usage_trend", "engagement", "nps", "tenure", "expansion")
SEGMENTS = ("lurker", "liker", "lover")
RULE_OF_THUMB = {"lurker": 0.90, "liker": 0.09, "lover": 0.01}


class LoyaltyWeights(BaseModel):
    """How much each component counts (normalised to sum 1)."""

    model_config = ConfigDict(extra="forbid")

    adoption: float = Field(default=0.30, ge=0)
    usage_trend: float = Field(default=0.15, ge=0)
    engagement: float = Field(default=0.15, ge=0)
    nps: float = Field(default=0.20, ge=0)
    tenure: float = Field(default=0.10, ge=0)
    expansion: float = Field(default=0.10, ge=0)


class AdvocacyRules(BaseModel):
    """Thresholds of the advocacy segments."""

    model_config = ConfigDict(extra="forbid")

    lover_min_acts: int = Field(default=1, ge=1)  # advocacy activities in 365 days
    liker_min_nps: int = Field(default=9, ge=0, le=10)  # latest score at least this: a promoter
    liker_min_engagement: int = Field(default=1, ge=1)  # customer clicks + events in 90 days


def components(snapshot: pd.DataFrame) -> pd.DataFrame:
    """Each loyalty component in [0, 1], per account."""
    trend = snapshot["usage_trend"].astype("float64")
    using = snapshot["uses_30d"].astype("float64") > 0
    usage = ((trend + 1) / 2).clip(0, 1)
    usage = usage.fillna(pd.Series(np.where(using, 0.5, 0.0), index=snapshot.index))
    engaged = snapshot["customer_clicks_90d"].astype("float64") + 2 * snapshot["events_90d"].astype(
        "float64"
    )
    nps = pd.to_numeric(snapshot["latest_nps"], errors="coerce").astype("float64") / 10
    return pd.DataFrame(
        {
            "adoption": snapshot["breadth"].astype("float64").fillna(0.0).clip(0, 1),
            "usage_trend": usage,
            "engagement": (engaged / 3).clip(0, 1),
            "nps": nps.fillna(0.5).clip(0, 1),
            "tenure": (snapshot["tenure_days"].astype("float64") / 730).clip(0, 1),
            "expansion": (snapshot["expansions_won"].astype("float64") > 0).astype("float64"),
        },
        index=snapshot.index,
    )


def _phrases(snapshot: pd.DataFrame) -> pd.DataFrame:
    """What each component says about an account, in words (vectorised string building)."""
    trend = snapshot["usage_trend"].astype("float64")
    pct = (trend.abs() * 100).round().astype("Int64").astype("string")
    usage = (
        pd.Series(
            np.where(trend < 0, "feature use fell ", "feature use rose "),
            index=snapshot.index,
            dtype="string",
        )
        + pct.fillna("0")
        + "% in 30 days"
    )
    usage = usage.where(trend.notna(), "no feature use to compare with the 30 days before")
    used = snapshot["features_used_30d"].astype("int64").astype("string")
    owned = snapshot["features_owned"].astype("int64").astype("string")
    nps = pd.to_numeric(snapshot["latest_nps"], errors="coerce")
    nps_text = ("latest NPS " + nps.astype("Int64").astype("string")).fillna("no NPS answer")
    years = (snapshot["tenure_days"].astype("float64") / 365.25).round(1).astype("string")
    engaged = snapshot["customer_clicks_90d"].astype("int64") + snapshot["events_90d"].astype(
        "int64"
    )
    return pd.DataFrame(
        {
            "adoption": "uses " + used + " of " + owned + " features of its products",
            "usage_trend": usage,
            "engagement": pd.Series(
                np.where(
                    engaged > 0,
                    "active in customer programs",
                    "no customer-program engagement in 90 days",
                ),
                index=snapshot.index,
            ),
            "nps": nps_text,
            "tenure": "customer for " + years + " years",
            "expansion": pd.Series(
                np.where(
                    snapshot["expansions_won"].astype("int64") > 0, "has expanded", "never expanded"
                ),
                index=snapshot.index,
            ),
        }
    )


def loyalty(snapshot: pd.DataFrame, weights: LoyaltyWeights | None = None) -> pd.DataFrame:
    """Loyalty score 0–100, churn risk (100 − loyalty) and the two strongest reasons."""
    weights = weights or LoyaltyWeights()
    parts = components(snapshot)
    w = np.array([getattr(weights, name) for name in COMPONENTS], dtype="float64")
    if w.sum() <= 0:
        raise ValueError("loyalty weights must not all be zero")
    w = w / w.sum()
    values = parts[list(COMPONENTS)].to_numpy()
    score = 100 * values @ w
    # a reason's strength: how far its component pulls the score from neutral (0.5)
    pull = (values - 0.5) * w
    order = np.argsort(-np.abs(pull), axis=1, kind="stable")[:, :2]
    phrases = _phrases(snapshot)[list(COMPONENTS)].to_numpy()
    top = np.take_along_axis(phrases, order, axis=1)
    return pd.DataFrame(
        {
            "loyalty": score,
            "risk": 100 - score,
            "reasons": pd.Series(top[:, 0], index=snapshot.index)
            + "; "
            + pd.Series(top[:, 1], index=snapshot.index),
        },
        index=snapshot.index,
    )


def advocacy(snapshot: pd.DataFrame, rules: AdvocacyRules | None = None) -> pd.Series:
    """Lurker / liker / lover per account."""
    rules = rules or AdvocacyRules()
    nps = pd.to_numeric(snapshot["latest_nps"], errors="coerce")
    engaged = snapshot["customer_clicks_90d"].astype("float64") + snapshot["events_90d"].astype(
        "float64"
    )
    lover = snapshot["advocacy_acts_365d"].astype("float64") >= rules.lover_min_acts
    liker = (nps >= rules.liker_min_nps).fillna(False) | (engaged >= rules.liker_min_engagement)
    return pd.Series(
        np.select([lover, liker], ["lover", "liker"], default="lurker"),
        index=snapshot.index,
        name="advocacy",
    )


def score_accounts(
    snapshot: pd.DataFrame,
    weights: LoyaltyWeights | None = None,
    rules: AdvocacyRules | None = None,
) -> pd.DataFrame:
    """The snapshot with loyalty, risk, reasons and advocacy segment."""
    if snapshot.empty:
        return snapshot.assign(loyalty=[], risk=[], reasons=[], advocacy=[])
    return pd.concat([snapshot, loyalty(snapshot, weights), advocacy(snapshot, rules)], axis=1)


def advocacy_shares(scored: pd.DataFrame) -> dict[str, dict[str, float | int]]:
    """Count and share of each advocacy segment, beside the 90 / 9 / 1 rule of thumb."""
    total = len(scored)
    counts = scored["advocacy"].value_counts() if total else pd.Series(dtype="int64")
    return {
        segment: {
            "accounts": int(counts.get(segment, 0)),
            "share": (int(counts.get(segment, 0)) / total) if total else 0.0,
            "rule_of_thumb": RULE_OF_THUMB[segment],
        }
        for segment in SEGMENTS
    }
