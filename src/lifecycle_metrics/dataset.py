"""Load a dataset: read → type and check → (quarantine) → clean typed tables on DuckDB.

Nothing is lost silently: every row read is either used or quarantined with its reason, and
`TableStats` records both counts.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import ibis
import ibis.expr.types as ir
from ibis.backends.duckdb import Backend as DuckDBBackend

from lifecycle_metrics import validated
from lifecycle_metrics.engines import (
    CATALOG_PREFIX,
    Engine,
    connect_postgres,
    connect_spark,
    materialize,
    safe_url,
)
from lifecycle_metrics.errors import DataError, UsageError
from lifecycle_metrics.io.export import write_csv, write_unreadable
from lifecycle_metrics.io.outputs import (
    local_path,
    plan_quarantine_file,
    prepare_quarantine,
    record_quarantine,
)
from lifecycle_metrics.io.readers import ROW, RawTable, folder_tables, read_raw_tables
from lifecycle_metrics.periods import FIRST_YEAR, LAST_YEAR, ReportZone, local_segments, zone
from lifecycle_metrics.schema import CURRENCY_TABLES, TABLE_NAMES, TABLES_BY_NAME, ColumnType
from lifecycle_metrics.validate.checks import VALUE_PREFIX, CheckedTable, RowRule, check_table
from lifecycle_metrics.validate.coerce import trimmed
from lifecycle_metrics.validate.issues import Issue, Level, RuleCount, TableStats, ValidationReport
from lifecycle_metrics.validate.warnings import find_warnings

# Referenced tables first, so references resolve against rows that are themselves valid.
REFERENCED_FIRST = ("accounts", "campaigns", "features", "contacts")
CHECK_ORDER: tuple[str, ...] = (
    *REFERENCED_FIRST,
    *(name for name in TABLE_NAMES if name not in REFERENCED_FIRST),
)
EXAMPLES_PER_RULE = 20

Progress = Callable[[str], None]


@dataclass
class Dataset:
    """Clean, typed canonical tables on one Ibis connection, and what loading found."""

    con: Any  # an Ibis backend: DuckDB, PySpark or PostgreSQL
    tables: dict[str, ir.Table]
    tz: str
    zone: ReportZone
    report: ValidationReport
    source: str
    quarantine_dir: Path | None = None
    notes: list[str] = field(default_factory=list)

    def has(self, *names: str) -> bool:
        """True when every named table was given."""
        return all(name in self.tables for name in names)

    @property
    def rows_quarantined(self) -> int:
        """Rows set aside as invalid, over all tables."""
        return sum(stats.rows_quarantined for stats in self.report.tables.values())


MEMORY_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", re.I)
UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12, "kib": 2**10,
         "mib": 2**20, "gib": 2**30, "tib": 2**40}  # fmt: skip
DEFAULT_MEMORY_SHARE = 0.6
DUCKDB_SHARE = 0.75  # of the run's budget; the rest is Python, Ibis and Arrow


def memory_bytes(limit: str) -> int:
    """A size such as 4GB or 512MiB in bytes; a usage error otherwise."""
    match = MEMORY_PATTERN.match(limit)
    if not match:
        raise UsageError(f"--memory-limit {limit!r}: expected a size such as 4GB or 512MB")
    return int(float(match.group(1)) * UNITS[match.group(2).lower()])


def default_memory_limit() -> str:
    """60 % of this machine's RAM, leaving room for the operating system."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return "4GB"
    return f"{int(total * DEFAULT_MEMORY_SHARE / 2**20)}MiB"


def connect(memory_limit: str | None = None) -> DuckDBBackend:
    """A fresh embedded DuckDB connection for one run, spilling to a private temp folder.

    `memory_limit` is the budget of the whole run: DuckDB gets three quarters of it (its own
    limit covers its buffers, not the Python process around it).
    """
    budget = memory_bytes(memory_limit or default_memory_limit())
    con = ibis.duckdb.connect()
    con.raw_sql(f"SET memory_limit = '{int(budget * DUCKDB_SHARE) // 2**20}MiB'")
    spill = tempfile.mkdtemp(prefix="lifecycle-spill-")
    atexit.register(shutil.rmtree, spill, True)
    con.raw_sql("SET temp_directory = '" + spill.replace("'", "''") + "'")
    threads = os.environ.get("LIFECYCLE_THREADS")
    if threads:
        con.raw_sql(f"SET threads = {int(threads)}")
    return con


