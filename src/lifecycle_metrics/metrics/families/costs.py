"""Costs per month and channel; unallocated cost is shared out over channels afterwards."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import ibis
import ibis.expr.types as ir

from lifecycle_metrics.metrics.families.base import Family, Rows, money, record_shape, register
from lifecycle_metrics.model.model import UNKNOWN, Model


def _share_costs(rows: Rows, model: Model) -> Rows:
    """Share each month's unallocated cost out over channels in proportion to allocated cost."""
    months: dict[int, dict[str, Any]] = {}
    for row in rows:
        month = months.setdefault(
            row["month"],
            {
                "allocated": {},
                "allocated_rows": {},
                "unallocated": Decimal(0),
                "unallocated_rows": 0,
            },
        )
        if row["channel"] is None:
            month["unallocated"] += row["amount"]
            month["unallocated_rows"] += row["rows"]
        else:
            month["allocated"][row["channel"]] = row["amount"]
            month["allocated_rows"][row["channel"]] = row["rows"]
    result: Rows = []
    for index, month in months.items():
        # exact decimals until the end, so the shares do not depend on row order
        allocated: dict[str, Decimal] = month["allocated"]
        total_allocated = sum(allocated.values(), Decimal(0))
        result.append(
            {
                "month": index,
                "dimension": None,
                "member": None,
                "cost": float(total_allocated + month["unallocated"]),
                "cost_rows": sum(month["allocated_rows"].values()) + month["unallocated_rows"],
            }
        )
        for channel, amount in allocated.items():
            share = (
                month["unallocated"] * amount / total_allocated if total_allocated else Decimal(0)
            )
            result.append(
                {
                    "month": index,
                    "dimension": "channel",
                    "member": channel,
                    "cost": float(amount + share),
                    "cost_rows": month["allocated_rows"][channel],
                }
            )
        if total_allocated == 0 and month["unallocated_rows"]:
            result.append(
                {
                    "month": index,
                    "dimension": "channel",
                    "member": "unallocated",
                    "cost": float(month["unallocated"]),
                    "cost_rows": month["unallocated_rows"],
                }
            )
    return result


def cost_rows(model: Model) -> ir.Table:
    """Cost rows with their month and channel: own, else the campaign's; NULL = unallocated."""
    costs = model.tables["costs"]
    if "campaigns" in model.tables:
        campaigns = model.tables["campaigns"]
        lookup = campaigns.select(
            _campaign=campaigns.campaign_id, _campaign_channel=campaigns.channel
        )
        costs = costs.left_join(lookup, costs.campaign_id == lookup._campaign)
        campaign_channel = costs._campaign_channel
    else:
        campaign_channel = ibis.null("string")
    channel = ibis.cases(
        (costs.channel.notnull(), costs.channel),
        (costs.campaign_id.notnull(), campaign_channel.fill_null(UNKNOWN)),
        else_=ibis.null("string"),
    )
    return costs.select(
        costs._row,
        month=costs.month,
        channel=channel,
        amount=costs.amount,
        category=costs.category,
        campaign_id=costs.campaign_id,
    )


def _costs(model: Model, dims: tuple[str, ...]) -> ir.Table:
    """Cost per month and row channel (shared out afterwards by `_share_costs`)."""
    frame = cost_rows(model)
    return frame.group_by(["month", "channel"]).aggregate(
        amount=money(frame.amount).sum(), rows=frame.count()
    )


def _cost_records(model: Model) -> ir.Table:
    rows = cost_rows(model)
    channel = rows.channel.fill_null("unallocated")
    return record_shape(
        rows,
        month=rows.month,
        channel=channel,
        set=ibis.literal("cost"),
        record="row " + rows._row.cast("string"),
        value=rows.amount,
        note=rows.category
        + ibis.ifelse(rows.channel.isnull(), " (unallocated: shared out by channel cost)", ""),
    )


COSTS = register(
    Family(
        "costs",
        reads=("costs",),
        dimensions=("channel",),
        build=_costs,
        sets=("cost",),
        records=_cost_records,
        finish=_share_costs,
    )
)
COST = COSTS.measure("cost", "cost")
COST_ROWS = COSTS.measure("cost_rows", "cost")
