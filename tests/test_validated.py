"""A validated dataset is not checked again, and a changed byte always is."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lifecycle_metrics.dataset import load
from lifecycle_metrics.errors import DataError
from lifecycle_metrics.metrics.engine import compute_result

CONTACTS = "contact_id,created_at,channel\nc1,2024-01-05,email\nc2,2024-02-07,paid\n"
CHANGES = "contact_id,stage,changed_at\nc1,mql,2024-01-09\nc2,mql,2024-02-08\n"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("LIFECYCLE_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "contacts.csv").write_text(CONTACTS)
    (folder / "stage_changes.csv").write_text(CHANGES)
    return folder


def _steps(data: Path, **options: object) -> tuple[list[str], object]:
    said: list[str] = []
    dataset = load(data, cache=True, progress=said.append, **options)  # type: ignore[arg-type]
    return said, dataset


def _rows(dataset: object) -> list[dict[str, object]]:
    return compute_result(dataset, by=["channel"]).rows  # type: ignore[arg-type]


def test_an_unchanged_dataset_is_not_checked_again_and_gives_the_same_numbers(
    cache: Path, data: Path
) -> None:
    first_steps, first = _steps(data)
    assert any(step.startswith("checking contacts") for step in first_steps)
    second_steps, second = _steps(data)
    assert "unchanged since validated: checks skipped" in second_steps
    assert not any(step.startswith("checking") for step in second_steps)
    assert _rows(second) == _rows(first)
    assert second.report.tables.keys() == first.report.tables.keys()  # type: ignore[attr-defined]
    stats = second.report.tables["contacts"]  # type: ignore[attr-defined]
    assert (stats.rows_read, stats.rows_used) == (2, 2)


def test_one_edited_byte_is_always_checked_even_with_the_same_size_and_time(
    cache: Path, data: Path
) -> None:
    _steps(data)
    path = data / "contacts.csv"
    before = path.stat()
    edited = CONTACTS.replace("2024-02-07", "2024-02-0x")  # same length, now invalid
    path.write_text(edited)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # as if nothing happened
    assert path.stat().st_size == before.st_size
    with pytest.raises(DataError) as raised:
        load(data, cache=True)
    found = {(issue.table, issue.column, issue.row) for issue in raised.value.issues}
    assert ("contacts", "created_at", 3) in found


def test_a_changed_value_changes_the_numbers(cache: Path, data: Path) -> None:
    _, first = _steps(data)
    (data / "stage_changes.csv").write_text(
        CHANGES.replace("c2,mql,2024-02-08", "c2,mql,2024-01-08")
    )
    steps, second = _steps(data)
    assert any(step.startswith("checking stage_changes") for step in steps)

    def january_mqls(dataset: object) -> list[object]:
        rows = _rows(dataset)
        return [
            r["value"]
            for r in rows
            if (r["metric"], r["month"], r["dimension"]) == ("mqls", "2024-01", None)
        ]

    assert january_mqls(first) == [1]
    assert january_mqls(second) == [2]


def test_what_decides_the_reading_is_part_of_the_key(cache: Path, data: Path) -> None:
    _steps(data)
    steps, _ = _steps(data, tz="Europe/Paris")  # naive times read in another zone
    assert any(step.startswith("checking") for step in steps)
    (data / "notes.txt").write_text("not a table")  # the report lists ignored files
    steps, noted = _steps(data)
    assert any(step.startswith("checking") for step in steps)
    assert noted.report.ignored == ["notes.txt"]  # type: ignore[attr-defined]


def test_an_invalid_dataset_is_not_remembered(cache: Path, data: Path) -> None:
    (data / "contacts.csv").write_text(CONTACTS + "c3,someday,email\n")
    for _ in range(2):
        with pytest.raises(DataError):
            load(data, cache=True)
    assert not cache.exists() or not any(p for p in cache.iterdir() if not p.name.startswith("."))


def test_the_cache_can_be_turned_off(data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIFECYCLE_CACHE_DIR", "off")
    _steps(data)
    steps, _ = _steps(data)
    assert any(step.startswith("checking") for step in steps)


def test_a_quarantine_folder_of_a_remembered_dataset_is_still_cleared(
    cache: Path, data: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad"
    (data / "contacts.csv").write_text(CONTACTS + "c3,someday,email\n")
    load(data, cache=True, quarantine=bad)
    assert (bad / "contacts.csv").exists()
    (data / "contacts.csv").write_text(CONTACTS)
    _steps(data)  # remembered now
    steps, _ = _steps(data, quarantine=bad)
    assert "unchanged since validated: checks skipped" in steps
    assert not (bad / "contacts.csv").exists()


def test_a_cache_that_cannot_be_written_never_fails_the_run(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("LIFECYCLE_CACHE_DIR", str(blocker / "cache"))  # cannot be a folder
    for _ in range(2):
        steps, dataset = _steps(data)
        assert any(step.startswith("checking") for step in steps)
        assert dataset.report.tables["contacts"].rows_used == 2  # type: ignore[attr-defined]


def test_a_damaged_entry_is_dropped_and_the_data_checked_again(cache: Path, data: Path) -> None:
    _steps(data)
    (database,) = cache.glob("*/clean.duckdb")
    database.write_bytes(b"not a database")
    steps, dataset = _steps(data)
    assert any(step.startswith("checking") for step in steps)
    assert _rows(dataset)  # computed from the files, not from the damaged entry
    steps, _ = _steps(data)
    assert "unchanged since validated: checks skipped" in steps  # kept anew
