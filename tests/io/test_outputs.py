"""Commands never write over their input, and output folders hold this run's files only."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import ibis
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from lifecycle_metrics.cli import app
from lifecycle_metrics.io.cells import safe_cell
from lifecycle_metrics.io.export import write_csv

CONTACTS = "contact_id,created_at\nc1,2024-01-01\nc2,yesterday\nc3,2024-01-03\n"


def quarantined(runner: CliRunner, data: Path, folder: Path) -> tuple[int, str]:
    """`lifecycle validate DATA --quarantine FOLDER`: exit code and output."""
    result = runner.invoke(app, ["validate", str(data), "--quarantine", str(folder), "-q"])
    return result.exit_code, result.output


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "contacts.csv").write_text(CONTACTS)
    return folder


def test_quarantine_into_the_dataset_folder_is_refused_and_the_data_untouched(
    runner: CliRunner, dataset: Path
) -> None:
    result = runner.invoke(app, ["metrics", str(dataset), "--quarantine", str(dataset), "-q"])
    assert result.exit_code == 2
    assert "that is the input itself" in result.output
    assert (dataset / "contacts.csv").read_text() == CONTACTS  # 4 lines, not 1 bad row


def test_a_reused_quarantine_folder_holds_this_runs_files_only(
    runner: CliRunner, dataset: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "notes.txt").write_text("mine")  # not ours: kept
    assert quarantined(runner, dataset, bad)[0] == 0
    assert (bad / "contacts.csv").exists()
    (dataset / "contacts.csv").write_text(CONTACTS.replace("yesterday", "2024-01-02"))
    assert quarantined(runner, dataset, bad)[0] == 0
    assert not (bad / "contacts.csv").exists()  # the fixed row is no longer set aside
    assert sorted(p.name for p in bad.iterdir()) == [".lifecycle-quarantine.json", "notes.txt"]


def test_a_quarantine_file_edited_by_the_user_is_never_deleted(
    runner: CliRunner, dataset: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad"
    assert quarantined(runner, dataset, bad)[0] == 0
    with (bad / "contacts.csv").open("a") as handle:
        handle.write("my fix in progress\n")
    edited = (bad / "contacts.csv").read_text()
    code, output = quarantined(runner, dataset, bad)
    assert code == 2
    assert "contacts.csv was changed after the last run wrote it" in output
    assert (bad / "contacts.csv").read_text() == edited


@pytest.mark.parametrize(
    ("used_before", "says"),
    [
        (False, "looks like a dataset"),  # a folder holding a table: a dataset, not ours
        (True, "deals.csv, which the last run did not write"),  # dropped into our folder
    ],
)
def test_a_table_file_this_product_did_not_write_is_never_overwritten(
    runner: CliRunner, dataset: Path, tmp_path: Path, used_before: bool, says: str
) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    if used_before:
        assert quarantined(runner, dataset, bad)[0] == 0
    (bad / "deals.csv").write_text("deal_id\nd1\n")
    code, output = quarantined(runner, dataset, bad)
    assert code == 2
    assert says in output
    assert (bad / "deals.csv").read_text() == "deal_id\nd1\n"


def test_files_a_stopped_run_planned_are_still_removed(
    runner: CliRunner, dataset: Path, tmp_path: Path
) -> None:
    from lifecycle_metrics.io.outputs import plan_quarantine_file, prepare_quarantine

    bad = prepare_quarantine(tmp_path / "bad", dataset)
    plan_quarantine_file(bad, "stage_changes.csv")  # the run stopped while writing it
    (bad / "stage_changes.csv").write_text("row,contact_id\n2,c")
    code, output = quarantined(runner, dataset, bad)
    assert code == 0, output
    assert not (bad / "stage_changes.csv").exists()
    assert (bad / "contacts.csv").exists()


@pytest.mark.parametrize("where", ["file", "under_file"])
def test_a_quarantine_path_that_cannot_be_a_folder_is_a_usage_error(
    runner: CliRunner, dataset: Path, tmp_path: Path, where: str
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    target = blocker if where == "file" else blocker / "bad"
    result = runner.invoke(app, ["metrics", str(dataset), "--quarantine", str(target), "-q"])
    assert result.exit_code == 2
    assert result.output.startswith("Error: --quarantine")
    assert "Traceback" not in result.output


def test_the_report_is_never_written_over_an_input_file(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "contacts.csv").write_text(CONTACTS.replace("yesterday", "2024-01-02"))
    database = tmp_path / "data.duckdb"
    con = ibis.duckdb.connect(database)
    con.raw_sql("CREATE TABLE contacts AS SELECT 'c1' AS contact_id, '2024-01-01' AS created_at")
    con.disconnect()
    before = database.read_bytes()
    for data, out in [(folder, folder / "contacts.csv"), (database, database)]:
        result = runner.invoke(app, ["report", str(data), "--out", str(out), "-q"])
        assert result.exit_code == 2, result.output  # a report is .html, .json or .md only
    assert (folder / "contacts.csv").read_text().startswith("contact_id,created_at\nc1,")
    assert database.read_bytes() == before


def test_demo_refuses_a_folder_holding_a_dataset_unless_told_to_replace(
    runner: CliRunner, dataset: Path
) -> None:
    result = runner.invoke(app, ["demo", str(dataset), "--contacts", "50", "--no-report", "-q"])
    assert result.exit_code == 2
    assert "already holds a dataset (contacts.csv)" in result.output
    assert (dataset / "contacts.csv").read_text() == CONTACTS
    replaced = runner.invoke(
        app,
        [
            "demo",
            str(dataset),
            "--contacts",
            "50",
            "--no-report",
            "--replace",
            "--file-format",
            "parquet",
            "-q",
        ],
    )
    assert replaced.exit_code == 0, replaced.output
    assert not (dataset / "contacts.csv").exists()  # not left to clash with contacts.parquet
    assert (dataset / "contacts.parquet").exists()


NUMBERS_OUR_WRITERS_PRINT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers().map(str),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
)


@given(NUMBERS_OUR_WRITERS_PRINT)
def test_every_number_our_writers_print_is_left_a_number(text: str) -> None:
    assert safe_cell(text) == text
    assert float(text) == float(text) or text.lower().endswith("nan")


@pytest.mark.parametrize(
    "risky", ["=1+2", "-1+cmd", "+A1", "@SUM(A1)", "-e5", "\t=x", "-1e5x", "-1\n", "-inf\n=1"]
)
def test_formulas_are_neutralised(risky: str) -> None:
    assert safe_cell(risky) == "'" + risky


def test_the_ibis_export_keeps_small_negative_numbers_as_numbers(tmp_path: Path) -> None:
    table = ibis.memtable({"value": ["-1e-05", "-2.5E+10", "-0.001", "=cmd|' /C calc'!A0", "-inf"]})
    path = tmp_path / "out.csv"
    write_csv(table, path)
    values = [row["value"] for row in csv.DictReader(io.StringIO(path.read_text()))]
    assert values == ["-1e-05", "-2.5E+10", "-0.001", "'=cmd|' /C calc'!A0", "-inf"]
