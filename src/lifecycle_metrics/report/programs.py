"""The report's program answers (SPEC §6): which sources, programs and activities work.

Convert: channels and campaigns under every attribution model, 12 months to the report month
(customers, bookings, cost, ROI), with where the models disagree. Expand: expansion deals
credited to customer campaigns. Nurture: the activities that lift lead scores most, and those
with no visible effect, in the report month.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from lifecycle_metrics.attribution import MODELS, AttributionResult, Settings, attribute
from lifecycle_metrics.attribution.score_lift import score_lift
from lifecycle_metrics.dataset import Dataset
from lifecycle_metrics.model.model import Model
from lifecycle_metrics.periods import month_label

WINDOW_MONTHS = 12
TOP_CAMPAIGNS = 8
TOP_LIFTS = 5
# Models disagree on a member when the shares of customers they credit it differ by this much.
DISAGREEMENT = 0.10
Progress = Callable[[str], None]


def program_answers(dataset: Dataset, whole: Model, month: int, say: Progress) -> dict[str, Any]:
    """Acquisition and expansion attribution and score lift, as the report shows them."""
    answers: dict[str, Any] = {"window": _window(month), "models": list(MODELS)}
    names = _campaigns(dataset)
    if "deals" in dataset.tables:
        run = Model(dataset, as_of=whole.as_of, first_month=month, last_month=month)
        say("attribution by channel")
        by_channel = attribute(dataset, settings=Settings(by="channel"), model=run)
        say("attribution by campaign")
        by_campaign = attribute(dataset, settings=Settings(by="campaign_id"), model=run)
        say("expansion attribution")
        expansion = attribute(
            dataset, settings=Settings(by="campaign_id", deals="expansion"), model=run
        )
        answers["acquisition"] = {
            "channels": _members(by_channel, month),
            "campaigns": _members(by_campaign, month, names)[:TOP_CAMPAIGNS],
            **_totals(by_channel, month),
        }
        answers["acquisition"]["disagreements"] = _disagreements(answers["acquisition"])
        customer_campaigns = {c for c, (_name, audience) in names.items() if audience == "customer"}
        answers["expansion"] = {
            "campaigns": [
                m for m in _members(expansion, month, names) if m["member"] in customer_campaigns
            ],
            "has_customer_campaigns": bool(customer_campaigns),
            **_totals(expansion, month),
        }
    if "activities" in dataset.tables and "lead_scores" in dataset.tables:
        say("score lift")
        answers["score_lift"] = _lifts(dataset, whole, month, names)
    return answers


def _window(month: int) -> str:
    return f"{month_label(month - WINDOW_MONTHS + 1)} … {month_label(month)}"


def _campaigns(dataset: Dataset) -> dict[str, tuple[str, str]]:
    if "campaigns" not in dataset.tables:
        return {}
    campaigns = dataset.tables["campaigns"].select("campaign_id", "name", "audience")
    return {
        r["campaign_id"]: (r["name"], r["audience"]) for r in campaigns.to_pyarrow().to_pylist()
    }


def _totals(result: AttributionResult, month: int) -> dict[str, Any]:
    """Deals won and their amount over the window: what every model's credits add up to."""
    span = range(month - WINDOW_MONTHS + 1, month + 1)
    return {
        "deals": sum(result.totals.get(m, (0, 0.0))[0] for m in span),
        "amount": math.fsum(result.totals.get(m, (0, 0.0))[1] for m in span),
    }


def _members(
    result: AttributionResult, month: int, names: dict[str, tuple[str, str]] | None = None
) -> list[dict[str, Any]]:
    """Each member credited in the window: its cost and, per model, customers, bookings, ROI."""
    span = range(month - WINDOW_MONTHS + 1, month + 1)
    members = sorted({k[2] for k in result.credits if k[1] in span})
    found: list[dict[str, Any]] = []
    for member in members:
        per_model: dict[str, dict[str, float | None]] = {}
        cost: float | None = None
        for model in MODELS:
            conversions, value, cost = result.trailing(model, member, month, WINDOW_MONTHS)
            roi = (value - cost) / cost if cost else None
            per_model[model] = {"customers": conversions, "bookings": value, "roi": roi}
        customers = [m["customers"] or 0.0 for m in per_model.values()]
        found.append(
            {
                "member": member,
                "name": (names or {}).get(member, (None, None))[0],
                "cost": cost,
                "models": per_model,
                "mean_customers": sum(customers) / len(customers),
                "lowest": min(per_model, key=lambda m: per_model[m]["customers"] or 0.0),
                "highest": max(per_model, key=lambda m: per_model[m]["customers"] or 0.0),
            }
        )
    found.sort(key=lambda m: (-float(m["mean_customers"]), str(m["member"])))
    return found


def _disagreements(acquisition: dict[str, Any]) -> list[dict[str, Any]]:
    """Channels whose share of customers differs by ≥ 10 points between two models."""
    deals = acquisition["deals"]
    if not deals:
        return []
    found = []
    for row in acquisition["channels"]:
        low = row["models"][row["lowest"]]["customers"] / deals
        high = row["models"][row["highest"]]["customers"] / deals
        if high - low >= DISAGREEMENT:
            found.append(
                {
                    "member": row["member"],
                    "lowest": row["lowest"],
                    "low_share": low,
                    "highest": row["highest"],
                    "high_share": high,
                }
            )
    found.sort(key=lambda d: d["low_share"] - d["high_share"])
    return found


def _lifts(
    dataset: Dataset, whole: Model, month: int, names: dict[str, tuple[str, str]]
) -> dict[str, Any]:
    """The report month's score lift by activity type and campaign: best, and no visible effect."""
    label = month_label(month)
    members: list[dict[str, Any]] = []
    for by in ("type", "campaign_id"):
        rows, _ = score_lift(dataset, by=by, first_month=label, last_month=label, as_of=whole.as_of)
        members += [
            {**r, "name": names.get(r["member"], (r["member"], None))[0] if by != "type" else None}
            for r in rows
            if r["member"] is not None
        ]
    lifting = [
        r
        for r in members
        if not r["no_visible_effect"] and r["ci_low"] is not None and r["ci_low"] > 0
    ]
    lifting.sort(key=lambda r: (-r["mean_lift"], r["member"]))
    no_effect = sorted(
        (r for r in members if r["no_visible_effect"]), key=lambda r: (-r["touches"], r["member"])
    )
    return {"month": label, "lifting": lifting[:TOP_LIFTS], "no_effect": no_effect[:TOP_LIFTS]}
