"""Write IBM's Telco churn data as canonical tables, so the account commands run on it.

    python examples/telco_to_canonical.py \\
        ../shared/data/ibm-telco-customer-churn/WA_Fn-UseC_-Telco-Customer-Churn.csv telco/
    lifecycle accounts telco/ --as-of 2025-01-01
    lifecycle cross-sell telco/ --product internet --as-of 2025-01-01

Telco is one snapshot without dates, so the mapping places it in time (documented choices):
the accounts are scored at SCORED_AT (2025-01-01); each customer's lines started `tenure`
months (30.44 days each) before it; a customer with Churn = Yes ended all lines 15 days later
(inside the quarter the data describes). Two products: `phone` (features PhoneService,
MultipleLines) and `internet` (InternetService and its six add-ons). Every service a customer
holds was used once 10 days before SCORED_AT. MonthlyCharges is the MRR, carried by the
customer's first line. Contract is the segment. There are no NPS answers, campaigns or deals.
Apache-2.0 data; written to a folder outside the project.
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from telco_snapshot import DAYS_PER_MONTH, read_telco

SCORED_AT = datetime(2025, 1, 1)
CHURN_AFTER = timedelta(days=15)
USED_BEFORE = timedelta(days=10)
PHONE = ("PhoneService", "MultipleLines")
INTERNET = (
    "InternetService",
    "OnlineSecurity",
    "OnlineBackup",
    "DeviceProtection",
    "TechSupport",
    "StreamingTV",
    "StreamingMovies",
)


def _utc(values: pd.Series) -> pa.Array:
    stamps = pd.to_datetime(values).dt.floor("s").dt.tz_localize("UTC")
    return pa.array(stamps, type=pa.timestamp("us", "UTC"))


def convert(raw: pd.DataFrame, folder: Path) -> dict[str, int]:
    """Write the canonical tables; return rows per table."""
    folder.mkdir(parents=True, exist_ok=True)
    ids = raw["customerID"].astype(str)
    started = pd.Series(SCORED_AT, index=raw.index) - pd.to_timedelta(
        raw["tenure"] * DAYS_PER_MONTH, unit="D"
    )
    ended = pd.Series(SCORED_AT + CHURN_AFTER, index=raw.index).where(raw["churned"] == 1)
    holds = {
        feature: (raw[feature] != "No") if feature == "InternetService" else (raw[feature] == "Yes")
        for feature in (*PHONE, *INTERNET)
    }
    lines = []
    for product, first in (("phone", "PhoneService"), ("internet", "InternetService")):
        has = holds[first]
        lines.append(
            pd.DataFrame(
                {
                    "subscription_id": ids[has] + "-" + product,
                    "account_id": ids[has],
                    "started_at": started[has],
                    "ended_at": ended[has],
                    "product": product,
                    "order": 0 if product == "phone" else 1,
                }
            )
        )
    subscriptions = pd.concat(lines).sort_values(["account_id", "order"])
    first_line = ~subscriptions.duplicated("account_id")
    charges = raw.set_index(ids)["MonthlyCharges"]
    subscriptions["mrr"] = np.where(
        first_line, charges.reindex(subscriptions.account_id).to_numpy(), 0.0
    )
    usage = pd.concat(
        [
            pd.DataFrame({"account_id": ids[has], "feature": feature})
            for feature, has in holds.items()
        ]
    )
    tables = {
        "accounts": pa.table({"account_id": ids, "segment": raw["Contract"].astype(str)}),
        "contacts": pa.table(
            {
                "contact_id": ids,
                "created_at": _utc(started - timedelta(days=1)),
                "account_id": ids,
            }
        ),
        "subscriptions": pa.table(
            {
                "subscription_id": subscriptions.subscription_id,
                "account_id": subscriptions.account_id,
                "started_at": _utc(subscriptions.started_at),
                "mrr": subscriptions.mrr.astype("float64"),
                "ended_at": _utc(subscriptions.ended_at),
                "product": subscriptions["product"],
            }
        ),
        "features": pa.table(
            {
                "feature": [*PHONE, *INTERNET],
                "product": ["phone"] * len(PHONE) + ["internet"] * len(INTERNET),
            }
        ),
        "product_usage": pa.table(
            {
                "account_id": usage.account_id,
                "feature": usage.feature,
                "used_at": _utc(pd.Series(SCORED_AT - USED_BEFORE, index=usage.index)),
                "contact_id": usage.account_id,
                "count": np.ones(len(usage), dtype="int64"),
            }
        ),
    }
    for name, table in tables.items():
        pq.write_table(table, folder / f"{name}.parquet")
    return {name: table.num_rows for name, table in tables.items()}


if __name__ == "__main__":
    written = convert(read_telco(Path(sys.argv[1])), Path(sys.argv[2]))
    print(", ".join(f"{name} {rows:,}" for name, rows in written.items()))
