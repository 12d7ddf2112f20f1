"""Drill-down: the records behind a number are exactly the sets its value was made from."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lifecycle_metrics.cli import app
from lifecycle_metrics.dataset import load
from lifecycle_metrics.errors import UsageError
from lifecycle_metrics.metrics.drill import drill

ACME = Path(__file__).resolve().parents[1] / "fixtures" / "acme"
AS_OF = "2024-06-30T23:59:59Z"


@pytest.fixture(scope="module")
def acme():  # type: ignore[no-untyped-def]
    return load(ACME)


def sets(result) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    found: dict[str, list[str]] = {}
    for row in result.rows:
        found.setdefault(row["set"], []).append(row["record"])
    return {key: sorted(value) for key, value in found.items()}


def test_a_count_lists_the_contacts_counted(acme) -> None:  # type: ignore[no-untyped-def]
    result = drill(acme, "new_leads", "2024-02", as_of=AS_OF)
    assert sets(result) == {"leads": ["c3", "c5"]}
    # c3's created_at 2024-01-31T23:30-02:00 is what placed it in February
    c3 = next(row for row in result.rows if row["record"] == "c3")
    assert c3["at"] == "2024-02-01T01:30:00+00:00"


def test_a_member_narrows_the_records(acme) -> None:  # type: ignore[no-untyped-def]
    assert sets(drill(acme, "new_leads", "2024-02", "channel=paid", as_of=AS_OF)) == {
        "leads": ["c3"]
    }


def test_a_rate_lists_numerator_and_denominator_sets(acme) -> None:  # type: ignore[no-untyped-def]
    assert sets(drill(acme, "lead_to_mql_rate", "2024-02", as_of=AS_OF)) == {
        "lead_cohort": ["c3", "c5"],
        "lead_converted": ["c5"],
    }
    assert sets(drill(acme, "churn_rate", "2024-04", as_of=AS_OF)) == {
        "active": ["a1", "a2", "a3"],
        "churned": ["a3"],
    }


def test_email_rate_records_show_machine_and_repeated_opens(acme) -> None:  # type: ignore[no-untyped-def]
    found = sets(drill(acme, "nurture_open_rate", "2024-02", as_of=AS_OF))
    assert found == {
        "nurture:email_bounce": ["x06"],
        # x10 has no campaign of its own and takes m2's; x09 is a machine open (shown, noted)
        "nurture:email_open": ["x07", "x08", "x09", "x10", "x11"],
        "nurture:email_sent": ["x01", "x02", "x03", "x04", "x05"],
    }


def test_a_window_metric_lists_the_whole_window(acme) -> None:  # type: ignore[no-untyped-def]
    result = drill(acme, "marketing_roi", "2024-03", as_of=AS_OF)
    months = {row["month"] for row in result.rows}
    assert months == {"2024-01", "2024-02", "2024-03"}
    assert sets(result)["amount"] == ["d1"]


def test_bad_member_is_a_usage_error(acme) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UsageError, match="DIM=VALUE"):
        drill(acme, "nps", "2024-02", "channel=paid")


def test_cli_prints_the_number_and_its_records(runner: CliRunner) -> None:
    result = runner.invoke(
        app,
        [
            "drill",
            str(ACME),
            "--metric",
            "nps",
            "--month",
            "2024-02",
            "--member",
            "segment=SMB",
            "--format",
            "json",
            "-q",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["value"] == 100.0
    assert [r["record"] for r in payload["records"]] == ["r1"]
    csv_out = runner.invoke(
        app,
        ["drill", str(ACME), "--metric", "visits", "--month", "2024-01", "--format", "csv", "-q"],
    ).stdout
    assert [r["record"] for r in csv.DictReader(io.StringIO(csv_out))] == ["w1", "w2", "w3"]
