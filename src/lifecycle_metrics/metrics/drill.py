"""Drill-down: the records behind a number — the sets a metric counts, with their timestamps.

Every family lists the records its measures are made of (its row builder, in the record shape,
see `families.base.record_shape`), each tagged with the measure set it feeds. `drill` keeps the
sets of the measures one metric's value rule names (`ValueRule.drilled`), for one month and
optionally one dimension member, so an analyst can check any figure against the source.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from typing import Any

from lifecycle_metrics.dataset import Dataset
from lifecycle_metrics.errors import UsageError
from lifecycle_metrics.metrics.engine import select_metrics
from lifecycle_metrics.metrics.families import FAMILIES
from lifecycle_metrics.metrics.families.base import RECORD_COLUMNS, SET_KEY, union_all
from lifecycle_metrics.model.model import UNKNOWN, Model
from lifecycle_metrics.periods import month_label, parse_instant, parse_month, zone

__all__ = ["RECORD_COLUMNS", "DrillResult", "drill"]


@dataclass
class DrillResult:
    """The records behind one number."""

    metric: str
    month: str
    member: tuple[str, str] | None
    rows: list[dict[str, Any]]


def drill(
    dataset: Dataset,
    metric_id: str,
    month: str,
    member: str | None = None,
    as_of: str | None = None,
) -> DrillResult:
    """The records one metric's value for `month` (and dimension member) is made of."""
    metric = select_metrics([metric_id])[0]
    missing = [table for table in metric.needs if table not in dataset.tables]
    if missing:
        raise UsageError(f"{metric_id} is unavailable: it needs {', '.join(missing)}")
    index = parse_month(month, option="--month")
    dimension = value = None
    if member:
        dimension, _, value = member.partition("=")
        if dimension not in metric.dimensions or not value:
            raise UsageError(
                f"--member {member!r}: expected DIM=VALUE with DIM one of "
                f"{', '.join(metric.dimensions) or '(none: total only)'}"
            )
    instant = parse_instant(as_of, dataset.tz) if as_of else None
    model = Model(dataset, as_of=instant)
    if index not in model.window.months:
        known = (
            f"{model.window.labels[0]} … {model.window.labels[-1]}"
            if model.window.months
            else "none"
        )
        raise UsageError(
            f"--month {month_label(index)} is outside the data's months ({known}, as_of "
            f"{model.as_of:%Y-%m-%d %H:%M} UTC)"
        )
    months = list(metric.value.months_read(index))
    parts = []
    for measure in metric.value.drilled:
        table = FAMILIES[measure.family].records(model)
        table = table.filter(table.month.isin(months) & table[SET_KEY].isin(measure.sets))
        if dimension is not None:
            table = table.filter(table[dimension].fill_null(UNKNOWN) == value)
        parts.append(table.drop(SET_KEY))
    combined = union_all(parts).distinct()
    rows = combined.order_by(["set", "at", "record"]).to_pyarrow().to_pylist()
    tz = zone(dataset.tz)
    for row in rows:
        if row["at"] is not None:
            local = row["at"].replace(tzinfo=UTC).astimezone(tz)
            row["at"] = local.isoformat()
        row["month"] = month_label(row["month"])
    return DrillResult(
        metric=metric_id,
        month=month,
        member=(dimension, value) if dimension else None,  # type: ignore[arg-type]
        rows=rows,
    )
