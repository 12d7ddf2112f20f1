"""Every metric of the catalog on the hand-made `acme` dataset, each value worked out by hand.

The dataset (tests/fixtures/acme) holds the traps SPEC §3–§4 warn about: a skipped stage, a
recycled lead coming back, an internal contact with activity of every kind, machine and
repeated opens, a bounce, an open and a created_at whose offset moves them across a month
boundary, churn and return inside one month, expansion MRR, unallocated cost shared out,
divisions by zero, and cohorts still immature at as_of (2024-06-30 23:59:59 UTC).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from lifecycle_metrics.dataset import load
from lifecycle_metrics.metrics.catalog import CATALOG
from lifecycle_metrics.metrics.engine import compute_result

ACME = Path(__file__).resolve().parents[1] / "fixtures" / "acme"
AS_OF = "2024-06-30T23:59:59Z"
EMPTY = None


Values = dict[tuple[str, str, str | None, str | None], tuple[float | None, bool]]


def acme_values(data: str | Path = ACME, **engine: str) -> Values:
    """Every metric of the catalog on acme, once: (metric, month, dimension, member) → value."""
    dataset = load(data, **engine)  # type: ignore[arg-type]
    result = compute_result(
        dataset, by=["channel", "source", "campaign_id", "segment"], as_of=AS_OF
    )
    return {
        (r["metric"], r["month"], r["dimension"], r["member"]): (r["value"], r["mature"])
        for r in result.rows
    }


@pytest.fixture(scope="module")
def values() -> Values:
    return acme_values()


def value(values, metric, month, dimension=None, member=None):  # type: ignore[no-untyped-def]
    return values[(metric, month, dimension, member)][0]


# (metric, month, dimension, member) -> expected value, with why.
EXPECTED = [
    # leads: c1, c2 in Jan; c3's created_at 2024-01-31T23:30-02:00 is Feb 1 01:30 UTC; c5 Feb;
    # c6 Mar; c7 Apr. c4 is internal and never counts.
    ("new_leads", "2024-01", None, None, 2),
    ("new_leads", "2024-02", None, None, 2),
    ("new_leads", "2024-03", None, None, 1),
    ("new_leads", "2024-05", None, None, 0),
    ("new_leads", "2024-01", "channel", "paid", 1),  # c1 only: c4 (paid) is internal
    ("new_leads", "2024-02", "channel", "unknown", 1),  # c5 has no channel
    ("new_leads", "2024-01", "source", "unknown", 1),  # c2 has no source
    ("new_leads", "2024-02", "segment", "unknown", 2),  # c3, c5: no account → own id, no segment
    ("new_leads", "2024-01", "segment", "SMB", 2),
    # visits: Feb's w5 belongs to internal c4
    ("visits", "2024-01", None, None, 3),
    ("unique_visitors", "2024-01", None, None, 2),
    ("visits", "2024-01", "channel", "paid", 2),
    ("unique_visitors", "2024-01", "channel", "paid", 1),
    ("visits", "2024-02", None, None, 1),
    ("visit_to_lead_rate", "2024-01", None, None, 1.0),  # 2 leads / 2 visitors
    ("visit_to_lead_rate", "2024-02", None, None, 2.0),  # 2 leads / 1 visitor
    ("visit_to_lead_rate", "2024-03", None, None, EMPTY),  # no visitor
    # MQLs: c1 Jan 20, c2 Jan 25 (its second MQL in March is not first-time); c5 reaches mql
    # through its Feb 20 sql change (skip); c6 Mar 25; c7 through customer on Apr 11.
    ("mqls", "2024-01", None, None, 2),
    ("mqls", "2024-02", None, None, 1),
    ("mqls", "2024-03", None, None, 1),
    ("mqls", "2024-04", None, None, 1),
    ("sqls", "2024-02", None, None, 2),  # c1, c5
    ("sqls", "2024-03", None, None, 0),
    ("sqls", "2024-04", None, None, 1),  # c7 skipping to customer
    # customers: a1 through c1 (Mar 1); account "c5" (no account_id) and a2 through c7 in Apr
    ("new_customers", "2024-03", None, None, 1),
    ("new_customers", "2024-04", None, None, 2),
    ("new_customers", "2024-04", "segment", "Enterprise", 1),
    ("new_customers", "2024-04", "segment", "unknown", 1),
    ("new_customers", "2024-03", "channel", "paid", 1),
    # reopened: c2's MQL on Mar 3 follows its Feb 5 recycle
    ("reopened_leads", "2024-03", None, None, 1),
    ("reopened_leads", "2024-03", "channel", "organic", 1),
    ("reopened_leads", "2024-02", None, None, 0),
    # cohort rates (90 / 90 / 180 days), mature when start(m+1) + window ≤ as_of
    ("lead_to_mql_rate", "2024-01", None, None, 1.0),  # c1, c2 both within 90 days
    ("lead_to_mql_rate", "2024-02", None, None, 0.5),  # c5 yes, c3 never
    ("lead_to_mql_rate", "2024-04", None, None, 1.0),  # c7, immature
    ("lead_to_mql_rate", "2024-05", None, None, EMPTY),  # no lead in May
    ("mql_to_sql_rate", "2024-01", None, None, 0.5),  # c1 yes, c2 no
    ("mql_to_sql_rate", "2024-02", None, None, 1.0),  # c5: mql and sql at the same instant
    ("mql_to_sql_rate", "2024-03", None, None, 0.0),  # c6 no
    ("sql_to_customer_rate", "2024-02", None, None, 1.0),  # c1 (Mar 1), c5 (Apr 10)
    ("sql_to_customer_rate", "2024-03", None, None, EMPTY),
    # opportunity is reached with customer (a skipped stage): c1 sql Feb 10 → Mar 1, 20 days;
    # c5 Feb 20 → Apr 10, 50 days; c7 skips straight to customer on Apr 11, 0 days
    ("sql_to_opportunity_rate", "2024-02", None, None, 1.0),
    ("sql_to_opportunity_rate", "2024-03", None, None, EMPTY),  # nobody reaches sql in March
    ("sql_to_opportunity_rate", "2024-04", None, None, 1.0),
    # days lead → customer: c1 Jan 5 12:00 → Mar 1 = 55.5; Apr: c5 Feb 15 → Apr 10 = 55,
    # c7 Apr 1 → Apr 11 = 10: median of two = 32.5
    ("lead_to_customer_days", "2024-03", None, None, 55.5),
    ("lead_to_customer_days", "2024-04", None, None, 32.5),
    ("lead_to_customer_days", "2024-04", "channel", "organic", 10.0),
    ("lead_to_customer_days", "2024-02", None, None, EMPTY),
    # lead scores at end of month: c1 has 50 and 40 at exactly Feb 1 00:00 (the end of Jan;
    # the higher counts), c2 30 → median 40; Feb: c5's score comes a second too late
    ("new_lead_score_median", "2024-01", None, None, 40.0),
    ("new_lead_score_median", "2024-02", None, None, EMPTY),
    ("new_lead_score_median", "2024-03", None, None, 60.0),
    # nurture email, k1 in Feb: 5 sends − 1 bounce = 4 delivered; unique human opens: c1/m1
    # (opened twice), c2/m2 (the machine open does not count; the human one has no campaign
    # and takes m2's), c5/m4 = 3; one click. c4's send is internal; k2 is not automated.
    ("nurture_open_rate", "2024-02", None, None, 0.75),
    ("nurture_click_rate", "2024-02", None, None, 0.25),
    ("nurture_click_to_open_rate", "2024-02", None, None, 1 / 3),
    ("nurture_open_rate", "2024-02", "campaign_id", "k1", 0.75),
    ("nurture_open_rate", "2024-02", "channel", "email", 0.75),
    # the open at 2024-02-29T23:30-05:00 is in March, where nothing was delivered
    ("nurture_open_rate", "2024-03", None, None, EMPTY),
    ("nurture_open_rate", "2024-03", "campaign_id", "k1", EMPTY),
    ("nurture_click_to_open_rate", "2024-03", None, None, 0.0),
    ("nurture_click_rate", "2024-01", None, None, EMPTY),
    # customer programs in Apr: k3 (1 sent, 1 opened), k4 (1 sent)
    ("customer_open_rate", "2024-04", None, None, 0.5),
    ("customer_open_rate", "2024-04", "campaign_id", "k3", 1.0),
    ("customer_open_rate", "2024-04", "channel", "events", 0.0),
    ("customer_click_rate", "2024-04", None, None, 0.0),
    # costs: Jan = 1000 paid + 500 k1 (email) + 3000 labor shared 2:1 → paid 3000, email 1500
    ("cost_per_lead", "2024-01", None, None, 2250.0),  # 4500 / 2
    ("cost_per_lead", "2024-01", "channel", "paid", 3000.0),
    ("cost_per_lead", "2024-01", "channel", "organic", 0.0),  # no cost: 0 / 1
    ("cost_per_lead", "2024-01", "channel", "email", EMPTY),  # cost but no lead
    ("cost_per_mql", "2024-01", None, None, 2250.0),
    # Feb has only unallocated cost: it forms the member `unallocated`
    ("cost_per_lead", "2024-02", None, None, 400.0),
    ("cost_per_lead", "2024-02", "channel", "unallocated", EMPTY),
    ("cost_per_lead", "2024-02", "channel", "paid", 0.0),
    ("cost_per_sql", "2024-02", None, None, 400.0),  # 800 / 2
    # Mar has no cost row: unknown cost
    ("cost_per_lead", "2024-03", None, None, EMPTY),
    ("cost_per_lead", "2024-03", "channel", "paid", EMPTY),
    ("cost_per_customer", "2024-03", None, None, EMPTY),
    ("cost_per_customer", "2024-01", None, None, EMPTY),  # no customer
    # deals: d1 12000 Mar (channel of its contact c1: paid); Apr d2 6000 partner, d3 2000
    # upsell through campaign k4 (events), d4 1000 renewal (unknown). d5 lost, d6 open,
    # d7 closes after as_of.
    ("bookings", "2024-03", None, None, 12000.0),
    ("bookings", "2024-03", "channel", "paid", 12000.0),
    ("bookings", "2024-04", None, None, 9000.0),
    ("bookings", "2024-04", "channel", "events", 2000.0),
    ("bookings", "2024-05", None, None, 0.0),
    ("upsell_revenue_share", "2024-04", None, None, 2000 / 9000),
    ("existing_customer_revenue_share", "2024-04", None, None, 3000 / 9000),
    ("existing_customer_revenue_share", "2024-04", "channel", "unknown", 1.0),
    ("upsell_revenue_share", "2024-03", None, None, 0.0),
    ("upsell_revenue_share", "2024-02", None, None, EMPTY),
    # ROI over the trailing 12 months: cost 4500 (Jan) + 800 (Feb); new business 12000 (Mar)
    # and 6000 (Apr)
    ("marketing_roi", "2024-01", None, None, -1.0),
    ("marketing_roi", "2024-03", None, None, (12000 - 5300) / 5300),
    ("marketing_roi", "2024-06", None, None, (18000 - 5300) / 5300),
    ("marketing_roi", "2024-03", "channel", "paid", 3.0),  # (12000 − 3000) / 3000
    ("marketing_roi", "2024-04", "channel", "partner", EMPTY),  # won, but no cost
    ("marketing_roi", "2024-04", "channel", "unallocated", -1.0),
    # subscriptions: a1 100 → 150 at Mar 1 (expansion at the boundary), a2 churns Feb 10 and
    # returns Feb 20 (not churned), a3 50 from Jan 1 00:00 to Apr 15
    ("customers", "2024-01", None, None, 2),
    ("customers", "2024-02", None, None, 3),
    ("customers", "2024-05", None, None, 2),
    ("customers", "2024-02", "segment", "unknown", 1),
    ("churn_rate", "2024-02", None, None, 0.0),
    ("churn_rate", "2024-04", None, None, 1 / 3),
    ("churn_rate", "2024-04", "segment", "unknown", 1.0),
    ("net_revenue_retention", "2024-02", None, None, 400 / 350),
    ("gross_revenue_retention", "2024-02", None, None, 1.0),
    ("gross_revenue_retention", "2024-04", None, None, 350 / 400),
    ("net_revenue_retention", "2024-04", "segment", "SMB", 1.0),
    # NPS in Feb: 10 (SMB via c1), 6 (a2), 8 (no account); c4's 9 is internal
    ("nps", "2024-02", None, None, 0.0),
    ("nps", "2024-02", "segment", "SMB", 100.0),
    ("nps", "2024-02", "segment", "Enterprise", -100.0),
    ("nps", "2024-03", None, None, EMPTY),  # r5 is 2024-04-01 00:30 UTC
    ("nps", "2024-04", None, None, -100.0),
]


@pytest.mark.parametrize(
    ("metric", "month", "dimension", "member", "expected"),
    EXPECTED,
    ids=[f"{m}-{mo}-{d or 'total'}-{mem or ''}" for m, mo, d, mem, _ in EXPECTED],
)
def test_value(values, metric, month, dimension, member, expected) -> None:  # type: ignore[no-untyped-def]
    check_value(values, metric, month, dimension, member, expected)


def check_value(values, metric, month, dimension, member, expected) -> None:  # type: ignore[no-untyped-def]
    got = value(values, metric, month, dimension, member)
    if expected is None:
        assert got is None
    else:
        assert got is not None and math.isclose(got, expected, rel_tol=1e-12), (got, expected)


def test_every_metric_has_a_hand_worked_value() -> None:
    assert {row[0] for row in EXPECTED} == set(CATALOG.ids())


MATURITY = [
    ("lead_to_mql_rate", "2024-03", True),  # Apr 1 + 90 days = Jun 30 00:00 ≤ as_of
    ("lead_to_mql_rate", "2024-04", False),  # May 1 + 90 days = Jul 30
    ("sql_to_customer_rate", "2024-01", False),  # Feb 1 + 180 days = Jul 30
    ("sql_to_opportunity_rate", "2024-03", True),  # Apr 1 + 90 days = Jun 30 00:00 ≤ as_of
    ("sql_to_opportunity_rate", "2024-04", False),  # May 1 + 90 days = Jul 30
    ("new_leads", "2024-06", True),  # not a cohort metric
]
# (metric, month, dimension, member) → whether the member has a row that month
MEMBERS = [
    (("new_leads", "2024-03", "channel", "organic"), False),  # nobody
    (("bookings", "2024-04", "channel", "paid"), False),
    (("nps", "2024-02", "segment", "unknown"), True),
    (("customer_open_rate", "2024-02", "campaign_id", "k3"), False),
]
# s1 starts 2023-12-15, the earliest event; as_of is in June
MONTHS = ["2023-12", "2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06"]


@pytest.mark.parametrize(("metric", "month", "mature"), MATURITY)
def test_maturity(values, metric, month, mature) -> None:  # type: ignore[no-untyped-def]
    assert values[(metric, month, None, None)][1] is mature


def test_members_appear_only_with_a_non_empty_set(values) -> None:  # type: ignore[no-untyped-def]
    assert [(key, key in values) for key, _ in MEMBERS] == MEMBERS


def test_months_run_from_the_first_event_to_as_of(values) -> None:  # type: ignore[no-untyped-def]
    assert sorted({key[1] for key in values}) == MONTHS


def test_a_send_without_campaign_does_not_borrow_one(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # SPEC §4 lets opens, clicks and bounces take their send's campaign; a send has none to take
    (tmp_path / "campaigns.csv").write_text(
        "campaign_id,name,channel,audience,automated\nk1,Drip,email,prospect,true\n"
    )
    (tmp_path / "activities.csv").write_text(
        "activity_id,contact_id,type,occurred_at,campaign_id,message_id\n"
        "x1,c1,email_sent,2024-01-05,k1,m1\n"
        "x2,c1,email_open,2024-01-06,,m1\n"  # takes k1 from x1
        "x3,c1,email_sent,2024-01-07,,m1\n"
    )  # stays without campaign: not delivered by k1
    result = compute_result(load(tmp_path), metrics=["nurture_open_rate"])
    assert [r["value"] for r in result.rows] == [1.0]  # 1 unique open / 1 delivered
