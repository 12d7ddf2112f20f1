"""Churn risk that is measured: score accounts at past month ends, see who churned next.

For each month end t whose horizon has passed by as_of (t + 90 days ≤ as_of), every account
active at t is scored from what was known at t (the model ignores later rows), and labelled
churned when it has no active subscription at t + 90 days. Two scores are judged:

* the rule-based loyalty score (risk = 100 − loyalty), which needs no training;
* a learned model (scikit-learn logistic regression) trained on the earlier snapshots and
  tested on the later ones, with a gap so no training label looks past the first test
  snapshot (no leakage from the future).

Judged by ROC AUC, the lift of the riskiest decile (its churn rate ÷ the base rate) and
calibration (mean predicted against observed churn in five bins).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from lifecycle_metrics.customers.scores import score_accounts
from lifecycle_metrics.customers.snapshot import snapshot_at
from lifecycle_metrics.dataset import Dataset
from lifecycle_metrics.model.model import Model
from lifecycle_metrics.periods import month_label, month_start_utc
from lifecycle_metrics.scoring.pipeline import CATEGORICAL, churn_pipeline, prepare_features

HORIZON_DAYS = 90
NUMERIC = (
    "breadth",
    "depth",
    "usage_trend",
    "uses_30d",
    "uses_prev_30d",
    "customer_clicks_90d",
    "events_90d",
    "latest_nps",
    "tenure_days",
    "expansions_won",
    "mrr",
    "advocacy_acts_365d",
)
Progress = Callable[[str], None]


@dataclass
class Judgement:
    """How well one score ranks and predicts churn."""

    name: str
    accounts: int
    churned: int
    auc: float
    lift_top_decile: float
    calibration: list[dict[str, float]] = field(default_factory=list)


def judge(
    name: str,
    labels: Sequence[int] | pd.Series,
    scores: Sequence[float] | pd.Series,
    probability: Sequence[float] | pd.Series | None = None,
) -> Judgement:
    """AUC, riskiest-decile lift and calibration of `scores` (higher = riskier)."""
    from sklearn.metrics import roc_auc_score

    y = np.asarray(labels, dtype="int64")
    s = np.asarray(scores, dtype="float64")
    base = y.mean()
    top = max(1, math.ceil(len(y) / 10))
    order = np.argsort(-s, kind="stable")
    lift = y[order[:top]].mean() / base if base > 0 else float("nan")
    p = np.asarray(probability if probability is not None else s, dtype="float64")
    bins = pd.qcut(pd.Series(p).rank(method="first"), 5, labels=False)
    calibration = [
        {
            "bin": int(b),
            "predicted": float(p[bins == b].mean()),
            "observed": float(y[bins == b].mean()),
            "accounts": int((bins == b).sum()),
        }
        for b in sorted(bins.unique())
    ]
    return Judgement(
        name, len(y), int(y.sum()), float(roc_auc_score(y, s)), float(lift), calibration
    )


def month_ends(
    model: Model, count: int, horizon_days: int = HORIZON_DAYS
) -> list[tuple[int, datetime]]:
    """The last `count` (month, end of month) whose horizon has passed by as_of."""
    ends = [
        (m, month_start_utc(m + 1, model.tz))
        for m in model.window.months
        if month_start_utc(m + 1, model.tz) + timedelta(days=horizon_days) <= model.as_of
    ]
    return ends[-count:]


def labelled_snapshots(
    dataset: Dataset,
    *,
    months: int = 24,
    horizon_days: int = HORIZON_DAYS,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Scored snapshots at past month ends, with `churned` within the horizon (0/1)."""
    say = progress or (lambda _message: None)
    full = Model(dataset)
    frames = []
    subs = full.tables["subscriptions"]
    for month, t in month_ends(full, months, horizon_days):
        say(f"snapshot at the end of {month_label(month)}")
        known = Model(dataset, as_of=t)
        snapshot = snapshot_at(known, t)
        if snapshot.empty:
            continue
        later = t + timedelta(days=horizon_days)
        still = (
            subs.filter(
                (subs.started_at <= later) & (subs.ended_at.isnull() | (subs.ended_at > later))
            )
            .select("account_id")
            .distinct()
            .execute()
        )
        scored = score_accounts(snapshot)
        scored["churned"] = (~scored.account_id.isin(still.account_id)).astype("int64")
        frames.append(scored)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def time_split_backtest(
    snapshots: pd.DataFrame, horizon_days: int = HORIZON_DAYS, test_share: float = 0.34
) -> tuple[Judgement, Judgement, dict[str, str]]:
    """The rule score and the learned model, judged on the same later snapshots."""
    times = sorted(snapshots.as_of.unique())
    first_test = times[int(len(times) * (1 - test_share))]
    cutoff = pd.Timestamp(first_test) - pd.Timedelta(days=horizon_days)
    train = snapshots[snapshots.as_of <= cutoff]
    test = snapshots[snapshots.as_of >= first_test]
    model = churn_pipeline(NUMERIC, CATEGORICAL)
    model.fit(prepare_features(train, NUMERIC), train.churned)
    learned = model.predict_proba(prepare_features(test, NUMERIC))[:, 1]
    rule = judge("loyalty score (rule)", test.churned, test.risk, test.risk / 100)
    fitted = judge("logistic regression", test.churned, learned)
    split = {
        "train": f"{pd.Timestamp(times[0]):%Y-%m-%d} … {cutoff:%Y-%m-%d} ({len(train):,} rows)",
        "test": f"{pd.Timestamp(first_test):%Y-%m-%d} … {pd.Timestamp(times[-1]):%Y-%m-%d} "
        f"({len(test):,} rows)",
    }
    return rule, fitted, split
