"""Peer check: ChannelAttribution's own example data (../shared/data/channelattribution-pathdata).

First, last and linear touch must equal the package's `heuristic_models` output (to 1e-6); the
Markov removal effects the exact absorbing-chain values of `expected_markov_order1_exact.csv`
to their six printed decimals, and its conversions to their three.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lifecycle_metrics.attribution import credit_paths
from lifecycle_metrics.cli import app
from tests.conftest import SHARED_DATA

PATHDATA = SHARED_DATA / "channelattribution-pathdata"
DATA = PATHDATA / "Data.csv"


def _read(name: str) -> list[dict[str, str]]:
    with (PATHDATA / name).open(newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def credits() -> dict[tuple[str, str], dict]:  # type: ignore[type-arg]
    return {(r["model"], r["channel"]): r for r in credit_paths(DATA)}


@pytest.mark.parametrize(
    ("model", "column"),
    [("first_touch", "first_touch"), ("last_touch", "last_touch"), ("linear", "linear_touch")],
)
def test_heuristic_models_equal_the_package(credits: dict, model: str, column: str) -> None:  # type: ignore[type-arg]
    expected = _read("expected_heuristic_models.csv")
    assert len(expected) == 12
    for row in expected:
        got = credits[(model, row["channel_name"])]
        assert got["conversions"] == pytest.approx(float(row[f"{column}_conversions"]), abs=1e-6)
        assert got["value"] == pytest.approx(float(row[f"{column}_value"]), abs=1e-6)
        assert got["removal_effect"] is None


def test_markov_removal_effects_are_the_exact_ones(credits: dict) -> None:  # type: ignore[type-arg]
    for row in _read("expected_markov_order1_exact.csv"):
        got = credits[("markov", row["channel_name"])]
        assert round(got["removal_effect"], 6) == pytest.approx(
            float(row["removal_effect_conversion"]), abs=1e-12
        )
        assert round(got["conversions"], 3) == pytest.approx(
            float(row["total_conversions"]), abs=1e-9
        )


def test_markov_differs_from_the_package_simulation_only_by_its_noise(credits: dict) -> None:  # type: ignore[type-arg]
    for row in _read("expected_markov_order1_channelattribution_2.2.5.csv"):
        got = credits[("markov", row["channel_name"])]
        assert abs(got["removal_effect"] - float(row["removal_effects_conversion"])) <= 0.011


def test_every_model_conserves_the_totals(credits: dict) -> None:  # type: ignore[type-arg]
    with DATA.open(newline="") as handle:
        lines = list(csv.DictReader(handle, delimiter=";"))
    conversions = math.fsum(float(line["total_conversions"]) for line in lines)
    value = math.fsum(float(line["total_conversion_value"]) for line in lines)
    # SOURCE.md: Σ total_conversions = 19,785; Σ total_conversion_value = 74,802.97 (rounded)
    assert (conversions, round(value, 2)) == (19785, 74802.97)
    for model in ("first_touch", "last_touch", "linear", "position_based", "markov"):
        rows = [r for (m, _), r in credits.items() if m == model]
        assert math.fsum(r["conversions"] for r in rows) == pytest.approx(conversions, abs=1e-6)
        assert math.fsum(r["value"] for r in rows) == pytest.approx(value, abs=1e-6)


def test_position_based_on_a_tiny_file(tmp_path: Path) -> None:
    paths = tmp_path / "paths.csv"
    paths.write_text(
        "path;total_conversions;total_conversion_value;total_null\n"
        "a > b > c > d;2;10;1\n"
        "b > a;1;4;0\n"
        "c;1;1;3\n"
    )
    got = {
        r["channel"]: (round(r["conversions"], 12), round(r["value"], 12))
        for r in credit_paths(paths, ("position_based",))
    }
    # a: 0.4·2 + ½·1 = 1.3, value 0.4·10 + ½·4 = 6; b: 0.1·2 + ½ = 0.7, value 1 + 2 = 3;
    # c: 0.1·2 + 1 = 1.2, value 1 + 1 = 2; d: 0.4·2 = 0.8, value 4
    assert got == {"a": (1.3, 6.0), "b": (0.7, 3.0), "c": (1.2, 2.0), "d": (0.8, 4.0)}


def test_markov_on_a_tiny_file_by_hand(tmp_path: Path) -> None:
    paths = tmp_path / "paths.csv"
    # start→a (2), start→b (1); a→b 1, a→null 1; b→conv 2. P(b) = 1, P(a) = ½, P = (2·½ + 1)/3
    # = ⅔. Without a: P = ⅓ → RE ½; without b: P = 0 → RE 1. Conversions 2 × RE / Σ RE.
    paths.write_text(
        "path;total_conversions;total_conversion_value;total_null\na > b;1;6;0\na;0;0;1\nb;1;3;0\n"
    )
    got = {r["channel"]: r for r in credit_paths(paths, ("markov",))}
    assert got["a"]["removal_effect"] == pytest.approx(0.5)
    assert got["b"]["removal_effect"] == pytest.approx(1.0)
    assert got["a"]["conversions"] == pytest.approx(2 / 3)
    assert got["b"]["value"] == pytest.approx(9 * 2 / 3)


def test_the_command_prints_the_package_numbers_as_csv() -> None:
    result = CliRunner().invoke(
        app, ["attribution", "--paths", str(DATA), "--model", "markov", "--format", "csv", "-q"]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "model,channel,conversions,value,removal_effect"
    alpha = next(line for line in lines if line.startswith("markov,alpha,"))
    assert round(float(alpha.split(",")[4]), 6) == 0.558399


@pytest.mark.parametrize(
    ("text", "line", "column", "value"),
    [
        ("a > b;x;1;0\n", 2, "total_conversions", "x"),
        ("a > b;1;1;0\n;1;1;0\n", 3, "path", ""),
        ("a >  > b;1;1;0\n", 2, "path", "a >  > b"),
        ("a;1;1;-2\n", 2, "total_null", "-2"),
        ("a;1;;0\n", 2, "total_conversion_value", ""),
    ],
)
def test_bad_rows_are_named(tmp_path: Path, text: str, line: int, column: str, value: str) -> None:
    paths = tmp_path / "bad.csv"
    paths.write_text("path;total_conversions;total_conversion_value;total_null\n" + text)
    result = CliRunner().invoke(app, ["attribution", "--paths", str(paths), "-q"])
    assert result.exit_code == 3
    assert f"row {line}, column {column}): {value!r}" in result.stderr


def test_a_file_of_another_layout_is_refused(tmp_path: Path) -> None:
    paths = tmp_path / "other.csv"
    paths.write_text("path,conversions\na > b,1\n")
    result = CliRunner().invoke(app, ["attribution", "--paths", str(paths), "-q"])
    assert result.exit_code == 3
    assert "expected 'path;total_conversions;total_conversion_value;total_null'" in result.stderr


def test_models_that_need_times_are_refused_with_paths() -> None:
    result = CliRunner().invoke(
        app, ["attribution", "--paths", str(DATA), "--model", "time_decay", "-q"]
    )
    assert result.exit_code == 2
    assert "with --paths use first_touch, last_touch, linear, position_based, markov" in (
        result.stderr
    )


def test_no_converting_path_leaves_markov_empty(tmp_path: Path) -> None:
    paths = tmp_path / "paths.csv"
    paths.write_text(
        "path;total_conversions;total_conversion_value;total_null\na > b;0;0;4\nb;0;0;1\n"
    )
    # P = 0: RE = 1 − P₋c/P is undefined (SPEC §3: empty when the denominator is zero)
    got = {r["channel"]: r for r in credit_paths(paths, ("markov",))}
    assert {c: (r["removal_effect"], r["conversions"], r["value"]) for c, r in got.items()} == {
        "a": (None, None, None),
        "b": (None, None, None),
    }


def test_a_channel_on_weightless_paths_only_has_every_models_row(tmp_path: Path) -> None:
    paths = tmp_path / "paths.csv"
    paths.write_text("path;total_conversions;total_conversion_value;total_null\na;1;5;1\nc;0;0;0\n")
    rows = credit_paths(paths)
    for model in ("first_touch", "last_touch", "linear", "position_based", "markov"):
        assert {r["channel"] for r in rows if r["model"] == model} == {"a", "c"}, model
    markov = {r["channel"]: r for r in rows if r["model"] == "markov"}
    assert (markov["c"]["removal_effect"], markov["c"]["conversions"]) == (0.0, 0.0)
    assert (markov["a"]["removal_effect"], markov["a"]["conversions"]) == (1.0, 1.0)
