"""Load a dataset: read → type and check → (quarantine) → clean typed tables, on one engine.

Nothing is lost silently: every row read is either used or quarantined with its reason, and
`TableStats` records both counts. The engine connects and reads (`engines`), validation
checks and counts (`validate`), and the quarantine files are written by `io.quarantine`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import ibis.expr.types as ir

from lifecycle_metrics import engines, validated
from lifecycle_metrics.errors import DataError
from lifecycle_metrics.io.outputs import local_path, prepare_quarantine
from lifecycle_metrics.io.quarantine import QuarantineWriter
from lifecycle_metrics.io.readers import folder_tables
from lifecycle_metrics.io.urls import safe_url
from lifecycle_metrics.periods import FIRST_YEAR, LAST_YEAR, ReportZone, local_segments, zone
from lifecycle_metrics.schema import TABLE_NAMES
from lifecycle_metrics.validate.issues import ValidationReport
from lifecycle_metrics.validate.tables import (
    CHECK_ORDER,
    check_raw_table,
    majority_currency,
    year_span,
)
from lifecycle_metrics.validate.warnings import warning_counts

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
    engine: str | engines.Engine = engines.DEFAULT,
    spark_master: str | None = None,
    cache: bool = False,
) -> Dataset:
    """Read, type and check a dataset; raise DataError on any invalid row unless quarantining.

    With `strict=False` the dataset is returned even when invalid (for `lifecycle validate`).
    `tables` limits reading and checking to those tables (what a computation reads).
    `engine` is a registered engine's name (see `engines`) or an `Engine`.
    With `cache`, a local folder whose bytes were validated before is not checked again
    (see `validated`), and one that validates is remembered.
    """
    zone(tz)  # a bad zone is a usage error before anything is read
    say = progress or (lambda _message: None)
    runs_on = engines.get(engine)
    settings = engines.Settings(memory_limit=memory_limit, spark_master=spark_master)
    if quarantine is not None:
        quarantine = prepare_quarantine(quarantine, data)
    remembered = (
        _remembered(data, tz, tables, say) if cache and runs_on.reads_validated_cache else None
    )
    if remembered is not None and remembered.stored is not None:
        con = runs_on.connect(str(data), settings, say)
        try:
            remembered_tables = validated.attach(con, remembered.stored, sorted(remembered.files))
        except duckdb.Error:  # removed half-way, or written by another DuckDB: check again
            validated.forget(remembered.stored)
        else:
            if quarantine is not None:
                QuarantineWriter(quarantine).close()  # valid: nothing to set aside
            return Dataset(
                con=con,
                tables=remembered_tables,
                tz=tz,
                zone=ReportZone(tz, remembered.stored.years),
                report=remembered.stored.report,
                source=safe_url(str(data)),
                quarantine_dir=quarantine,
            )
    con = runs_on.connect(str(data), settings, say)
    source = runs_on.read_tables(
        con, str(data), frozenset(TABLE_NAMES) if tables is None else tables, say
    )
    if not source.tables and not source.skipped:
        raise DataError(
            f"{data}: no canonical table found — expected files named <table>.csv or "
            f"<table>.parquet for at least one of: {', '.join(TABLE_NAMES)}"
            + (f" (found only: {', '.join(source.ignored)})" if source.ignored else "")
        )
    report = ValidationReport(ignored=source.ignored)
    # The offset table only matters in zones with clock changes; UTC needs no scan.
    report_zone = ReportZone(
        tz, year_span(source.tables) if len(local_segments(tz)) > 1 else (FIRST_YEAR, LAST_YEAR)
    )
    currency = majority_currency({name: raw.table for name, raw in source.tables.items()})
    materialize = partial(runs_on.materialize, con)
    writer = QuarantineWriter(quarantine) if quarantine is not None else None
    clean: dict[str, ir.Table] = {}
    for name in CHECK_ORDER:
        raw = source.tables.get(name)
        if raw is None:
            continue
        say(f"checking {name} ({raw.row_count:,} rows)")
        outcome = check_raw_table(raw, report_zone, clean, currency, materialize)
        report.rules += outcome.rules
        report.tables[name] = outcome.stats
        clean[name] = outcome.clean
        if writer is not None and outcome.set_aside is not None:
            writer.rows(name, outcome.set_aside)
        if writer is not None and raw.unreadable:
            writer.unreadable(name, raw.unreadable)
    if writer is not None:
        writer.close()
    say("looking for warnings")
    report.rules += warning_counts(
        clean,
        now or datetime.now(UTC).replace(tzinfo=None),
        {name: stats.source for name, stats in report.tables.items()},
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
