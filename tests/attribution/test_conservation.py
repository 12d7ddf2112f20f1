"""Invariants over random data: every model credits every won deal in full (SPEC §6.2).

For each model and month, the credits summed over members equal the count and the amount of
the deals of the kind won in that month — the totals row — by channel and by campaign, for
acquisition and expansion. And the one-solve removal effects equal removing each state in turn.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lifecycle_metrics.attribution import MODELS, Settings, attribute
from lifecycle_metrics.attribution.markov import removal_effects
from lifecycle_metrics.dataset import load
from tests.conftest import write_tables

START = datetime(2024, 11, 1)
CHANNELS = [None, "paid", "organic", "email"]
CAMPAIGNS = {"k1": "paid", "k2": "email", "k3": "events"}
COLUMNS = {  # an empty table still needs its header
    "activities": [
        "activity_id",
        "contact_id",
        "type",
        "occurred_at",
        "campaign_id",
        "message_id",
        "is_machine",
    ],
    "web_sessions": ["session_id", "visitor_id", "started_at", "channel", "contact_id"],
}


@st.composite
def datasets(draw: Any) -> dict[str, list[dict[str, Any]]]:
    """Contacts of a few accounts, their touches, and deals — with ties of time on purpose."""
    # whole days or one of two fixed hours, so touches often share an instant
    instants = st.builds(
        lambda day, hour: START + timedelta(days=day, hours=hour),
        st.integers(0, 150),
        st.sampled_from([0, 0, 12]),
    )
    accounts = ["a1", "a2", "a3", "a4"]
    contacts = [
        {
            "contact_id": f"c{i}",
            "created_at": draw(instants),
            "account_id": draw(st.sampled_from([None, *accounts])),
            "channel": draw(st.sampled_from(CHANNELS)),
            "campaign_id": draw(st.sampled_from([None, *CAMPAIGNS])),
            "is_internal": draw(st.sampled_from([False, False, False, True])),
        }
        for i in range(draw(st.integers(1, 6)))
    ]
    someone = st.sampled_from([c["contact_id"] for c in contacts])
    types = st.sampled_from(
        ["email_click", "form_submit", "event_attended", "web_visit", "email_open", "email_sent"]
    )
    activities = [
        {
            "activity_id": f"x{i}",
            "contact_id": draw(someone),
            "type": draw(types),
            "occurred_at": draw(instants),
            "campaign_id": draw(st.sampled_from([None, *CAMPAIGNS])),
            "message_id": draw(st.sampled_from([None, "m1", "m2"])),
            "is_machine": draw(st.sampled_from([False, False, True])),
        }
        for i in range(draw(st.integers(0, 12)))
    ]
    sessions = [
        {
            "session_id": f"s{i}",
            "visitor_id": f"v{i}",
            "started_at": draw(instants),
            "channel": draw(st.sampled_from(CHANNELS)),
            "contact_id": draw(st.one_of(st.none(), someone)),
        }
        for i in range(draw(st.integers(0, 6)))
    ]
    # a contact without account is its own account (§3); "nobody" is an account without contacts
    accounts += [c["contact_id"] for c in contacts] + ["nobody"]
    deal_accounts = accounts
    deals = []
    for i in range(draw(st.integers(1, 7))):
        created = draw(instants)
        deals.append(
            {
                "deal_id": f"d{i}",
                "account_id": draw(st.sampled_from(deal_accounts)),
                "type": draw(st.sampled_from(["new_business", "upsell", "cross_sell", "renewal"])),
                "status": draw(st.sampled_from(["won", "won", "lost", "open"])),
                "created_at": created,
                "amount": draw(st.sampled_from(["100", "250.5", "0", "1999.99"])),
                "closed_at": created + timedelta(days=draw(st.integers(0, 60))),
                "channel": draw(st.sampled_from(CHANNELS)),
                "campaign_id": draw(st.sampled_from([None, *CAMPAIGNS])),
            }
        )
    campaigns = [
        {
            "campaign_id": cid,
            "name": cid,
            "channel": channel,
            "audience": "prospect",
            "automated": False,
        }
        for cid, channel in CAMPAIGNS.items()
    ]
    return {
        "accounts": [{"account_id": a} for a in accounts],
        "contacts": contacts,
        "activities": activities,
        "web_sessions": sessions,
        "deals": deals,
        "campaigns": campaigns,
    }


def _conserved(rows: list[dict[str, Any]]) -> None:
    totals = {r["month"]: (r["conversions"], r["value"]) for r in rows if r["model"] is None}
    for model in MODELS:
        for month, (count, amount) in totals.items():
            mine = [r for r in rows if r["model"] == model and r["month"] == month]
            credited = math.fsum(r["conversions"] for r in mine)
            value = math.fsum(r["value"] for r in mine)
            assert math.isclose(credited, count, abs_tol=1e-9), (model, month, credited, count)
            assert math.isclose(value, amount, rel_tol=1e-9, abs_tol=1e-9), (model, month)
            assert all(r["conversions"] >= 0 for r in mine)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
@given(
    datasets(),
    st.sampled_from(["channel", "campaign_id"]),
    st.sampled_from(["new_business", "expansion"]),
)
def test_every_model_credits_every_deal_in_full(
    tables: dict[str, list[dict[str, Any]]], by: str, deals: str
) -> None:
    with TemporaryDirectory() as folder:
        write_tables(Path(folder), tables, COLUMNS)
        result = attribute(
            load(folder), settings=Settings(by=by, deals=deals, lookback_days=90, half_life_days=3)
        )
    _conserved(result.rows)


def _brute_force(counts: dict[tuple[str | None, str], float]) -> dict[str, float]:
    """RE_c by removing each state in turn: every transition into c goes to null (k solves)."""
    states = sorted({t for _, t in counts if not t.startswith("#")} | {s for s, _ in counts if s})

    def probability(without: str | None) -> float:
        kept = [s for s in states if s != without]
        index = {s: i for i, s in enumerate(kept)}
        k = len(kept)
        matrix, target, start = np.eye(k), np.zeros(k), np.zeros(k)
        outs: dict[str | None, float] = {}
        for (source, _), weight in counts.items():
            outs[source] = outs.get(source, 0.0) + weight
        for (source, to), weight in counts.items():
            if without is not None and source == without:  # c is never left: never reached
                continue
            if source is None:
                if to in index:
                    start[index[to]] += weight / outs[None]
                continue
            i = index[source]
            if to == "#conversion":
                target[i] += weight / outs[source]
            elif to in index:
                matrix[i, index[to]] -= weight / outs[source]
        return float(start @ np.linalg.solve(matrix, target))

    base = probability(None)
    return {s: 1 - probability(s) / base for s in states}


@settings(max_examples=80, deadline=None, print_blob=True)
@given(
    st.lists(
        st.tuples(
            st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), min_size=1, max_size=6),
            st.sampled_from(["#conversion", "#null"]),
        ),
        min_size=1,
        max_size=10,
    ).filter(lambda paths: any(end == "#conversion" for _, end in paths))
)
def test_one_solve_equals_removing_each_state(paths: list[tuple[list[str], str]]) -> None:
    counts: dict[tuple[str | None, str], float] = {}
    for steps, end in paths:  # start → s1 → … → sn → end, as paths are counted (§6.3)
        for move in zip([None, *steps], [*steps, end], strict=True):
            counts[move] = counts.get(move, 0.0) + 1.0
    rows = [
        {
            "from_state": source,
            "to_state": None if to.startswith("#") else to,
            "absorb": to[1:] if to.startswith("#") else None,
            "weight": weight,
        }
        for (source, to), weight in counts.items()
    ]
    probability, effects = removal_effects(rows)
    expected = _brute_force(counts)
    assert probability > 0
    assert set(effects) == set(expected)
    for state, effect in expected.items():
        assert math.isclose(effects[state], effect, rel_tol=1e-9, abs_tol=1e-9), state
