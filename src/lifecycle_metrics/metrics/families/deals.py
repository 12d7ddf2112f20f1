"""Deals won: amounts per month of closed_at, by the deal's channel (SPEC §3's order)."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from lifecycle_metrics.metrics.families.base import (
    Family,
    additive_rollup,
    money,
    record_shape,
    register,
)
from lifecycle_metrics.model.model import UNKNOWN, Model


def won_deal_rows(model: Model) -> ir.Table:
    """Deals won, with the month of closed_at and the deal's channel (SPEC §3's order)."""
    deals = model.tables["deals"]
    won = deals.filter((deals.status == "won") & deals.closed_at.notnull())
    if "campaigns" in model.tables:
        campaigns = model.tables["campaigns"]
        lookup = campaigns.select(_campaign=campaigns.campaign_id, _via_campaign=campaigns.channel)
        won = won.left_join(lookup, won.campaign_id == lookup._campaign).view()
    else:
        won = won.mutate(_via_campaign=ibis.null("string"))
    if "contacts" in model.tables:
        contacts = model.tables["contacts"]
        people = contacts.select(_contact=contacts.contact_id, _via_contact=contacts.channel)
        won = won.left_join(people, won.contact_id == people._contact).view()
    else:
        won = won.mutate(_via_contact=ibis.null("string"))
    channel = won.channel.fill_null(won._via_campaign).fill_null(won._via_contact)
    return won.select(
        won.deal_id,
        won.account_id,
        won.created_at,
        won.closed_at,
        won.type,
        won.amount,
        won.campaign_id,
        month=model.month(won.closed_at),
        channel=channel.fill_null(UNKNOWN),
    )


def _won_deals(model: Model, dims: tuple[str, ...]) -> ir.Table:
    """Amounts of deals won per month (closed_at), by the deal's channel."""
    won = won_deal_rows(model)
    frame = won.select(won.month, won.channel, won.type, amount=money(won.amount))
    return additive_rollup(
        frame,
        dims,
        lambda t: {
            "won_rows": t.count(),
            "amount": t.amount.sum(),
            "expansion_amount": t.amount.sum(where=t.type.isin(("upsell", "cross_sell"))),
            "existing_amount": t.amount.sum(where=t.type.isin(("upsell", "cross_sell", "renewal"))),
            "new_business_amount": t.amount.sum(where=t.type == "new_business"),
            "new_business_rows": (t.type == "new_business").sum(),
        },
    )


def _won_deal_records(model: Model) -> ir.Table:
    won = won_deal_rows(model)
    return record_shape(
        won,
        month=won.month,
        channel=won.channel,
        set=ibis.literal("amount"),
        record=won.deal_id,
        at=won.closed_at,
        value=won.amount,
        note=won.type,
    )


WON_DEALS = register(
    Family(
        "won_deals",
        reads=("deals",),
        dimensions=("channel",),
        build=_won_deals,
        sets=("amount",),
        records=_won_deal_records,
    )
)
WON_ROWS = WON_DEALS.measure("won_rows", "amount")
WON_AMOUNT = WON_DEALS.measure("amount", "amount")
EXPANSION_AMOUNT = WON_DEALS.measure("expansion_amount", "amount")
EXISTING_AMOUNT = WON_DEALS.measure("existing_amount", "amount")
NEW_BUSINESS_AMOUNT = WON_DEALS.measure("new_business_amount", "amount")
NEW_BUSINESS_ROWS = WON_DEALS.measure("new_business_rows", "amount")
