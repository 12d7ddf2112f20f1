"""The Expand stage's account view in the report agrees with the account commands."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from lifecycle_metrics.customers import customer_view
from lifecycle_metrics.customers.crosssell import cross_sell
from lifecycle_metrics.dataset import load
from lifecycle_metrics.report import build_report, render


def test_customer_section_matches_the_account_scores(demo_folder: Path) -> None:
    dataset = load(demo_folder)
    report = build_report(dataset, month="2025-11")
    section = report.customers
    view = customer_view(dataset, datetime(2025, 12, 1))  # the end of the report month
    scored = view.scored
    assert section["accounts"] == len(scored) > 0
    assert list(section["bands"]) == ["low", "medium", "high"]
    assert sum(b["accounts"] for b in section["bands"].values()) == len(scored)
    assert section["at_risk_accounts"] == int((scored.risk >= 60).sum())
    assert sum(v["accounts"] for v in section["advocacy"].values()) == len(scored)
    for row in section["cross_sell"]:
        assert row["ready"] == len(cross_sell(scored, view.owned, row["product"]))
    riskiest = section["riskiest"]
    assert [r["mrr"] for r in riskiest] == sorted((r["mrr"] for r in riskiest), reverse=True)
    html = render(report, "html")
    assert "Customer accounts at the end of 2025-11" in html and "rule of thumb" in html
