"""A demo dataset shared by the report's end-to-end tests, and a copy where a channel collapses."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

COLLAPSED_CHANNEL = "paid_search"
COLLAPSE_FROM = "2025-12-01 00:00:00+00"  # the demo's last month


@pytest.fixture(scope="session")
def collapsed_folder(demo_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo where paid_search contacts stop reaching MQL (or later) in the last month."""
    folder = tmp_path_factory.mktemp("collapsed") / "data"
    shutil.copytree(demo_folder, folder)
    (folder / "stage_changes.parquet").unlink()
    duckdb.connect().execute(
        f"""
        COPY (
          SELECT s.* FROM '{demo_folder}/stage_changes.parquet' s
          WHERE NOT (
            s.stage IN ('mql', 'sql', 'opportunity', 'customer')
            AND s.changed_at >= TIMESTAMPTZ '{COLLAPSE_FROM}'
            AND s.contact_id IN (
              SELECT contact_id FROM '{demo_folder}/contacts.parquet'
              WHERE channel = '{COLLAPSED_CHANNEL}'))
        ) TO '{folder}/stage_changes.parquet' (FORMAT parquet)
        """
    )
    return folder
