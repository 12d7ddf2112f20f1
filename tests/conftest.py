"""Shared test helpers: a tiny DSL to write canonical datasets, and the CLI runner."""

from __future__ import annotations

import csv
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lifecycle_metrics.demo import DemoConfig, generate

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
# Commands remember validated datasets; tests keep that memory to themselves.
os.environ.setdefault("LIFECYCLE_CACHE_DIR", tempfile.mkdtemp(prefix="lifecycle-test-cache-"))


def cell(value: Any) -> str:
    """A Python value as a CSV cell: UTC timestamps with a Z, booleans as true/false."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"
    return str(value)


def write_tables(
    folder: Path,
    tables: dict[str, list[dict[str, Any]]],
    columns: dict[str, list[str]] | None = None,
) -> Path:
    """Write each table as <name>.csv (columns from the first row unless given)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        names = (columns or {}).get(name) or (list(rows[0]) if rows else [])
        with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(names)
            for row in rows:
                writer.writerow([cell(row.get(column)) for column in names])
    return folder


@pytest.fixture
def runner() -> CliRunner:
    """A CLI runner with a wide terminal so tables are not cut."""
    return CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"})


@pytest.fixture(scope="session")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """10,000 demo contacts over 2023-01 … 2025-12, as Parquet."""
    folder = tmp_path_factory.mktemp("demo") / "data"
    generate(folder, DemoConfig(contacts=10_000, seed=11))
    return folder
