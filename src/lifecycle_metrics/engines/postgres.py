"""PostgreSQL: validates and computes in the database that holds the canonical tables.

Intermediate tables are session TEMP tables, gone when the connection closes; the only
command that writes is `lifecycle load` (`write_postgres`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lifecycle_metrics.engines.base import Engine, Progress, Settings
from lifecycle_metrics.errors import UsageError
from lifecycle_metrics.io.readers import RawSource, RawTable
from lifecycle_metrics.io.urls import connecting, safe_url
from lifecycle_metrics.schema import ROW, SOURCE_ROW, TABLE_NAMES

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from lifecycle_metrics.dataset import Dataset

DRIVER = "lifecycle-metrics[postgres]"  # Ibis's postgres backend and psycopg


def connect(url: str) -> Any:
    """A connection to the PostgreSQL database of `url` (credentials from it or PG* vars)."""
    if not url.lower().startswith(("postgres://", "postgresql://")):
        raise UsageError(
            f"--engine postgres needs DATA to be a postgres:// URL, not {safe_url(url)!r}"
        )
    # a missing psycopg is named as such; a refused login or an unreachable server is a
    # connection failure, not invalid data (psycopg.OperationalError, by PEP 249's name)
    with connecting(url, DRIVER):
        import ibis

        con = ibis.connect(url)
        con.raw_sql("SET TIME ZONE 'UTC'")  # naive timestamps are UTC in every engine
    return con


def canonical_tables(con: Any, only: frozenset[str]) -> tuple[dict[str, ir.Table], list[str]]:
    """The canonical tables of the connection's schema (names from the catalog only)."""
    import ibis

    names = con.list_tables()
    found = {name.lower(): name for name in names if name.lower() in only}
    ignored = [name for name in names if name.lower() not in TABLE_NAMES]
    read: dict[str, ir.Table] = {}
    for canonical, name in found.items():
        table = con.table(name)
        table = table.rename({column.lower(): column for column in table.columns})
        if SOURCE_ROW in table.columns:
            table = table.mutate(**{ROW: table[SOURCE_ROW].cast("int64")}).drop(SOURCE_ROW)
        else:  # a table of the user's: rows numbered in the order the database returns them
            table = table.mutate(**{ROW: ibis.row_number() + 1})
        read[canonical] = table
    return read, ignored


class Postgres(Engine):
    """PostgreSQL: DATA is a postgres:// URL; tables are read where they are."""

    name = "postgres"

    def connect(self, data: str, settings: Settings, say: Progress) -> Any:
        """A connection in UTC to the database of the URL."""
        return connect(data)

    def read_tables(self, con: Any, data: str, only: frozenset[str], say: Progress) -> RawSource:
        """The canonical tables of the database, rows numbered by `_source_row` if loaded."""
        found, ignored = canonical_tables(con, only)
        return RawSource(
            tables={
                name: RawTable(
                    name=name,
                    table=table,
                    source=f"{safe_url(data)}:{name}",
                    row_count=int(table.count().execute()),
                )
                for name, table in found.items()
            },
            ignored=ignored,
        )


def write_postgres(
    dataset: Dataset, url: str, *, replace: bool = False, progress: Progress | None = None
) -> dict[str, int]:
    """`lifecycle load`: write every clean table of `dataset` to `url`; rows per table."""
    from lifecycle_metrics.io.writers import write_tables

    target = connect(url)
    return write_tables(dataset.tables, target, safe_url(url), replace=replace, progress=progress)


ENGINE = Postgres()
