"""Compute metrics: pick the families the chosen metrics read, run each once, form values.

The only place that executes queries for metrics. Each family is one query over all months
and all requested dimensions; values are then formed from its (small) aggregated result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lifecycle_metrics.dataset import Dataset
from lifecycle_metrics.errors import UsageError
from lifecycle_metrics.metrics.catalog import CATALOG
from lifecycle_metrics.metrics.families import FAMILIES
from lifecycle_metrics.metrics.spec import DIMENSIONS, Metric, Stage, Unit
from lifecycle_metrics.metrics.values import FamilyResults, Key
from lifecycle_metrics.model.model import Model, RunWindow
from lifecycle_metrics.periods import month_label, parse_span

COLUMNS = ("metric", "stage", "kind", "month", "dimension", "member", "value", "mature")
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Unavailable:
    """A metric that cannot be computed, and why."""

    metric: str
    missing: tuple[str, ...]

    @property
    def reason(self) -> str:
        """Why, in words."""
        return "needs table" + ("s " if len(self.missing) > 1 else " ") + ", ".join(self.missing)


@dataclass
class MetricResult:
    """Rows in SPEC §5's long form, plus what could not be computed."""

    rows: list[dict[str, Any]]
    unavailable: list[Unavailable]
    window: RunWindow | None  # None when no metric could be computed
    metrics: list[Metric] = field(default_factory=list)
    families: FamilyResults = field(default_factory=dict)  # the measures values were formed from

    def to_pandas(self) -> Any:
        """The rows as a pandas DataFrame with SPEC §5's columns."""
        import pandas as pd

        return pd.DataFrame(self.rows, columns=list(COLUMNS))


def select_metrics(ids: Sequence[str] = (), stage: str | None = None) -> list[Metric]:
    """Metrics chosen by id and/or stage, in catalog order; unknown names are usage errors."""
    unknown = [metric_id for metric_id in ids if metric_id not in CATALOG]
    if unknown:
        raise UsageError(f"unknown metric {unknown[0]!r}: see `lifecycle catalog` for the ids")
    stages = {s.value for s in Stage}
    if stage is not None and stage not in stages:
        raise UsageError(f"unknown stage {stage!r}: expected one of {', '.join(sorted(stages))}")
    chosen = [
        m for m in CATALOG if (not ids or m.id in ids) and (stage is None or m.stage.value == stage)
    ]
    return chosen


def check_dimensions(by: Iterable[str]) -> tuple[str, ...]:
    """The requested dimensions, checked and without repeats."""
    dims = tuple(dict.fromkeys(by))
    for dim in dims:
        if dim not in DIMENSIONS:
            raise UsageError(
                f"unknown dimension {dim!r} for --by: expected one of {', '.join(DIMENSIONS)}"
            )
    return dims


def _run_families(
    model: Model, names: Iterable[str], dims: tuple[str, ...], say: Progress
) -> FamilyResults:
    results: dict[str, dict[Key, dict[str, Any]]] = {}
    for name in names:
        spec = FAMILIES[name]
        family_dims = tuple(d for d in dims if d in spec.dimensions)
        say(f"computing {name}")
        rows = spec.build(model, family_dims).to_pyarrow().to_pylist()
        if spec.finish is not None:
            rows = spec.finish(rows, model)
        keyed: dict[Key, dict[str, Any]] = {}
        for row in rows:
            key = (int(row.pop("month")), row.pop("dimension"), row.pop("member"))
            if key[1] is not None and key[1] not in family_dims:
                continue
            keyed[key] = row
        results[name] = keyed
    return results


def _format_value(metric: Metric, value: float | None) -> float | int | None:
    if value is None:
        return None
    if metric.unit is Unit.COUNT and float(value).is_integer():
        return int(value)
    return float(value)


def compute_result(
    dataset: Dataset,
    *,
    metrics: Sequence[str] = (),
    stage: str | None = None,
    by: Iterable[str] = (),
    first_month: str | None = None,
    last_month: str | None = None,
    as_of: str | datetime | None = None,
    progress: Progress | None = None,
) -> MetricResult:
    """Every chosen metric for every month (and member of each `by` dimension)."""
    say = progress or (lambda _message: None)
    chosen = select_metrics(metrics, stage)
    dims = check_dimensions(by)
    first, last, instant = parse_span(first_month, last_month, as_of, dataset.tz)
    available, unavailable = split_available(dataset, chosen)
    if not available:
        return MetricResult(rows=[], unavailable=unavailable, window=None)
    say("preparing the model")
    model = Model(dataset, as_of=instant, first_month=first, last_month=last)
    result = evaluate(model, available, dims, say)
    result.unavailable = unavailable
    return result


def split_available(
    dataset: Dataset, chosen: Sequence[Metric]
) -> tuple[list[Metric], list[Unavailable]]:
    """The chosen metrics whose tables are all given, and the others with their reason."""
    available: list[Metric] = []
    unavailable: list[Unavailable] = []
    for metric in chosen:
        missing = tuple(table for table in metric.needs if table not in dataset.tables)
        if missing:
            unavailable.append(Unavailable(metric.id, missing))
        else:
            available.append(metric)
    return available, unavailable


def evaluate(
    model: Model, available: Sequence[Metric], dims: tuple[str, ...], say: Progress
) -> MetricResult:
    """Run the families the metrics read once, then form every value of every window month."""
    families = dict.fromkeys(f for metric in available for f in metric.families)
    results = _run_families(model, families, dims, say)
    rows: list[dict[str, Any]] = []
    for metric in available:
        metric_dims = [d for d in dims if d in metric.dimensions]
        rule = metric.value
        window_days = rule.cohort_days
        for month in model.window.months:
            mature = True if window_days is None else model.window.mature(month, window_days)
            keys: list[Key] = [(month, None, None)]
            months_read = rule.months_read(month)
            for dim in metric_dims:
                members = sorted(
                    {
                        key[2]
                        for family in metric.families
                        for key in results.get(family, {})
                        if key[0] in months_read and key[1] == dim and key[2] is not None
                    }
                )
                keys += [
                    (month, dim, member)
                    for member in members
                    if rule.present(results, (month, dim, member))
                ]
            for key in keys:
                rows.append(
                    {
                        "metric": metric.id,
                        "stage": metric.stage.value,
                        "kind": metric.kind.value,
                        "month": month_label(month),
                        "dimension": key[1],
                        "member": key[2],
                        "value": _format_value(metric, rule.value(results, key)),
                        "mature": mature,
                    }
                )
    return MetricResult(
        rows=rows, unavailable=[], window=model.window, metrics=list(available), families=results
    )


def compute(
    dataset: Dataset | str,
    *,
    months: tuple[str, str] | None = None,
    by: Iterable[str] = (),
    metrics: Sequence[str] = (),
    stage: str | None = None,
    as_of: str | datetime | None = None,
    tz: str = "UTC",
) -> Any:
    """Metrics in SPEC §5's long form as a pandas DataFrame.

    `dataset` is a loaded Dataset or a path/URL (then loaded strictly in zone `tz`);
    `months` is an inclusive ('YYYY-MM', 'YYYY-MM') range.
    """
    from lifecycle_metrics.dataset import load

    loaded = dataset if isinstance(dataset, Dataset) else load(dataset, tz=tz)
    first, last = months if months else (None, None)
    result = compute_result(
        loaded, metrics=metrics, stage=stage, by=by, first_month=first, last_month=last, as_of=as_of
    )
    return result.to_pandas()
