"""The account commands on IBM's Telco data mapped to canonical tables (examples/)."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lifecycle_metrics.cli import app
from tests.conftest import SHARED_DATA

TELCO = SHARED_DATA / "ibm-telco-customer-churn" / "WA_Fn-UseC_-Telco-Customer-Churn.csv"
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))


@pytest.fixture(scope="module")
def telco(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from telco_snapshot import read_telco
    from telco_to_canonical import convert

    raw = read_telco(TELCO)
    folder = tmp_path_factory.mktemp("telco")
    convert(raw, folder)
    return raw, folder


def run(*args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--as-of", "2025-01-01T00:00:00Z", "-q"])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_every_customer_is_scored_with_its_breadth(telco) -> None:  # type: ignore[no-untyped-def]
    raw, folder = telco
    rows = list(csv.DictReader(io.StringIO(run("accounts", str(folder), "--format", "csv"))))
    assert len(rows) == 7043
    # independent count: services held ÷ services of the products held (phone 2, internet 7)
    addons = [
        "OnlineSecurity",
        "OnlineBackup",
        "DeviceProtection",
        "TechSupport",
        "StreamingTV",
        "StreamingMovies",
    ]
    phone = raw.PhoneService == "Yes"
    internet = raw.InternetService != "No"
    held = phone.astype(int) + (raw.MultipleLines == "Yes") + internet
    held += (raw[addons] == "Yes").sum(axis=1)
    owned = 2 * phone + 7 * internet
    expected = dict(zip(raw.customerID, held / owned, strict=True))
    for row in rows:
        assert float(row["breadth"]) == pytest.approx(expected[row["account_id"]])


def test_cross_sell_internet_goes_to_phone_only_customers(telco) -> None:  # type: ignore[no-untyped-def]
    raw, folder = telco
    rows = list(
        csv.DictReader(
            io.StringIO(run("cross-sell", str(folder), "--product", "internet", "--format", "csv"))
        )
    )
    phone_only = set(raw.customerID[raw.InternetService == "No"])
    assert rows and {r["account_id"] for r in rows} <= phone_only
