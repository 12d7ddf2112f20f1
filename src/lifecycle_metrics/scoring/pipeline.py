"""The learned model churn scoring and cross-sell propensity share: prepared facts, then a fit.

It imports nothing of `customers`, so `customers.crosssell` can import it at module level:
`scoring.backtest` reads customer snapshots, and importing it from `customers` made a cycle.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # scikit-learn loads only when a model is fitted
    from sklearn.pipeline import Pipeline

CATEGORICAL = ("segment",)


def churn_pipeline(numeric: Sequence[str], categorical: Sequence[str]) -> Pipeline:
    """Impute, scale, one-hot, then logistic regression."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    columns = ColumnTransformer(
        [
            (
                "numbers",
                make_pipeline(
                    SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
                    StandardScaler(),
                ),
                list(numeric),
            ),
            ("labels", OneHotEncoder(handle_unknown="ignore"), list(categorical)),
        ]
    )
    return make_pipeline(columns, LogisticRegression(max_iter=2000))


def prepare_features(frame: pd.DataFrame, numeric: Sequence[str]) -> pd.DataFrame:
    """The facts as the model reads them: numbers as floats, counts and money log-scaled."""
    prepared = frame.copy()
    for column in numeric:
        prepared[column] = pd.to_numeric(prepared[column], errors="coerce").astype("float64")
    for column in ("uses_30d", "uses_prev_30d", "mrr", "tenure_days"):
        if column in prepared:
            prepared[column] = np.log1p(prepared[column].clip(lower=0))
    if "usage_trend" in prepared:
        prepared["usage_trend"] = prepared["usage_trend"].clip(-1, 5)
    return prepared
