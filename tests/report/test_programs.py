"""The report's program answers (SPEC §6) on the hand-worked attribution fixture."""

from __future__ import annotations

import math

import pytest

from lifecycle_metrics.dataset import load
from lifecycle_metrics.report import build_report, render
from lifecycle_metrics.report.charts import model_shares
from tests.attribution.test_fixture import EXPECTED, FIXTURE


@pytest.fixture(scope="module")
def answers() -> dict:  # type: ignore[type-arg]
    return build_report(load(FIXTURE), month="2025-03").attribution


def test_convert_shows_every_model_credit_summed_over_twelve_months(answers: dict) -> None:  # type: ignore[type-arg]
    acquisition = answers["acquisition"]
    assert answers["window"] == "2024-04 … 2025-03"
    assert (acquisition["deals"], acquisition["amount"]) == (3, 1700.0)
    rows = {r["member"]: r for r in acquisition["channels"]}
    for model, credits in EXPECTED.items():
        for member, (customers, bookings) in credits.items():
            shown = rows[member]["models"][model]
            assert math.isclose(shown["customers"], customers, rel_tol=1e-12)
            assert math.isclose(shown["bookings"], bookings, rel_tol=1e-12)
    # paid_search: 666⅔ of cost; Markov credits it 2000/9 → ROI = (2000/9 − 2000/3) / (2000/3)
    assert rows["paid_search"]["cost"] == pytest.approx(2000 / 3)
    assert rows["paid_search"]["models"]["markov"]["roi"] == pytest.approx(-2 / 3)


def test_convert_names_where_the_models_disagree(answers: dict) -> None:  # type: ignore[type-arg]
    found = {d["member"]: d for d in answers["acquisition"]["disagreements"]}
    # paid_search: first touch credits it 1 of 3 customers (⅓), last touch none (the first
    # model in SPEC order with the least)
    assert found["paid_search"]["highest"] == "first_touch"
    assert found["paid_search"]["lowest"] == "last_touch"
    assert found["paid_search"]["high_share"] == pytest.approx(1 / 3)
    assert found["paid_search"]["low_share"] == 0
    # partner is credited 1 of 3 by every model: no disagreement
    assert "partner" not in found


def test_expand_credits_the_upsell_to_customer_programs_only(answers: dict) -> None:  # type: ignore[type-arg]
    expansion = answers["expansion"]
    assert (expansion["deals"], expansion["amount"]) == (1, 300.0)
    # the fixture has no campaign with audience customer: the report says so
    assert expansion["campaigns"] == [] and expansion["has_customer_campaigns"] is False


def test_nurture_shows_lifting_and_no_effect_activities() -> None:
    report = build_report(load(FIXTURE), month="2025-02")
    lift = report.attribution["score_lift"]
    # February (tests/attribution/test_score_lift.py): clicks +15 and −6 → no visible effect;
    # cmpE (+15, +15, −6) → no visible effect; no member's interval lies above 0
    assert {(r["dimension"], r["member"]) for r in lift["no_effect"]} == {
        ("type", "email_click"),
        ("campaign_id", "cmpE"),
    }
    assert lift["lifting"] == []
    markdown = render(report, "markdown")
    # data strings are escaped for Markdown: parentheses too
    assert "- no visible effect: Nurture mail \\(campaign\\) +8.0 \\(95 % -5.7 to 21.7" in markdown


def test_every_renderer_shows_the_answers() -> None:
    report = build_report(load(FIXTURE), month="2025-03")
    markdown = render(report, "markdown")
    assert "| channel | first | last | linear | U-shape | W-shape | decay | markov |" in markdown
    assert "| paid\\_search | 1.0 | 0.0 | 0.2 | 0.4 | 0.6 | 0.0 | 0.2 | 666.67 | -66.7% |" in (
        markdown
    )
    html = render(report, "html")
    assert 'id="attribution-channels"' in html and "models disagree" in html
    from rich.console import Console

    from lifecycle_metrics.report.text import render_terminal

    console = Console(width=100, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(render_terminal(report))
    assert "New customers credited by channel, 2024-04 … 2025-03" in console.export_text()


def test_channel_names_in_the_chart_are_escaped() -> None:
    svg = model_shares({'<img src=x onerror="alert(1)">': {"linear": 1.0}}, ["linear"])
    assert "<img" not in svg and "&lt;img" in svg
