"""The same catalog on DuckDB, PostgreSQL and Spark: identical results, every metric, month,
dimension member, empty value and maturity flag, in UTC and in New York.

The demo data goes to PostgreSQL through `lifecycle load` (validated on DuckDB, then validated
again where it lands); Spark reads the Parquet files, and a CSV copy, itself.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lifecycle_metrics.cli import app
from lifecycle_metrics.dataset import load
from lifecycle_metrics.demo import DemoConfig, generate
from lifecycle_metrics.metrics.engine import compute_result
from lifecycle_metrics.report import build_report

DIMENSIONS = ["channel", "source", "campaign_id", "segment"]
ZONES = ["UTC", "America/New_York"]
Key = tuple[str, str, str | None, str | None]


@pytest.fixture(scope="module")
def parquet_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("conformance") / "parquet"
    generate(folder, DemoConfig(contacts=600, seed=5))
    return folder


@pytest.fixture(scope="module")
def csv_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("conformance") / "csv"
    generate(folder, DemoConfig(contacts=300, seed=6, file_format="csv"))
    return folder


def rows_of(data: str | Path, tz: str, **engine: str) -> dict[Key, tuple[float | None, bool]]:
    dataset = load(data, tz=tz, **engine)  # type: ignore[arg-type]
    result = compute_result(dataset, by=DIMENSIONS)
    assert not result.unavailable
    return {
        (r["metric"], r["month"], r["dimension"], r["member"]): (r["value"], r["mature"])
        for r in result.rows
    }


def assert_same(expected: dict[Key, tuple[float | None, bool]], got: dict) -> None:  # type: ignore[type-arg]
    # keys hold None (totals): sorted by repr so a failure shows the diff instead of a TypeError
    assert set(got) == set(expected), (
        f"only here: {sorted(set(got) - set(expected), key=repr)[:5]}; "
        f"only on DuckDB: {sorted(set(expected) - set(got), key=repr)[:5]}"
    )
    different = []
    for key, (value, mature) in sorted(expected.items(), key=repr):
        other, other_mature = got[key]
        same_value = (value is None and other is None) or (
            value is not None
            and other is not None
            and math.isclose(value, other, rel_tol=1e-9, abs_tol=1e-12)
        )
        if not same_value or mature != other_mature:
            different.append((key, (value, mature), (other, other_mature)))
    assert not different, f"{len(different)} differ (key, DuckDB, here): {different[:5]}"


@pytest.fixture(scope="module")
def loaded_postgres(parquet_folder: Path, postgres_url: str) -> str:
    result = CliRunner().invoke(app, ["load", str(parquet_folder), postgres_url, "--replace", "-q"])
    assert result.exit_code == 0, result.output
    assert "***@" in result.stdout  # the URL is shown without its user
    return postgres_url


@pytest.mark.parametrize("tz", ZONES)
def test_postgres_equals_duckdb(parquet_folder: Path, loaded_postgres: str, tz: str) -> None:
    expected = rows_of(parquet_folder, tz)
    assert len(expected) > 1000
    assert_same(expected, rows_of(loaded_postgres, tz, engine="postgres"))


# Spark in New York only here: its UTC runs are the CSV and catalog cases below (a whole
# catalog on local Spark costs minutes on two cores).
@pytest.mark.parametrize("tz", ["America/New_York"])
def test_spark_equals_duckdb_on_parquet(parquet_folder: Path, spark: str, tz: str) -> None:
    expected = rows_of(parquet_folder, tz)
    assert_same(expected, rows_of(parquet_folder, tz, engine="pyspark", spark_master=spark))


def test_spark_equals_duckdb_on_csv(csv_folder: Path, spark: str) -> None:
    expected = rows_of(csv_folder, "UTC")
    assert_same(expected, rows_of(csv_folder, "UTC", engine="pyspark", spark_master=spark))


def test_spark_equals_duckdb_on_catalog_tables(parquet_folder: Path, spark: str) -> None:
    """Tables already in the Spark catalog (as a cluster's users have them), read in place."""
    from lifecycle_metrics.engines.pyspark import spark_session

    session = spark_session(spark)
    session.sql("CREATE DATABASE IF NOT EXISTS lifecycle_conformance")
    for path in parquet_folder.glob("*.parquet"):
        session.read.parquet(str(path)).write.mode("overwrite").saveAsTable(
            f"lifecycle_conformance.{path.stem}"
        )
    expected = rows_of(parquet_folder, "UTC")
    got = rows_of("catalog:lifecycle_conformance", "UTC", engine="pyspark", spark_master=spark)
    assert_same(expected, got)


def test_validation_finds_the_same_on_every_engine(
    csv_folder: Path, loaded_postgres: str, spark: str, tmp_path: Path
) -> None:
    """A broken copy of the CSV data: the same problems, rows and values on DuckDB and Spark."""
    broken = tmp_path / "broken"
    broken.mkdir()
    for path in csv_folder.iterdir():
        (broken / path.name).write_bytes(path.read_bytes())
    contacts = (broken / "contacts.csv").read_text(encoding="utf-8").splitlines()
    fields = contacts[3].split(",")
    fields[1] = "yesterday"  # created_at of spreadsheet row 4
    contacts[3] = ",".join(fields)
    (broken / "contacts.csv").write_text("\n".join(contacts) + "\n", encoding="utf-8")

    def problems(**engine: str) -> list[tuple[str, str, str | None, int | None, str | None]]:
        report = load(broken, strict=False, **engine).report  # type: ignore[arg-type]
        return sorted(
            (i.table, i.rule, i.column, i.row, i.value)
            for i in report.issues
            if i.level.value == "error"
        )

    on_duckdb = problems()
    assert ("contacts", "invalid_value", "created_at", 4, "yesterday") in on_duckdb
    assert problems(engine="pyspark", spark_master=spark) == on_duckdb
    # data loaded to PostgreSQL is clean: nothing to report there
    assert load(loaded_postgres, engine="postgres", strict=False).report.error_count == 0


def test_report_headline_agrees(parquet_folder: Path, loaded_postgres: str) -> None:
    # the attribution answers are compared by test_attribution_engines.py; on PostgreSQL the
    # report's three attribution runs over the demo take minutes (see issue #10's note)
    on_duckdb = build_report(load(parquet_folder), programs=False)
    on_postgres = build_report(load(loaded_postgres, engine="postgres"), programs=False)
    assert on_postgres.month == on_duckdb.month
    for metric_id in on_duckdb.headline:
        a, b = on_duckdb.metrics[metric_id].value, on_postgres.metrics[metric_id].value
        assert (a is None and b is None) or math.isclose(a, b, rel_tol=1e-9), metric_id  # type: ignore[arg-type]
    assert [f.message for f in on_postgres.flags] == [f.message for f in on_duckdb.flags]
