"""CSV files as Python's `csv` module reads them under our dialect, fast when the file is plain.

The contract (docs/rules.md, "Reading CSV"): a file is read exactly as `csv.reader` reads it
with `CsvDialect` (comma, double quote, quotes doubled inside quoted fields, strict quoting),
with line endings LF, CRLF or CR in any mix. Blank lines are not records but still count as
rows, as a spreadsheet shows them. A record that cannot be read (a quote opened and never
closed, text after a closing quote, a byte that is not UTF-8, more or fewer fields than the
header) is a problem named by its line; it never shifts or swallows the records after it
unless the csv module itself would (an unclosed quote runs to the end of the file).

Most files are plain, and DuckDB's CSV reader gives the same records many times faster; a quick
scan of the bytes (memchr-speed `find`, no regular expression) decides whether a file may take
that path. Anything DuckDB cannot read, or that the scan cannot vouch for, is read by the csv
module itself, which is the reference.
"""

from __future__ import annotations

import codecs
import csv
import mmap
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from lifecycle_metrics.errors import DataError

csv.field_size_limit(2**31 - 1)  # a long free-text field is data, not an error

BATCH_RECORDS = 100_000
SHOWN_CHARACTERS = 120
UNDECODABLE = re.compile("[\udc80-\udcff]")
# Byte pairs the fast path cannot vouch for: a blank line (which DuckDB skips without counting
# it as a row) and spaces or tabs beside a quote (DuckDB trims them; the csv module keeps
# ` "x"` as text and refuses `"x" ,`).
NOT_PLAIN = (b"\n\n", b"\n\r", b"\r\r", b' "', b'" ', b'\t"', b'"\t')


class CsvDialect(csv.Dialect):
    """The one dialect we read: RFC 4180 with any line ending, strict about quotes."""

    delimiter = ","
    quotechar = '"'
    doublequote = True
    skipinitialspace = False
    lineterminator = "\n"
    quoting = csv.QUOTE_MINIMAL
    strict = True


@dataclass(frozen=True)
class CsvProblem:
    """A record that cannot be read: where it is, its text, and what is wrong there."""

    line: int  # first line of the record in the file (the header is line 1)
    row: int  # the row a spreadsheet shows it on (the header is row 1)
    text: str  # the record's lines as in the file, less its final line break (bad bytes kept)
    reason: str

    def shown(self) -> str:
        """The record's text cut to a readable length, bad bytes shown as �."""
        text = self.text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        if len(text) > SHOWN_CHARACTERS:
            return text[:SHOWN_CHARACTERS] + "…"
        return text


Emit = Callable[[pa.RecordBatch], None]


def read_header(path: Path) -> list[str]:
    """The header record of a CSV file (BOM dropped), read without reading the rest."""
    with path.open(newline="", encoding="utf-8-sig", errors="surrogateescape") as handle:
        try:
            header = next(csv.reader(handle, dialect=CsvDialect), None)
        except csv.Error as error:
            raise DataError(f"{path}: line 1 (the header) cannot be read: {error}") from None
    byte = _bad_byte("".join(header or []))
    if byte is not None:
        raise DataError(
            f"{path}: line 1 (the header): byte {byte} is not UTF-8 — save the file as UTF-8 CSV"
        )
    if not header or all(not name.strip() for name in header):
        raise DataError(f"{path}: has no header row; the first line must name the columns")
    return header


def is_plain(path: Path, columns: int) -> bool:
    """True when DuckDB's strict reader is known to read `path` as the csv module does.

    Mixed line endings and bad bytes need no scan: DuckDB refuses those files, and they are
    then read by the csv module. In a one-column file DuckDB reads a blank line as an empty
    record, so there even trailing blank lines send the file to the csv module.
    """
    with path.open("rb") as handle:
        if handle.seek(0, 2) == 0:
            return True
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            end = len(data)
            if columns > 1:
                while end > 0 and data[end - 1] in b"\r\n":  # trailing blank lines are harmless
                    end -= 1
            return all(data.find(pair, 0, end) == -1 for pair in NOT_PLAIN)


