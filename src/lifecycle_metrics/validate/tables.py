"""Check one raw table after another: rule counts, examples, the clean table, its row counts.

Referenced tables come first, so references resolve against rows that are themselves valid.
Only the rows that break a rule are materialised (by the engine), and only for rules that fired
are examples fetched.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from lifecycle_metrics.io.readers import RawTable
from lifecycle_metrics.periods import FIRST_YEAR, LAST_YEAR, ReportZone
from lifecycle_metrics.schema import CURRENCY_TABLES, ROW, TABLE_NAMES, TABLES_BY_NAME, ColumnType
from lifecycle_metrics.validate.checks import (
    VALUE_PREFIX,
    CheckedTable,
    Materialize,
    RowRule,
    check_table,
)
from lifecycle_metrics.validate.coerce import trimmed
from lifecycle_metrics.validate.issues import EXAMPLES_PER_RULE, Issue, Level, RuleCount, TableStats

REFERENCED_FIRST = ("accounts", "campaigns", "features", "contacts")
CHECK_ORDER: tuple[str, ...] = (
    *REFERENCED_FIRST,
    *(name for name in TABLE_NAMES if name not in REFERENCED_FIRST),
)


@dataclass
class TableOutcome:
    """What checking one table found: its clean rows, broken rules, counts, rows set aside."""

    clean: ir.Table
    rules: list[RuleCount]
    stats: TableStats
    set_aside: ir.Table | None  # the invalid rows as a quarantine file shows them, if any


def majority_currency(raw_tables: dict[str, ir.Table]) -> str | None:
    """The dataset's majority currency when `currency` columns hold two or more values."""
    counts: dict[str, int] = {}
    for name in CURRENCY_TABLES:
        table = raw_tables.get(name)
        if table is None or "currency" not in table.columns:
            continue
        text = trimmed(table["currency"].cast("string")).nullif("")
        grouped = table.select(c=text).filter(lambda t: t.c.notnull()).c.value_counts()
        for row in grouped.to_pyarrow().to_pylist():
            counts[row["c"]] = counts.get(row["c"], 0) + int(row["c_count"])
    if len(counts) < 2:
        return None
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[0][0]


def year_span(raw_tables: dict[str, RawTable]) -> tuple[int, int]:
    """The years the timestamps of the raw data fall in, one year of margin either side."""
    years: list[int] = []
    for name, raw in raw_tables.items():
        spec = TABLES_BY_NAME[name]
        bounds: dict[str, ir.Value] = {}
        for column in spec.columns:
            if column.type is not ColumnType.TIMESTAMP or column.name not in raw.table.columns:
                continue
            value = raw.table[column.name]
            if value.type().is_temporal():
                year = value.cast("timestamp").year()
            else:
                text = trimmed(value.cast("string"))
                year = ibis.ifelse(
                    text.re_search(r"^[0-9]{4}-"), text.substr(0, 4).try_cast("int64"), None
                )
            bounds[f"{column.name}_min"] = year.min()
            bounds[f"{column.name}_max"] = year.max()
        if bounds:
            row = raw.table.aggregate(**bounds).to_pyarrow().to_pylist()[0]
            years += [int(v) for v in row.values() if v is not None]
    if not years:
        return (FIRST_YEAR, LAST_YEAR)
    return (max(FIRST_YEAR, min(years) - 1), min(LAST_YEAR, max(years) + 1))


@dataclass
class _Counts:
    bad: int
    per_flag: dict[str, int]
    first_event: str | None
    last_event: str | None


def _rule_counts(checked: CheckedTable) -> _Counts:
    """One pass: rows breaking each rule, bad rows, and the event range of the good ones."""
    expr = checked.expr
    metrics: dict[str, ir.Value] = {
        # counted with ifelse: PostgreSQL cannot cast a boolean to an integer
        rule.flag: ibis.ifelse(expr[rule.flag], 1, 0).sum()
        for rule in checked.rules
    }
    any_flag = checked.any_flag(expr)
    metrics["_bad"] = ibis.ifelse(any_flag, 1, 0).sum()
    events = checked.spec.event_columns
    if events:
        event = expr[VALUE_PREFIX + events[0]]
        good = ~any_flag
        metrics["_first"] = event.min(where=good)
        metrics["_last"] = event.max(where=good)
    row = expr.aggregate(**metrics).to_pyarrow().to_pylist()[0]
    first, last = row.pop("_first", None), row.pop("_last", None)
    return _Counts(
        bad=int(row.pop("_bad") or 0),
        per_flag={name: int(value or 0) for name, value in row.items()},
        first_event=None if first is None else str(first),
        last_event=None if last is None else str(last),
    )


