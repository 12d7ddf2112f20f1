"""Read a vendor export as it is: every table of a folder or database, every column as text.

A folder holds one file per vendor table, named as the connector or the export names it
(`contact.csv`, `contact_data.csv`, `sf_lead_data.csv`, `hubspot-crm-exports-all-deals.csv`);
files whose name is a canonical table (`costs.csv`) are the facts the vendor does not hold and
are kept apart, to be added to the dataset as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import ibis
import ibis.expr.types as ir
from ibis.backends.duckdb import Backend as DuckDBBackend

from lifecycle_metrics.errors import DataError, UsageError
from lifecycle_metrics.io.readers import (
    DATABASE_SUFFIXES,
    FILE_SUFFIXES,
    URL_PATTERN,
    _lowercase_columns,
    _read_csv,
    _read_parquet,
)
from lifecycle_metrics.io.urls import connecting, safe_url
from lifecycle_metrics.schema import ROW, TABLE_NAMES

FILE_COLUMN = "_file"  # internal: the file or database table a source row came from
VENDOR_PREFIXES = ("sf_", "salesforce_", "marketo_", "hubspot_", "hs_")


@dataclass
class VendorTable:
    """One vendor table: its columns lower-cased, as text, plus `_row` and `_file`."""

    name: str  # as the vendor names it, without a seed's `_data` suffix or a prefix
    origin: str  # the file or database table, for messages
    table: ir.Table
    header: tuple[str, ...]  # the columns as the file spells them (exports are matched on them)


@dataclass
class RawExport:
    """Everything one SRC holds."""

    tables: dict[str, VendorTable]
    canonical: dict[str, ir.Table]  # canonical tables given beside the vendor's (costs, …)
    canonical_origin: dict[str, str] = field(default_factory=dict)


def vendor_name(stem: str) -> str:
    """A file's table name: lower case, without a dbt seed's `_data` suffix or a vendor prefix."""
    name = re.sub(r"[^a-z0-9_]+", "_", stem.lower()).strip("_")
    name = name.removesuffix("_data")
    for prefix in VENDOR_PREFIXES:
        if name.startswith(prefix) and len(name) > len(prefix):
            return name[len(prefix) :]
    return name


def _as_text(con: DuckDBBackend, view: str, origin: str) -> ir.Table:
    table = con.table(view)
    columns = {
        name: (table[name] if name == ROW else table[name].cast("string")) for name in table.columns
    }
    return table.select(**columns).mutate(**{FILE_COLUMN: ibis.literal(origin)})


def _header(con: DuckDBBackend, path: Path) -> tuple[str, ...]:
    if path.suffix.lower() == ".csv":
        from lifecycle_metrics.io.csvfile import read_header

        return tuple(name.strip() for name in read_header(path))
    described = con.con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
    return tuple(str(row[0]) for row in described)


def _is_canonical(name: str, header: tuple[str, ...]) -> bool:
    """Whether a file named after a canonical table holds that table's required columns.

    If not, it is a vendor's file, such as a HubSpot export saved as contacts.csv.
    """
    from lifecycle_metrics.schema import table_spec

    columns = {column.strip().lower() for column in header}
    return set(table_spec(name).required_columns) <= columns


def read_export(con: DuckDBBackend, src: str | Path) -> RawExport:
    """Land every table of SRC (folder, DuckDB file or connection URL) as text on `con`."""
    text = str(src)
    if URL_PATTERN.match(text) and not text.lower().startswith(("file://", "duckdb://")):
        return _read_url(con, text)
    path = Path(text.removeprefix("file://").removeprefix("duckdb://")).expanduser()
    if not path.exists():
        raise UsageError(f"SRC {text!r} does not exist: give the export folder or a database URL")
    if path.is_file():
        if path.suffix.lower() in DATABASE_SUFFIXES:
            return _read_url(con, f"duckdb://{path}")
        raise UsageError(
            f"SRC {text!r} is a file: give the folder that holds the export's files "
            "(one file per table), or a database URL"
        )
    tables: dict[str, VendorTable] = {}
    canonical: dict[str, ir.Table] = {}
    canonical_origin: dict[str, str] = {}
    for index, file in enumerate(sorted(path.iterdir())):
        if file.name.startswith(".") or not file.is_file():
            continue
        if file.suffix.lower() not in FILE_SUFFIXES:
            continue
        view = f"src_{index}"
        if file.suffix.lower() == ".csv":
            problems = _read_csv(con, file, view)
            if problems:
                first = problems[0]
                raise DataError(
                    f"{file}: row {first.row} cannot be read: {first.reason} "
                    f"({len(problems)} unreadable record(s) in all); nothing was imported"
                )
        else:
            _read_parquet(con, file, view)
        stem = file.stem.lower()
        if stem in TABLE_NAMES and _is_canonical(stem, _header(con, file)):
            if stem in canonical:
                raise DataError(f"{path}: canonical table {stem!r} is given twice")
            canonical[stem] = _as_text(con, view, str(file))
            canonical_origin[stem] = str(file)
            continue
        name = vendor_name(file.stem)
        if name in tables:
            raise DataError(
                f"{path}: table {name!r} is given twice ({Path(tables[name].origin).name} and "
                f"{file.name}); keep one file per table"
            )
        tables[name] = VendorTable(
            name, str(file), _as_text(con, view, str(file)), _header(con, file)
        )
    if not tables and not canonical:
        raise UsageError(f"SRC {text!r} holds no CSV or Parquet file")
    return RawExport(tables, canonical, canonical_origin)


def _read_url(con: DuckDBBackend, url: str) -> RawExport:
    """Copy every table of an Ibis-reachable database onto `con`, as text."""
    shown = safe_url(url)
    with connecting(url):
        try:
            remote = ibis.connect(url)
        except ValueError:
            raise UsageError(f"SRC {shown!r}: no Ibis backend reads this URL") from None
        names = sorted(remote.list_tables())
    tables: dict[str, VendorTable] = {}
    canonical: dict[str, ir.Table] = {}
    canonical_origin: dict[str, str] = {}
    for index, name in enumerate(names):
        staging = f"_src_url_{index}"
        con.con.register(staging + "_arrow", remote.table(name).to_pyarrow())
        con.con.execute(
            f'CREATE OR REPLACE TEMP TABLE "{staging}" AS SELECT * FROM "{staging}_arrow"'
        )
        con.con.unregister(staging + "_arrow")
        view = f"src_url_{index}"
        origin = f"{shown}:{name}"
        _lowercase_columns(con, f'"{staging}"', view, origin, "rowid + 1")
        header = tuple(remote.table(name).columns)
        if name.lower() in TABLE_NAMES and _is_canonical(name.lower(), header):
            canonical[name.lower()] = _as_text(con, view, origin)
            canonical_origin[name.lower()] = origin
        else:
            tables[vendor_name(name)] = VendorTable(
                vendor_name(name), origin, _as_text(con, view, origin), header
            )
    return RawExport(tables, canonical, canonical_origin)
