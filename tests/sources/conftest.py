"""Fixtures for the import tests: a small canonical demo, and every metric computed on a folder."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import lifecycle_metrics
from lifecycle_metrics.demo import DemoConfig, generate
from tests.conftest import SHARED_DATA

FIXTURES = SHARED_DATA / "fivetran-crm-connector-fixtures"
DIMENSIONS = ("channel", "segment", "campaign_id", "source")


@pytest.fixture(scope="session")
def canonical_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2,000 demo contacts as canonical CSV files (the original of every round trip)."""
    folder = tmp_path_factory.mktemp("canonical") / "demo"
    generate(folder, DemoConfig(contacts=2_000, seed=7, file_format="csv"))
    return folder


@pytest.fixture(scope="session")
def canonical_metrics(canonical_demo: Path) -> list[tuple[object, ...]]:
    """Every metric of the canonical demo, computed once for every vendor's round trip."""
    return every_metric(canonical_demo)


def every_metric(folder: Path) -> list[tuple[object, ...]]:
    """Every metric, month and member (totals and the four dimensions), sorted, to compare."""
    frame = lifecycle_metrics.compute(folder, by=DIMENSIONS)
    rows = []
    for record in frame.itertuples(index=False):
        rows.append(
            (
                record.metric,
                record.month,
                _text(record.dimension),
                _text(record.member),
                None if _empty(record.value) else float(record.value),
                bool(record.mature),
            )
        )
    return sorted(rows, key=repr)


def _empty(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _text(value: object) -> str:
    return "" if _empty(value) else str(value)
