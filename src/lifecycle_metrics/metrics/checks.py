"""Catalog checks: every metric's declaration agrees with the families it reads.

Like MetricFlow's semantic validations, each check returns issues instead of raising, so a test
over the whole registry names every problem at once. `check_catalog` reads declarations only;
`check_on_dataset` also builds and runs each family on a dataset holding every table, and
builds it again from only the tables a metric says it needs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

from lifecycle_metrics.dataset import Dataset
from lifecycle_metrics.metrics.families import FAMILIES, Family
from lifecycle_metrics.metrics.families.base import CONTACT_DIMS, RECORD_COLUMNS, SET_KEY
from lifecycle_metrics.metrics.spec import Metric
from lifecycle_metrics.model.model import Model
from lifecycle_metrics.schema import TABLE_NAMES


@dataclass(frozen=True)
class CatalogIssue:
    """One disagreement between a metric's declaration and what its families do."""

    metric: str
    problem: str

    def __str__(self) -> str:
        return f"{self.metric}: {self.problem}"


Check = Callable[[Metric, Mapping[str, Family]], Iterator[str]]


def _needs_are_tables(metric: Metric, families: Mapping[str, Family]) -> Iterator[str]:
    for table in metric.needs:
        if table not in TABLE_NAMES:
            yield f"needs {table!r}, which is not a canonical table"


def _measures_resolve(metric: Metric, families: Mapping[str, Family]) -> Iterator[str]:
    for measure in metric.value.measures:
        family = families.get(measure.family)
        if family is None:
            yield f"reads measure {measure.name!r} of unknown family {measure.family!r}"
            continue
        if family.measures.get(measure.name) != measure:
            yield f"reads {measure.family}.{measure.name}, which that family does not declare"
        if not measure.sets:
            yield f"{measure.family}.{measure.name} names no record set to drill into"
        unknown_sets = [s for s in measure.sets if s not in family.record_sets]
        if unknown_sets:
            yield (
                f"{measure.family}.{measure.name} counts record sets {unknown_sets} "
                f"that family {measure.family!r} never lists"
            )


def _drilled_are_read(metric: Metric, families: Mapping[str, Family]) -> Iterator[str]:
    for measure in metric.value.drilled:
        if measure not in metric.value.measures:
            yield f"drills into {measure.family}.{measure.name}, which it does not read"


def _families_fit(metric: Metric, families: Mapping[str, Family]) -> Iterator[str]:
    for name in metric.value.families:
        family = families.get(name)
        if family is None:
            continue  # named by _measures_resolve
        unknown = [dim for dim in metric.dimensions if dim not in family.dimensions]
        if unknown:
            yield f"declares dimensions {unknown} that family {name!r} does not produce"
        if not set(metric.needs) & set(family.reads):
            yield f"needs {list(metric.needs)}, none of which family {name!r} reads"


def _window_stated(metric: Metric, families: Mapping[str, Family]) -> Iterator[str]:
    days = metric.value.cohort_days
    if days is not None and f"within {days} days" not in metric.definition:
        yield f"is a cohort rate of {days} days, but its definition does not say so"


CHECKS: tuple[Check, ...] = (
    _needs_are_tables,
    _measures_resolve,
    _drilled_are_read,
    _families_fit,
    _window_stated,
)


def check_catalog(
    metrics: Iterable[Metric], families: Mapping[str, Family] = FAMILIES
) -> list[CatalogIssue]:
    """Issues found in the declarations alone (no data read).

    >>> from lifecycle_metrics.metrics.catalog import CATALOG
    >>> check_catalog(CATALOG)
    []
    """
    return [
        CatalogIssue(metric.id, problem)
        for metric in metrics
        for check in CHECKS
        for problem in check(metric, families)
    ]


def check_on_dataset(metrics: Iterable[Metric], dataset: Dataset) -> list[CatalogIssue]:
    """Issues found by running each family on `dataset` (which should hold every table)."""
    chosen = list(metrics)
    issues: list[CatalogIssue] = []
    model = Model(dataset)
    columns: dict[str, set[str]] = {}
    for name in dict.fromkeys(f for metric in chosen for f in metric.families):
        family = FAMILIES[name]
        built = family.build(model, family.dimensions)
        rows = built.to_pyarrow().to_pylist()
        if family.finish is not None:
            rows = family.finish(rows, model)
        columns[name] = set(rows[0]) if rows else set(built.columns)
        records = family.records(model)
        if tuple(records.columns) != ("month", *CONTACT_DIMS, *RECORD_COLUMNS, SET_KEY):
            issues.append(CatalogIssue(name, f"records have columns {records.columns}"))
        found = records.select(SET_KEY).distinct().to_pyarrow().column(SET_KEY).to_pylist()
        stray = sorted(set(found) - set(family.record_sets))
        if stray:
            issues.append(CatalogIssue(name, f"records carry sets {stray} it does not declare"))
    for metric in chosen:
        for measure in metric.value.measures:
            if measure.name not in columns[measure.family]:
                issues.append(
                    CatalogIssue(
                        metric.id,
                        f"{measure.family}.{measure.name} is not a column of the family's result",
                    )
                )
        issues.extend(_needs_cover(metric, dataset))
    return issues


def _needs_cover(metric: Metric, dataset: Dataset) -> list[CatalogIssue]:
    """Build the metric's families from only the tables it needs: a missing one fails here."""
    given = {name: table for name, table in dataset.tables.items() if name in metric.needs}
    model = Model(dataclasses.replace(dataset, tables=given))
    found: list[CatalogIssue] = []
    for name in metric.families:
        family = FAMILIES[name]
        try:
            family.build(model, family.dimensions)
            family.records(model)
        except KeyError as error:  # model.tables[...] of a table the metric does not need
            found.append(
                CatalogIssue(
                    metric.id,
                    f"needs {list(metric.needs)}, but family {name!r} also reads {error}",
                )
            )
    return found
