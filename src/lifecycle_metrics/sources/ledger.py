"""What an import did with every source row: imported, quarantined (why) or skipped (why).

A vendor translation returns, per canonical table, `Part`s: every row of one source table with
its canonical columns and its fate. The ledger counts the parts that stand for their source
rows (`counted`), so for each source table rows read = imported + quarantined + skipped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir

FATE = "_fate"  # imported | quarantined | skipped
REASON = "_reason"  # why a row was quarantined or skipped
RECORD = "_record"  # the source's record id, for messages
BAD_COLUMN = "_bad_column"
BAD_VALUE = "_bad_value"
SOURCE = "_source"  # the source table's name
BOOKKEEPING = (FATE, REASON, RECORD, BAD_COLUMN, BAD_VALUE, SOURCE)
IMPORTED, QUARANTINED, SKIPPED = "imported", "quarantined", "skipped"


Rule = tuple[str, str, str | None, bool]  # fate, reason, column at fault, has a value


@dataclass
class Part:
    """Rows of one source table in the shape of one canonical table, each with its fate.

    `rows` holds the canonical columns, the record id and, per rule, whether it applies
    (`_when<k>`) and the value at fault (`_value<k>`); `fated()` turns these into the fate
    columns once `rows` has been computed, so each rule's test is evaluated once.
    """

    source: str
    rows: ir.Table
    rules: list[Rule] = field(default_factory=list)
    counted: bool = True  # False: rows derived from a table counted elsewhere (no double count)

    def fated(self, computed: ir.Table) -> ir.Table:
        """`computed` (the rows, materialised) with fate, reason, column and value."""
        empty = ibis.null().cast("string")

        def case(pick: Callable[[int, Rule], ir.Value | None]) -> ir.Value:
            branches = [
                (computed[f"_when{k}"], pick(k, rule) if pick(k, rule) is not None else empty)
                for k, rule in enumerate(self.rules)
            ]
            return ibis.cases(*branches, else_=empty) if branches else empty

        fate = ibis.coalesce(case(lambda _k, rule: ibis.literal(rule[0])), ibis.literal(IMPORTED))
        columns = [name for name in computed.columns if not name.startswith(("_when", "_value"))]
        return computed.select(
            *columns,
            **{
                FATE: fate,
                REASON: case(lambda _k, rule: ibis.literal(rule[1])),
                BAD_COLUMN: case(
                    lambda _k, rule: None if rule[2] is None else ibis.literal(rule[2])
                ),
                BAD_VALUE: case(lambda k, rule: computed[f"_value{k}"] if rule[3] else None),
            },
        )


@dataclass
class Fates:
    """Fates of a source table's rows: every row imported unless a rule, in order, rules it out."""

    source: str
    rows: ir.Table
    record: ir.Value
    rules: list[tuple[str, ir.BooleanValue, str, str | None, ir.Value | None]] = field(
        default_factory=list
    )

    def skip(self, when: ir.BooleanValue, reason: str) -> None:
        """Rows deliberately not used (deleted in the source, another property, …)."""
        self.rules.append((SKIPPED, when, reason, None, None))

    def quarantine(
        self, when: ir.BooleanValue, reason: str, column: str | None = None, value: Any = None
    ) -> None:
        """Rows that cannot be imported as they are, with the column and value at fault."""
        self.rules.append((QUARANTINED, when, reason, column, value))

    def part(self, columns: dict[str, ir.Value], *, counted: bool = True) -> Part:
        """The canonical rows, each rule's test and value, as one part."""
        canonical = {name: value.cast("string") for name, value in columns.items()}
        tests: dict[str, ir.Value] = {}
        for k, (_fate, when, _reason, _column, value) in enumerate(self.rules):
            tests[f"_when{k}"] = when.fill_null(False)
            if value is not None:
                tests[f"_value{k}"] = value.cast("string")
        rows = self.rows.select(
            **canonical,
            **tests,
            **{RECORD: self.record.cast("string"), SOURCE: ibis.literal(self.source)},
        )
        rules = [
            (fate, reason, column, value is not None)
            for fate, _when, reason, column, value in self.rules
        ]
        return Part(self.source, rows, rules, counted)


@dataclass
class TableLedger:
    """One source table's account."""

    source: str
    read: int = 0
    imported: int = 0
    quarantined: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)

    def balanced(self) -> bool:
        """Rows read = imported + quarantined + skipped."""
        return self.read == self.imported + sum(self.quarantined.values()) + sum(
            self.skipped.values()
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the ledger file."""
        return {
            "read": self.read,
            "imported": self.imported,
            "quarantined": dict(sorted(self.quarantined.items())),
            "skipped": dict(sorted(self.skipped.items())),
        }


@dataclass
class Ledger:
    """Every source table's account, and the notes the summary prints."""

    kind: str
    tables: dict[str, TableLedger] = field(default_factory=dict)
    unavailable: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def table(self, source: str) -> TableLedger:
        """The account of one source table, opened on first use."""
        return self.tables.setdefault(source, TableLedger(source))

    def skip_table(self, source: str, rows: int, why: str) -> None:
        """A whole source table deliberately not used."""
        account = self.table(source)
        account.read += rows
        account.skipped[why] += rows

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the ledger file."""
        return {
            "kind": self.kind,
            "tables": {name: self.tables[name].to_dict() for name in sorted(self.tables)},
            "unavailable": self.unavailable,
            "notes": self.notes,
        }
