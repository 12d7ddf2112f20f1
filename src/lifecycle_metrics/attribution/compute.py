"""`lifecycle attribution` on a dataset (SPEC §6.4): credits, cost and ROI per model and month.

Each model's credits are one Ibis query over the journeys; Markov adds one transition count
(conversion paths by month won, null paths by month) and one linear solve per month. Only the
small aggregated results reach Python, where cost and the 12-month ROI are put beside them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import ibis
import ibis.expr.types as ir

from lifecycle_metrics.attribution.journeys import Settings, conversions, journeys
from lifecycle_metrics.attribution.markov import removal_effects, transitions
from lifecycle_metrics.attribution.models import MODELS, RULE_MODELS, with_roles
from lifecycle_metrics.attribution.touches import touches
from lifecycle_metrics.dataset import Dataset
from lifecycle_metrics.errors import UsageError
from lifecycle_metrics.metrics.families.costs import COSTS, cost_rows
from lifecycle_metrics.model.model import Model, RunWindow
from lifecycle_metrics.periods import month_label, parse_span

COLUMNS = ("model", "month", "dimension", "member", "conversions", "value", "cost", "roi")
ROI_MONTHS = 12
MARKOV_MONTHS = 12  # paths of deals won in the 12 months ending with m
SHOWN_DEALS = 5
Progress = Callable[[str], None]
Credits = dict[tuple[str, int, str], tuple[float, float]]  # (model, month, member) → credits


@dataclass
class AttributionResult:
    """Rows in SPEC §6.4's form, with warnings about what the data could not show."""

    rows: list[dict[str, Any]]
    window: RunWindow
    settings: Settings
    warnings: list[str] = field(default_factory=list)
    removal_effects: dict[int, dict[str, float]] = field(default_factory=dict)
    credits: Credits = field(default_factory=dict)  # every month's, before --from included
    costs: dict[tuple[int, str], float] = field(default_factory=dict)
    totals: dict[int, tuple[int, float]] = field(default_factory=dict)  # month → deals, amount

    def trailing(
        self, model: str, member: str, end: int, months: int = ROI_MONTHS
    ) -> tuple[float, float, float | None]:
        """Conversions, value and cost credited to `member` over the `months` ending with `end`."""
        span = range(end - months + 1, end + 1)
        conversions = math.fsum(self.credits.get((model, m, member), (0.0, 0.0))[0] for m in span)
        value = math.fsum(self.credits.get((model, m, member), (0.0, 0.0))[1] for m in span)
        costs = [self.costs[(m, member)] for m in span if (m, member) in self.costs]
        return conversions, value, math.fsum(costs) if costs else None


def check_models(models: Sequence[str]) -> tuple[str, ...]:
    """The requested models in SPEC order (all when none); an unknown name is a usage error."""
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        raise UsageError(f"unknown --model {unknown[0]!r}: expected one of {', '.join(MODELS)}")
    return tuple(m for m in MODELS if not models or m in models)


def attribute(
    dataset: Dataset,
    *,
    models: Sequence[str] = (),
    settings: Settings | None = None,
    first_month: str | None = None,
    last_month: str | None = None,
    as_of: str | datetime | None = None,
    progress: Progress | None = None,
    model: Model | None = None,
) -> AttributionResult:
    """Credits of won deals to the touches before them, per model, month and member.

    `model` is a run already measured (the report's); otherwise the dataset is measured here.
    """
    say = progress or (lambda _message: None)
    settings = settings or Settings()
    chosen = check_models(models)
    if "deals" not in dataset.tables:
        raise UsageError("attribution needs the deals table: there is no conversion to credit")
    if model is None:
        first, last, instant = parse_span(first_month, last_month, as_of, dataset.tz)
        say("preparing the model")
        model = Model(dataset, as_of=instant, first_month=first, last_month=last)
    deals = conversions(model, settings).cache()
    warnings = _warnings(model, deals, settings)
    say("building the journeys")
    journey = journeys(model, settings, deals).cache()
    credits: Credits = {}
    effects: dict[int, dict[str, float]] = {}
    rule_models = [m for m in chosen if m != "markov"]
    if rule_models:
        say("crediting " + ", ".join(rule_models))
        credits.update(_rule_credits(journey, rule_models, settings))
    if "markov" in chosen:
        say("solving the Markov chains")
        effects = markov_effects(model, journey, settings)
        credits.update(_markov_credits(journey, effects))
    say("costs")
    costs = _costs(model, settings.by)
    totals = _totals(deals)
    rows = _rows(model.window, chosen, settings.by, credits, costs, totals)
    return AttributionResult(
        rows=rows,
        window=model.window,
        settings=settings,
        warnings=warnings,
        removal_effects=effects,
        credits=credits,
        costs=costs,
        totals=totals,
    )


