"""Connecting fails for a named reason: a missing driver, a refused login, no server.

None of them is invalid data: each is a usage error (exit 2) that says what to do, with the
credentials masked; any other error is not dressed up as a connection problem.
"""

from __future__ import annotations

import sys
from pathlib import Path

import ibis
import pytest
from typer.testing import CliRunner

from lifecycle_metrics.cli import app
from lifecycle_metrics.dataset import load
from lifecycle_metrics.engines import pyspark
from lifecycle_metrics.errors import ConnectionFailed, MissingDriver, UsageError

ACME = Path(__file__).resolve().parents[1] / "fixtures" / "acme"


def _without(monkeypatch: pytest.MonkeyPatch, driver: str, backend: str) -> None:
    """As if `driver` were not installed: Ibis's backend module imports it again and fails."""
    # Ibis keeps a loaded backend as an attribute of `ibis` (its __dict__: getattr would load it)
    monkeypatch.delitem(vars(ibis), backend, raising=False)
    monkeypatch.delitem(sys.modules, f"ibis.backends.{backend}", raising=False)
    monkeypatch.setitem(sys.modules, driver, None)  # type: ignore[arg-type]


def test_a_missing_postgres_driver_names_the_package(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    _without(monkeypatch, "psycopg", "postgres")
    url = "postgres://alice:secret@127.0.0.1:1/crm"
    result = runner.invoke(app, ["metrics", url, "--engine", "postgres", "-q"])
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        "Error: postgres://***@127.0.0.1:1/crm: reading postgres:// needs its driver, which "
        "is not installed: pip install 'lifecycle-metrics[postgres]'\n"
    )


def test_a_missing_driver_of_any_ibis_url_names_the_ibis_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _without(monkeypatch, "MySQLdb", "mysql")
    with pytest.raises(MissingDriver) as caught:
        load("mysql://alice:secret@127.0.0.1:1/crm")
    assert str(caught.value) == (
        "mysql://***@127.0.0.1:1/crm: reading mysql:// needs its driver, which is not "
        "installed: pip install 'ibis-framework[mysql]'"
    )
    assert caught.value.exit_code == 2


def test_a_missing_pyspark_names_the_package(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pyspark, "_SESSION", None)  # no session started yet in this process
    _without(monkeypatch, "pyspark", "pyspark")
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)  # type: ignore[arg-type]
    result = runner.invoke(app, ["metrics", str(ACME), "--engine", "pyspark", "-q"])
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        "Error: --engine pyspark needs PySpark: pip install 'lifecycle-metrics[spark]'\n"
    )


def test_a_wrong_user_is_a_refused_login_not_invalid_data(
    runner: CliRunner, postgres_url: str
) -> None:
    wrong = postgres_url.replace("//lifecycle@", "//intruder:secret@")
    result = runner.invoke(app, ["validate", wrong, "--engine", "postgres", "-q"])
    assert result.exit_code == 2, result.output
    shown = wrong.replace("//intruder:secret@", "//***@")
    assert result.stderr.startswith(f"Error: {shown}: cannot connect (connection failed: ")
    assert 'role "***" does not exist' in result.stderr  # the driver's reason, user masked
    assert "no data was read" in result.stderr
    assert "secret" not in result.output and "intruder" not in result.output
    assert "invalid" not in result.output


def test_a_server_that_is_not_there_is_a_connection_failure(runner: CliRunner) -> None:
    url = "postgres://alice:secret@127.0.0.1:1/crm"
    result = runner.invoke(app, ["metrics", url, "--engine", "postgres", "-q"])
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        "Error: postgres://***@127.0.0.1:1/crm: cannot connect (connection failed: connection "
        'to server at "127.0.0.1", port 1 failed: Connection refused); check the host, port, '
        "database and credentials — no data was read\n"
    )


def test_lifecycle_load_to_a_server_that_is_not_there(runner: CliRunner) -> None:
    url = "postgres://alice:secret@127.0.0.1:1/crm"
    result = runner.invoke(app, ["load", str(ACME), url, "-q"])
    assert result.exit_code == 2, result.output
    assert "cannot connect" in result.stderr and "secret" not in result.output


def test_an_unknown_url_scheme_is_bad_usage() -> None:
    with pytest.raises(UsageError) as caught:
        load("nosuchdb://alice:secret@host/db")
    assert str(caught.value).startswith("DATA 'nosuchdb://***@host/db': no Ibis backend reads")


def test_other_errors_are_not_called_connection_failures(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(url: str) -> None:
        raise RuntimeError("a bug, not the network")

    monkeypatch.setattr(ibis, "connect", broken)
    with pytest.raises(RuntimeError, match="a bug, not the network"):
        load("postgres://alice@127.0.0.1:1/crm")
    with pytest.raises(RuntimeError, match="a bug, not the network"):
        load("postgres://alice@127.0.0.1:1/crm", engine="postgres")


def test_connection_failed_is_both_a_usage_error_and_a_connection_error() -> None:
    error = ConnectionFailed("x")
    assert isinstance(error, ConnectionError) and isinstance(error, ValueError)
    assert error.exit_code == 2
