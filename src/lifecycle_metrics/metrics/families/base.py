"""What a measure family is, the registry of families, and the roll-ups and record shape they share.

A family is one query: it turns the model into rows carrying `month` and dimension columns
(its *row builder*), then rolls them up to measures for the total and for each requested
dimension. The same row builder gives the drill-down its records, so a number and the records
behind it cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from lifecycle_metrics.metrics.values import Measure
from lifecycle_metrics.model.model import Model

MeasureBuilder = Callable[[ir.Table], dict[str, ir.Value]]
Rows = list[dict[str, Any]]
Build = Callable[[Model, tuple[str, ...]], ir.Table]
Records = Callable[[Model], ir.Table]

CONTACT_DIMS = ("channel", "source", "campaign_id", "segment")
# The columns of a drill-down record, in order; `_set` is the measure set it feeds (the key
# measures name in `Measure.sets`), which a drill filters on and never shows.
RECORD_COLUMNS = ("set", "record", "at", "value", "note")
SET_KEY = "_set"
# Money is summed as exact decimals: float sums depend on the order parallel workers add in,
# and the same data must give the same digits on every run and every engine.
MONEY = dt.Decimal(38, 9)


def money(value: ir.Value) -> ir.Value:
    """An amount as an exact decimal for summing."""
    return value.cast(MONEY)


def contact_dims(table: ir.Table) -> dict[str, ir.Value]:
    """The four contact dimensions of a table that carries them."""
    return {dim: table[dim] for dim in CONTACT_DIMS}


def union_all(parts: Iterable[ir.Table]) -> ir.Table:
    """The rows of every part, in one table (UNION ALL)."""
    tables = list(parts)
    result = tables[0]
    for part in tables[1:]:
        result = result.union(part, distinct=False)
    return result


def rollup(frame: ir.Table, dims: tuple[str, ...], measures: MeasureBuilder) -> ir.Table:
    """Measures per month for the total and per member of each dimension, in long form."""
    parts = [
        frame.group_by("month")
        .aggregate(**measures(frame))
        .mutate(dimension=ibis.null("string"), member=ibis.null("string"))
    ]
    for dim in dims:
        grouped = frame.group_by(["month", frame[dim].name("member")]).aggregate(**measures(frame))
        parts.append(grouped.mutate(dimension=ibis.literal(dim)))
    columns = [
        "month",
        "dimension",
        "member",
        *[c for c in parts[0].columns if c not in ("month", "dimension", "member")],
    ]
    return union_all(part.select(columns) for part in parts)


def additive_rollup(frame: ir.Table, dims: tuple[str, ...], counts: MeasureBuilder) -> ir.Table:
    """As `rollup` for sums and counts: aggregate to the finest grain first, then sum up."""
    fine = frame.group_by(["month", *dims]).aggregate(**counts(frame))
    names = [c for c in fine.columns if c not in ("month", *dims)]
    return rollup(fine, dims, lambda t: {name: t[name].sum() for name in names})


def record_shape(table: ir.Table, **columns: Any) -> ir.Table:
    """Drill-down records: month, the four dimensions, set, record, at, value, note, `_set`.

    `set` is what the drill shows; `key` (default: the set) is the measure set it feeds.
    """
    shown = columns.pop("set")
    base = {
        "month": columns.pop("month").cast("int64"),
        **{dim: columns.pop(dim, ibis.null("string")).cast("string") for dim in CONTACT_DIMS},
        "set": shown,
        "record": columns.pop("record").cast("string"),
        "at": columns.pop("at", ibis.null("timestamp")).cast("timestamp"),
        "value": columns.pop("value", ibis.null("float64")).cast("float64"),
        "note": columns.pop("note", ibis.null("string")).cast("string"),
        SET_KEY: columns.pop("key", shown),
    }
    if columns:
        raise TypeError(f"unknown record columns {sorted(columns)}")
    return table.select(**base)


@dataclass(frozen=True)
class Family:
    """A named query producing measures, with the tables it reads and dimensions it knows."""

    name: str
    reads: tuple[str, ...]  # tables it reads when given (besides contacts, accounts, campaigns)
    dimensions: tuple[str, ...]
    build: Build
    records: Records
    finish: Callable[[Rows, Model], Rows] | None = None  # a step after the query (cost shares)
    # the record sets its drill-down records can carry; None: those its measures declare
    # (for families whose sets are made with their measures, like cohorts)
    sets: tuple[str, ...] | None = None
    measures: dict[str, Measure] = field(default_factory=dict)

    @property
    def record_sets(self) -> tuple[str, ...]:
        """Every record set the family's records can carry."""
        if self.sets is not None:
            return self.sets
        return tuple(dict.fromkeys(s for measure in self.measures.values() for s in measure.sets))

    def measure(self, name: str, *sets: str) -> Measure:
        """Declare (or, with no sets, look up) measure `name`, counting record sets `sets`."""
        if not sets:
            return self.measures[name]
        if name in self.measures:
            raise ValueError(f"family {self.name!r}: measure {name!r} is declared twice")
        declared = Measure(self.name, name, sets)
        self.measures[name] = declared
        return declared


FAMILIES: dict[str, Family] = {}


def register(family: Family) -> Family:
    """Add a family to the registry; names are unique."""
    if family.name in FAMILIES:
        raise ValueError(f"family {family.name!r} is declared twice")
    FAMILIES[family.name] = family
    return family