def weighted_touches(
    journey: ir.Table,
    name: str,
    settings: Settings,
    effects: dict[int, dict[str, float]] | None = None,
) -> ir.Table:
    """The journey's touches that model `name` credits, each with its `weight` (> 0).

    Markov reads the month's removal effects: each deal over its own journey's states ∝ RE,
    a state's share split equally among its touches in the journey.
    """
    if name == "markov":
        weighted = _markov_weights(journey, effects or {})
    else:
        staged = with_roles(journey, settings.half_life_micros)
        weighted = staged.mutate(_w=RULE_MODELS[name](staged, settings.half_life_micros))
    weighted = weighted.filter(weighted._w > 0)  # a member appears when it is credited
    return weighted.select(*journey.columns, weight=weighted._w)


def _rule_credits(journey: ir.Table, models: Sequence[str], settings: Settings) -> Credits:
    parts = [_credited(weighted_touches(journey, name, settings), name) for name in models]
    every = parts[0]
    for part in parts[1:]:
        every = every.union(part, distinct=False)
    return _keyed(every)


def _credited(weighted: ir.Table, name: str) -> ir.Table:
    return weighted.group_by(["month", "member"]).aggregate(
        model=ibis.literal(name),
        conversions=weighted.weight.sum(),
        value=(weighted.weight * weighted.amount).sum(),
    )


def _keyed(table: ir.Table) -> Credits:
    return {
        (row["model"], int(row["month"]), row["member"]): (row["conversions"], row["value"])
        for row in table.to_pyarrow().to_pylist()
    }


def markov_effects(
    model: Model, journey: ir.Table, settings: Settings, months: Sequence[int] | None = None
) -> dict[int, dict[str, float]]:
    """Removal effects per month with a won deal (or of `months`), from SPEC §6.3's paths."""
    wanted = sorted(
        int(m) for m in journey.select("month").distinct().to_pyarrow().column(0).to_pylist()
    )
    if not model.window.months:
        return {}
    # the reported months, and the 11 before the first: its ROI reads their credits
    first, last = model.window.months[0] - ROI_MONTHS + 1, model.window.months[-1]
    wanted = [m for m in wanted if first <= m <= last]
    if months is not None:
        wanted = [m for m in wanted if m in months]
    if not wanted:
        return {}
    converting = journey.mutate(state=journey.member, _conv=1, _null=0)
    won_counts = (
        transitions(converting, ["deal_id"], ["month"], "_conv", "_null").to_pyarrow().to_pylist()
    )
    null_counts = _null_transitions(model, journey, settings, wanted).to_pyarrow().to_pylist()
    by_month: dict[int, list[dict[str, Any]]] = {m: [] for m in wanted}
    for row in won_counts:
        won_in = int(row["month"])
        for month in range(won_in, won_in + MARKOV_MONTHS):
            if month in by_month:
                by_month[month].append(row)
    for row in null_counts:
        by_month[int(row["month"])].append(row)
    solved: dict[int, dict[str, float]] = {}
    for month, rows in by_month.items():
        # a month with a won deal always has P > 0: a None (no conversion) cannot occur here
        _probability, effects = removal_effects(rows)
        solved[month] = {s: e for s, e in effects.items() if e is not None}
    return solved


