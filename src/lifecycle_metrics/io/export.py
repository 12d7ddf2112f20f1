"""Writing tables out: CSV cells a spreadsheet would run as a formula are neutralised."""

from __future__ import annotations

import csv
from pathlib import Path

import ibis
import ibis.expr.types as ir

from lifecycle_metrics.io.cells import FORMULA_START, PLAIN_NUMBER, safe_cell
from lifecycle_metrics.io.csvfile import CsvProblem


def neutralise(value: ir.StringValue) -> ir.StringValue:
    """Prefix a single quote to text a spreadsheet would take for a formula."""
    risky = value.re_search(FORMULA_START) & ~value.re_search(PLAIN_NUMBER)
    return ibis.ifelse(risky, "'" + value, value)


def safe_for_spreadsheets(table: ir.Table) -> ir.Table:
    """Every string column of `table` neutralised."""
    changes = {
        name: neutralise(table[name]) for name, kind in table.schema().items() if kind.is_string()
    }
    return table.mutate(**changes) if changes else table


def write_csv(table: ir.Table, path: Path) -> None:
    """Write `table` as a UTF-8 CSV file with a header, formula-safe."""
    safe_for_spreadsheets(table).to_csv(path)


def write_unreadable(problems: list[CsvProblem], path: Path) -> None:
    """CSV records that could not be read, as in the file: line, row, record, reason."""
    with path.open("w", newline="", encoding="utf-8", errors="surrogateescape") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["line", "row", "record", "reason"])
        for problem in problems:
            writer.writerow([problem.line, problem.row, safe_cell(problem.text), problem.reason])
