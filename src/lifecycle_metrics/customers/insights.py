"""What the account scores say together.

The two warnings of the seed material, advocacy month by month, and how new customers adopt
each product.

* Loyalty is not advocacy: loyalty band × advocacy segment, and the loyal accounts that never
  advocate.
* The most profitable customers are not necessarily the best advocates: Spearman's rank
  correlation between MRR and advocacy acts, with the top advocates' MRR.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from lifecycle_metrics.customers.scores import SEGMENTS, score_accounts
from lifecycle_metrics.customers.snapshot import snapshot_at
from lifecycle_metrics.dataset import Dataset
from lifecycle_metrics.model.model import Model
from lifecycle_metrics.periods import days_between, month_label, month_start_utc

BANDS = (("low", 0.0, 40.0), ("medium", 40.0, 60.0), ("high", 60.0, 100.0001))
CURVE_MONTHS = 12
DAYS_PER_STEP = 30
TOP_ADVOCATES = 5
Progress = Callable[[str], None]


def loyalty_band(score: pd.Series) -> pd.Series:
    """Low (< 40), medium (40–60), high (≥ 60)."""
    labels = [name for name, _, _ in BANDS]
    edges = [BANDS[0][1]] + [high for _, _, high in BANDS]
    return pd.cut(score, edges, labels=labels, right=False).astype("string")


def loyalty_advocacy_matrix(scored: pd.DataFrame) -> dict[str, Any]:
    """Accounts per loyalty band × advocacy segment, and the loyal ones that never advocate."""
    bands = loyalty_band(scored["loyalty"])
    table = pd.crosstab(bands, scored["advocacy"]).reindex(
        index=[name for name, _, _ in BANDS], columns=list(SEGMENTS), fill_value=0
    )
    loyal = bands == "high"
    silent = loyal & (scored["advocacy"] != "lover")
    return {
        "matrix": {band: {s: int(table.loc[band, s]) for s in SEGMENTS} for band in table.index},
        "loyal_accounts": int(loyal.sum()),
        "loyal_never_advocate": int(silent.sum()),
        "loyal_never_advocate_share": float(silent.sum() / loyal.sum()) if loyal.sum() else None,
    }


def profit_vs_advocacy(scored: pd.DataFrame) -> dict[str, Any]:
    """Spearman's rank correlation of MRR and advocacy acts, and the top advocates' MRR."""
    mrr = scored["mrr"].astype("float64")
    acts = scored["advocacy_acts_365d"].astype("float64")
    varied = len(scored) > 2 and mrr.nunique() > 1 and acts.nunique() > 1
    rho = float(mrr.rank().corr(acts.rank())) if varied else None
    # percentiles over every account first: assigning to an empty selection would take the
    # whole frame's index and fill the rows with NaN
    ranked = scored.assign(mrr_percentile=mrr.rank(pct=True))[acts > 0]
    top = ranked.sort_values(
        ["advocacy_acts_365d", "mrr", "account_id"], ascending=[False, False, True]
    )
    return {
        "spearman_mrr_advocacy": rho,
        "median_mrr": float(mrr.median()) if len(mrr) else None,
        "top_advocates": top.head(TOP_ADVOCATES)[
            ["account_id", "advocacy_acts_365d", "mrr", "mrr_percentile"]
        ]
        .astype({"advocacy_acts_365d": "int64", "mrr": "float64"})
        .to_dict(orient="records"),
    }


def advocacy_by_month(
    dataset: Dataset, months: int = 12, progress: Progress | None = None
) -> list[dict[str, Any]]:
    """Lurkers, likers and lovers at the end of each of the last `months` months."""
    say = progress or (lambda _message: None)
    full = Model(dataset)
    found = []
    for month in full.window.months[-months:]:
        end = min(month_start_utc(month + 1, full.tz), full.as_of)
        say(f"advocacy at the end of {month_label(month)}")
        snapshot = snapshot_at(Model(dataset, as_of=end), end)
        counts = (
            score_accounts(snapshot)["advocacy"].value_counts() if len(snapshot) else pd.Series()
        )
        found.append({"month": month_label(month), **{s: int(counts.get(s, 0)) for s in SEGMENTS}})
    return found


def adoption_curves(model: Model) -> list[dict[str, Any]]:
    """Per product: adoption by 30-day step after buying, and the median days to first use.

    The share of a product's buyers using it in the k-th 30-day step after buying is taken over
    those whose step has ended.
    """
    if not model.has("subscriptions", "product_usage", "features"):
        return []
    subs = model.tables["subscriptions"]
    if "product" not in subs.columns:
        return []
    purchases = (
        subs.filter(subs["product"].notnull())
        .group_by(["account_id", "product"])
        .aggregate(bought_at=subs.started_at.min())
    )
    features = model.tables["features"]
    usage = model.tables["product_usage"]
    used = usage.join(features, usage.feature == features.feature).select(
        _account=usage.account_id, _product=features["product"], used_at=usage.used_at
    )
    joined = purchases.join(
        used,
        (purchases.account_id == used._account)
        & (purchases["product"] == used._product)
        & (used.used_at >= purchases.bought_at),
    )
    days = days_between(joined.bought_at, joined.used_at)
    steps = joined.mutate(step=(days / DAYS_PER_STEP).floor().cast("int64"))
    steps = steps.filter(steps.step < CURVE_MONTHS)
    active = steps.select("account_id", "product", "step").distinct().execute()
    first_use = joined.group_by(["account_id", "product"]).aggregate(days=days.min()).execute()
    bought = purchases.execute()
    bought["bought_at"] = pd.to_datetime(bought.bought_at)
    as_of = pd.Timestamp(model.as_of)
    # an account counts at step k once its k-th 30-day window after buying has ended by as_of
    grid = bought.merge(pd.DataFrame({"step": range(CURVE_MONTHS)}), how="cross")
    grid = grid[
        grid.bought_at + pd.to_timedelta(DAYS_PER_STEP * (grid.step + 1), unit="D") <= as_of
    ]
    grid = grid.merge(active.assign(using=1), on=["account_id", "product", "step"], how="left")
    grid["using"] = grid["using"].fillna(0)
    shares = grid.groupby(["product", "step"]).agg(cohort=("using", "size"), using=("using", "sum"))
    medians = first_use.groupby("product")["days"].median()
    curves = []
    for product in sorted(bought["product"].unique()):
        points = []
        for step in range(CURVE_MONTHS):
            cohort = int(shares.cohort.get((product, step), 0))
            using = int(shares.using.get((product, step), 0))
            points.append(
                {"month": step, "cohort": cohort, "share": using / cohort if cohort else None}
            )
        curves.append(
            {
                "product": product,
                "purchases": int((bought["product"] == product).sum()),
                "median_days_to_first_use": _float(medians.get(product)),
                "points": points,
            }
        )
    return curves


def _float(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)
