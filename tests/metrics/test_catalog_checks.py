"""The catalog check over the whole registry, and that it names each kind of broken declaration."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from lifecycle_metrics.dataset import load
from lifecycle_metrics.metrics.catalog import CATALOG
from lifecycle_metrics.metrics.checks import check_catalog, check_on_dataset
from lifecycle_metrics.metrics.families import email, funnel
from lifecycle_metrics.metrics.families.cohorts import COHORTS
from lifecycle_metrics.metrics.values import Count, Measure, Ratio

ACME = Path(__file__).resolve().parents[1] / "fixtures" / "acme"


def _problems(*metrics):  # type: ignore[no-untyped-def]
    return [str(issue) for issue in check_catalog(metrics)]


def test_every_declaration_agrees_with_its_families() -> None:
    assert _problems(*CATALOG) == []


def test_every_family_runs_with_the_measures_and_sets_the_catalog_reads() -> None:
    # acme holds every table, so each family runs and each drilled set has records
    issues = check_on_dataset(CATALOG, load(ACME))
    assert [str(issue) for issue in issues] == []


def test_a_measure_the_family_does_not_declare_is_named() -> None:
    typo = Measure("reach", "mqlz", ("mqls",))
    broken = dataclasses.replace(CATALOG.get("mqls"), value=Count(typo))
    assert _problems(broken) == ["mqls: reads reach.mqlz, which that family does not declare"]


def test_a_measure_of_an_unknown_family_is_named() -> None:
    stray = Measure("reech", "mqls", ("mqls",))
    broken = dataclasses.replace(CATALOG.get("mqls"), value=Count(stray))
    assert _problems(broken) == ["mqls: reads measure 'mqls' of unknown family 'reech'"]


def test_a_dimension_the_family_does_not_produce_is_named() -> None:
    # email families know campaign_id and channel, not a contact's source
    broken = dataclasses.replace(CATALOG.get("nurture_open_rate"), dimensions=("channel", "source"))
    assert _problems(broken) == [
        "nurture_open_rate: declares dimensions ['source'] that family 'email' does not produce"
    ]


def test_needs_that_miss_every_table_the_family_reads_are_named() -> None:
    broken = dataclasses.replace(CATALOG.get("mqls"), needs=("deals",))
    assert _problems(broken) == ["mqls: needs ['deals'], none of which family 'reach' reads"]


def test_a_cohort_window_the_definition_does_not_state_is_named() -> None:
    metric = CATALOG.get("sql_to_customer_rate")
    broken = dataclasses.replace(metric, definition=metric.definition.replace("180", "90"))
    assert _problems(broken) == [
        "sql_to_customer_rate: is a cohort rate of 180 days, but its definition does not say so"
    ]


def test_needs_that_do_not_cover_a_table_the_query_reads_are_named() -> None:
    # email events are joined to campaigns: without them the family cannot be built
    broken = dataclasses.replace(CATALOG.get("nurture_open_rate"), needs=("activities",))
    assert [str(i) for i in check_on_dataset([broken], load(ACME))] == [
        "nurture_open_rate: needs ['activities'], but family 'email' also reads 'campaigns'"
    ]


def test_a_set_no_record_carries_is_named() -> None:
    ghost = Measure("email", "nurture_opens", ("nurture:email_opened",))
    broken = dataclasses.replace(
        CATALOG.get("nurture_open_rate"), value=Ratio(ghost, email.NURTURE_DELIVERED)
    )
    assert _problems(broken) == [
        "nurture_open_rate: reads email.nurture_opens, which that family does not declare",
        "nurture_open_rate: email.nurture_opens counts record sets ['nurture:email_opened'] "
        "that family 'email' never lists",
    ]


def test_records_carrying_an_undeclared_set_are_named() -> None:
    from lifecycle_metrics.metrics.families import FAMILIES

    reach = FAMILIES["reach"]
    narrowed = dataclasses.replace(reach, sets=("leads", "mqls"))
    FAMILIES["reach"] = narrowed
    try:
        issues = [str(i) for i in check_on_dataset([CATALOG.get("mqls")], load(ACME))]
    finally:
        FAMILIES["reach"] = reach
    assert issues == ["reach: records carry sets ['sqls'] it does not declare"]


def test_cohorts_name_their_own_measures_and_a_window_is_declared_once() -> None:
    names = {c.name: (c.entered.name, c.converted.name, c.within_days) for c in COHORTS.values()}
    assert names["sql_to_customer"] == (
        "sql_to_customer_entered",
        "sql_to_customer_converted",
        180,
    )
    from lifecycle_metrics.metrics.families.cohorts import cohort

    assert cohort("sql", "customer", within_days=180) is COHORTS["sql_to_customer"]
    with pytest.raises(ValueError, match="declared with 180 and 90 days"):
        cohort("sql", "customer", within_days=90)
    with pytest.raises(ValueError, match="two funnel stages in order"):
        cohort("customer", "sql", within_days=30)


def test_reading_a_measure_the_family_row_lacks_fails_loudly() -> None:
    results = {"reach": {(0, None, None): {"leads": 3}}}
    assert funnel.LEADS.read(results, (0, None, None)) == 3
    assert funnel.LEADS.read(results, (1, None, None)) is None  # no row: nothing happened
    with pytest.raises(KeyError, match="no measure 'mqls'"):
        funnel.MQLS.read(results, (0, None, None))
    with pytest.raises(KeyError, match="'web' was not computed"):
        Measure("web", "sessions", ("sessions",)).read(results, (0, None, None))
