"""Conversions and their journeys (SPEC §6.2): won deals and the touches before them.

A journey row is one touch of one deal's journey, with its position `pos` (0-based) among the
`n` touches, the deal's amount, month and dates, and the touch's members. A deal whose account
has no touch in the lookback gets one touch at its `created_at` with the deal's own channel
and campaign, so every model credits every deal in full.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from lifecycle_metrics.attribution.touches import touches
from lifecycle_metrics.errors import UsageError
from lifecycle_metrics.metrics.families.deals import won_deal_rows
from lifecycle_metrics.model.model import UNKNOWN, Model

DEAL_KINDS = {"new_business": ("new_business",), "expansion": ("upsell", "cross_sell")}
# The stand-in touch of a deal without touches sorts after every real kind (there is only one).
DEAL_TOUCH = 3
MICROS_PER_DAY = 86_400_000_000


@dataclass(frozen=True)
class Settings:
    """What an attribution run credits: which deals, by which member, how far back."""

    deals: str = "new_business"
    by: str = "channel"
    lookback_days: float = 365.0
    half_life_days: float = 7.0

    def __post_init__(self) -> None:
        """Refuse settings SPEC §6 has no meaning for, naming the option."""
        if self.deals not in DEAL_KINDS:
            raise UsageError(f"--deals {self.deals!r}: expected one of {', '.join(DEAL_KINDS)}")
        if self.by not in ("channel", "campaign_id"):
            raise UsageError(f"--by {self.by!r}: expected channel or campaign_id")
        for option, value in (
            ("--lookback-days", self.lookback_days),
            ("--half-life-days", self.half_life_days),
        ):
            if not (isinstance(value, int | float) and value > 0 and value < float("inf")):
                raise UsageError(f"{option} {value!r}: expected a positive number of days")

    @property
    def lookback_micros(self) -> int:
        """The lookback L in microseconds."""
        return round(self.lookback_days * MICROS_PER_DAY)

    @property
    def half_life_micros(self) -> int:
        """The half-life H in microseconds."""
        return max(1, round(self.half_life_days * MICROS_PER_DAY))


def conversions(model: Model, settings: Settings) -> ir.Table:
    """Won deals of the settings' kind, with month, account, dates, amount and members."""
    won = won_deal_rows(model)
    kind = won.filter(won.type.isin(DEAL_KINDS[settings.deals]))
    return kind.select(
        deal_id=kind.deal_id,
        account_id=kind.account_id,
        month=kind.month,
        created_at=kind.created_at,
        closed_at=kind.closed_at,
        amount=kind.amount.cast("float64"),
        deal_channel=kind.channel,
        deal_campaign=kind.campaign_id.fill_null(UNKNOWN),
    ).view()


def journeys(model: Model, settings: Settings, deals: ir.Table | None = None) -> ir.Table:
    """Every touch of every conversion's journey, positioned, with the member to credit."""
    deals = conversions(model, settings) if deals is None else deals
    every = touches(model)
    lookback = settings.lookback_micros
    matched = deals.join(every, deals.account_id == every.account_id)
    before = matched.closed_at.delta(matched.touched_at, unit="microsecond")
    matched = matched.filter((before >= 0) & (before <= lookback))
    found = matched.select(
        *_deal_columns(matched),
        touched_at=matched.touched_at.cast("timestamp"),
        kind=matched.kind.cast("int8"),
        touch_id=matched.touch_id,
        type=matched.type,
        contact_id=matched.contact_id,
        member=matched[settings.by],
    )
    done = found.select(_deal=found.deal_id).distinct()
    alone = deals.anti_join(done, deals.deal_id == done._deal)
    standing_in = alone.select(
        *_deal_columns(alone),
        touched_at=alone.created_at.cast("timestamp"),
        kind=ibis.literal(DEAL_TOUCH).cast("int8"),
        touch_id=alone.deal_id,
        type=ibis.literal("deal_created"),
        contact_id=ibis.null("string"),
        member=alone.deal_channel if settings.by == "channel" else alone.deal_campaign,
    )
    rows = found.union(standing_in, distinct=False)
    order = [rows.touched_at, rows.kind, rows.touch_id]
    positioned = rows.mutate(
        pos=ibis.row_number().over(group_by=rows.deal_id, order_by=order),
        n=rows.count().over(group_by=rows.deal_id),
    )
    return positioned.select(
        *[c for c in positioned.columns if c not in ("deal_channel", "deal_campaign")]
    ).view()


def _deal_columns(table: ir.Table) -> list[ir.Value]:
    return [
        table[c]
        for c in (
            "deal_id",
            "account_id",
            "month",
            "created_at",
            "closed_at",
            "amount",
            "deal_channel",
            "deal_campaign",
        )
    ]
