"""Cross-sell readiness, the two warnings and adoption curves, on hand-made data."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from lifecycle_metrics.customers.crosssell import Readiness, cross_sell
from lifecycle_metrics.customers.insights import (
    adoption_curves,
    loyalty_advocacy_matrix,
    profit_vs_advocacy,
)
from lifecycle_metrics.dataset import load
from lifecycle_metrics.errors import UsageError
from lifecycle_metrics.model.model import Model
from tests.conftest import write_tables


def accounts(n: int, **columns: list) -> pd.DataFrame:  # type: ignore[type-arg]
    base = {
        "account_id": [f"a{i}" for i in range(n)],
        "segment": ["SMB"] * n,
        "breadth": [0.8] * n,
        "depth": [1.0] * n,
        "usage_trend": [0.0] * n,
        "uses_30d": [10.0] * n,
        "customer_clicks_90d": [0] * n,
        "events_90d": [0] * n,
        "latest_nps": [8] * n,
        "tenure_days": [400.0] * n,
        "expansions_won": [0] * n,
        "mrr": [100.0] * n,
        "loyalty": [60.0] * n,
        "risk": [40.0] * n,
        "advocacy": ["lurker"] * n,
        "advocacy_acts_365d": [0] * n,
    }
    base.update(columns)
    return pd.DataFrame(base)


def test_only_ready_accounts_are_offered_and_ranked_by_loyalty_without_buyers() -> None:
    scored = accounts(
        6,
        breadth=[0.8, 0.3, 0.8, 0.8, 0.8, 0.9],  # a1 still adopting
        tenure_days=[400, 400, 30, 400, 400, 400],  # a2 too new
        risk=[40, 40, 40, 70, 40, 20],  # a3 at risk
        usage_trend=[0.0, 0.0, 0.0, 0.0, -0.5, 0.1],  # a4's use is falling
        loyalty=[60, 60, 60, 30, 60, 80],
    )
    owned = pd.DataFrame({"account_id": ["a0", "a5"], "product": ["core", "core"]})
    owned = pd.concat([owned, pd.DataFrame({"account_id": ["a0"], "product": ["extra"]})])
    ranked = cross_sell(scored, owned, "extra")
    assert ranked.account_id.tolist() == ["a5"]  # a0 owns extra; a1–a4 are not ready
    assert ranked.basis.iloc[0].startswith("too few owners")
    assert ranked.propensity.iloc[0] == pytest.approx(0.8)
    looser = cross_sell(scored, owned, "extra", Readiness(min_breadth=0.2, min_tenure_days=0))
    assert looser.account_id.tolist() == ["a5", "a1", "a2"]  # by loyalty, then id
    with pytest.raises(UsageError, match="unknown product 'gold'"):
        cross_sell(scored, owned, "gold")


def test_propensity_is_learned_from_the_owners() -> None:
    # owners of 'pro' are the big accounts: the biggest non-owner must rank first
    mrr = [1000, 1100, 1200, 900, 1300, 100, 120, 90, 110, 95, 800, 150]
    scored = accounts(12, mrr=mrr)
    owned = pd.DataFrame({"account_id": [f"a{i}" for i in range(5)], "product": "pro"})
    owned = pd.concat([owned, pd.DataFrame({"account_id": ["a11"], "product": ["base"]})])
    ranked = cross_sell(scored, owned, "pro")
    assert ranked.account_id.iloc[0] == "a10"  # MRR 800
    assert ranked.basis.iloc[0] == "learned from 5 accounts that own pro"
    assert set(ranked.account_id) == {f"a{i}" for i in range(5, 12)}


def test_loyalty_is_not_advocacy() -> None:
    scored = accounts(
        5,
        loyalty=[80, 75, 65, 50, 20],
        advocacy=["lurker", "liker", "lover", "lover", "lurker"],
    )
    found = loyalty_advocacy_matrix(scored)
    assert found["matrix"]["high"] == {"lurker": 1, "liker": 1, "lover": 1}
    assert found["matrix"]["medium"] == {"lurker": 0, "liker": 0, "lover": 1}
    assert found["matrix"]["low"] == {"lurker": 1, "liker": 0, "lover": 0}
    assert (found["loyal_accounts"], found["loyal_never_advocate"]) == (3, 2)


def test_profit_is_not_advocacy() -> None:
    scored = accounts(4, mrr=[400.0, 300.0, 200.0, 100.0], advocacy_acts_365d=[0, 1, 2, 3])
    found = profit_vs_advocacy(scored)
    assert found["spearman_mrr_advocacy"] == pytest.approx(-1.0)  # perfectly reversed ranks
    assert [a["account_id"] for a in found["top_advocates"]] == ["a3", "a2", "a1"]
    assert found["top_advocates"][0]["mrr_percentile"] == pytest.approx(0.25)


def test_adoption_curve_counts_only_windows_that_have_ended(tmp_path: Path) -> None:
    def t(text: str) -> datetime:
        return datetime.fromisoformat(text)

    folder = write_tables(
        tmp_path,
        {
            "subscriptions": [
                {
                    "subscription_id": "s1",
                    "account_id": "a1",
                    "started_at": t("2025-01-01T00:00:00"),
                    "mrr": 10,
                    "product": "core",
                },
                {
                    "subscription_id": "s2",
                    "account_id": "a2",
                    "started_at": t("2025-02-01T00:00:00"),
                    "mrr": 10,
                    "product": "core",
                },
            ],
            "features": [{"feature": "f1", "product": "core"}],
            "product_usage": [
                {"account_id": "a1", "feature": "f1", "used_at": t("2025-01-06T00:00:00")},  # day 5
                {
                    "account_id": "a1",
                    "feature": "f1",
                    "used_at": t("2025-02-10T00:00:00"),
                },  # day 40
                {
                    "account_id": "a2",
                    "feature": "f1",
                    "used_at": t("2025-03-08T00:00:00"),
                },  # day 35
                {"account_id": "a2", "feature": "f1", "used_at": t("2025-03-15T00:00:00")},
            ],
        },
    )
    (curve,) = adoption_curves(Model(load(folder)))  # as_of 2025-03-15
    assert curve["product"] == "core" and curve["purchases"] == 2
    assert curve["median_days_to_first_use"] == pytest.approx((5 + 35) / 2)
    points = {p["month"]: (p["cohort"], p["share"]) for p in curve["points"]}
    assert points[0] == (2, 0.5)  # a2 did not use it in its first 30 days
    assert points[1] == (1, 1.0)  # a2's second window ends 2025-04-02, after as_of
    assert points[2] == (0, None)


def test_cross_sell_command_exports_the_ranked_accounts(demo_folder: Path) -> None:
    import csv
    import io

    from typer.testing import CliRunner

    from lifecycle_metrics.cli import app
    from lifecycle_metrics.customers import customer_view

    result = CliRunner().invoke(
        app, ["cross-sell", str(demo_folder), "--product", "insights", "--format", "csv", "-q"]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    view = customer_view(load(demo_folder))
    expected = cross_sell(view.scored, view.owned, "insights")
    assert [r["account_id"] for r in rows] == expected.account_id.tolist()
    assert rows and all(r["product"] == "insights" for r in rows)
    owners = set(view.owned.account_id[view.owned["product"] == "insights"])
    assert not owners & {r["account_id"] for r in rows}


def test_no_advocates_means_no_top_advocates() -> None:
    found = profit_vs_advocacy(accounts(3, mrr=[1.0, 2.0, 3.0]))
    assert found["top_advocates"] == [] and found["spearman_mrr_advocacy"] is None