def _currency(con: Any, raw_tables: dict[str, ir.Table]) -> str | None:
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


def _year_span(raw_tables: dict[str, RawTable]) -> tuple[int, int]:
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
                year = value.cast("timestamp").year()  # type: ignore[attr-defined]
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


def _settle(con: Any, checked: CheckedTable, name: str) -> ir.Table:
    """The clean table, typed once: every metric query scans it several times."""
    return materialize(con, f"clean_{name}", checked.clean())


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


@dataclass
class _Remembered:
    root: Path
    files: dict[str, Path]
    found: validated.Fingerprint
    stored: validated.Stored | None


def _remembered(
    data: str | Path, tz: str, tables: frozenset[str] | None, say: Progress
) -> _Remembered | None:
    """The cache entry a local dataset folder would have, and what it holds, if anything."""
    root = validated.cache_root()
    folder = local_path(data)
    if root is None or folder is None or not folder.is_dir():
        return None
    every, ignored = folder_tables(folder)
    files = {name: path for name, path in every.items() if tables is None or name in tables}
    if not files:
        return None
    say("fingerprinting the files")
    found = validated.fingerprint(folder, files, ignored, tz)
    stored = validated.find(root, found)
    if stored is not None:
        say("unchanged since validated: checks skipped")
    return _Remembered(root=root, files=files, found=found, stored=stored)


