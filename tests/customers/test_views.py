"""The customer commands' outputs, shaped from hand-made scored accounts."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
from rich.console import Console

from lifecycle_metrics.customers.views import (
    ACCOUNT_COLUMNS,
    CROSS_SELL_COLUMNS,
    AccountsView,
    AdvocacyView,
    CrossSellView,
)


def _account(
    account_id: str, segment: str, loyalty: float, risk: float, **extra: object
) -> dict[str, object]:
    row: dict[str, object] = {
        "account_id": account_id,
        "segment": segment,
        "mrr": 100.0,
        "tenure_days": 200.0,
        "breadth": 0.5,
        "depth": 0.25,
        "usage_trend": 0.0,
        "latest_nps": 9.0,
        "loyalty": loyalty,
        "risk": risk,
        "advocacy": "lurker",
        "reasons": "steady use",
        "advocacy_acts_365d": 0,
        "first_use_days_reports": 3.0,
        "first_use_days_alerts": float("nan"),
        "uses_30d": 12,  # a fact the outputs do not show
    }
    row.update(extra)
    return row


@pytest.fixture
def scored() -> pd.DataFrame:
    return pd.DataFrame(
        [
            _account("a1", "smb", 80.04, 19.96, advocacy="liker", latest_nps=float("nan")),
            _account("a2", "smb", 30.0, 70.0),
            _account("a3", "enterprise", 55.56, 70.0, advocacy="liker"),
            _account(
                "a4", "enterprise", 90.0, 10.0, advocacy="lover", mrr=500.0, advocacy_acts_365d=3
            ),
        ]
    )


def _text(renderable: object, width: int = 160) -> str:
    console = Console(width=width, record=True, highlight=False)
    console.print(renderable)
    return console.export_text()


def test_accounts_are_riskiest_first_ties_by_id(scored: pd.DataFrame) -> None:
    view = AccountsView.of(scored)
    assert [row["account_id"] for row in view.rows()] == ["a2", "a3", "a1", "a4"]
    # the products' first-use columns follow the fixed ones, sorted; other facts stay out
    assert view.columns() == [
        *ACCOUNT_COLUMNS,
        "first_use_days_alerts",
        "first_use_days_reports",
    ]
    first = view.rows()[0]
    assert list(first) == view.columns()
    assert first["first_use_days_alerts"] is None  # NaN is null in JSON, empty in CSV
    assert first["first_use_days_reports"] == 3.0
    assert view.rows()[2]["latest_nps"] is None


def test_accounts_of_one_segment(scored: pd.DataFrame) -> None:
    view = AccountsView.of(scored, "enterprise")
    assert [row["account_id"] for row in view.rows()] == ["a3", "a4"]
    assert [row["account_id"] for row in AccountsView.of(scored, "mid").rows()] == []


def test_accounts_table_rounds_and_counts(scored: pd.DataFrame) -> None:
    text = _text(AccountsView.of(scored).table())
    assert "Accounts by churn risk (4 of 4)" in text
    assert "55.6" in text and "55.56" not in text  # loyalty and risk to one decimal
    assert "80" in text and "80.04" not in text
    header = next(line for line in text.splitlines() if "account_id" in line)
    assert [cell.strip() for cell in header.strip("┃ ").split("┃")] == [
        "account_id",
        "segment",
        "loyalty",
        "risk",
        "advocacy",
        "reasons",
    ]


def test_advocacy_findings(scored: pd.DataFrame) -> None:
    months = [{"month": "2024-05", "lurker": 2, "liker": 1, "lover": 1}]
    found = AdvocacyView.of(scored, months).to_dict()
    assert list(found) == [
        "segments",
        "by_month",
        "likers_most_ready",
        "loyalty_is_not_advocacy",
        "profit_is_not_advocacy",
    ]
    assert found["segments"] == {
        "lurker": {"accounts": 1, "share": 0.25, "rule_of_thumb": 0.90},
        "liker": {"accounts": 2, "share": 0.5, "rule_of_thumb": 0.09},
        "lover": {"accounts": 1, "share": 0.25, "rule_of_thumb": 0.01},
    }
    assert found["by_month"] == months
    ready = found["likers_most_ready"]
    assert [(r["account_id"], r["loyalty"]) for r in ready] == [("a1", 80.0), ("a3", 55.6)]
    assert found["loyalty_is_not_advocacy"]["loyal_accounts"] == 2  # a1, a4
    assert found["loyalty_is_not_advocacy"]["loyal_never_advocate"] == 1  # a1 only likes
    top = found["profit_is_not_advocacy"]["top_advocates"]
    assert [(t["account_id"], t["advocacy_acts_365d"], t["mrr"]) for t in top] == [("a4", 3, 500.0)]


def test_advocacy_json_is_the_findings(scored: pd.DataFrame) -> None:
    view = AdvocacyView.of(scored, [])
    data = json.loads(view.to_json())
    assert data["by_month"] == []
    assert data["likers_most_ready"][0]["latest_nps"] is None
    assert view.to_json().startswith('{\n "segments": {\n  "lurker": {\n   "accounts": 1,')


def test_advocacy_for_a_terminal(scored: pd.DataFrame) -> None:
    with_months = AdvocacyView.of(scored, [{"month": "2024-05", "lurker": 2, "liker": 1}])
    without = AdvocacyView.of(scored, [])
    assert len(with_months.renderables()) == len(without.renderables()) + 1  # "By month"
    text = "\n".join(_text(part) for part in with_months.renderables())
    assert "Advocacy segments" in text and "By month" in text
    assert "1 of 2 highly loyal accounts never advocate." in text
    assert "median MRR 100." in text
    assert "Likers most ready to become lovers" in text
    shares = next(line for line in text.splitlines() if "liker" in line and "%" in line)
    assert "50.0%" in shares and "9%" in shares


def _ranked(scored: pd.DataFrame) -> pd.DataFrame:
    ranked = scored.iloc[[0, 2]].assign(
        product="reports", propensity=[0.87654, 0.5], basis="learned from 5 accounts"
    )
    return ranked


def test_cross_sell_rows_and_table(scored: pd.DataFrame) -> None:
    view = CrossSellView("reports", _ranked(scored))
    rows = view.rows()
    assert view.columns() == CROSS_SELL_COLUMNS
    assert [list(r) for r in rows] == [list(CROSS_SELL_COLUMNS)] * 2
    assert [(r["account_id"], r["propensity"]) for r in rows] == [("a1", 0.87654), ("a3", 0.5)]
    text = _text(view.table())
    assert "Ready for reports: 2 accounts (learned from 5 accounts)" in text
    assert "0.877" in text and "0.87654" not in text


def test_cross_sell_with_no_account_ready(scored: pd.DataFrame) -> None:
    view = CrossSellView("reports", _ranked(scored).iloc[0:0])
    assert view.rows() == []
    assert "Ready for reports: 0 accounts (no account is ready)" in _text(view.table())


def test_missing_values_are_none_not_nan(scored: pd.DataFrame) -> None:
    scored.loc[1, "mrr"] = float("nan")
    rows = AccountsView.of(scored).rows()
    assert rows[0]["account_id"] == "a2" and rows[0]["mrr"] is None
    assert not any(isinstance(v, float) and math.isnan(v) for r in rows for v in r.values())
