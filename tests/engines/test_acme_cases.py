"""The hand-worked acme cases (tests/metrics/test_catalog_fixtures.py) on PostgreSQL and Spark.

Each engine computes the whole catalog on acme once, in a module-scoped fixture; every case
is then checked against that one result. A real gap of an engine is declared where it fails,
as a strict expected failure naming its exception (see GAPS), so a fix makes the suite say so.

PostgreSQL gets acme through `lifecycle load` into a database of its own (the conformance
suite's tables on the same server stay as they are); Spark reads the CSV files itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from typer.testing import CliRunner

from lifecycle_metrics.cli import app
from tests.metrics.test_catalog_fixtures import (
    ACME,
    EXPECTED,
    MATURITY,
    MEMBERS,
    MONTHS,
    Values,
    acme_values,
    check_value,
)

ENGINES = ["postgres", "pyspark"]
# (engine, metric, month, dimension, member) → (exception, why): the engine gaps found.
GAPS: dict[tuple[str, str, str, str | None, str | None], tuple[type[BaseException], str]] = {}


@pytest.fixture(scope="module")
def acme_postgres(postgres_url: str) -> Iterator[str]:
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute("DROP DATABASE IF EXISTS acme")
        connection.execute("CREATE DATABASE acme")
    url = postgres_url.rsplit("/", 1)[0] + "/acme"
    result = CliRunner().invoke(app, ["load", str(ACME), url, "-q"])
    assert result.exit_code == 0, result.output
    yield url


@pytest.fixture(scope="module")
def on_engine(request: pytest.FixtureRequest) -> Callable[[str], Values]:
    """Every acme value an engine computes, computed once per engine and kept for the module.

    (Not an indirect parameter: pytest caches those per parameter index, which would
    compute the whole catalog again for every case.)
    """
    computed: dict[str, Values] = {}

    def values(engine: str) -> Values:
        if engine not in computed:
            if engine == "postgres":
                url = request.getfixturevalue("acme_postgres")
                computed[engine] = acme_values(url, engine="postgres")
            else:
                master = request.getfixturevalue("spark")
                computed[engine] = acme_values(ACME, engine="pyspark", spark_master=master)
        return computed[engine]

    return values


def _marks(engine: str, *case: object) -> list[pytest.MarkDecorator]:
    gap = GAPS.get((engine, *case))  # type: ignore[arg-type]
    return [] if gap is None else [pytest.mark.xfail(raises=gap[0], strict=True, reason=gap[1])]


@pytest.mark.parametrize(
    ("engine", "metric", "month", "dimension", "member", "expected"),
    [
        pytest.param(
            engine,
            *row,
            marks=_marks(engine, *row[:4]),
            id=f"{engine}-{row[0]}-{row[1]}-{row[2] or 'total'}-{row[3] or ''}",
        )
        for engine in ENGINES
        for row in EXPECTED
    ],
)
def test_value(on_engine, engine, metric, month, dimension, member, expected) -> None:  # type: ignore[no-untyped-def]
    check_value(on_engine(engine), metric, month, dimension, member, expected)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("metric", "month", "mature"), MATURITY)
def test_maturity(on_engine, engine, metric, month, mature) -> None:  # type: ignore[no-untyped-def]
    assert on_engine(engine)[(metric, month, None, None)][1] is mature


@pytest.mark.parametrize("engine", ENGINES)
def test_members_appear_only_with_a_non_empty_set(on_engine, engine) -> None:  # type: ignore[no-untyped-def]
    assert [(key, key in on_engine(engine)) for key, _ in MEMBERS] == MEMBERS


@pytest.mark.parametrize("engine", ENGINES)
def test_months_run_from_the_first_event_to_as_of(on_engine, engine) -> None:  # type: ignore[no-untyped-def]
    assert sorted({key[1] for key in on_engine(engine)}) == MONTHS


@pytest.mark.parametrize("engine", ENGINES)
def test_no_row_beyond_the_hand_worked_duckdb_ones(on_engine, engine) -> None:  # type: ignore[no-untyped-def]
    """The same keys as DuckDB: no member appears or vanishes on another engine."""
    assert sorted(set(on_engine(engine)) ^ set(acme_values()), key=repr) == []