def load(
    data: str | Path,
    *,
    tz: str = "UTC",
    quarantine: Path | None = None,
    strict: bool = True,
    progress: Progress | None = None,
    now: datetime | None = None,
    memory_limit: str | None = None,
    tables: frozenset[str] | None = None,
    engine: Engine | str = Engine.duckdb,
    spark_master: str | None = None,
    cache: bool = False,
) -> Dataset:
    """Read, type and check a dataset; raise DataError on any invalid row unless quarantining.

    With `strict=False` the dataset is returned even when invalid (for `lifecycle validate`).
    `tables` limits reading and checking to those tables (what a computation reads).
    With `cache`, a local folder whose bytes were validated before is not checked again
    (see `validated`), and one that validates is remembered.
    """
    zone(tz)  # a bad zone is a usage error before anything is read
    say = progress or (lambda _message: None)
    engine = Engine(engine)
    if quarantine is not None:
        quarantine = prepare_quarantine(quarantine, data)
    remembered = _remembered(data, tz, tables, say) if cache and engine is Engine.duckdb else None
    if remembered is not None and remembered.stored is not None:
        con = connect(memory_limit)
        try:
            remembered_tables = validated.attach(con, remembered.stored, sorted(remembered.files))
        except duckdb.Error:  # removed half-way, or written by another DuckDB: check again
            validated.forget(remembered.stored)
        else:
            if quarantine is not None:
                record_quarantine(quarantine, [])  # valid: nothing to set aside
            return Dataset(
                con=con,
                tables=remembered_tables,
                tz=tz,
                zone=ReportZone(tz, remembered.stored.years),
                report=remembered.stored.report,
                source=safe_url(str(data)),
                quarantine_dir=quarantine,
            )
    if engine is Engine.postgres:
        con = connect_postgres(str(data))
    elif engine is Engine.pyspark:
        is_catalog = str(data).startswith(CATALOG_PREFIX)
        if not is_catalog and not Path(str(data).removeprefix("file://")).expanduser().is_dir():
            raise UsageError(
                f"--engine pyspark reads a dataset folder of <table>.csv / <table>.parquet "
                f"files, or {CATALOG_PREFIX}<database> of the Spark catalog; "
                f"{safe_url(str(data))!r} is neither"
            )
        say("starting Spark")
        con = connect_spark(spark_master)
    else:
        con = connect(memory_limit)
    source = read_raw_tables(con, data, say, only=tables, engine=engine)
    if not source.tables and not source.skipped:
        raise DataError(
            f"{data}: no canonical table found — expected files named <table>.csv or "
            f"<table>.parquet for at least one of: {', '.join(TABLE_NAMES)}"
            + (f" (found only: {', '.join(source.ignored)})" if source.ignored else "")
        )
    report = ValidationReport(ignored=source.ignored)
    # The offset table only matters in zones with clock changes; UTC needs no scan.
    report_zone = ReportZone(
        tz, _year_span(source.tables) if len(local_segments(tz)) > 1 else (FIRST_YEAR, LAST_YEAR)
    )
    currency = _currency(con, {name: raw.table for name, raw in source.tables.items()})
    clean: dict[str, ir.Table] = {}
    set_aside: list[str] = []
    for name in CHECK_ORDER:
        raw = source.tables.get(name)
        if raw is None:
            continue
        say(f"checking {name} ({raw.row_count:,} rows)")
        checked = check_table(raw, TABLES_BY_NAME[name], report_zone, clean, currency)
        counts = _rule_counts(checked)
        if counts.bad:
            checked.stage_bad(con, f"invalid_{name}")
        for rule in checked.rules:
            if counts.per_flag[rule.flag]:
                report.rules.append(
                    RuleCount(
                        level=Level.ERROR,
                        rule=rule.rule,
                        table=name,
                        column=rule.column,
                        count=counts.per_flag[rule.flag],
                        examples=_examples(checked, rule, counts.per_flag[rule.flag]),
                    )
                )
        if raw.unreadable:
            report.rules.append(_unreadable_rule(raw))
        clean[name] = _settle(con, checked, name)
        used = raw.row_count - counts.bad
        rows_read = raw.row_count + len(raw.unreadable)
        report.tables[name] = TableStats(
            table=name,
            source=raw.source,
            rows_read=rows_read,
            rows_used=used,
            rows_quarantined=rows_read - used,
            first_event=counts.first_event,
            last_event=counts.last_event,
        )
        if counts.bad and quarantine is not None:
            staged = checked.bad
            assert staged is not None
            bad_rows = checked.with_raw(staged.select(staged[ROW], reason=checked.reasons(staged)))
            keep = [column for column in raw.table.columns if column != ROW]
            plan_quarantine_file(quarantine, f"{name}.csv")
            write_csv(
                bad_rows.select(
                    row=bad_rows[ROW], **{c: bad_rows[c] for c in keep}, reason=bad_rows.reason
                ).order_by("row"),
                quarantine / f"{name}.csv",
            )
            set_aside.append(f"{name}.csv")
        if raw.unreadable and quarantine is not None:
            plan_quarantine_file(quarantine, f"{name}.unreadable.csv")
            write_unreadable(raw.unreadable, quarantine / f"{name}.unreadable.csv")
            set_aside.append(f"{name}.unreadable.csv")
    if quarantine is not None:
        record_quarantine(quarantine, set_aside)
    say("looking for warnings")
    for finding in find_warnings(clean, now or datetime.now(UTC).replace(tzinfo=None)):
        # the total rides along on every example row, so each rule is one query
        found = finding.rows.mutate(_total=finding.rows._row.count().over())
        rows = found.order_by("_row").limit(EXAMPLES_PER_RULE).to_pyarrow().to_pylist()
        if not rows:
            continue
        count = int(rows[0]["_total"])
        examples = tuple(
            Issue(
                level=Level.WARNING,
                rule=finding.rule,
                table=finding.table,
                file=report.tables[finding.table].source,
                row=int(row["_row"]),
                column=finding.column,
                value=row["value"],
                expected=finding.expected.replace("{detail}", str(row["detail"])),
            )
            for row in rows
        )
        report.rules.append(
            RuleCount(
                level=Level.WARNING,
                rule=finding.rule,
                table=finding.table,
                column=finding.column,
                count=count,
                examples=examples,
            )
        )
    dataset = Dataset(
        con=con,
        tables=clean,
        tz=tz,
        zone=report_zone,
        report=report,
        source=safe_url(str(data)),
        quarantine_dir=quarantine,
    )
    if remembered is not None and not report.errors:
        say("remembering the validated tables")
        validated.store(remembered.root, remembered.found, con, clean, report, report_zone.years)
    if report.errors and strict and quarantine is None:
        where = sorted({Path(report.tables[rule.table].source).name for rule in report.errors})
        raise DataError(
            f"{data}: {report.error_count:,} invalid value(s) or record(s) in "
            f"{', '.join(where)} — fix them, or pass --quarantine DIR to set the bad rows aside "
            "and use the rest",
            report.issues,
        )
    return dataset