def _null_transitions(
    model: Model, journey: ir.Table, settings: Settings, months: Sequence[int]
) -> ir.Table:
    """Transitions of the accounts that did not convert, per month: touches in [end − L, end)."""
    ends = ibis.memtable(
        {"month": list(months), "month_end": [model.window.start(m + 1) for m in months]},
        schema={"month": "int64", "month_end": "timestamp"},
    )
    every = touches(model)
    joined = every.join(ends, every.touched_at < ends.month_end)
    age = joined.month_end.delta(joined.touched_at, unit="microsecond")
    window = joined.filter(age <= settings.lookback_micros)
    window = window.select(*[window[c] for c in (*every.columns, "month", "month_end")])
    # the accounts with a conversion path in m: their deals of the 12 months ending with m
    deals = journey.select("account_id", "month").distinct()
    reported = ends.select(_month=ends.month)
    spans = deals.join(
        reported,
        (deals.month <= reported._month) & (deals.month > reported._month - MARKOV_MONTHS),
    )
    converted = spans.select(_account=spans.account_id, _month=spans._month).distinct()
    window = window.anti_join(
        converted, (window.account_id == converted._account) & (window.month == converted._month)
    )
    window = window.select(*[window[c] for c in (*every.columns, "month", "month_end")])
    if settings.deals == "expansion":
        window = _customers_only(model, window)
    order = [window.touched_at, window.kind, window.touch_id]
    path = [window.month, window.account_id]
    steps = window.select(
        month=window.month,
        account_id=window.account_id,
        state=window[settings.by],
        pos=ibis.row_number().over(group_by=path, order_by=order),
        n=window.count().over(group_by=path),
        _conv=ibis.literal(0),
        _null=ibis.literal(1),
    )
    return transitions(steps, ["month", "account_id"], ["month"], "_conv", "_null")


def _customers_only(model: Model, window: ir.Table) -> ir.Table:
    """Expansion's null paths: accounts that won a new_business deal before end(m)."""
    first = conversions(model, Settings(deals="new_business"))
    won = first.group_by("account_id").aggregate(_first_won=first.closed_at.min())
    joined = window.join(won, window.account_id == won.account_id)
    kept = joined.filter(joined._first_won < joined.month_end)
    return kept.select(*[kept[c] for c in window.columns])


def _markov_credits(journey: ir.Table, effects: dict[int, dict[str, float]]) -> Credits:
    if not effects:
        return {}
    return _keyed(_credited(weighted_touches(journey, "markov", Settings(), effects), "markov"))


def _markov_weights(journey: ir.Table, effects: dict[int, dict[str, float]]) -> ir.Table:
    table = ibis.memtable(
        {
            "_month": [m for m, found in effects.items() for _ in found],
            "_member": [s for found in effects.values() for s in found],
            "_effect": [e for found in effects.values() for e in found.values()],
        },
        schema={"_month": "int64", "_member": "string", "_effect": "float64"},
    )
    joined = journey.join(
        table, (journey.month == table._month) & (journey.member == table._member)
    )
    touches_of_state = joined.count().over(group_by=[joined.deal_id, joined.member])
    weighted = joined.mutate(_share=joined._effect / touches_of_state.cast("float64"))
    return weighted.mutate(
        _w=weighted._share / weighted._share.sum().over(group_by=weighted.deal_id).nullif(0.0)
    )


def _costs(model: Model, by: str) -> dict[tuple[int, str], float]:
    """Cost per (month, member): channel shares as §4, or the campaign's own cost rows."""
    if "costs" not in model.tables:
        return {}
    if by == "channel":
        rows = COSTS.build(model, ("channel",)).to_pyarrow().to_pylist()
        assert COSTS.finish is not None
        shared = COSTS.finish(rows, model)
        return {
            (int(r["month"]), r["member"]): r["cost"] for r in shared if r["dimension"] == "channel"
        }
    rows_table = cost_rows(model)
    with_campaign = rows_table.filter(rows_table.campaign_id.notnull())
    summed = with_campaign.group_by(["month", "campaign_id"]).aggregate(
        cost=with_campaign.amount.cast("decimal(38, 9)").sum()
    )
    return {
        (int(r["month"]), r["campaign_id"]): float(r["cost"])
        for r in summed.to_pyarrow().to_pylist()
    }


