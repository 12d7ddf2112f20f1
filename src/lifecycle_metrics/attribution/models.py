"""The six rule-based models of SPEC §6.3 as weights over a positioned journey.

A journey table has one row per touch with the journey key `deal_id`, its 0-based position
`pos` among `n` touches; w_shaped also reads `kind`, `touched_at` and the deal's `created_at`,
time_decay `touched_at`. Each model's weights sum to 1 over a journey.
"""

from __future__ import annotations

from collections.abc import Callable

import ibis
import ibis.expr.types as ir

from lifecycle_metrics.attribution.touches import LEAD_CREATION

Weight = Callable[[ir.Table, int], ir.FloatingValue]

MODELS = (
    "first_touch",
    "last_touch",
    "linear",
    "position_based",
    "w_shaped",
    "time_decay",
    "markov",
)
# The models a ChannelAttribution path file can feed: its paths carry no times or stages.
PATH_MODELS = ("first_touch", "last_touch", "linear", "position_based", "markov")


def _one(condition: ir.BooleanValue) -> ir.FloatingValue:
    return ibis.ifelse(condition, 1.0, 0.0)


def first_touch(t: ir.Table, _half_life: int) -> ir.FloatingValue:
    """The first touch gets 1."""
    return _one(t.pos == 0)


def last_touch(t: ir.Table, _half_life: int) -> ir.FloatingValue:
    """The last touch gets 1."""
    return _one(t.pos == t.n - 1)


def linear(t: ir.Table, _half_life: int) -> ir.FloatingValue:
    """Each touch 1/n."""
    return 1.0 / t.n.cast("float64")


def position_based(t: ir.Table, _half_life: int) -> ir.FloatingValue:
    """U-shaped: 1 alone, ½ each of two, else 0.4 to each end and 0.2 shared by the middle."""
    ends = (t.pos == 0) | (t.pos == t.n - 1)
    middle = 0.2 / (t.n - 2).cast("float64").nullif(0.0)
    return ibis.cases(
        (t.n == 1, 1.0),
        (t.n == 2, 0.5),
        (ends, 0.4),
        else_=middle,
    )


def w_shaped(t: ir.Table, _half_life: int) -> ir.FloatingValue:
    """0.3 to each of first, lead-creation and opportunity touch; 0.1 shared by the rest.

    Reads `lead_role` and `opportunity_role`, the positions `with_roles` adds.
    """
    roles = (
        ibis.ifelse(t.pos == 0, 1, 0)
        + ibis.ifelse(t.pos == t.lead_role, 1, 0)
        + ibis.ifelse(t.pos == t.opportunity_role, 1, 0)
    )
    role_touches = (
        1
        + ibis.ifelse(t.lead_role != 0, 1, 0)
        + ibis.ifelse((t.opportunity_role != 0) & (t.opportunity_role != t.lead_role), 1, 0)
    )
    others = (t.n - role_touches).cast("float64")
    return ibis.cases(
        (others == 0, roles.cast("float64") / 3.0),
        (roles > 0, 0.3 * roles.cast("float64")),
        else_=0.1 / others.nullif(0.0),
    )


def time_decay(t: ir.Table, half_life: int) -> ir.FloatingValue:
    """Weight ∝ 2^(−age / H), age from closed_at; reads `decay`, which `with_roles` adds."""
    return t.decay / t.decay_total


def with_roles(t: ir.Table, half_life: int) -> ir.Table:
    """A journey with what w_shaped and time_decay read, computed in window steps.

    The lead-creation role is the earliest lead creation (else t1), the opportunity role the
    last touch at or before the deal's created_at (else t1). Time decay is scaled by the
    journey's latest touch, 2^(−(latest − at)/H) ∝ 2^(−(closed − at)/H), so it never underflows.
    """
    journey = ibis.window(group_by=t.deal_id)
    lead_pos = ibis.ifelse(t.kind == LEAD_CREATION, t.pos, ibis.null("int64")).min().over(journey)
    opportunity_pos = (
        ibis.ifelse(t.touched_at <= t.created_at, t.pos, ibis.null("int64")).max().over(journey)
    )
    staged = t.mutate(
        lead_role=lead_pos.fill_null(0),
        opportunity_role=opportunity_pos.fill_null(0),
        latest=t.touched_at.max().over(journey),
    )
    halvings = staged.latest.delta(staged.touched_at, unit="microsecond").cast("float64") / float(
        half_life
    )
    staged = staged.mutate(decay=(halvings * -0.6931471805599453).exp())  # 2^-x = e^(−x·ln 2)
    return staged.mutate(decay_total=staged.decay.sum().over(group_by=staged.deal_id))


RULE_MODELS: dict[str, Weight] = {
    "first_touch": first_touch,
    "last_touch": last_touch,
    "linear": linear,
    "position_based": position_based,
    "w_shaped": w_shaped,
    "time_decay": time_decay,
}
