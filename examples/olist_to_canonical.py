"""Map the Olist marketing-funnel data (../shared/data/olist-marketing-funnel) to canonical tables.

Olist's licence (CC BY-NC-SA 4.0) allows non-commercial use only, so this mapping lives with
the examples and tests and the data is never copied into the project.

    python examples/olist_to_canonical.py OUT_FOLDER
    lifecycle metrics OUT_FOLDER --by channel --metric mqls --metric new_customers

Each MQL becomes a contact created at its first contact date that reaches `mql` then (its
`origin` is the channel, its landing page the source); each closed deal makes that contact
reach `customer` at `won_date` and adds a won new-business deal (amount: the declared monthly
revenue × 12, mostly 0 in the data). A seller is its own account.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2] / "shared" / "data" / "olist-marketing-funnel"


def convert(out: Path, source: Path = SOURCE) -> dict[str, int]:
    """Write contacts, stage_changes and deals CSV files into `out`; returns rows per table."""
    out.mkdir(parents=True, exist_ok=True)
    with (source / "olist_marketing_qualified_leads_dataset.csv").open(newline="") as handle:
        mqls = list(csv.DictReader(handle))
    with (source / "olist_closed_deals_dataset.csv").open(newline="") as handle:
        deals = list(csv.DictReader(handle))
    contacts = [
        {
            "contact_id": row["mql_id"],
            "created_at": row["first_contact_date"],
            "channel": row["origin"],
            "source": row["landing_page_id"],
        }
        for row in mqls
    ]
    changes = [
        {"contact_id": row["mql_id"], "stage": "mql", "changed_at": row["first_contact_date"]}
        for row in mqls
    ]
    changes += [
        {"contact_id": row["mql_id"], "stage": "customer", "changed_at": row["won_date"]}
        for row in deals
    ]
    won = [
        {
            "deal_id": row["seller_id"] or row["mql_id"],
            "account_id": row["mql_id"],
            "type": "new_business",
            "status": "won",
            "created_at": row["won_date"],
            "amount": float(row["declared_monthly_revenue"] or 0) * 12,
            "closed_at": row["won_date"],
            "contact_id": row["mql_id"],
        }
        for row in deals
    ]
    tables = {"contacts": contacts, "stage_changes": changes, "deals": won}
    for name, rows in tables.items():
        with (out / f"{name}.csv").open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return {name: len(rows) for name, rows in tables.items()}


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python examples/olist_to_canonical.py OUT_FOLDER")
    print(convert(Path(sys.argv[1])))
