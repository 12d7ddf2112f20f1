"""Row rules of SPEC §2: one small rule each, all evaluated in one pass per table.

A table is checked by building one Ibis expression holding, for each raw row, its typed values
and one boolean flag per rule. Counting the flags is one query; examples are fetched only for
rules that fired; the clean table is the rows with no flag set.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from lifecycle_metrics.io.readers import RawTable
from lifecycle_metrics.periods import ReportZone
from lifecycle_metrics.schema import ROW, ColumnType, TableSpec
from lifecycle_metrics.validate.coerce import coerce, trimmed

VALUE_PREFIX = "_v_"
FLAG_PREFIX = "_e_"
DETAIL_PREFIX = "_d_"
# The engine's way to compute a table once and keep it for the run (name, expression → table).
Materialize = Callable[[str, ir.Table], ir.Table]


@dataclass(frozen=True)
class RowRule:
    """A rule evaluated on every row: a flag column in the checked table."""

    rule: str
    column: str | None
    flag: str  # name of the flag column
    shown: str | None  # name of the column whose value is shown (the raw one)
    expected: str  # what was expected; may hold {detail}
    detail: str | None = None  # name of a column whose value fills {detail}
    table_level: bool = False  # the whole table is affected (a missing column)


@dataclass
class CheckedTable:
    """A raw table with typed values and rule flags, ready to count, show and clean.

    `expr` is the whole check as one expression: counting its flags is one pass. Only the
    rows that break a rule are ever materialised (`stage_bad`); the clean table is the typed
    reading of the source minus those rows, so valid data is not copied.
    """

    spec: TableSpec
    raw: RawTable
    expr: ir.Table
    rules: list[RowRule]
    typed: dict[str, ir.Value]  # typed values as expressions over `raw.table`
    bad: ir.Table | None = None

    def any_flag(self, table: ir.Table) -> ir.BooleanValue:
        """True on rows of `table` (the check or the bad rows) that break a rule."""
        flags = [table[rule.flag] for rule in self.rules]
        if not flags:
            return ibis.literal(False)
        combined = flags[0]
        for flag in flags[1:]:
            combined = combined | flag
        return combined

    def stage_bad(self, materialize: Materialize, name: str) -> ir.Table:
        """Materialise the rows that break a rule: row number, flags and details."""
        keep = [ROW, *(rule.flag for rule in self.rules)]
        keep += [rule.detail for rule in self.rules if rule.detail and rule.detail not in keep]
        rows = self.expr.filter(self.any_flag(self.expr)).select(*dict.fromkeys(keep))
        self.bad = materialize(name, rows)
        return self.bad

    def set_aside(self) -> ir.Table:
        """The staged bad rows as a quarantine file shows them: row, source values, reason."""
        staged = self.bad
        assert staged is not None, "only staged bad rows are set aside"
        rows = self.with_raw(staged.select(staged[ROW], reason=self.reasons(staged)))
        keep = [column for column in self.raw.table.columns if column != ROW]
        return rows.select(
            row=rows[ROW], **{c: rows[c] for c in keep}, reason=rows.reason
        ).order_by("row")

    @property
    def extra_columns(self) -> list[str]:
        """Source columns the spec does not declare (kept and ignored)."""
        declared = {column.name for column in self.spec.columns}
        return [c for c in self.raw.table.columns if c != ROW and c not in declared]

    def reasons(self, table: ir.Table) -> ir.StringValue:
        """A '; '-joined text of the rules each bad row breaks (for quarantine files)."""
        pieces = [
            ibis.ifelse(
                table[rule.flag],
                f"{rule.rule}" + (f" ({rule.column})" if rule.column else "") + "; ",
                "",
            )
            for rule in self.rules
        ]
        text: ir.StringValue = ibis.literal("")
        for piece in pieces:
            text = text + piece
        return text.rstrip().re_replace(r";$", "")

    def clean(self) -> ir.Table:
        """The valid rows, typed, with every declared column and the extra source columns."""
        source = self.raw.table
        columns: dict[str, ir.Value] = {ROW: source[ROW]}
        for column in self.spec.columns:
            columns[column.name] = self.typed[VALUE_PREFIX + column.name]
        for extra in self.extra_columns:
            columns[extra] = source[extra]
        typed = source.select(**columns)
        if self.bad is None:
            return typed
        bad = self.bad.select(_bad_row=self.bad[ROW])
        return typed.anti_join(bad, typed[ROW] == bad._bad_row)

    def with_raw(self, rows: ir.Table) -> ir.Table:
        """`rows` (holding `_row`) joined to the source values of the same rows."""
        raw = self.raw.table.rename({"_raw_row": ROW})
        joined = rows.join(raw, rows[ROW] == raw._raw_row)
        return joined.drop("_raw_row")


def check_table(
    raw: RawTable,
    spec: TableSpec,
    zone: ReportZone,
    clean_tables: dict[str, ir.Table],
    currency: str | None,
) -> CheckedTable:
    """Type `raw` as `spec` and flag every row rule; references resolve against `clean_tables`."""
    table = raw.table
    present = set(table.columns)
    typed: dict[str, ir.Value] = {}
    rules: list[RowRule] = []
    flags: dict[str, ir.BooleanValue] = {}

    def add(rule: RowRule, flag: ir.BooleanValue) -> None:
        flags[rule.flag] = flag
        rules.append(rule)

    for index, column in enumerate(spec.columns):
        value_name = VALUE_PREFIX + column.name
        if column.name not in present:
            # an absent boolean column reads as false, like an empty cell (SPEC §2)
            typed[value_name] = (
                ibis.literal(False)
                if column.type is ColumnType.BOOLEAN
                else ibis.null(_null_type(column.type.value))
            )
            if column.required:
                add(
                    RowRule(
                        rule="missing_column",
                        column=column.name,
                        flag=f"{FLAG_PREFIX}{index}m",
                        shown=None,
                        expected=f"a column named {column.name!r}",
                        table_level=True,
                    ),
                    ibis.literal(True),
                )
            continue
        coerced = coerce(table[column.name], column, zone, trim=raw.text_source)
        typed[value_name] = coerced.value
        if column.required:
            add(
                RowRule(
                    rule="required_empty",
                    column=column.name,
                    flag=f"{FLAG_PREFIX}{index}r",
                    shown=column.name,
                    expected=f"a value ({column.name} is required)",
                ),
                coerced.empty,
            )
        rule_name = "not_allowed" if column.values else "invalid_value"
        add(
            RowRule(
                rule=rule_name,
                column=column.name,
                flag=f"{FLAG_PREFIX}{index}t",
                shown=column.name,
                expected=coerced.expected,
            ),
            coerced.invalid,
        )
        if column.min_value is not None and column.max_value is not None:
            numeric = coerced.value
            add(
                RowRule(
                    rule="out_of_range",
                    column=column.name,
                    flag=f"{FLAG_PREFIX}{index}o",
                    shown=column.name,
                    expected=f"a value from {column.min_value:g} to {column.max_value:g}",
                ),
                numeric.notnull() & ~numeric.between(column.min_value, column.max_value),
            )

    if currency is not None and "currency" in present:
        text = trimmed(table["currency"].cast("string")).nullif("")  # few rows: always trim
        add(
            RowRule(
                rule="mixed_currency",
                column="currency",
                flag=f"{FLAG_PREFIX}cur",
                shown="currency",
                expected=f"one currency for the whole dataset ({currency}); convert amounts "
                "first, exchange rates are not supported",
            ),
            text.notnull() & (text != currency),
        )

    expr = table.mutate(**typed)
    expr = expr.mutate(**flags)
    expr, table_rules = _table_rules(expr, spec)
    rules += table_rules
    expr, key_rules = _key_rule(expr, spec)
    rules += key_rules
    expr, reference_rules = _reference_rules(expr, spec, clean_tables)
    rules += reference_rules
    return CheckedTable(spec=spec, raw=raw, expr=expr, rules=rules, typed=typed)


def _null_type(kind: str) -> str:
    return {
        "timestamp": "timestamp",
        "boolean": "boolean",
        "number": "float64",
        "integer": "int64",
        "month": "int64",
    }.get(kind, "string")


def _table_rules(expr: ir.Table, spec: TableSpec) -> tuple[ir.Table, list[RowRule]]:
    """Rules that tie several columns of one row together."""
    value = lambda name: expr[VALUE_PREFIX + name]  # noqa: E731 - a local shorthand
    rules: list[RowRule] = []
    flags: dict[str, ir.BooleanValue] = {}
    if spec.name == "deals":
        rule = RowRule(
            rule="closed_at_missing",
            column="closed_at",
            flag=f"{FLAG_PREFIX}closed",
            shown="status",
            expected="a closed_at for a won or lost deal",
        )
        flags[rule.flag] = value("status").isin(("won", "lost")) & value("closed_at").isnull()
        rules.append(rule)
    if spec.name == "subscriptions":
        rule = RowRule(
            rule="ends_before_start",
            column="ended_at",
            flag=f"{FLAG_PREFIX}ends",
            shown="ended_at" if "ended_at" in expr.columns else None,
            expected="an ended_at later than started_at ({detail})",
            detail="started_at" if "started_at" in expr.columns else None,
        )
        flags[rule.flag] = (
            value("ended_at").notnull()
            & value("started_at").notnull()
            & (value("ended_at") <= value("started_at"))
        )
        rules.append(rule)
    return (expr.mutate(**flags) if flags else expr), rules


def _key_rule(expr: ir.Table, spec: TableSpec) -> tuple[ir.Table, list[RowRule]]:
    """Later rows repeating an id that an earlier row holds."""
    if spec.key is None:
        return expr, []
    key = expr[VALUE_PREFIX + spec.key]
    detail = f"{DETAIL_PREFIX}dup"
    # An aggregate finds the repeated ids (a window over every row costs far more), then a
    # join with that short list marks the later rows.
    present = expr.filter(key.notnull())
    repeated = present.group_by(_dup_key=present[VALUE_PREFIX + spec.key]).aggregate(
        **{detail: present[ROW].min(), "_dup_count": present.count()}
    )
    repeated = repeated.filter(repeated._dup_count > 1).drop("_dup_count")
    joined = expr.left_join(repeated, key == repeated._dup_key)
    rule = RowRule(
        rule="duplicate_id",
        column=spec.key,
        flag=f"{FLAG_PREFIX}dup",
        shown=spec.key if spec.key in expr.columns else None,
        expected="a unique " + spec.key + " (row {detail} holds it already)",
        detail=detail,
    )
    expr = joined.mutate(
        **{rule.flag: joined[detail].notnull() & (joined[ROW] > joined[detail])}
    ).drop("_dup_key")
    return expr, [rule]


def _reference_rules(
    expr: ir.Table, spec: TableSpec, clean_tables: dict[str, ir.Table]
) -> tuple[ir.Table, list[RowRule]]:
    """Ids that must point at a row of another table, when that table is given."""
    rules: list[RowRule] = []
    for column in spec.columns:
        if column.references is None:
            continue
        target_table, target_column = column.references.split(".")
        if target_table not in clean_tables or target_table == spec.name:
            continue
        keys = clean_tables[target_table].select(_ref_key=clean_tables[target_table][target_column])
        keys = keys.filter(keys._ref_key.notnull()).distinct()
        joined = expr.left_join(keys, expr[VALUE_PREFIX + column.name] == keys._ref_key)
        flag = f"{FLAG_PREFIX}ref_{column.name}"
        expr = joined.mutate(
            **{flag: joined[VALUE_PREFIX + column.name].notnull() & joined._ref_key.isnull()}
        ).drop("_ref_key")
        rules.append(
            RowRule(
                rule="unknown_reference",
                column=column.name,
                flag=flag,
                shown=column.name,
                expected=f"{_article(target_column)} {target_column} that exists in {target_table}",
            )
        )
    return expr, rules


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"
