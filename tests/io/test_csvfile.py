"""Every file the csv module reads loads with the same rows; every bad record is named.

The corpus is generated: random quoting, embedded newlines, BOM, CR/LF/CRLF mixes, blank
lines, trailing blank lines, no final newline, long fields, non-UTF-8 bytes. Valid files are
checked against the records the generator meant to write (an independent count); broken ones
against Python's csv module read directly.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

import ibis
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lifecycle_metrics.dataset import load
from lifecycle_metrics.errors import DataError
from lifecycle_metrics.io.csvfile import CsvDialect, is_plain
from lifecycle_metrics.io.readers import read_raw_tables

HEADER = ["contact_id", "created_at", "note"]
ENDINGS = ["\n", "\r\n", "\r"]
# Text a field may hold: the characters that make CSV hard, some letters, some non-ASCII.
FIELD = st.text(alphabet=st.sampled_from(list('ab ,"\r\n\té€日')), max_size=12)


@dataclass
class Written:
    """A generated file and what it holds."""

    data: bytes
    records: list[list[str]]  # the records meant, in order
    rows: list[int]  # the spreadsheet row of each record (the header is row 1)


def _field(text: str, quote_all: bool, bare: bool) -> str:
    """`text` as a CSV field; `bare` leaves quotes and spaces inside unquoted fields as they are
    (the csv module reads `x"y` and ` y` literally), quoting only what must be quoted."""
    must = any(c in text for c in ",\r\n") or text[:1] == '"'
    if bare and not quote_all and not must:
        return text
    if quote_all or must or '"' in text or text[:1] == " " or text[-1:] == " ":
        return '"' + text.replace('"', '""') + '"'
    return text


@st.composite
def csv_files(draw: st.DrawFn) -> Written:
    """A valid CSV file under our dialect, with every oddity a real export has."""
    count = draw(st.integers(0, 8))
    records = [
        [f"c{i}", draw(st.sampled_from(["2024-01-02", "2024-03-04T05:06:07Z"])), draw(FIELD)]
        for i in range(count)
    ]
    if count and draw(st.booleans()):
        records[0][2] = draw(st.sampled_from(["x" * 70_000, "é" * 3_000_000]))  # long fields
    quote_all = draw(st.booleans())
    bare = draw(st.booleans())
    padding = "," * draw(st.sampled_from([0, 0, 1, 2]))  # spreadsheets pad rows with empties
    bom = draw(st.booleans())

    def ending() -> str:
        # after a lone CR, a line starting with LF would merge with it into one CRLF
        choices = ["\r"] if text.endswith("\r") else ENDINGS
        return draw(st.sampled_from(choices))

    text = ("\ufeff" if bom else "") + ",".join(HEADER)
    text += ending()
    rows: list[int] = []
    row = 1
    for index, record in enumerate(records):
        while draw(st.integers(0, 9)) == 0:  # now and then a blank line: a row, not a record
            text += ending()
            row += 1
        row += 1
        rows.append(row)
        text += ",".join(_field(v, quote_all, bare) for v in record) + padding
        if index < len(records) - 1 or draw(st.booleans()):
            text += ending()
    if draw(st.booleans()):
        for _ in range(draw(st.integers(1, 3))):  # trailing blank lines
            text += ending()
    return Written(data=text.encode("utf-8"), records=records, rows=rows)


def _read(folder: Path, data: bytes) -> tuple[list[dict[str, object]], list[object]]:
    (folder / "contacts.csv").write_bytes(data)
    con = ibis.duckdb.connect()
    raw = read_raw_tables(con, folder).tables["contacts"]
    got = raw.table.order_by("_row").to_pyarrow().to_pylist()
    return got, list(raw.unreadable)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(csv_files())
@example(
    Written(
        data=b"contact_id,created_at,note\r\nc0,2024-01-02,a\nc1,2024-01-02,b\n",
        records=[["c0", "2024-01-02", "a"], ["c1", "2024-01-02", "b"]],
        rows=[2, 3],
    )
)
@example(
    Written(
        data=b'contact_id,created_at,note\nc0,2024-01-02," a"\r\n\r\nc1,2024-01-02,b',
        records=[["c0", "2024-01-02", " a"], ["c1", "2024-01-02", "b"]],
        rows=[2, 4],
    )
)
@example(  # DuckDB's over-long-line error cut a character in two (UnicodeDecodeError)
    Written(
        data=('contact_id,created_at,note\n"c0","2024-01-02","' + "é" * 3_000_000 + '"').encode(),
        records=[["c0", "2024-01-02", "é" * 3_000_000]],
        rows=[2],
    )
)
def test_every_valid_file_loads_with_the_records_and_rows_it_holds(written: Written) -> None:
    with TemporaryDirectory() as folder:
        got, unreadable = _read(Path(folder), written.data)
    assert unreadable == []
    assert [[r[c] or "" for c in HEADER] for r in got] == written.records
    assert [r["_row"] for r in got] == written.rows


BREAKS = [
    ("unclosed", lambda r: [*r[:-1], r[-1] + ',"open']),  # a quote never closed
    ("after_quote", lambda r: [*r[:-1], '"closed"late']),  # text after the closing quote
    ("extra_field", lambda r: [*r, "extra"]),
    ("latin1", lambda r: [*r[:-1], "caf\udce9"]),  # the byte 0xE9 alone: not UTF-8
]


@st.composite
def broken_files(draw: st.DrawFn) -> tuple[bytes, str, int, int]:
    """A file with one broken record among good ones: the break, its index, how many records."""
    good = draw(st.integers(1, 6))
    broken_at = draw(st.integers(0, good))
    name, breaks = draw(st.sampled_from(BREAKS))
    ending = draw(st.sampled_from(ENDINGS))
    lines = [",".join(HEADER)]
    for index in range(good + 1):
        record = [f"c{index}", "2024-01-02", f"n{index}"]
        if index == broken_at:
            lines.append(",".join(breaks(record)))
        else:
            lines.append(",".join(record))
    text = ending.join(lines) + ending
    return text.encode("utf-8", "surrogateescape"), name, broken_at, good + 1


def _csv_module(data: bytes) -> tuple[list[list[str]], int]:
    """Records of the right width and the count of those it cannot read, by the csv module."""
    reader = csv.reader(
        io.StringIO(data.decode("utf-8", "surrogateescape"), newline=""), dialect=CsvDialect
    )
    next(reader)
    good: list[list[str]] = []
    bad = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return good, bad
        except csv.Error:
            bad += 1
            continue
        if not record:
            continue
        if len(record) > len(HEADER) and not any(record[len(HEADER) :]):
            record = record[: len(HEADER)]  # empty padding fields are dropped
        if len(record) != len(HEADER) or any(
            "\udc80" <= ch <= "\udcff" for f in record for ch in f
        ):
            bad += 1
        else:
            good.append(record)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(broken_files())
def test_a_broken_record_is_named_by_its_line_and_the_next_one_is_kept(
    case: tuple[bytes, str, int, int],
) -> None:
    data, name, broken_at, total = case
    expected_good, expected_bad = _csv_module(data)
    with TemporaryDirectory() as folder:
        got, unreadable = _read(Path(folder), data)
    assert [[r[c] or "" for c in HEADER] for r in got] == expected_good
    assert len(unreadable) == expected_bad == 1
    problem = unreadable[0]
    assert problem.line == problem.row == broken_at + 2  # no embedded newline before it
    # an unclosed quote runs to the end of the file (as in the csv module); any other break
    # costs its own record only
    after = [] if name == "unclosed" else [f"c{i}" for i in range(broken_at + 1, total)]
    assert [r["contact_id"] for r in got] == [f"c{i}" for i in range(broken_at)] + after
    assert [r["_row"] for r in got] == [i + 2 for i in range(broken_at)] + [
        int(c[1:]) + 2 for c in after
    ]


def test_mixed_line_endings_and_an_lf_header_over_a_crlf_body_read_as_python_does(
    tmp_path: Path,
) -> None:
    mixed = b"contact_id,created_at\r\nc1,2024-01-01\r\nc2,2024-01-02\n"  # a row appended by a tool
    lf_header = b"contact_id,created_at\nc1,2024-01-01\r\nc2,2024-01-02\r\n"
    for data in (mixed, lf_header):
        got, unreadable = _read(tmp_path, data)
        assert [(r["contact_id"], r["created_at"], r["_row"]) for r in got] == [
            ("c1", "2024-01-01", 2),
            ("c2", "2024-01-02", 3),
        ]
        assert unreadable == []


def test_problems_say_what_is_wrong_at_which_line(tmp_path: Path) -> None:
    (tmp_path / "contacts.csv").write_bytes(
        b"contact_id,created_at\n"
        b'c1,"2024-01-01"x\n'  # line 2: text after a closing quote
        b"c2,caf\xe9\n"  # line 3: a Latin-1 byte
        b"c3,2024-01-03,extra\n"  # line 4: three fields
        b'c4,"2024-01-04\n'  # line 5: a quote left open (the last, truncated row)
    )
    with pytest.raises(DataError) as raised:
        load(tmp_path)
    described = [issue.describe() for issue in raised.value.issues]
    assert len(described) == 4
    assert "row 2" in described[0] and "line 2: text follows a closing quote" in described[0]
    assert "line 3: byte 0xE9 is not UTF-8" in described[1]
    assert "line 4: 3 field(s) where the header has 2" in described[2]
    assert "line 5: a quote opened on line 5 is never closed" in described[3]
    assert "contacts.csv" in str(raised.value)


def test_a_blank_line_does_not_shift_the_rows_named_after_it(tmp_path: Path) -> None:
    (tmp_path / "contacts.csv").write_text("contact_id,created_at\nc1,2024-01-01\n\nc2,yesterday\n")
    with pytest.raises(DataError) as raised:
        load(tmp_path)
    assert [issue.row for issue in raised.value.issues] == [4]  # the 4th line, as an editor shows


def test_under_quarantine_the_bad_record_goes_aside_and_the_next_stays_intact(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "contacts.csv").write_bytes(
        b'contact_id,created_at\nc1,"2024-01-01"x\nc2,2024-01-02\nc3,\xe9\nc4,2024-01-04\n'
    )
    dataset = load(data, quarantine=tmp_path / "bad")
    kept = dataset.tables["contacts"].order_by("_row").to_pyarrow().to_pylist()
    assert [(r["contact_id"], r["_row"]) for r in kept] == [("c2", 3), ("c4", 5)]
    stats = dataset.report.tables["contacts"]
    assert (stats.rows_read, stats.rows_used, stats.rows_quarantined) == (4, 2, 2)
    with (tmp_path / "bad" / "contacts.unreadable.csv").open(
        newline="", encoding="utf-8", errors="surrogateescape"
    ) as handle:
        aside = list(csv.DictReader(handle))
    assert [(r["line"], r["record"]) for r in aside] == [
        ("2", 'c1,"2024-01-01"x'),
        ("4", "c3,\udce9"),  # the byte itself is kept
    ]


def test_the_fast_path_is_only_taken_for_files_it_reads_as_python_does(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    for data, plain in [
        (b"a,b\n1,2\n3,4\n\n\n", True),  # trailing blank lines are harmless
        (b"a,b\r\n1,2\r\n", True),
        (b"a,b\n1,2\n\n3,4\n", False),  # a blank line in the middle is a row DuckDB skips
        (b'a,b\n1, "x"\n', False),  # DuckDB would trim the space and unquote
        (b'a,b\n1,"x" \n', False),
    ]:
        path.write_bytes(data)
        assert is_plain(path, 2) is plain, data
    path.write_bytes(b"a\n1\n2\n\n")  # one column: DuckDB reads a blank line as a record
    assert is_plain(path, 1) is False


def test_empty_fields_padding_a_row_are_dropped_and_filled_ones_are_not(tmp_path: Path) -> None:
    for blank in (b"", b"\n"):  # the fast path, and the csv module's (a blank line inside)
        got, unreadable = _read(
            tmp_path,
            b"contact_id,created_at,note\nc1,2024-01-01,a,,\n" + blank + b"c2,2024-01-02,b,x\n",
        )
        assert [(r["contact_id"], r["note"]) for r in got] == [("c1", "a")]
        assert [(p.row, p.reason[:30]) for p in unreadable] == [
            (3 + len(blank), "4 field(s) where the header ha")
        ]
