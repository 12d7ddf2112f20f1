"""The churn backtest: judged by hand on tiny arrays, labels checked against the raw files,
no training label from the test period, and the Telco reference reached."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lifecycle_metrics.dataset import load
from lifecycle_metrics.scoring.backtest import (
    churn_pipeline,
    judge,
    labelled_snapshots,
    time_split_backtest,
)
from tests.conftest import SHARED_DATA

TELCO = SHARED_DATA / "ibm-telco-customer-churn" / "WA_Fn-UseC_-Telco-Customer-Churn.csv"
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))


def test_judge_by_hand() -> None:
    judged = judge("x", [1, 1, 0, 0, 0], [0.9, 0.4, 0.5, 0.3, 0.1])
    # 6 churned × kept pairs; 0.9 beats all 3, 0.4 beats 2 of 3
    assert judged.auc == pytest.approx(5 / 6)
    # riskiest tenth = 1 account, churned: rate 1 against a base rate of 2/5
    assert judged.lift_top_decile == pytest.approx(2.5)
    assert [(c["predicted"], c["observed"]) for c in judged.calibration] == [
        (0.1, 0.0),
        (0.3, 0.0),
        (0.4, 1.0),
        (0.5, 0.0),
        (0.9, 1.0),
    ]


@pytest.fixture(scope="module")
def snapshots(demo_folder: Path) -> pd.DataFrame:
    return labelled_snapshots(load(demo_folder), months=12)


def test_labels_match_the_subscription_file(demo_folder: Path, snapshots: pd.DataFrame) -> None:
    subs = pd.read_parquet(demo_folder / "subscriptions.parquet")
    started = subs.started_at.dt.tz_convert(None)
    ended = subs.ended_at.dt.tz_convert(None)
    for t in sorted(snapshots.as_of.unique())[::4]:
        t = pd.Timestamp(t)
        later = t + pd.Timedelta(days=90)
        active = set(subs.account_id[(started <= t) & (ended.isna() | (ended > t))])
        kept = set(subs.account_id[(started <= later) & (ended.isna() | (ended > later))])
        month = snapshots[snapshots.as_of == t]
        assert set(month.account_id) == active
        assert set(month.account_id[month.churned == 1]) == active - kept


def test_time_split_has_no_leakage_and_both_scores_rank(snapshots: pd.DataFrame) -> None:
    rule, learned, split = time_split_backtest(snapshots)
    train_end = pd.Timestamp(split["train"].split(" … ")[1][:10])
    test_start = pd.Timestamp(split["test"][:10])
    assert train_end + pd.Timedelta(days=90) <= test_start
    # the demo's churners lose adoption first, so both scores must rank better than chance
    assert rule.auc > 0.6 and learned.auc > 0.7
    assert rule.accounts == learned.accounts and rule.churned == learned.churned > 0


def test_telco_reference_numbers_and_auc() -> None:
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from telco_snapshot import CATEGORICAL, NUMERIC, read_telco, to_snapshot

    raw = read_telco(TELCO)
    assert (len(raw), int(raw.churned.sum())) == (7043, 1869)  # SOURCE.md: 26.537 %
    snapshot = to_snapshot(raw)
    assert snapshot.mrr.sum() == pytest.approx(456_116.60)
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    predicted = cross_val_predict(
        churn_pipeline(NUMERIC, CATEGORICAL), raw, raw.churned, cv=folds, method="predict_proba"
    )[:, 1]
    assert judge("lr", raw.churned, np.asarray(predicted)).auc >= 0.84
