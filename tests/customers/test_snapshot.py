"""Account facts at one instant on a hand-made dataset (as of 2025-06-30 00:00 UTC).

a1: subscription since 2024-06-30 (365 days), product "core" (features f1, f2, f3, f4);
    used f1 and f2 in the last 30 days (3 + 1 uses by two users), f1 twice before (2 uses);
    a customer-campaign click and an event in 90 days, a review 200 days ago;
    NPS 6 then 9 (latest 9); one upsell won.
a2: subscription ended 2025-06-01: not a customer any more.
=cmd: an account id a spreadsheet would run; subscription active, no usage.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lifecycle_metrics.cli import app
from lifecycle_metrics.customers.snapshot import account_snapshot
from lifecycle_metrics.dataset import load
from tests.conftest import write_tables

AS_OF = datetime(2025, 6, 30)


def t(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tables(
        tmp_path_factory.mktemp("accounts"),
        {
            "accounts": [
                {"account_id": "a1", "segment": "SMB"},
                {"account_id": "a2", "segment": "SMB"},
                {"account_id": "=cmd", "segment": "Enterprise"},
            ],
            "contacts": [
                {"contact_id": "u1", "created_at": t("2024-01-01T00:00:00"), "account_id": "a1"},
                {"contact_id": "u2", "created_at": t("2024-01-01T00:00:00"), "account_id": "a1"},
            ],
            "subscriptions": [
                {
                    "subscription_id": "s1",
                    "account_id": "a1",
                    "started_at": t("2024-06-30T00:00:00"),
                    "mrr": 100,
                    "ended_at": None,
                    "product": "core",
                },
                {
                    "subscription_id": "s2",
                    "account_id": "a2",
                    "started_at": t("2024-01-01T00:00:00"),
                    "mrr": 50,
                    "ended_at": t("2025-06-01T00:00:00"),
                    "product": "core",
                },
                {
                    "subscription_id": "s3",
                    "account_id": "=cmd",
                    "started_at": t("2025-01-01T00:00:00"),
                    "mrr": 70,
                    "ended_at": None,
                    "product": "core",
                },
            ],
            "features": [{"feature": f"f{i}", "product": "core"} for i in range(1, 5)]
            + [{"feature": "x1", "product": "extra"}],
            "product_usage": [
                {
                    "account_id": "a1",
                    "feature": "f1",
                    "used_at": t("2025-06-20T00:00:00"),
                    "contact_id": "u1",
                    "count": 3,
                },
                {
                    "account_id": "a1",
                    "feature": "f2",
                    "used_at": t("2025-06-29T00:00:00"),
                    "contact_id": "u2",
                    "count": None,
                },
                {
                    "account_id": "a1",
                    "feature": "f1",
                    "used_at": t("2025-05-20T00:00:00"),
                    "contact_id": "u1",
                    "count": 2,
                },
                {
                    "account_id": "a1",
                    "feature": "x1",
                    "used_at": t("2025-06-21T00:00:00"),
                    "contact_id": "u1",
                    "count": 1,
                },
            ],
            "campaigns": [
                {
                    "campaign_id": "k1",
                    "name": "Customer news",
                    "channel": "email",
                    "audience": "customer",
                    "automated": False,
                },
            ],
            "activities": [
                {
                    "activity_id": "e1",
                    "contact_id": "u1",
                    "type": "email_click",
                    "occurred_at": t("2025-06-10T00:00:00"),
                    "campaign_id": "k1",
                    "message_id": "m1",
                },
                {
                    "activity_id": "e2",
                    "contact_id": "u1",
                    "type": "email_click",
                    "occurred_at": t("2025-06-10T00:05:00"),
                    "campaign_id": "k1",
                    "message_id": "m1",
                },
                {
                    "activity_id": "e3",
                    "contact_id": "u2",
                    "type": "event_attended",
                    "occurred_at": t("2025-05-01T00:00:00"),
                },
                {
                    "activity_id": "e4",
                    "contact_id": "u2",
                    "type": "review_posted",
                    "occurred_at": t("2024-12-12T00:00:00"),
                },
            ],
            "nps_responses": [
                {
                    "response_id": "r1",
                    "score": 6,
                    "responded_at": t("2025-01-01T00:00:00"),
                    "account_id": "a1",
                    "contact_id": None,
                },
                {
                    "response_id": "r2",
                    "score": 9,
                    "responded_at": t("2025-06-01T00:00:00"),
                    "contact_id": "u1",
                },
            ],
            "deals": [
                {
                    "deal_id": "d1",
                    "account_id": "a1",
                    "type": "upsell",
                    "status": "won",
                    "created_at": t("2025-02-01T00:00:00"),
                    "amount": 500,
                    "closed_at": t("2025-03-01T00:00:00"),
                },
            ],
        },
    )


def test_account_facts(folder: Path) -> None:
    frame = account_snapshot(load(folder), AS_OF).set_index("account_id")
    assert sorted(frame.index) == ["=cmd", "a1"]  # a2's subscription ended
    a1 = frame.loc["a1"]
    assert a1.mrr == 100 and a1.tenure_days == pytest.approx(365)
    assert (a1.features_owned, a1.features_used_30d) == (4, 2)  # x1 belongs to another product
    assert a1.breadth == pytest.approx(0.5)
    assert a1.uses_30d == 5  # 3 + 1 (empty count) + 1 (x1)
    assert a1.uses_prev_30d == 2 and a1.usage_trend == pytest.approx(1.5)
    assert a1.active_users_30d == 2
    assert (a1.customer_clicks_90d, a1.events_90d, a1.advocacy_acts_365d) == (1, 1, 1)
    assert a1.latest_nps == 9 and a1.expansions_won == 1
    assert a1.first_use_days_core == pytest.approx(324)  # bought 2024-06-30, first use 2025-05-20
    other = frame.loc["=cmd"]
    assert other.breadth == 0 and other.uses_30d == 0


def test_accounts_command_csv_is_spreadsheet_safe(folder: Path) -> None:
    result = CliRunner().invoke(
        app, ["accounts", str(folder), "--as-of", "2025-06-30T00:00:00Z", "--format", "csv", "-q"]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["account_id"] for r in rows] == ["'=cmd", "a1"]  # riskiest first
    assert rows[1]["advocacy"] == "lover"


def test_advocates_command(folder: Path) -> None:
    result = CliRunner().invoke(
        app, ["advocates", str(folder), "--as-of", "2025-06-30T00:00:00Z", "--format", "json", "-q"]
    )
    assert result.exit_code == 0, result.output
    assert '"lover": {' in result.stdout and '"accounts": 1' in result.stdout
