"""Find the canonical tables in a source and land them, untyped, on embedded DuckDB.

Other engines read their own sources (see `engines`) into the same `RawTable` form.

Raw tables keep every source column under its lower-cased name plus `_row`, the row number as a
spreadsheet shows it (the header of a CSV file is row 1). Typing and checking happen later, in
`validate`, so that every bad value can be reported with its row instead of failing the read.
"""

from __future__ import annotations

import atexit
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import ibis
import ibis.expr.types as ir
import pyarrow as pa
from ibis.backends.duckdb import Backend as DuckDBBackend

from lifecycle_metrics.errors import DataError, UsageError
from lifecycle_metrics.io.csvfile import CsvProblem, is_plain, read_header, read_records
from lifecycle_metrics.io.urls import connecting, safe_url
from lifecycle_metrics.schema import ROW, TABLE_NAMES

FILE_ROW = "_lifecycle_file_row"  # internal: the row a CSV record came from
FILE_SUFFIXES = (".csv", ".parquet")
DATABASE_SUFFIXES = (".duckdb", ".ddb", ".db")
GLOB_CHARACTERS = frozenset("*?[")
URL_PATTERN = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


@dataclass
class RawTable:
    """One canonical table as read: all source columns, lower-cased, plus `_row`."""

    name: str
    table: ir.Table
    source: str  # the file (or database table) it came from, for messages
    row_count: int
    text_source: bool = False  # every column is text to parse (CSV)
    unreadable: list[CsvProblem] = field(default_factory=list)  # CSV records not read


@dataclass
class RawSource:
    """Everything read from one DATA argument."""

    tables: dict[str, RawTable]
    ignored: list[str]  # files or tables that are not canonical tables
    skipped: list[str] = field(default_factory=list)  # canonical, but not asked for


Progress = Callable[[str], None]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _lowercase_columns(
    con: DuckDBBackend,
    relation_sql: str,
    target: str,
    source: str,
    row_sql: str,
    exclude: tuple[str, ...] = (),
) -> None:
    """Create view `target` over `relation_sql`: lower-cased column names and a `_row` column."""
    described = con.con.execute(f"DESCRIBE SELECT * FROM {relation_sql}").fetchall()
    columns = [row[0] for row in described if row[0] not in exclude]
    _refuse_duplicate_columns(source, columns)
    lowered = [column.strip().lower() for column in columns]
    if ROW in lowered:
        raise DataError(f"{source}: a column may not be called {ROW!r} (reserved for row numbers)")
    select = ", ".join(
        f"{_quote(original)} AS {_quote(name)}"
        for original, name in zip(columns, lowered, strict=True)
    )
    con.con.execute(
        f"CREATE OR REPLACE TEMP VIEW {_quote(target)} AS "
        f"SELECT {select}, {row_sql} AS {ROW} FROM {relation_sql}"
    )


def _read_csv(con: DuckDBBackend, path: Path, target: str) -> list[CsvProblem]:
    """Land a CSV file as text columns, rows numbered as a spreadsheet shows them.

    Plain files go through DuckDB's strict reader; any other file, or one DuckDB refuses, is
    read record by record by the csv module, which names every record it cannot read.
    """
    staging = f"_csv_{target}"
    header = read_header(path)
    _refuse_duplicate_columns(str(path), header)
    if FILE_ROW in (name.strip().lower() for name in header):
        raise DataError(f"{path}: a column may not be called {FILE_ROW!r} (reserved)")
    if is_plain(path, len(header)):
        # Columns are named from our own reading of the header and the dialect is fixed, so
        # DuckDB's sniffer never guesses; a row with too many or too few fields is an error.
        columns = "{" + ", ".join(f"{_literal(name)}: 'VARCHAR'" for name in header) + "}"
        options = (
            "header=true, auto_detect=false, delim=',', quote='\"', escape='\"', "
            f"strict_mode=true, null_padding=false, columns={columns}"
        )
        try:
            con.con.execute(
                f"CREATE OR REPLACE TEMP TABLE {_quote(staging)} AS "
                f"SELECT * FROM read_csv({_literal(str(_unglobbed(path)))}, {options})"
            )
        except (duckdb.OutOfMemoryException, duckdb.InterruptException):
            raise  # not a property of the file
        except (duckdb.Error, UnicodeDecodeError):
            # read again below, where the csv module names what is wrong (DuckDB's own message
            # about an over-long line can cut a character in two, hence UnicodeDecodeError)
            pass
        else:
            # rowid follows insertion order, which follows the file; +2 skips the header row.
            _lowercase_columns(con, _quote(staging), target, str(path), "rowid + 2")
            return []
    arrow = f"{staging}_arrow"
    created = False

    def land(batch: pa.RecordBatch) -> None:
        nonlocal created
        con.con.register(arrow, batch)
        try:
            if created:
                con.con.execute(f"INSERT INTO {_quote(staging)} SELECT * FROM {_quote(arrow)}")
            else:
                con.con.execute(
                    f"CREATE OR REPLACE TEMP TABLE {_quote(staging)} AS "
                    f"SELECT * FROM {_quote(arrow)}"
                )
                created = True
        finally:
            con.con.unregister(arrow)

    problems = read_records(path, header, land, FILE_ROW)
    _lowercase_columns(
        con, _quote(staging), target, str(path), _quote(FILE_ROW), exclude=(FILE_ROW,)
    )
    return problems


