"""Attribution and score lift on PostgreSQL and Spark equal DuckDB's, row for row.

The hand-worked attribution fixture goes to PostgreSQL through `lifecycle load` (a database
of its own); Spark reads its CSV files. Every model, by channel and by campaign, acquisition
and expansion, and score lift by type and campaign — all from the same Ibis expressions.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from lifecycle_metrics.attribution import Settings, attribute
from lifecycle_metrics.attribution.score_lift import score_lift
from lifecycle_metrics.cli import app
from lifecycle_metrics.dataset import Dataset, load
from tests.attribution.test_fixture import FIXTURE

RUNS = [("channel", "new_business"), ("campaign_id", "new_business"), ("channel", "expansion")]
# Spark runs a query in seconds where DuckDB takes milliseconds: it gets the run that holds
# every expression (all models, acquisition by channel; score lift by type), CI stays in time.
SPARK_RUNS = RUNS[:1]
SPARK_LIFT_BY = ("type",)
LIFT_BY = ("type", "campaign_id")
Rows = dict[tuple[Any, ...], tuple[Any, ...]]


@pytest.fixture(scope="module")
def fixture_postgres(postgres_url: str) -> Iterator[str]:
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute("DROP DATABASE IF EXISTS attribution")
        connection.execute("CREATE DATABASE attribution")
    url = postgres_url.rsplit("/", 1)[0] + "/attribution"
    result = CliRunner().invoke(app, ["load", str(FIXTURE), url, "-q"])
    assert result.exit_code == 0, result.output
    yield url


def _everything(
    dataset: Dataset, runs: list[tuple[str, str]] = RUNS, lift_by: tuple[str, ...] = LIFT_BY
) -> tuple[Rows, Rows]:
    credits: Rows = {}
    for by, deals in runs:
        for row in attribute(dataset, settings=Settings(by=by, deals=deals)).rows:
            key = (by, deals, row["model"], row["month"], row["member"])
            credits[key] = (row["conversions"], row["value"], row["cost"], row["roi"])
    lifts: Rows = {}
    for by in lift_by:
        for row in score_lift(dataset, by=by)[0]:
            key = (by, row["month"], row["member"])
            lifts[key] = (row["touches"], row["mean_lift"], row["ci_low"], row["ci_high"])
            lifts[(*key, "flag")] = (row["no_visible_effect"],)
    return credits, lifts


def _conserved(credits: Rows) -> None:
    """Each model credits every deal in full on this engine too (SPEC §6.2)."""
    totals = {(k[0], k[1], k[3]): v for k, v in credits.items() if k[2] is None}
    for by, deals, model, month, _member in credits:
        if model is None:
            continue
        mine = [v for k, v in credits.items() if k[:4] == (by, deals, model, month)]
        count, amount = totals[(by, deals, month)][:2]
        assert math.isclose(math.fsum(v[0] for v in mine), count, abs_tol=1e-9)
        assert math.isclose(math.fsum(v[1] for v in mine), amount, abs_tol=1e-9)


def _same(expected: Rows, got: Rows) -> None:
    assert set(got) == set(expected), sorted(set(got) ^ set(expected), key=repr)[:5]
    for key, values in expected.items():
        for want, have in zip(values, got[key], strict=True):
            if want is None or have is None or isinstance(want, bool):
                assert want == have, key
            else:
                assert math.isclose(want, have, rel_tol=1e-9, abs_tol=1e-9), (key, want, have)


def test_postgres_equals_duckdb(fixture_postgres: str) -> None:
    expected = _everything(load(FIXTURE))
    credits, lifts = _everything(load(fixture_postgres, engine="postgres"))
    _conserved(credits)
    _same(expected[0], credits)
    _same(expected[1], lifts)


# Spark's run takes about 140 s on a CI machine (74 s of it validating on Spark), and CI ran
# past its 25 minutes with it: it runs with LIFECYCLE_SLOW_ENGINES=1 until the engine suites
# are rebalanced (issue #10's note says so).
@pytest.mark.skipif(
    os.environ.get("LIFECYCLE_SLOW_ENGINES") != "1",
    reason="Spark attribution check: LIFECYCLE_SLOW_ENGINES=1 (CI time budget)",
)
def test_spark_equals_duckdb(spark: str) -> None:
    expected = _everything(load(FIXTURE), SPARK_RUNS, SPARK_LIFT_BY)
    dataset = load(FIXTURE, engine="pyspark", spark_master=spark)
    credits, lifts = _everything(dataset, SPARK_RUNS, SPARK_LIFT_BY)
    _conserved(credits)
    _same(expected[0], credits)
    _same(expected[1], lifts)
