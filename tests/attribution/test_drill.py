"""`lifecycle drill --metric attribution`: the touches behind a credit add up to it."""

from __future__ import annotations

import json
import math

import pytest
from typer.testing import CliRunner

from lifecycle_metrics.attribution import MODELS, attribute
from lifecycle_metrics.attribution.drill import drill_attribution
from lifecycle_metrics.cli import app
from lifecycle_metrics.dataset import load
from tests.attribution.test_fixture import FIXTURE


@pytest.mark.parametrize("model", MODELS)
def test_every_credit_is_the_sum_of_its_touches(model: str) -> None:
    dataset = load(FIXTURE)
    rows = attribute(dataset, models=[model]).rows
    for row in rows:
        if row["model"] is None or not row["conversions"]:
            continue
        found = drill_attribution(dataset, model, row["month"], f"channel={row['member']}")
        assert math.isclose(found.conversions, row["conversions"], rel_tol=1e-12)
        assert math.isclose(found.value, row["value"], rel_tol=1e-12)


def test_the_w_shaped_touches_of_paid_search() -> None:
    result = CliRunner().invoke(
        app,
        [
            "drill",
            str(FIXTURE),
            "--metric",
            "attribution",
            "--model",
            "w_shaped",
            "--month",
            "2025-03",
            "--member",
            "channel=paid_search",
            "--format",
            "json",
            "-q",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    # d1's first touch, c1's lead creation, holds two roles (first and lead creation): 0.6
    assert [(r["deal_id"], r["touch"], r["touch_id"], r["type"]) for r in payload["records"]] == [
        ("d1", "1 of 5", "c1", "lead_created")
    ]
    assert payload["conversions"] == pytest.approx(0.6)
    assert payload["value"] == pytest.approx(600)


def test_the_stand_in_touch_of_a_deal_without_contacts() -> None:
    found = drill_attribution(load(FIXTURE), "linear", "2025-03", "channel=partner")
    assert [(r["deal_id"], r["type"], r["conversions"]) for r in found.rows] == [
        ("d3", "deal (no touch)", 1.0)
    ]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--model", "linear", "--member", "channel=paidsearch"], "credited: direct, email,"),
        (["--model", "linear", "--member", "segment=SMB"], "expected channel=VALUE or"),
        (["--member", "channel=email"], "needs --model M and --member"),
        (["--model", "U-shaped", "--member", "channel=email"], "unknown --model 'U-shaped'"),
    ],
)
def test_usage_errors_name_what_is_allowed(arguments: list[str], message: str) -> None:
    result = CliRunner().invoke(
        app,
        ["drill", str(FIXTURE), "--metric", "attribution", "--month", "2025-03", *arguments],
    )
    assert result.exit_code == 2
    assert message in result.stderr


@pytest.mark.parametrize(
    ("option", "value"),
    [("--lookback-days", "0"), ("--lookback-days", "-3"), ("--half-life-days", "nan")],
)
def test_a_lookback_or_half_life_that_is_not_positive_is_refused(option: str, value: str) -> None:
    result = CliRunner().invoke(app, ["attribution", str(FIXTURE), option, value, "-q"])
    assert result.exit_code == 2
    assert f"{option} " in result.stderr and "expected a positive number of days" in result.stderr


def test_the_command_names_a_deal_without_contacts() -> None:
    result = CliRunner().invoke(app, ["attribution", str(FIXTURE), "--model", "linear", "-q"])
    assert result.exit_code == 0, result.output
    assert "1 won deal(s) whose account has no contact (d3)" in result.stderr