def _refuse_duplicate_columns(source: str, columns: list[str]) -> None:
    lowered = [column.strip().lower() for column in columns]
    duplicated = sorted({name for name in lowered if lowered.count(name) > 1})
    if duplicated:
        raise DataError(
            f"{source}: column {duplicated[0]!r} appears more than once (column names are "
            "compared in lower case); rename or drop one of them"
        )


def _unglobbed(path: Path) -> Path:
    """`path`, or a link to it when it holds `*`, `?` or `[`, which DuckDB reads as a glob.

    Unlinked, `data?/contacts.parquet` would also read `data1/`.
    """
    if not GLOB_CHARACTERS & set(str(path)):
        return path
    folder = Path(tempfile.mkdtemp(prefix="lifecycle-link-"))
    atexit.register(shutil.rmtree, folder, True)
    link = folder / f"table{path.suffix.lower()}"
    link.symlink_to(path.resolve())
    return link


def _read_parquet(con: DuckDBBackend, path: Path, target: str) -> None:
    """Read a Parquet file in place (no copy), numbering rows from 1."""
    relation = f"read_parquet({_literal(str(_unglobbed(path)))}, file_row_number=true)"
    try:
        _lowercase_columns(
            con, relation, target, str(path), "file_row_number + 1", exclude=("file_row_number",)
        )
    except (duckdb.OutOfMemoryException, duckdb.InterruptException):
        raise  # valid data, too small a budget or a stop: not a data error
    except duckdb.Error as error:
        first_line = str(error).strip().splitlines()[0]
        raise DataError(f"{path}: cannot be read as Parquet: {first_line}") from None


def folder_tables(folder: Path) -> tuple[dict[str, Path], list[str]]:
    """The canonical table files of a folder (table → path), and the other files' names."""
    found: dict[str, Path] = {}
    ignored: list[str] = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        stem, suffix = path.stem.lower(), path.suffix.lower()
        if suffix not in FILE_SUFFIXES or stem not in TABLE_NAMES:
            ignored.append(path.name)
            continue
        if stem in found:
            raise DataError(
                f"{folder}: table {stem!r} is given twice ({found[stem].name} and {path.name}); "
                "keep one file per table"
            )
        found[stem] = path
    return found, ignored


def _land_folder(
    con: DuckDBBackend, folder: Path, progress: Progress, only: frozenset[str]
) -> RawSource:
    every, ignored = folder_tables(folder)
    paths = {name: path for name, path in every.items() if name in only}
    skipped = sorted(set(every) - set(paths))
    unreadable: dict[str, list[CsvProblem]] = {}
    for name, path in paths.items():
        progress(f"reading {path.name}")
        target = f"raw_{name}"
        if path.suffix.lower() == ".csv":
            unreadable[name] = _read_csv(con, path, target)
        else:
            _read_parquet(con, path, target)
    tables = {
        name: _raw_table(
            con,
            name,
            str(path),
            text_source=path.suffix.lower() == ".csv",
            unreadable=unreadable.get(name, []),
        )
        for name, path in paths.items()
    }
    return RawSource(tables=tables, ignored=ignored, skipped=skipped)