def _is_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    with path.open("rb") as handle:
        try:
            while chunk := handle.read(1 << 22):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _bad_byte(text: str) -> str | None:
    found = UNDECODABLE.search(text)
    if found is None:
        return None
    return f"0x{ord(found.group()) - 0xDC00:02X}"


def _quote_reason(message: str, first: int, last: int) -> str:
    if "unexpected end of data" in message:
        runs = "" if first == last else f", so the record runs to the end of the file (line {last})"
        return f"a quote opened on line {first} is never closed{runs}; close it or remove it"
    if "expected after" in message:
        return (
            f"text follows a closing quote on line {last}; a quoted field must end at its quote "
            '(write a quote inside a quoted field as "")'
        )
    return f"cannot be read as CSV: {message}"


def _record_text(lines: list[str]) -> str:
    text = "".join(lines)
    if text.endswith("\r\n"):
        return text[:-2]
    return text[:-1] if text.endswith(("\n", "\r")) else text


def read_records(path: Path, header: list[str], emit: Emit, row_column: str) -> list[CsvProblem]:
    """Read `path` through the csv module: records go to `emit`, unreadable ones come back.

    Readable records are handed on in batches of text columns (plus `row_column`, the
    spreadsheet row); the others come back as problems.

    Batches are handed on as they fill, so a large file never sits whole in Python's memory.
    Extra fields that are empty (`a,b,,` under a two-column header, as spreadsheets pad rows)
    are dropped, as DuckDB does; extra fields holding anything are a problem.
    """
    columns = len(header)
    check_bytes = not _is_utf8(path)
    problems: list[CsvProblem] = []
    pending: list[list[str]] = []
    rows: list[int] = []
    lines: list[str] = []
    names = [*header, row_column]
    emitted = False

    def feed(handle: Iterator[str]) -> Iterator[str]:
        for line in handle:
            lines.append(line)
            yield line

    def flush() -> None:
        nonlocal emitted
        if not pending and emitted:
            return
        values = list(zip(*pending, strict=True)) if pending else [()] * columns
        # empty fields are NULL, as DuckDB's reader gives them
        arrays = [
            pc.if_else(pc.equal(column, ""), None, column)
            for column in (pa.array(list(v), pa.string()) for v in values)
        ]
        arrays.append(pa.array(rows, pa.int64()))
        emit(pa.RecordBatch.from_arrays(arrays, names=names))
        emitted = True
        pending.clear()
        rows.clear()

    with path.open(newline="", encoding="utf-8-sig", errors="surrogateescape") as handle:
        reader = csv.reader(feed(handle), dialect=CsvDialect)
        next(reader)  # the header, read by `read_header`
        lines.clear()
        row = 1
        while True:
            first = reader.line_num + 1
            try:
                record = next(reader)
            except StopIteration:
                break
            except csv.Error as error:
                row += 1
                text = _record_text(lines)
                reason = _quote_reason(str(error), first, reader.line_num)
                problems.append(CsvProblem(line=first, row=row, text=text, reason=reason))
                lines.clear()
                continue
            row += 1
            text = _record_text(lines)
            lines.clear()
            if not record:
                continue  # a blank line: a row in a spreadsheet, not a record
            if len(record) > columns and not any(record[columns:]):
                record = record[:columns]
            byte = _bad_byte(text) if check_bytes else None
            if byte is not None:
                reason = f"byte {byte} is not UTF-8 — save the file as UTF-8 CSV"
                problems.append(CsvProblem(line=first, row=row, text=text, reason=reason))
            elif len(record) != columns:
                reason = (
                    f"{len(record)} field(s) where the header has {columns} "
                    "(quote fields that hold commas)"
                )
                problems.append(CsvProblem(line=first, row=row, text=text, reason=reason))
            else:
                pending.append(record)
                rows.append(row)
                if len(pending) >= BATCH_RECORDS:
                    flush()
    flush()
    return problems
