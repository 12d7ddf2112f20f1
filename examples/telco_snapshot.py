"""Map IBM's Telco churn data (a one-quarter snapshot, Apache-2.0) onto account facts.

    python examples/telco_snapshot.py \
        ../shared/data/ibm-telco-customer-churn/WA_Fn-UseC_-Telco-Customer-Churn.csv

Telco has no event history, so it maps to the *snapshot* the loyalty score reads, not to the
canonical tables: each customer is an account; its services are the features of its product
(breadth = services it has ÷ the nine it could have); tenure in months becomes days; monthly
charges are its MRR; it has no NPS answer, no customer-program clicks and no usage trend.
`Churn` (Yes/No) is the label. The raw columns stay available for a learned model.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

SERVICES = (
    "PhoneService",
    "MultipleLines",
    "OnlineSecurity",
    "OnlineBackup",
    "DeviceProtection",
    "TechSupport",
    "StreamingTV",
    "StreamingMovies",
)
NUMERIC = ("tenure", "MonthlyCharges", "TotalCharges", "SeniorCitizen")
CATEGORICAL = (
    "gender",
    "Partner",
    "Dependents",
    *SERVICES,
    "InternetService",
    "Contract",
    "PaperlessBilling",
    "PaymentMethod",
)
DAYS_PER_MONTH = 30.44


def read_telco(path: Path) -> pd.DataFrame:
    """The CSV as published; blank TotalCharges (tenure 0) become missing, Churn becomes 0/1."""
    raw = pd.read_csv(path, dtype={"customerID": "string"})
    raw["TotalCharges"] = pd.to_numeric(raw["TotalCharges"].str.strip(), errors="coerce")
    raw["churned"] = (raw["Churn"] == "Yes").astype("int64")
    return raw


def to_snapshot(raw: pd.DataFrame) -> pd.DataFrame:
    """Account facts in the shape of `customers.snapshot`, one row per Telco customer."""
    services = (raw[list(SERVICES)] == "Yes").sum(axis=1) + (raw["InternetService"] != "No")
    owned = len(SERVICES) + 1
    return pd.DataFrame(
        {
            "account_id": raw["customerID"],
            "segment": raw["Contract"],
            "mrr": raw["MonthlyCharges"],
            "tenure_days": raw["tenure"] * DAYS_PER_MONTH,
            "features_owned": owned,
            "features_used_30d": services,
            "breadth": services / owned,
            "uses_30d": services.astype("float64"),
            "uses_prev_30d": float("nan"),
            "usage_trend": float("nan"),
            "customer_clicks_90d": 0,
            "events_90d": 0,
            "latest_nps": pd.NA,
            "expansions_won": 0,
            "advocacy_acts_365d": 0,
            "churned": raw["churned"],
        }
    )


if __name__ == "__main__":
    frame = to_snapshot(read_telco(Path(sys.argv[1])))
    print(f"{len(frame):,} accounts, churn {frame.churned.mean():.3%}")
