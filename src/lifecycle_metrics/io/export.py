"""Writing tables out: CSV cells a spreadsheet would run as a formula are neutralised."""

from __future__ import annotations

from pathlib import Path

import ibis
import ibis.expr.types as ir

# A cell starting with one of these runs as a formula in spreadsheet programs (OWASP's list);
# a plain signed number is left alone so amounts keep their sign.
FORMULA_START = r"^[=+\-@\t\r]"
PLAIN_NUMBER = r"^[+-]?[0-9]+([.][0-9]+)?$"


def neutralise(value: ir.StringValue) -> ir.StringValue:
    """Prefix a single quote to text a spreadsheet would take for a formula."""
    risky = value.re_search(FORMULA_START) & ~value.re_search(PLAIN_NUMBER)
    return ibis.ifelse(risky, "'" + value, value)  # type: ignore[return-value]


def safe_for_spreadsheets(table: ir.Table) -> ir.Table:
    """Every string column of `table` neutralised."""
    changes = {
        name: neutralise(table[name])  # type: ignore[arg-type]
        for name, kind in table.schema().items()
        if kind.is_string()
    }
    return table.mutate(**changes) if changes else table


def write_csv(table: ir.Table, path: Path) -> None:
    """Write `table` as a UTF-8 CSV file with a header, formula-safe."""
    safe_for_spreadsheets(table).to_csv(path)
