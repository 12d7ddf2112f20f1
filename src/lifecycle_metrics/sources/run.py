"""`lifecycle import`: a vendor export in, a canonical dataset (Parquet) and its ledger out.

The flow: read the export as text (`raw`) → merge it into the dataset's copy of the source,
newest version of each record winning (`store`) → translate the whole copy into canonical rows,
each with its fate (the vendor module) → check references and keys across tables → write the
imported rows, the quarantine and the ledger. Translating the whole copy, not the new rows
alone, is what makes a re-import a no-op and the result independent of the order in which
overlapping exports arrive.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import ibis
import ibis.expr.types as ir
from ibis.backends.duckdb import Backend as DuckDBBackend

from lifecycle_metrics.errors import UsageError
from lifecycle_metrics.io.outputs import input_paths, usable_folder
from lifecycle_metrics.schema import ROW, TABLE_NAMES, table_spec
from lifecycle_metrics.sources import store
from lifecycle_metrics.sources.ledger import (
    BAD_COLUMN,
    BAD_VALUE,
    BOOKKEEPING,
    FATE,
    IMPORTED,
    QUARANTINED,
    REASON,
    RECORD,
    SKIPPED,
    SOURCE,
    Ledger,
    Part,
)
from lifecycle_metrics.sources.raw import FILE_COLUMN, RawExport, VendorTable, read_export

LEDGER_FILE = "import-ledger.json"
QUARANTINE_FILE = "import-quarantine.csv"
STATE_FOLDER = ".lifecycle-import"  # the merged copy of the source, for the next import
# Referenced tables first, so references can be checked against what was imported.
ORDER = ("accounts", "campaigns", "contacts")
Progress = Callable[[str], None]


class Vendor(Protocol):
    """What a source kind provides: record keys, and the translation into canonical parts."""

    kind: str
    keys: dict[str, tuple[str, ...]]  # vendor table → the columns naming a record

    def prepare(self, export: RawExport) -> RawExport:
        """Give files recognised by their headers (a CRM's own CSV exports) the tables' names."""
        ...

    def translate(self, tables: dict[str, VendorTable], ledger: Ledger) -> dict[str, list[Part]]:
        """Canonical parts of every vendor table; tables it does not use go in the ledger."""
        ...


@dataclass
class ImportResult:
    """What one import did."""

    out: Path
    ledger: Ledger
    rows: dict[str, int]  # canonical table → rows written
    changed: bool  # False: the export held nothing the dataset did not already hold


def _refuse_out(out: Path, src: str | Path, kind: str) -> dict[str, object] | None:
    """The earlier import's ledger when OUT holds one; refuse any other folder with files."""
    resolved = out.expanduser().resolve()
    for path in input_paths(src):
        if resolved == path or path in resolved.parents:
            raise UsageError(f"--out {out}: lies inside SRC {src}; an import never writes there")
    if not out.exists():
        return None
    if not out.is_dir():
        raise UsageError(f"--out {out}: is a file; give a folder for the dataset")
    ledger_path = out / LEDGER_FILE
    if ledger_path.is_file():
        earlier = json.loads(ledger_path.read_text(encoding="utf-8"))
        if earlier.get("kind") != kind:
            raise UsageError(
                f"--out {out}: holds a {earlier.get('kind')} import; a {kind} import goes to "
                "another folder"
            )
        return dict(earlier)
    if any(out.iterdir()):
        raise UsageError(
            f"--out {out}: is not empty and was not written by `lifecycle import`; give a new "
            "or empty folder, so no file of yours is written over"
        )
    return None


def _aligned(tables: list[ir.Table]) -> ir.Table:
    """One union of tables whose columns differ: missing columns are NULL text."""
    names: list[str] = []
    for table in tables:
        names.extend(name for name in table.columns if name not in names)
    shaped = [
        table.select(
            *[
                table[name] if name in table.columns else ibis.null().cast("string").name(name)
                for name in names
            ]
        )
        for table in tables
    ]
    united = shaped[0]
    for table in shaped[1:]:
        united = united.union(table)
    return united


def _beside(name: str, table: ir.Table, origin: str) -> ir.Table:
    """A canonical table given beside the export, every row imported as it is."""
    spec = table_spec(name)
    record = table[spec.key] if spec.key else table[ROW].cast("string")
    data = [column for column in table.columns if column not in (ROW, FILE_COLUMN)]
    return table.select(
        *[table[column] for column in data],
        **{
            FATE: ibis.literal(IMPORTED),
            REASON: ibis.null().cast("string"),
            RECORD: record.cast("string"),
            BAD_COLUMN: ibis.null().cast("string"),
            BAD_VALUE: ibis.null().cast("string"),
            SOURCE: ibis.literal(Path(origin).name),
        },
    )


def _checked(
    con: DuckDBBackend, name: str, rows: ir.Table, done: dict[str, ir.Table], beside: str | None
) -> ir.Table:
    """Rows with references to tables already done resolved, and duplicate keys ruled out."""
    spec = table_spec(name)
    fate, reason = rows[FATE], rows[REASON]
    bad_column, bad_value = rows[BAD_COLUMN], rows[BAD_VALUE]
    if beside is not None and spec.key:
        # the user's own table wins over the vendor's rows for the same record
        given = rows.filter(rows[SOURCE] == beside)[spec.key].name("_given")
        replaced = rows[spec.key].isin(given) & (rows[SOURCE] != beside) & (fate == IMPORTED)
        fate = ibis.ifelse(replaced, SKIPPED, fate)
        reason = ibis.ifelse(replaced, f"replaced by the row of {beside}", reason)
    rows = rows.mutate(**{FATE: fate, REASON: reason})
    for column in spec.columns:
        if column.references is None or column.name not in rows.columns:
            continue
        target_name, target_column = column.references.split(".")
        if target_name not in done:
            continue
        target = done[target_name]
        imported = target.filter(target[FATE] == IMPORTED)[target_column].name("_ok")
        skipped = target.filter(target[FATE] != IMPORTED)[target_column].name("_not")
        value = rows[column.name]
        given = value.notnull() & (rows[FATE] == IMPORTED)
        dropped = given & value.isin(skipped) & ~value.isin(imported)
        missing = given & ~value.isin(imported) & ~dropped
        noun = target_name.removesuffix("s")
        rows = rows.mutate(
            **{
                FATE: ibis.cases((dropped, SKIPPED), (missing, QUARANTINED), else_=rows[FATE]),
                REASON: ibis.cases(
                    (dropped, f"its {noun} is not imported (deleted, skipped or quarantined)"),
                    (missing, f"{column.name} names no {noun} of the source"),
                    else_=rows[REASON],
                ),
                BAD_COLUMN: ibis.ifelse(missing, column.name, rows[BAD_COLUMN]),
                BAD_VALUE: ibis.ifelse(missing, value, rows[BAD_VALUE]),
            }
        )
    if spec.key and spec.key in rows.columns:
        live = rows[FATE] == IMPORTED
        # every column in the order, so which of two same-id rows is kept never depends on
        # the engine's row order
        data = [rows[name] for name in rows.columns if name not in BOOKKEEPING]
        order = ibis.window(
            group_by=[rows[spec.key], live], order_by=[rows[SOURCE], rows[RECORD], *data]
        )
        repeat = live & (ibis.row_number().over(order) > 0)
        rows = rows.mutate(
            **{
                FATE: ibis.ifelse(repeat, QUARANTINED, rows[FATE]),
                REASON: ibis.ifelse(
                    repeat, f"{spec.key} is given by another record too", rows[REASON]
                ),
                BAD_COLUMN: ibis.ifelse(repeat, spec.key, rows[BAD_COLUMN]),
                BAD_VALUE: ibis.ifelse(repeat, rows[spec.key], rows[BAD_VALUE]),
            }
        )
    del bad_column, bad_value
    materialized = f"canon_{name}"
    con.create_table(materialized, rows, temp=True, overwrite=True)
    return con.table(materialized)


def _count(ledger: Ledger, rows: ir.Table, counted_sources: set[str]) -> None:
    counts = (
        rows.filter(rows[SOURCE].isin(sorted(counted_sources)))
        .group_by([SOURCE, FATE, REASON])
        .agg(n=ibis._.count())
        .execute()
    )
    for source, fate, reason, n in counts.itertuples(index=False):
        account = ledger.table(source)
        account.read += int(n)
        if fate == IMPORTED:
            account.imported += int(n)
        elif fate == QUARANTINED:
            account.quarantined[str(reason)] += int(n)
        else:
            account.skipped[str(reason)] += int(n)


def _write_parquet(con: DuckDBBackend, table: ir.Table, path: Path) -> None:
    """Rows sorted on every column, so the same rows always make the same bytes."""
    ordered = table.order_by([table[name] for name in table.columns])
    temporary = path.with_name(path.name + ".partial")
    ordered.to_parquet(temporary)
    temporary.replace(path)


def run_import(
    vendor: Vendor, src: str | Path, out: Path, progress: Progress | None = None
) -> ImportResult:
    """Import SRC into the dataset folder OUT (new, empty or an earlier import of this kind)."""
    say = progress or (lambda _message: None)
    earlier = _refuse_out(out, src, vendor.kind)
    con = ibis.duckdb.connect()
    say("reading the export")
    reader = getattr(vendor, "read", None)  # a kind may read SRC its own way (mapping: a YAML)
    export = vendor.prepare(reader(con, src) if reader is not None else read_export(con, src))
    usable_folder(out, "--out")
    state = out / STATE_FOLDER
    say("merging it with the earlier import" if earlier else "keeping a copy of the source")
    merged, changed = store.merge(con, state, export, vendor.keys)
    if earlier is not None and not changed and _same_beside(out, export):
        ledger = Ledger(vendor.kind)
        previous = earlier.get("tables")
        ledger.notes.append("no change: this export holds nothing the dataset does not hold")
        if isinstance(previous, dict):
            ledger.notes.append(f"{len(previous)} source tables as imported before")
        rows = {
            path.stem: int(con.read_parquet(path).count().execute())
            for path in sorted(out.glob("*.parquet"))
        }
        return ImportResult(out, ledger, rows, changed=False)
    ledger = Ledger(vendor.kind)
    say("translating into canonical tables")
    parts = vendor.translate(merged, ledger)
    done: dict[str, ir.Table] = {}
    names = [name for name in ORDER if name in parts or name in export.canonical]
    names += [name for name in TABLE_NAMES if name not in names]
    for name in names:
        given = parts.get(name, [])
        beside_table = export.canonical.get(name)
        tables = []
        for index, part in enumerate(given):
            computed = f"part_{name}_{index}"
            con.create_table(computed, part.rows, temp=True, overwrite=True)
            tables.append(part.fated(con.table(computed)))
        beside = None
        if beside_table is not None:
            beside = Path(export.canonical_origin[name]).name
            tables.append(_beside(name, beside_table, export.canonical_origin[name]))
        if not tables:
            continue
        say(f"checking {name}")
        done[name] = _checked(con, name, _aligned(tables), done, beside)
        counted = {part.source for part in given if part.counted}
        _count(ledger, done[name], counted | ({beside} if beside else set()))
    say("writing the dataset")
    rows = _write(con, out, done)
    ledger.unavailable = _unavailable(set(rows))
    _write_quarantine(con, out, done)
    (out / LEDGER_FILE).write_text(
        json.dumps(ledger.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    store.commit(con, state, merged)
    _remember_beside(out, export)
    return ImportResult(out, ledger, rows, changed=True)


def _write(con: DuckDBBackend, out: Path, done: dict[str, ir.Table]) -> dict[str, int]:
    rows: dict[str, int] = {}
    for name, table in done.items():
        kept = table.filter(table[FATE] == IMPORTED)
        kept = kept.select(*[column for column in kept.columns if column not in BOOKKEEPING])
        _write_parquet(con, kept, out / f"{name}.parquet")
        rows[name] = int(kept.count().execute())
    for stale in out.glob("*.parquet"):
        if stale.stem not in done:
            stale.unlink()
    return rows


def _write_quarantine(con: DuckDBBackend, out: Path, done: dict[str, ir.Table]) -> None:
    path = out / QUARANTINE_FILE
    parts = [
        table.filter(table[FATE] == QUARANTINED).select(
            source_table=table[SOURCE],
            record_id=table[RECORD],
            column=table[BAD_COLUMN],
            value=table[BAD_VALUE],
            reason=table[REASON],
        )
        for table in done.values()
    ]
    if not parts:
        path.unlink(missing_ok=True)
        return
    united = parts[0]
    for part in parts[1:]:
        united = united.union(part)
    if int(united.count().execute()) == 0:
        path.unlink(missing_ok=True)
        return
    from lifecycle_metrics.io.export import write_csv

    write_csv(united.order_by(["source_table", "record_id", "column", "reason"]), path)


def _unavailable(written: set[str]) -> list[str]:
    from lifecycle_metrics.metrics.catalog import CATALOG

    lines: list[str] = []
    for metric in CATALOG:
        missing = [table for table in metric.needs if table not in written]
        if missing:
            lines.append(f"{metric.id}: needs {', '.join(missing)}")
    return lines


def _beside_signature(export: RawExport) -> dict[str, str]:
    """A digest of each canonical file given beside the export (a changed costs.csv counts)."""
    signature: dict[str, str] = {}
    for name, origin in export.canonical_origin.items():
        path = Path(origin)
        if path.is_file():
            signature[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return signature


def _same_beside(out: Path, export: RawExport) -> bool:
    path = out / STATE_FOLDER / "beside.json"
    if not path.is_file():
        return not export.canonical
    return bool(json.loads(path.read_text(encoding="utf-8")) == _beside_signature(export))


def _remember_beside(out: Path, export: RawExport) -> None:
    path = out / STATE_FOLDER / "beside.json"
    path.write_text(json.dumps(_beside_signature(export), sort_keys=True), encoding="utf-8")
