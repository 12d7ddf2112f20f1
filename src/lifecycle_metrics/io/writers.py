"""`lifecycle load`: put a checked dataset into PostgreSQL as canonical tables.

The only command that writes to a database. Each clean table is created with its typed schema
(plus `_source_row`, the file row it came from, so later errors still name it) and filled with
COPY, which is far faster than row inserts. Existing canonical tables are replaced only when
asked to.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from lifecycle_metrics.errors import UsageError
from lifecycle_metrics.schema import ROW, SOURCE_ROW

Progress = Callable[[str], None]
COPY_CHUNK = 1 << 20


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def write_tables(
    clean: dict[str, ir.Table],
    target: Any,
    shown: str,
    *,
    replace: bool = False,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Write clean tables through `target`, a PostgreSQL connection; rows per table.

    `shown` names the connection in messages, without credentials.
    """
    say = progress or (lambda _message: None)
    existing = {name.lower() for name in target.list_tables()}
    clash = sorted(existing & set(clean))
    if clash and not replace:
        raise UsageError(
            f"{shown} already holds {', '.join(clash)}: pass --replace to overwrite them"
        )
    written: dict[str, int] = {}
    folder = Path(tempfile.mkdtemp(prefix="lifecycle-load-"))
    for name, table in clean.items():
        say(f"writing {name}")
        canonical = _canonical(table.rename({SOURCE_ROW: ROW}))
        columns = list(canonical.columns)
        schema = ibis.schema(
            {
                column: dt.Timestamp(timezone="UTC") if kind.is_timestamp() else kind
                for column, kind in canonical.schema().items()
            }
        )
        target.create_table(name, schema=schema, overwrite=True)
        path = folder / f"{name}.csv"
        canonical.to_csv(path)  # DuckDB's own COPY: fast, with a header
        _copy_in(target, name, columns, path)
        path.unlink()
        written[name] = int(target.table(name).count().execute())
    return written


def _canonical(table: ir.Table) -> ir.Table:
    """Values as SPEC writes them: months as YYYY-MM (clean tables hold a month index).

    Timestamps are UTC instants and go into `timestamptz` columns, so a later run in another
    report time zone reads them as instants, not as local wall-clock times.
    """
    if "month" in table.columns and table["month"].type().is_integer():
        index = table["month"]
        label = (index // 12).cast("string") + "-" + ((index % 12) + 1).cast("string").lpad(2, "0")
        table = table.mutate(month=label)
    return table


def _copy_in(target: Any, name: str, columns: list[str], path: Path) -> None:
    names = ", ".join(_quote(c) for c in columns)
    with target.con.cursor() as cursor, path.open("rb") as handle:
        statement = f"COPY {_quote(name)} ({names}) FROM STDIN WITH (FORMAT csv, HEADER true)"
        with cursor.copy(statement) as copy:
            while chunk := handle.read(COPY_CHUNK):
                copy.write(chunk)
    target.con.commit()
