"""Validation issues and the report that groups them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

EXAMPLES_PER_RULE = 20  # issues kept (and shown) per rule; the count covers them all


class Level(StrEnum):
    """How serious an issue is: errors make data invalid, warnings only inform."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, kw_only=True)
class Issue:
    """One problem at one place: a row of a table (row None = the whole table)."""

    level: Level
    rule: str
    table: str
    file: str
    row: int | None
    column: str | None
    value: str | None
    expected: str

    def describe(self) -> str:
        """One line a user can act on."""
        where = self.file if self.row is None else f"{self.file}, row {self.row}"
        column = f", column {self.column}" if self.column else ""
        value = "" if self.value is None else f": {self.value!r}"
        return f"{self.table} ({where}{column}){value} — expected {self.expected}"

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for JSON output."""
        return {
            "level": self.level.value,
            "rule": self.rule,
            "table": self.table,
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "expected": self.expected,
        }


@dataclass(frozen=True, kw_only=True)
class RuleCount:
    """How many rows broke one rule on one column; `examples` holds the first few."""

    level: Level
    rule: str
    table: str
    column: str | None
    count: int
    examples: tuple[Issue, ...]


@dataclass(kw_only=True)
class TableStats:
    """Rows per table: read = used + quarantined, always."""

    table: str
    source: str
    rows_read: int
    rows_used: int = 0
    rows_quarantined: int = 0
    first_event: str | None = None
    last_event: str | None = None


@dataclass(kw_only=True)
class ValidationReport:
    """Everything validation found, grouped by rule."""

    rules: list[RuleCount] = field(default_factory=list)
    tables: dict[str, TableStats] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[RuleCount]:
        """Rule counts at error level."""
        return [rule for rule in self.rules if rule.level is Level.ERROR]

    @property
    def warnings(self) -> list[RuleCount]:
        """Rule counts at warning level."""
        return [rule for rule in self.rules if rule.level is Level.WARNING]

    @property
    def error_count(self) -> int:
        """Number of erroneous (row, rule) findings in all."""
        return sum(rule.count for rule in self.errors)

    @property
    def issues(self) -> list[Issue]:
        """The example issues of every rule, errors first."""
        ordered = self.errors + self.warnings
        return [issue for rule in ordered for issue in rule.examples]

    def absent(self, canonical: Iterable[str]) -> list[str]:
        """The tables of `canonical` the dataset does not hold, in that order."""
        return [name for name in canonical if name not in self.tables]

    def by_table(self) -> dict[str, list[RuleCount]]:
        """Rule counts grouped per table, in the order found."""
        grouped: dict[str, list[RuleCount]] = defaultdict(list)
        for rule in self.rules:
            grouped[rule.table].append(rule)
        return dict(grouped)

    def to_dict(self, enables: Mapping[str, Sequence[str]]) -> dict[str, Any]:
        """The report as JSON data; `enables`: each canonical table → the metrics it enables."""
        # passed in: validation sits below the schema's table list and the metric catalog
        return {
            "valid": not self.errors,
            "tables": [vars(stats) for stats in self.tables.values()],
            "absent": [
                {"table": name, "enables": list(enables[name])} for name in self.absent(enables)
            ],
            "ignored": self.ignored,
            "problems": [
                {
                    "level": rule.level.value,
                    "rule": rule.rule,
                    "table": rule.table,
                    "column": rule.column,
                    "count": rule.count,
                    "examples": [issue.as_dict() for issue in rule.examples],
                }
                for rule in self.rules
            ],
        }
