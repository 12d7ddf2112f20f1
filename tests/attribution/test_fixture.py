"""The hand-worked attribution fixture (tests/fixtures/attribution), every credit of March 2025.

The data, as the models see it (SPEC §6.1–6.2; no stage changes, so a lead is created at
`created_at`; c9 is internal and leaves with its form):
- d1, account A, new_business 1000, created 02-18, closed 03-10. Journey (c1, c2):
  t1 c1 lead creation 01-05 paid_search/cmpP · t2 c2 lead creation 02-01 organic_search/unknown ·
  t3 a1 click 02-10 (no campaign: its send a0's cmpE) email/cmpE · t4 s1 web session 02-15
  direct/unknown · t5 a2 form 02-20 events/cmpV. (a3 is an open, a4 a machine click, a8 after
  closed_at: not in the journey.)
- d2, account B, new_business 500, created 03-02, closed 03-20: t1 c3 lead creation 01-10
  social/unknown · t2 a5 web visit 03-01, no campaign: unknown/unknown.
- d3, account Z (no contact), new_business 200, created 03-01, closed 03-15, channel partner:
  one stand-in touch at created_at, partner/unknown.
- d4 is an upsell (expansion only); d5 is lost.
Costs of March: cmpE 300 (email), paid_search 600, 100 unallocated shared 1:2 → email 333⅓,
paid_search 666⅔; every other channel 0 (§4).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from lifecycle_metrics.attribution import Settings, attribute
from lifecycle_metrics.dataset import load

FIXTURE = Path(__file__).parents[1] / "fixtures" / "attribution"
TWO = 2.0
# Ages in days from closed_at, for time_decay (H = 7 days): d1 closed 03-10, d2 03-20.
D1_AGES = {"paid_search": 64, "organic_search": 37, "email": 28, "direct": 23, "events": 18}
D2_AGES = {"social": 69, "unknown": 19}


def _decay(ages: dict[str, int]) -> dict[str, float]:
    raw = {member: TWO ** (-age / 7) for member, age in ages.items()}
    total = sum(raw.values())
    return {member: weight / total for member, weight in raw.items()}


D1_DECAY, D2_DECAY = _decay(D1_AGES), _decay(D2_AGES)

# model → member → conversions credited in 2025-03 (value: the same weights × each amount).
EXPECTED: dict[str, dict[str, tuple[float, float]]] = {
    "first_touch": {
        "paid_search": (1, 1000),  # d1's t1
        "social": (1, 500),  # d2's t1
        "partner": (1, 200),  # d3's stand-in touch
    },
    "last_touch": {
        "events": (1, 1000),  # d1's t5, the form
        "unknown": (1, 500),  # d2's web visit without campaign
        "partner": (1, 200),
    },
    "linear": {  # d1: 1/5 each; d2: 1/2 each
        "paid_search": (0.2, 200),
        "organic_search": (0.2, 200),
        "email": (0.2, 200),
        "direct": (0.2, 200),
        "events": (0.2, 200),
        "social": (0.5, 250),
        "unknown": (0.5, 250),
        "partner": (1, 200),
    },
    "position_based": {  # d1 (5 touches): 0.4 first and last, 0.2/3 each middle; d2: ½ each
        "paid_search": (0.4, 400),
        "events": (0.4, 400),
        "organic_search": (0.2 / 3, 200 / 3),
        "email": (0.2 / 3, 200 / 3),
        "direct": (0.2 / 3, 200 / 3),
        "social": (0.5, 250),
        "unknown": (0.5, 250),
        "partner": (1, 200),
    },
    # d1: first touch = lead-creation touch = t1 (two roles, 0.6); opportunity touch = last at or
    # before created_at 02-18 = t4 direct (0.3); t2, t3, t5 share 0.1. d2: t1 holds first and
    # lead creation, t2 (03-01 ≤ 03-02) the opportunity role; every touch has a role → k/3.
    "w_shaped": {
        "paid_search": (0.6, 600),
        "direct": (0.3, 300),
        "organic_search": (0.1 / 3, 100 / 3),
        "email": (0.1 / 3, 100 / 3),
        "events": (0.1 / 3, 100 / 3),
        "social": (2 / 3, 1000 / 3),
        "unknown": (1 / 3, 500 / 3),
        "partner": (1, 200),
    },
    "time_decay": {
        **{m: (w, 1000 * w) for m, w in D1_DECAY.items() if m != "unknown"},
        "social": (D2_DECAY["social"], 500 * D2_DECAY["social"]),
        "unknown": (D2_DECAY["unknown"], 500 * D2_DECAY["unknown"]),
        "partner": (1, 200),
    },
    # Paths of March: d1 paid→organic→email→direct→events→conv, d2 social→unknown→conv,
    # d3 partner→conv, and account C's touches (c4 lead 02-10 paid_search, a6 click 02-20
    # email) paid→email→null. P(convert from): events, direct 1; email ½ (half its exits are
    # C's null); organic ½; paid ½·½ + ½·½ = ½; social, unknown, partner 1. P = (2·½+1+1)/4 = ¾.
    # Without paid: P = ½ → RE ⅓; organic: paid → ¼, P = ⅝ → RE ⅙; email, direct, events,
    # social, unknown, partner: P = ½ → RE ⅓. d1 over RE ⅓,⅙,⅓,⅓,⅓ (Σ 3/2): 2/9 each, organic 1/9.
    "markov": {
        "paid_search": (2 / 9, 2000 / 9),
        "organic_search": (1 / 9, 1000 / 9),
        "email": (2 / 9, 2000 / 9),
        "direct": (2 / 9, 2000 / 9),
        "events": (2 / 9, 2000 / 9),
        "social": (0.5, 250),
        "unknown": (0.5, 250),
        "partner": (1, 200),
    },
}
COST = {"email": 1000 / 3, "paid_search": 2000 / 3}


@pytest.fixture(scope="module")
def rows() -> list[dict]:  # type: ignore[type-arg]
    return attribute(load(FIXTURE)).rows


def _march(rows: list[dict], model: str) -> dict[str, dict]:  # type: ignore[type-arg]
    return {r["member"]: r for r in rows if r["model"] == model and r["month"] == "2025-03"}


@pytest.mark.parametrize("model", list(EXPECTED))
def test_every_credit_of_march(rows: list[dict], model: str) -> None:  # type: ignore[type-arg]
    found = _march(rows, model)
    credited = {m: r for m, r in found.items() if r["conversions"] > 0}
    assert set(credited) == set(EXPECTED[model])
    for member, (conversions, value) in EXPECTED[model].items():
        assert math.isclose(credited[member]["conversions"], conversions, rel_tol=1e-12)
        assert math.isclose(credited[member]["value"], value, rel_tol=1e-12)


@pytest.mark.parametrize("model", list(EXPECTED))
def test_cost_and_roi_of_march(rows: list[dict], model: str) -> None:  # type: ignore[type-arg]
    found = _march(rows, model)
    # a member with cost but no credit still appears (email and paid_search under last_touch)
    assert {"email", "paid_search"} <= set(found)
    for member, row in found.items():
        cost = COST.get(member, 0.0)  # a channel without cost in a month with cost rows: 0
        assert math.isclose(row["cost"], cost, abs_tol=1e-9)
        value = EXPECTED[model].get(member, (0, 0))[1]
        if cost:  # ROI over m−11 … m: only March has cost
            assert math.isclose(row["roi"], (value - cost) / cost, abs_tol=1e-12)
        else:
            assert row["roi"] is None


def test_totals_row_every_month(rows: list[dict]) -> None:  # type: ignore[type-arg]
    totals = [(r["month"], r["conversions"], r["value"]) for r in rows if r["model"] is None]
    # three new_business deals won in March (d1, d2, d3); the upsell d4 and the lost d5 are not
    assert totals == [("2025-01", 0, 0.0), ("2025-02", 0, 0.0), ("2025-03", 3, 1700.0)]
    # months before March have neither credit nor cost: only their totals row
    assert {r["month"] for r in rows if r["model"] is not None} == {"2025-03"}


def test_by_campaign_linear_and_campaign_cost() -> None:
    result = attribute(load(FIXTURE), models=["linear"], settings=Settings(by="campaign_id"))
    march = _march(result.rows, "linear")
    got = {m: (round(r["conversions"], 12), r["cost"]) for m, r in march.items()}
    # d1: cmpP (c1's lead), cmpE (a1), cmpV (a2) 1/5 each; c2's lead and s1 have no campaign:
    # unknown 2/5; d2: both touches unknown (1); d3: its own campaign is empty → unknown (1).
    # Cost: the cost rows of the campaign only — cmpE 300, no share of unallocated cost.
    assert got == {
        "cmpP": (0.2, None),
        "cmpE": (0.2, 300.0),
        "cmpV": (0.2, None),
        "unknown": (2.4, None),
    }


def test_expansion_credits_the_upsell_to_its_accounts_touches() -> None:
    result = attribute(
        load(FIXTURE), models=["first_touch", "markov"], settings=Settings(deals="expansion")
    )
    totals = [r for r in result.rows if r["model"] is None and r["month"] == "2025-03"]
    assert (totals[0]["conversions"], totals[0]["value"]) == (1, 300.0)
    # d4 (A, closed 03-18): A's touches up to 03-18 are d1's five and a8 (03-15 form, events)
    first = _march(result.rows, "first_touch")
    assert {m: r["conversions"] for m, r in first.items() if r["conversions"]} == {
        "paid_search": 1.0
    }
    # Markov (expansion): the only null candidates are customers (accounts with a new_business
    # deal won before the end of March): B and Z, and B's touches belong to no expansion deal.
    # B: social→unknown→null. d4: paid→organic→email→direct→events→events→conv: removing any
    # of its channels kills the only conversion, so each RE = 1, split over d4's six touches.
    markov = _march(result.rows, "markov")
    credited = {m: r["conversions"] for m, r in markov.items() if r["conversions"]}
    assert credited == pytest.approx(
        {"paid_search": 0.2, "organic_search": 0.2, "email": 0.2, "direct": 0.2, "events": 0.2}
    )


def test_a_deal_without_contacts_is_named() -> None:
    result = attribute(load(FIXTURE), models=["linear"])
    assert any("1 won deal(s) whose account has no contact (d3)" in w for w in result.warnings)


def test_only_clicks_borrow_their_sends_campaign(tmp_path: Path) -> None:
    import shutil

    data = shutil.copytree(FIXTURE, tmp_path / "data")
    lines = (data / "activities.csv").read_text().splitlines()
    # the send a0 becomes a machine row: it still lends cmpE to the click a1 (SPEC §6.1)
    lines = [
        line.replace("cmpE,m1,false", "cmpE,m1,true") if line.startswith("a0,") else line
        for line in lines
    ]
    # a form of c3 (account B, so in d2's journey) carrying message m1 but no campaign: only
    # an email_click borrows its send's campaign, so the form stays 'unknown'
    lines.append("a10,c3,form_submit,2025-03-05T00:00:00Z,,m1,false")
    (data / "activities.csv").write_text("\n".join(lines) + "\n")
    result = attribute(load(data), models=["linear"], settings=Settings(by="campaign_id"))
    march = _march(result.rows, "linear")
    # d1: cmpP, cmpE (a1), cmpV 1/5 each; d2 now has three unknown touches; d3 unknown
    assert round(march["cmpE"]["conversions"], 12) == 0.2
    assert round(march["unknown"]["conversions"], 12) == 2.4


def test_deals_alone_are_credited_to_their_own_channel(tmp_path: Path) -> None:
    data = tmp_path / "deals-only"
    data.mkdir()
    (data / "deals.csv").write_text(
        "deal_id,account_id,type,status,created_at,amount,closed_at,contact_id,campaign_id,channel\n"
        "d1,A,new_business,won,2025-02-18T00:00:00Z,1000,2025-03-10T00:00:00Z,,,paid\n"
        "d2,B,new_business,won,2025-03-01T00:00:00Z,0.0000000004,2025-03-11T00:00:00Z,,,paid\n"
    )
    result = attribute(load(data))
    march = [r for r in result.rows if r["month"] == "2025-03"]
    totals = next(r for r in march if r["model"] is None)
    # no decimal rounding: the totals equal what the credits add up to, to the last digit
    assert (totals["conversions"], totals["value"]) == (2, 1000.0000000004)
    for model in ("first_touch", "markov", "time_decay"):
        credited = {r["member"]: r for r in march if r["model"] == model}
        assert set(credited) == {"paid"}
        assert credited["paid"]["conversions"] == pytest.approx(2)
        assert credited["paid"]["value"] == 1000.0000000004
