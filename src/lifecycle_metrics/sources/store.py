"""The dataset's copy of its source: every record's newest version, across imports.

A newer export replaces a record by its key (the vendor's record id); when the tables carry a
sync stamp (`_fivetran_synced`, `systemmodstamp`, `updated_at`) the newer stamp wins whatever
order the exports come in, else the later import does. Tables without a record id (property
histories) keep every distinct row. Records a source marks deleted stay here, so the
translation can keep them out and say so.
"""

from __future__ import annotations

from pathlib import Path

import ibis
import ibis.expr.types as ir
from ibis.backends.duckdb import Backend as DuckDBBackend

from lifecycle_metrics.schema import ROW
from lifecycle_metrics.sources.raw import FILE_COLUMN, RawExport, VendorTable
from lifecycle_metrics.sources.values import instant, text

IMPORT = "_import"  # which import a row came with (1, 2, …)
VERSION_COLUMNS = (
    "_fivetran_synced",
    "system_modstamp",
    "systemmodstamp",
    "last_modified_date",
    "updated_at",
)
PLACES = (ROW, FILE_COLUMN, IMPORT)


def _folder(state: Path) -> Path:
    return state / "source"


def _data_columns(table: ir.Table) -> list[str]:
    return sorted(name for name in table.columns if name not in PLACES)


def _align(table: ir.Table, names: list[str]) -> ir.Table:
    """The named columns in order, with one type each: row numbers as integers, the rest text."""

    def shaped(name: str) -> ir.Value:
        kind = "int64" if name in (ROW, IMPORT) else "string"
        if name in table.columns:
            return table[name].cast(kind).name(name)
        return ibis.null().cast(kind).name(name)

    return table.select(*[shaped(name) for name in names])


def _version(table: ir.Table) -> ir.Value | None:
    for name in VERSION_COLUMNS:
        if name in table.columns:
            return table[name]
    return None


def _merge_one(old: ir.Table, new: ir.Table, key: tuple[str, ...]) -> ir.Table:
    names = list(dict.fromkeys([*old.columns, *new.columns]))
    old, new = _align(old, names), _align(new, names)
    if not key or any(column not in names for column in key):
        both = old.union(new)
        data = _data_columns(both)
        first = ibis.window(group_by=[both[c] for c in data], order_by=[both[IMPORT], both[ROW]])
        return both.filter(ibis.row_number().over(first) == 0)
    columns = list(key)
    stamp = _version(new)
    if stamp is None:
        old_wins = old.select(*columns).limit(0)
    else:
        name = stamp.get_name()
        new_version = new.group_by(columns).agg(_new=instant(text(new[name])).text.max())
        old_version = old.group_by(columns).agg(_old=instant(text(old[name])).text.max())
        versions = old_version.join(new_version, columns)
        old_wins = versions.filter(versions._old > versions._new).select(*columns)
    kept_old = old.anti_join(new.select(*columns), columns).union(old.semi_join(old_wins, columns))
    kept_new = new.anti_join(old_wins, columns)
    return _align(kept_old, names).union(_align(kept_new, names))


def merge(
    con: DuckDBBackend, state: Path, export: RawExport, keys: dict[str, tuple[str, ...]]
) -> tuple[dict[str, VendorTable], bool]:
    """Every table of the export merged with the stored copy; and whether anything changed."""
    folder = _folder(state)
    stored = {path.stem: path for path in folder.glob("*.parquet")} if folder.is_dir() else {}
    sequence = 1
    if stored:
        sequence = 1 + max(
            int(con.read_parquet(path)[IMPORT].max().execute() or 0) for path in stored.values()
        )
    merged: dict[str, VendorTable] = {}
    changed = not stored
    for name, given in export.tables.items():
        new = given.table.mutate(**{IMPORT: ibis.literal(sequence, "int64")})
        if name not in stored:
            merged[name] = VendorTable(name, given.origin, new, given.header)
            changed = True
            continue
        old = con.read_parquet(stored[name])
        both = _merge_one(old, new, keys.get(name, ()))
        view = f"merged_{len(merged)}"
        con.create_table(view, both, temp=True, overwrite=True)
        result = con.table(view)
        merged[name] = VendorTable(name, given.origin, result, given.header)
        if not changed:
            data = sorted(set(_data_columns(result)) | set(_data_columns(old)))
            before, after = _align(old, data), _align(result, data)
            differs = int(after.difference(before).count().execute()) + int(
                before.difference(after).count().execute()
            )
            changed = differs > 0
    for name, path in stored.items():
        if name not in merged:  # a table this export does not hold: kept as it was
            table = con.read_parquet(path)
            merged[name] = VendorTable(name, str(path), table, tuple(_data_columns(table)))
    return merged, changed


def commit(con: DuckDBBackend, state: Path, merged: dict[str, VendorTable]) -> None:
    """Store the merged copy for the next import."""
    folder = _folder(state)
    folder.mkdir(parents=True, exist_ok=True)
    for name, given in merged.items():
        table = given.table
        ordered = table.order_by([table[column] for column in table.columns])
        temporary = folder / f"{name}.parquet.partial"
        ordered.to_parquet(temporary)
        temporary.replace(folder / f"{name}.parquet")