def _examples(checked: CheckedTable, rule: RowRule, count: int) -> tuple[Issue, ...]:
    spec, raw = checked.spec, checked.raw
    if rule.table_level:
        return (
            Issue(
                level=Level.ERROR,
                rule=rule.rule,
                table=spec.name,
                file=raw.source,
                row=None,
                column=rule.column,
                value=None,
                expected=f"{rule.expected} (all {count} rows are unusable without it)",
            ),
        )
    table = checked.bad
    assert table is not None, "examples are taken from the staged bad rows"
    detail = table[rule.detail].cast("string") if rule.detail else ibis.null("string")
    flagged = (
        table.filter(table[rule.flag])
        .select(table[ROW], detail=detail)
        .order_by(ROW)
        .limit(EXAMPLES_PER_RULE)
    )
    with_raw = checked.with_raw(flagged)
    shown = with_raw[rule.shown].cast("string") if rule.shown else ibis.null("string")
    rows = (
        with_raw.select(row=with_raw[ROW], value=shown, detail=with_raw.detail)
        .order_by("row")
        .to_pyarrow()
        .to_pylist()
    )
    return tuple(
        Issue(
            level=Level.ERROR,
            rule=rule.rule,
            table=spec.name,
            file=raw.source,
            row=int(row["row"]),
            column=rule.column,
            value=row["value"],
            expected=rule.expected.replace("{detail}", str(row["detail"])),
        )
        for row in rows
    )


def _unreadable_rule(raw: RawTable) -> RuleCount:
    """CSV records the reader could not read, as one error rule with the first examples."""
    examples = tuple(
        Issue(
            level=Level.ERROR,
            rule="unreadable_record",
            table=raw.name,
            file=raw.source,
            row=problem.row,
            column=None,
            value=problem.shown(),
            expected=f"a readable CSV record (line {problem.line}: {problem.reason})",
        )
        for problem in raw.unreadable[:EXAMPLES_PER_RULE]
    )
    return RuleCount(
        level=Level.ERROR,
        rule="unreadable_record",
        table=raw.name,
        column=None,
        count=len(raw.unreadable),
        examples=examples,
    )


def check_raw_table(
    raw: RawTable,
    zone: ReportZone,
    clean_tables: dict[str, ir.Table],
    currency: str | None,
    materialize: Materialize,
) -> TableOutcome:
    """Check `raw` against its spec (references against the clean tables checked before)."""
    name = raw.name
    checked = check_table(raw, TABLES_BY_NAME[name], zone, clean_tables, currency)
    counts = _rule_counts(checked)
    if counts.bad:
        checked.stage_bad(materialize, f"invalid_{name}")
    rules = [
        RuleCount(
            level=Level.ERROR,
            rule=rule.rule,
            table=name,
            column=rule.column,
            count=counts.per_flag[rule.flag],
            examples=_examples(checked, rule, counts.per_flag[rule.flag]),
        )
        for rule in checked.rules
        if counts.per_flag[rule.flag]
    ]
    if raw.unreadable:
        rules.append(_unreadable_rule(raw))
    # the clean table, typed once: every metric query scans it several times
    clean = materialize(f"clean_{name}", checked.clean())
    used = raw.row_count - counts.bad
    rows_read = raw.row_count + len(raw.unreadable)
    stats = TableStats(
        table=name,
        source=raw.source,
        rows_read=rows_read,
        rows_used=used,
        rows_quarantined=rows_read - used,
        first_event=counts.first_event,
        last_event=counts.last_event,
    )
    return TableOutcome(
        clean=clean, rules=rules, stats=stats, set_aside=checked.set_aside() if counts.bad else None
    )
