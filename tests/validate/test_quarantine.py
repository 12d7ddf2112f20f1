"""Nothing is lost: rows read = rows used + rows quarantined, whatever the corruption."""

from __future__ import annotations

import csv
from pathlib import Path
from tempfile import TemporaryDirectory

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lifecycle_metrics.dataset import load
from lifecycle_metrics.errors import DataError

CONTACTS = [["contact_id", "created_at", "account_id", "is_internal"]] + [
    [f"c{i}", f"2024-01-{i + 1:02d}", "a1" if i % 2 else "", "no"] for i in range(8)
]
CHANGES = [["contact_id", "stage", "changed_at"]] + [
    [f"c{i}", "mql", f"2024-02-{i + 1:02d}"] for i in range(8)
]
ACCOUNTS = [["account_id", "segment"], ["a1", "SMB"], ["a2", "Enterprise"]]
# One corruption per rule: (table, column, bad value)
CORRUPTIONS = [
    ("contacts", "created_at", "yesterday"),  # bad timestamp
    ("contacts", "contact_id", ""),  # empty required value
    ("contacts", "contact_id", "c0"),  # duplicate id
    ("contacts", "is_internal", "perhaps"),  # bad boolean
    ("contacts", "account_id", "a9"),  # dangling reference
    ("stage_changes", "stage", "won"),  # bad enum
    ("stage_changes", "contact_id", "c99"),  # dangling reference
    ("stage_changes", "changed_at", ""),  # empty required value
]


def write(folder: Path, tables: dict[str, list[list[str]]]) -> None:
    for name, rows in tables.items():
        with (folder / f"{name}.csv").open("w", newline="") as handle:
            csv.writer(handle).writerows(rows)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(corruptions=[(("contacts", "contact_id", "c0"), 1)])  # the same value: no corruption
@example(  # c0 is blanked, then written back: nothing changed in the end
    corruptions=[(("contacts", "contact_id", ""), 1), (("contacts", "contact_id", "c0"), 1)]
)
@given(st.lists(st.tuples(st.sampled_from(CORRUPTIONS), st.integers(1, 8)), max_size=6))
def test_rows_read_equal_rows_used_plus_quarantined(corruptions) -> None:  # type: ignore[no-untyped-def]
    tables = {
        "contacts": [r[:] for r in CONTACTS],
        "stage_changes": [r[:] for r in CHANGES],
        "accounts": ACCOUNTS,
    }
    for (table, column, value), row in corruptions:
        rows = tables[table]
        rows[row][rows[0].index(column)] = value
    # Only what differs at the end is a corruption: `c0` into row 1 changes nothing, and a
    # later write can put back the value an earlier one replaced.
    changed = tables["contacts"] != CONTACTS or tables["stage_changes"] != CHANGES
    with TemporaryDirectory() as folder:
        write(Path(folder), tables)
        quarantine = Path(folder) / "bad"
        dataset = load(folder, quarantine=quarantine)
        for name, stats in dataset.report.tables.items():
            assert stats.rows_read == stats.rows_used + stats.rows_quarantined
            assert dataset.tables[name].count().execute() == stats.rows_used
            file = quarantine / f"{name}.csv"
            if stats.rows_quarantined:
                with file.open(newline="") as handle:
                    set_aside = list(csv.DictReader(handle))
                assert len(set_aside) == stats.rows_quarantined
                assert all(row["reason"] for row in set_aside)
            else:
                assert not file.exists()
        if changed:
            assert dataset.rows_quarantined >= 1


def test_one_bad_row_per_rule_is_set_aside_with_its_reason(tmp_path: Path) -> None:
    tables = {
        "contacts": [r[:] for r in CONTACTS],
        "stage_changes": [r[:] for r in CHANGES],
        "accounts": ACCOUNTS,
    }
    for index, (table, column, value) in enumerate(CORRUPTIONS[:5]):
        tables[table][index + 2][tables[table][0].index(column)] = value
    tables["stage_changes"][2][1] = "won"
    write(tmp_path, tables)
    with pytest.raises(DataError, match="invalid value"):
        load(tmp_path)
    dataset = load(tmp_path, quarantine=tmp_path / "bad")
    contacts = dataset.report.tables["contacts"]
    assert (contacts.rows_read, contacts.rows_used, contacts.rows_quarantined) == (8, 3, 5)
    with (tmp_path / "bad" / "contacts.csv").open(newline="") as handle:
        reasons = [(row["row"], row["reason"]) for row in csv.DictReader(handle)]
    assert reasons == [
        ("3", "invalid_value (created_at)"),
        ("4", "required_empty (contact_id)"),
        ("5", "duplicate_id (contact_id)"),
        ("6", "invalid_value (is_internal)"),
        ("7", "unknown_reference (account_id)"),
    ]
    changes = dataset.report.tables["stage_changes"]
    # c1 was quarantined (bad created_at) so its stage change goes too, with the bad enum row
    assert changes.rows_quarantined == 5
    assert changes.rows_read == changes.rows_used + changes.rows_quarantined


def test_quarantine_files_are_safe_to_open_in_a_spreadsheet(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "contacts": [
                ["contact_id", "created_at", "email"],
                ["c1", "nope", '=HYPERLINK("http://x")'],
                ["c2", "2024-01-01", "-5"],
            ]
        },
    )
    load(tmp_path, quarantine=tmp_path / "bad")
    text = (tmp_path / "bad" / "contacts.csv").read_text()
    assert "'=HYPERLINK" in text
