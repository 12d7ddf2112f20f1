"""Reading datasets: CSV quirks, Parquet in place, mixed folders, DuckDB files."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lifecycle_metrics.dataset import load
from lifecycle_metrics.errors import ConnectionFailed, DataError, UsageError


def rows(dataset, table: str) -> list[dict]:  # type: ignore[no-untyped-def]
    return dataset.tables[table].order_by("_row").to_pyarrow().to_pylist()


def test_bom_crlf_and_quoted_fields_with_commas_and_newlines(tmp_path: Path) -> None:
    text = (
        "\ufeffcampaign_id,name,channel,audience,automated\r\n"
        'k1,"Spring, ""big"" launch",email,prospect,TRUE\r\n'
        'k2,"two\r\nlines",paid,customer,no\r\n'
    )
    (tmp_path / "campaigns.csv").write_bytes(text.encode("utf-8"))
    dataset = load(tmp_path)
    got = rows(dataset, "campaigns")
    assert [r["campaign_id"] for r in got] == ["k1", "k2"]  # the BOM is not in the header
    assert got[0]["name"] == 'Spring, "big" launch'
    assert got[1]["name"] == "two\r\nlines"
    assert [r["automated"] for r in got] == [True, False]
    assert [r["_row"] for r in got] == [2, 3]  # records, as a spreadsheet counts them


def test_headers_are_read_in_lower_case_and_extra_columns_kept(tmp_path: Path) -> None:
    (tmp_path / "contacts.csv").write_text(
        "Contact_ID, Created_At ,Favourite_Colour\nc1,2024-01-01,blue\n"
    )
    dataset = load(tmp_path)
    assert rows(dataset, "contacts")[0]["favourite_colour"] == "blue"
    assert rows(dataset, "contacts")[0]["contact_id"] == "c1"


def test_timestamps_offsets_zones_and_bare_dates(tmp_path: Path) -> None:
    (tmp_path / "contacts.csv").write_text(
        "contact_id,created_at\n"
        "c1,2024-01-31T23:30:00-02:00\n"  # offset: converted, lands in February UTC
        "c2,2024-01-31 23:30\n"  # no offset: read in the report zone
        "c3,2024-02-01\n"  # bare date: midnight in the report zone
        "c4,2024-02-01T10:00:00Z\n"
        "c5,2024-02-01T10:00:00.123456+0530\n"
    )
    paris = load(tmp_path, tz="Europe/Paris")
    got = {r["contact_id"]: r["created_at"] for r in rows(paris, "contacts")}
    assert got["c1"] == datetime(2024, 2, 1, 1, 30)
    assert got["c2"] == datetime(2024, 1, 31, 22, 30)
    assert got["c3"] == datetime(2024, 1, 31, 23, 0)
    assert got["c4"] == datetime(2024, 2, 1, 10, 0)
    assert got["c5"] == datetime(2024, 2, 1, 4, 30, 0, 123456)


@pytest.mark.parametrize(
    "word,value",
    [
        ("TRUE", True),
        ("yes", True),
        ("1", True),
        ("False", False),
        ("NO", False),
        ("0", False),
        ("", False),
    ],
)
def test_booleans_in_any_case(tmp_path: Path, word: str, value: bool) -> None:
    (tmp_path / "contacts.csv").write_text(
        f"contact_id,created_at,is_internal\nc1,2024-01-01,{word}\n"
    )
    assert rows(load(tmp_path), "contacts")[0]["is_internal"] is value


def test_mixed_csv_and_parquet_and_typed_parquet_columns(tmp_path: Path) -> None:
    pq.write_table(
        pa.table(
            {
                "contact_id": ["c1", "c2"],
                "created_at": pa.array(
                    [datetime(2024, 1, 1, 12), datetime(2024, 1, 2)], pa.timestamp("us", tz="UTC")
                ),
                "is_internal": [False, True],
            }
        ),
        tmp_path / "contacts.parquet",
    )
    (tmp_path / "stage_changes.csv").write_text("contact_id,stage,changed_at\nc1,mql,2024-01-03\n")
    dataset = load(tmp_path, tz="America/New_York")
    got = rows(dataset, "contacts")
    # a UTC-aware Parquet timestamp is an instant: the report zone does not move it
    assert got[0]["created_at"] == datetime(2024, 1, 1, 12)
    assert [r["_row"] for r in got] == [1, 2]
    assert rows(dataset, "stage_changes")[0]["changed_at"] == datetime(2024, 1, 3, 5)


def test_duckdb_database_file(tmp_path: Path) -> None:
    path = tmp_path / "crm.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE contacts (contact_id VARCHAR, created_at TIMESTAMP)")
        con.execute("INSERT INTO contacts VALUES ('c1', '2024-01-05 10:00:00')")
        con.execute("CREATE TABLE notes (x INTEGER)")
    dataset = load(path)
    assert rows(dataset, "contacts")[0]["created_at"] == datetime(2024, 1, 5, 10)
    assert dataset.report.ignored == ["notes"]
    assert load(f"duckdb://{path}").tables["contacts"].count().execute() == 1


def test_a_folder_without_canonical_tables_is_invalid(tmp_path: Path) -> None:
    (tmp_path / "leads.csv").write_text("id\n1\n")
    with pytest.raises(DataError, match=r"no canonical table found.*leads\.csv"):
        load(tmp_path)


def test_missing_data_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        load(tmp_path / "nowhere")


def test_a_ragged_csv_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "contacts.csv").write_text("contact_id,created_at\nc1,2024-01-01,extra,more\n")
    with pytest.raises(DataError, match=r"contacts\.csv"):
        load(tmp_path)


def test_two_files_for_one_table_are_refused(tmp_path: Path) -> None:
    (tmp_path / "contacts.csv").write_text("contact_id,created_at\nc1,2024-01-01\n")
    pq.write_table(pa.table({"contact_id": ["c2"]}), tmp_path / "contacts.parquet")
    with pytest.raises(DataError, match="given twice"):
        load(tmp_path)


def test_any_ibis_connection_url(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "crm.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE Contacts (contact_id TEXT, created_at TEXT, is_internal TEXT)")
        db.execute("INSERT INTO Contacts VALUES ('c1', '2024-01-05T10:00:00+01:00', 'no')")
        db.execute("CREATE TABLE other (x INTEGER)")
    dataset = load(f"sqlite://{path}")
    assert rows(dataset, "contacts")[0]["created_at"] == datetime(2024, 1, 5, 9, 0)
    assert dataset.report.ignored == ["other"]


def test_an_unreachable_url_is_reported_without_credentials() -> None:
    with pytest.raises(ConnectionFailed) as caught:
        load("postgres://alice:secret@127.0.0.1:1/crm")
    assert str(caught.value) == (
        "postgres://***@127.0.0.1:1/crm: cannot connect (connection failed: connection to server "
        'at "127.0.0.1", port 1 failed: Connection refused); check the host, port, database and '
        "credentials — no data was read"
    )
    assert caught.value.exit_code == 2  # nothing was read, so nothing is called invalid data


def test_loading_can_be_limited_to_some_tables(tmp_path: Path) -> None:
    (tmp_path / "contacts.csv").write_text("contact_id,created_at\nc1,2024-01-01\n")
    (tmp_path / "product_usage.csv").write_text("account_id,feature,used_at\na1,x,never\n")
    dataset = load(tmp_path, tables=frozenset({"contacts"}))
    assert set(dataset.tables) == {"contacts"}
    assert not dataset.report.errors  # the broken table was not read


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_path_with_glob_characters_reads_that_file_only(tmp_path: Path, suffix: str) -> None:
    ours, sibling = tmp_path / "export [2024-06] v?", tmp_path / "export [2024-06] v1"
    for folder, contact in ((ours, "c-ours"), (sibling, "c-other")):
        folder.mkdir()
        table = pa.table({"contact_id": [contact], "created_at": ["2024-01-01"]})
        if suffix == ".csv":
            (folder / "contacts.csv").write_text(f"contact_id,created_at\n{contact},2024-01-01\n")
        else:
            pq.write_table(table, folder / "contacts.parquet")
    dataset = load(ours)
    assert [r["contact_id"] for r in rows(dataset, "contacts")] == ["c-ours"]