def _raw_table(
    con: DuckDBBackend,
    name: str,
    source: str,
    *,
    text_source: bool = False,
    unreadable: list[CsvProblem] | None = None,
) -> RawTable:
    table = con.table(f"raw_{name}")
    row_count = int(table.count().execute())
    return RawTable(
        name=name,
        table=table,
        source=source,
        row_count=row_count,
        text_source=text_source,
        unreadable=unreadable or [],
    )


def _land_duckdb_file(
    con: DuckDBBackend, path: Path, progress: Progress, only: frozenset[str]
) -> RawSource:
    progress(f"attaching {path.name}")
    try:
        con.con.execute(f"ATTACH {_literal(str(path))} AS source_db (READ_ONLY)")
    except (duckdb.OutOfMemoryException, duckdb.InterruptException):
        raise
    except duckdb.Error as error:
        first_line = str(error).strip().splitlines()[0]
        raise DataError(f"{path}: cannot be opened as a DuckDB database: {first_line}") from None
    names = [
        row[0]
        for row in con.con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'source_db' "
            "ORDER BY table_name"
        ).fetchall()
    ]
    found = [name for name in names if name.lower() in only]
    ignored = [name for name in names if name.lower() not in TABLE_NAMES]
    tables: dict[str, RawTable] = {}
    for name in found:
        canonical = name.lower()
        relation = f"source_db.main.{_quote(name)}"
        _lowercase_columns(con, relation, f"raw_{canonical}", f"{path}:{name}", "rowid + 1")
        tables[canonical] = _raw_table(con, canonical, f"{path}:{name}")
    return RawSource(tables=tables, ignored=ignored)


def _land_url(con: DuckDBBackend, url: str, progress: Progress, only: frozenset[str]) -> RawSource:
    """Copy the canonical tables of any Ibis-reachable database into embedded DuckDB."""
    with connecting(url):
        try:
            remote = ibis.connect(url)
        except ValueError:  # no Ibis backend reads this scheme, or the URL is malformed
            raise UsageError(
                f"DATA {safe_url(url)!r}: no Ibis backend reads this URL; give a dataset "
                "folder, a DuckDB file or a connection URL such as postgres://user@host/db"
            ) from None
        names = remote.list_tables()
    found = [name for name in names if name.lower() in only]
    ignored = [name for name in names if name.lower() not in TABLE_NAMES]
    tables: dict[str, RawTable] = {}
    for name in found:
        canonical = name.lower()
        progress(f"copying {name}")
        arrow = remote.table(name).to_pyarrow()
        staging = f"_url_{canonical}"
        con.con.register(staging + "_arrow", arrow)
        con.con.execute(
            f"CREATE OR REPLACE TEMP TABLE {_quote(staging)} AS SELECT * FROM "
            f"{_quote(staging + '_arrow')}"
        )
        con.con.unregister(staging + "_arrow")
        _lowercase_columns(con, _quote(staging), f"raw_{canonical}", f"{url}:{name}", "rowid + 1")
        tables[canonical] = _raw_table(con, canonical, name)
    return RawSource(tables=tables, ignored=ignored)


def read_raw_tables(
    con: Any,
    data: str | Path,
    progress: Progress | None = None,
    only: frozenset[str] | None = None,
) -> RawSource:
    """Land the canonical tables found in `data` (folder, DuckDB file or URL) on DuckDB `con`.

    `only` limits reading to the named tables (a computation reads what its metrics need).
    """
    say = progress or (lambda _message: None)
    wanted = frozenset(TABLE_NAMES) if only is None else only
    text = str(data)
    if URL_PATTERN.match(text) and not text.lower().startswith("file://"):
        if text.lower().startswith("duckdb://"):
            return _land_duckdb_file(con, Path(text[len("duckdb://") :]), say, wanted)
        return _land_url(con, text, say, wanted)
    path = Path(text.removeprefix("file://")).expanduser()
    if not path.exists():
        raise UsageError(
            f"DATA {text!r} does not exist: give a dataset folder, a DuckDB file "
            "or a connection URL"
        )
    if path.is_dir():
        return _land_folder(con, path, say, wanted)
    if path.suffix.lower() in DATABASE_SUFFIXES:
        return _land_duckdb_file(con, path, say, wanted)
    raise UsageError(
        f"DATA {text!r} is a file: give the folder holding <table>.csv / <table>.parquet files, "
        "a DuckDB database (.duckdb) or a connection URL"
    )
