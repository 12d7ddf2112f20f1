"""The deals and touches behind one attribution credit: `lifecycle drill --metric attribution`.

The same weighted journey rows the credits are summed from, kept for one model, month and
member: each row a touch of a deal won in the month, with its weight (conversions) and the
weight × the deal's amount (value), so the credits printed add up to the number drilled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from typing import Any

from lifecycle_metrics.attribution.compute import check_models, markov_effects, weighted_touches
from lifecycle_metrics.attribution.journeys import Settings, journeys
from lifecycle_metrics.attribution.touches import KIND_NAMES
from lifecycle_metrics.dataset import Dataset
from lifecycle_metrics.errors import UsageError
from lifecycle_metrics.model.model import Model
from lifecycle_metrics.periods import month_label, parse_instant, parse_month, zone

DRILL_COLUMNS = (
    "deal_id",
    "amount",
    "closed_at",
    "touch",
    "touched_at",
    "type",
    "touch_id",
    "contact_id",
    "member",
    "conversions",
    "value",
)


@dataclass
class AttributionDrill:
    """The touches behind one credit and the credit they add up to."""

    model: str
    month: str
    dimension: str
    member: str
    rows: list[dict[str, Any]]

    @property
    def conversions(self) -> float:
        """The credited conversions: the weights of the touches listed."""
        return sum(row["conversions"] for row in self.rows)

    @property
    def value(self) -> float:
        """The credited value: weight × amount of the touches listed."""
        return sum(row["value"] for row in self.rows)


def drill_attribution(
    dataset: Dataset,
    model_name: str,
    month: str,
    member: str,
    *,
    settings: Settings | None = None,
    as_of: str | None = None,
) -> AttributionDrill:
    """The touches one model credits to `member` (DIM=VALUE) for the deals won in `month`."""
    if "deals" not in dataset.tables:
        raise UsageError("attribution needs the deals table: there is no conversion to credit")
    names = check_models([model_name])
    dimension, _, value = member.partition("=")
    if dimension not in ("channel", "campaign_id") or not value:
        raise UsageError(
            f"--member {member!r}: expected channel=VALUE or campaign_id=VALUE for attribution"
        )
    base = settings or Settings()
    settings = Settings(
        deals=base.deals,
        by=dimension,
        lookback_days=base.lookback_days,
        half_life_days=base.half_life_days,
    )
    index = parse_month(month, option="--month")
    instant = parse_instant(as_of, dataset.tz) if as_of else None
    model = Model(dataset, as_of=instant)
    if index not in model.window.months:
        raise UsageError(f"--month {month_label(index)} is outside the data's months")
    journey = journeys(model, settings).cache()
    effects = (
        markov_effects(model, journey, settings, months=[index]) if names[0] == "markov" else None
    )
    weighted = weighted_touches(journey, names[0], settings, effects)
    in_month = weighted.filter(weighted.month == index)
    members = sorted(in_month.select("member").distinct().to_pyarrow().column(0).to_pylist())
    if value not in members:
        raise UsageError(
            f"--member {member!r}: {names[0]} credits no such {dimension} in {month_label(index)}; "
            f"credited: {', '.join(members) or '(none)'}"
        )
    chosen = in_month.filter(in_month.member == value)
    found = chosen.order_by(["closed_at", "deal_id", "pos"]).to_pyarrow().to_pylist()
    tz = zone(dataset.tz)
    rows = [
        {
            "deal_id": row["deal_id"],
            "amount": row["amount"],
            "closed_at": row["closed_at"].replace(tzinfo=UTC).astimezone(tz).isoformat(),
            "touch": f"{row['pos'] + 1} of {row['n']}",
            "touched_at": row["touched_at"].replace(tzinfo=UTC).astimezone(tz).isoformat(),
            "type": row["type"] if row["kind"] in KIND_NAMES else "deal (no touch)",
            "touch_id": row["touch_id"],
            "contact_id": row["contact_id"],
            "member": row["member"],
            "conversions": row["weight"],
            "value": row["weight"] * row["amount"],
        }
        for row in found
    ]
    return AttributionDrill(names[0], month_label(index), dimension, value, rows)
