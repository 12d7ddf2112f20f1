"""What the customer commands show: accounts, advocacy and cross-sell as rows, JSON and tables.

Each view is built from scored accounts (`customer_view`) and knows its own columns, its plain
rows (for CSV and JSON) and its terminal tables; the CLI only chooses the format and prints.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pandas as pd
from rich.console import RenderableType
from rich.table import Table

from lifecycle_metrics.customers.insights import loyalty_advocacy_matrix, profit_vs_advocacy
from lifecycle_metrics.customers.scores import advocacy_shares
from lifecycle_metrics.render.tables import rows_to_table

ACCOUNT_COLUMNS = (
    "account_id",
    "segment",
    "mrr",
    "tenure_days",
    "breadth",
    "depth",
    "usage_trend",
    "latest_nps",
    "loyalty",
    "risk",
    "advocacy",
    "reasons",
)
ACCOUNTS_TABLE_COLUMNS = ("account_id", "segment", "loyalty", "risk", "advocacy", "reasons")
TABLE_ROWS = 25  # a terminal shows the top of the list; CSV and JSON carry every row
LIKERS_SHOWN = 10
CROSS_SELL_COLUMNS = (
    "account_id",
    "segment",
    "product",
    "propensity",
    "breadth",
    "loyalty",
    "risk",
    "mrr",
    "reasons",
)
CROSS_SELL_TABLE_COLUMNS = ("account_id", "segment", "propensity", "loyalty", "reasons")


def _records(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    """Rows of `columns` as plain dicts, None where a value is missing (NaN, NA, NaT)."""
    subset = frame[columns].astype(object)
    records = subset.where(subset.notna(), None).to_dict(orient="records")
    return [{str(key): value for key, value in record.items()} for record in records]


def _rounded(frame: pd.DataFrame) -> pd.DataFrame:
    """Loyalty and risk to one decimal, as people read them."""
    return frame.round({"loyalty": 1, "risk": 1})


def account_columns(frame: pd.DataFrame) -> list[str]:
    """The fixed columns, then days to first use of each product the data names."""
    return [*ACCOUNT_COLUMNS, *sorted(c for c in frame.columns if c.startswith("first_use_days_"))]


def account_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """One plain dict per account, with every column of `account_columns`."""
    return _records(frame, account_columns(frame))


@dataclass(frozen=True)
class AccountsView:
    """Scored accounts, riskiest first (ties by account_id), optionally of one segment."""

    accounts: pd.DataFrame

    @classmethod
    def of(cls, scored: pd.DataFrame, segment: str | None = None) -> AccountsView:
        """The accounts of `segment` (all when None), riskiest first."""
        if segment is not None:
            scored = scored[scored["segment"] == segment]
        return cls(scored.sort_values(["risk", "account_id"], ascending=[False, True]))

    def columns(self) -> list[str]:
        """The columns of CSV and JSON output."""
        return account_columns(self.accounts)

    def rows(self) -> list[dict[str, Any]]:
        """Every account as a plain dict."""
        return account_rows(self.accounts)

    def table(self) -> Table:
        """The riskiest accounts for a terminal, loyalty and risk rounded."""
        top = account_rows(_rounded(self.accounts.head(TABLE_ROWS)))
        title = f"Accounts by churn risk ({len(top)} of {len(self.accounts):,})"
        return rows_to_table(top, ACCOUNTS_TABLE_COLUMNS, title)


@dataclass(frozen=True)
class AdvocacyView:
    """Lurkers, likers and lovers against 90 / 9 / 1, and why loyalty and MRR are not advocacy."""

    segments: dict[str, dict[str, float | int]]
    by_month: list[dict[str, Any]]
    likers_most_ready: list[dict[str, Any]]
    loyalty_is_not_advocacy: dict[str, Any]
    profit_is_not_advocacy: dict[str, Any]

    @classmethod
    def of(cls, scored: pd.DataFrame, by_month: list[dict[str, Any]]) -> AdvocacyView:
        """The advocacy findings of scored accounts; `by_month` from `advocacy_by_month`."""
        ready = scored[scored["advocacy"] == "liker"].sort_values(
            ["loyalty", "account_id"], ascending=[False, True]
        )
        return cls(
            segments=advocacy_shares(scored),
            by_month=by_month,
            likers_most_ready=account_rows(_rounded(ready.head(LIKERS_SHOWN))),
            loyalty_is_not_advocacy=loyalty_advocacy_matrix(scored),
            profit_is_not_advocacy=profit_vs_advocacy(scored),
        )

    def to_dict(self) -> dict[str, Any]:
        """The findings as JSON-ready data."""
        return {
            "segments": self.segments,
            "by_month": self.by_month,
            "likers_most_ready": self.likers_most_ready,
            "loyalty_is_not_advocacy": self.loyalty_is_not_advocacy,
            "profit_is_not_advocacy": self.profit_is_not_advocacy,
        }

    def to_json(self) -> str:
        """The findings as JSON text (dates and other values as strings)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1, default=str)

    def renderables(self) -> list[RenderableType]:
        """Tables and sentences for a terminal, in reading order."""
        segments = [
            {
                "segment": name,
                "accounts": v["accounts"],
                "share": f"{v['share']:.1%}",
                "rule of thumb": f"{v['rule_of_thumb']:.0%}",
            }
            for name, v in self.segments.items()
        ]
        parts: list[RenderableType] = [
            rows_to_table(
                segments, ("segment", "accounts", "share", "rule of thumb"), "Advocacy segments"
            )
        ]
        if self.by_month:
            parts.append(
                rows_to_table(self.by_month, ("month", "lurker", "liker", "lover"), "By month")
            )
        matrix = self.loyalty_is_not_advocacy
        parts.append(
            rows_to_table(
                [{"loyalty": band, **counts} for band, counts in matrix["matrix"].items()],
                ("loyalty", "lurker", "liker", "lover"),
                "Loyalty is not advocacy",
            )
        )
        parts.append(
            f"{matrix['loyal_never_advocate']:,} of {matrix['loyal_accounts']:,} highly loyal "
            "accounts never advocate."
        )
        profit = self.profit_is_not_advocacy
        rho = profit["spearman_mrr_advocacy"]
        parts.append(
            "Rank correlation of MRR and advocacy: "
            + ("not defined (no variation)" if rho is None else f"{rho:+.2f}")
            + f"; median MRR {profit['median_mrr']:,.0f}."
        )
        parts.append(
            rows_to_table(
                profit["top_advocates"],
                ("account_id", "advocacy_acts_365d", "mrr", "mrr_percentile"),
                "Top advocates and their MRR",
            )
        )
        parts.append(
            rows_to_table(
                self.likers_most_ready,
                ("account_id", "segment", "loyalty", "latest_nps", "reasons"),
                "Likers most ready to become lovers",
            )
        )
        return parts


@dataclass(frozen=True)
class CrossSellView:
    """Accounts ready for `product`, best prospects first (from `crosssell.cross_sell`)."""

    product: str
    ranked: pd.DataFrame

    def columns(self) -> tuple[str, ...]:
        """The columns of CSV and JSON output."""
        return CROSS_SELL_COLUMNS

    def rows(self) -> list[dict[str, Any]]:
        """Every ready account as a plain dict."""
        return _records(self.ranked, list(CROSS_SELL_COLUMNS))

    def table(self) -> Table:
        """The best prospects for a terminal, with how the ranking was made in the title."""
        rows = self.rows()
        basis = self.ranked["basis"].iloc[0] if len(self.ranked) else "no account is ready"
        title = f"Ready for {self.product}: {len(rows):,} accounts ({basis})"
        shown = [
            {
                **r,
                "propensity": round(float(r["propensity"]), 3),
                "loyalty": round(float(r["loyalty"]), 1),
            }
            for r in rows[:TABLE_ROWS]
        ]
        return rows_to_table(shown, CROSS_SELL_TABLE_COLUMNS, title)