def _totals(deals: ir.Table) -> dict[int, tuple[int, float]]:
    # float sums, as the credits are: they add up to these (a decimal would round them)
    summed = deals.group_by("month").aggregate(deals=deals.count(), amount=deals.amount.sum())
    return {
        int(r["month"]): (int(r["deals"]), float(r["amount"]))
        for r in summed.to_pyarrow().to_pylist()
    }


def _rows(
    window: RunWindow,
    models: Sequence[str],
    by: str,
    credits: Credits,
    costs: dict[tuple[int, str], float],
    totals: dict[int, tuple[int, float]],
) -> list[dict[str, Any]]:
    """SPEC §6.4's rows: a totals row per month, then each model's members in order."""
    cost_months = {m for m, _ in costs}
    rows: list[dict[str, Any]] = []
    for month in window.months:
        count, amount = totals.get(month, (0, 0.0))
        rows.append(
            {
                "model": None,
                "month": month_label(month),
                "dimension": None,
                "member": None,
                "conversions": count,
                "value": amount,
                "cost": None,
                "roi": None,
            }
        )
        for name in models:
            members = {k[2] for k in credits if k[0] == name and k[1] == month}
            members |= {member for m, member in costs if m == month}
            for member in sorted(members):
                conv, value = credits.get((name, month, member), (0.0, 0.0))
                rows.append(
                    {
                        "model": name,
                        "month": month_label(month),
                        "dimension": by,
                        "member": member,
                        "conversions": conv,
                        "value": value,
                        "cost": _cost(costs, cost_months, month, member, by),
                        "roi": _roi(credits, costs, name, month, member),
                    }
                )
    return rows


def _cost(
    costs: dict[tuple[int, str], float], cost_months: set[int], month: int, member: str, by: str
) -> float | None:
    """The member's cost of m: 0 for a channel without cost in a month with cost rows (§4)."""
    if (month, member) in costs:
        return costs[(month, member)]
    if by == "channel" and month in cost_months:
        return 0.0
    return None


def _roi(
    credits: Credits, costs: dict[tuple[int, str], float], model: str, month: int, member: str
) -> float | None:
    """(Σ value − Σ cost) / Σ cost over m−11 … m; empty while that cost is ≤ 0."""
    span = range(month - ROI_MONTHS + 1, month + 1)
    cost = math.fsum(costs.get((m, member), 0.0) for m in span)
    if cost <= 0:
        return None
    value = math.fsum(credits.get((model, m, member), (0.0, 0.0))[1] for m in span)
    return (value - cost) / cost


def _warnings(model: Model, deals: ir.Table, settings: Settings) -> list[str]:
    """Deals whose account has no contact: credited to their own channel, and named."""
    found: list[str] = []
    if model.has("contacts") or model.has("stage_changes"):
        people = model.contacts.select(_account=model.contacts.account_key).distinct()
        alone = deals.anti_join(people, deals.account_id == people._account)
    else:
        alone = deals
    ids = sorted(alone.select("deal_id").to_pyarrow().column(0).to_pylist())
    if ids:
        shown = ", ".join(ids[:SHOWN_DEALS]) + (" …" if len(ids) > SHOWN_DEALS else "")
        found.append(
            f"{len(ids):,} won deal(s) whose account has no contact ({shown}): each is credited "
            f"to its own {settings.by.replace('_id', '')} at its created_at (SPEC §6.2)"
        )
    if not model.has("campaigns") and model.has("activities"):
        found.append(
            "no campaigns table: activity touches have channel 'unknown' (a touch's channel is "
            "its campaign's)"
        )
    return found
