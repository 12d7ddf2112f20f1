"""The run's window is measured once, by `Model.measure`; building a model runs no query."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import ibis
import pytest

from lifecycle_metrics.dataset import Dataset, load
from lifecycle_metrics.errors import UsageError
from lifecycle_metrics.model import Model, RunWindow
from lifecycle_metrics.model.window import Run
from lifecycle_metrics.periods import ReportZone, parse_month
from lifecycle_metrics.validate.issues import ValidationReport

ACME = Path(__file__).resolve().parents[1] / "fixtures" / "acme"


def test_a_model_of_a_measured_run_only_stores_it() -> None:
    # unbound tables cannot run a query: building the model must not try
    contacts = ibis.table({"contact_id": "string", "is_internal": "boolean"}, name="contacts")
    dataset = Dataset(
        con=None,
        tables={"contacts": contacts},
        tz="Europe/Paris",
        zone=ReportZone("Europe/Paris", (2023, 2025)),
        report=ValidationReport(),
        source="nowhere",
    )
    window = RunWindow(tz="Europe/Paris", as_of=datetime(2024, 6, 30), months=(24292, 24293))
    model = Model.of(dataset, Run(tables={"contacts": contacts}, window=window))
    assert model.window is window and model.as_of == datetime(2024, 6, 30)
    assert model.tables["contacts"] is contacts and model.tz == "Europe/Paris"
    assert model.has("contacts") and not model.has("deals")


def test_the_constructor_measures_as_before() -> None:
    dataset = load(ACME)
    model = Model(dataset, first_month=parse_month("2024-02", option="--from"))
    measured = Model.measure(dataset, first_month=parse_month("2024-02", option="--from"))
    assert model.window == measured.window
    assert model.as_of == datetime(2024, 7, 2)  # the latest event of the acme data
    assert model.window.labels == ("2024-02", "2024-03", "2024-04", "2024-05", "2024-06", "2024-07")
    with pytest.raises(UsageError, match="--from 2024-05 is after --to 2024-03"):
        Model(
            dataset,
            first_month=parse_month("2024-05", option="--from"),
            last_month=parse_month("2024-03", option="--to"),
        )
