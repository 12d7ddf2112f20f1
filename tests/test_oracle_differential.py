"""The engine against a plain-Python oracle of SPEC on random datasets (hypothesis)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from lifecycle_metrics.dataset import load
from lifecycle_metrics.metrics.catalog import CATALOG
from lifecycle_metrics.metrics.engine import compute_result
from tests.conftest import write_tables
from tests.oracle import Oracle

DIMS = ["channel", "source", "campaign_id", "segment"]
# Instants around month boundaries (UTC and New York) plus ordinary ones.
BOUNDARIES = [
    datetime(2024, 2, 1),
    datetime(2024, 3, 1),
    datetime(2024, 4, 1),
    datetime(2024, 2, 1, 5),
    datetime(2024, 3, 1, 5),
    datetime(2024, 4, 1, 4),
    datetime(2024, 3, 10, 7),
]
instants = st.one_of(
    st.sampled_from(BOUNDARIES),
    st.sampled_from(BOUNDARIES).map(lambda t: t - timedelta(seconds=1)),
    st.datetimes(min_value=datetime(2024, 1, 20), max_value=datetime(2024, 5, 10)).map(
        lambda t: t.replace(microsecond=0)
    ),
)
CAMPAIGNS = [
    {
        "campaign_id": "k1",
        "name": "Drip <one>",
        "channel": "email",
        "audience": "prospect",
        "automated": True,
    },
    {
        "campaign_id": "k2",
        "name": "Paid",
        "channel": "paid",
        "audience": "prospect",
        "automated": False,
    },
    {
        "campaign_id": "k3",
        "name": "Onboarding",
        "channel": "email",
        "audience": "customer",
        "automated": True,
    },
    {
        "campaign_id": "k4",
        "name": "Events",
        "channel": "events",
        "audience": "customer",
        "automated": False,
    },
]
ACCOUNTS = [
    {"account_id": "a1", "segment": "SMB"},
    {"account_id": "a2", "segment": "Enterprise"},
    {"account_id": "a3", "segment": None},
]


@st.composite
def datasets(draw: Any) -> dict[str, list[dict[str, Any]]]:
    contact_count = draw(st.integers(1, 7))
    contact_ids = [f"c{i}" for i in range(contact_count)]
    contacts = [
        {
            "contact_id": cid,
            "created_at": draw(instants),
            "account_id": draw(st.sampled_from([None, "a1", "a2", "a3"])),
            "channel": draw(st.sampled_from([None, "paid", "organic", "email"])),
            "source": draw(st.sampled_from([None, "s1", "s2"])),
            "campaign_id": draw(st.sampled_from([None, "k1", "k2"])),
            "is_internal": draw(st.sampled_from([False, False, False, True])),
        }
        for cid in contact_ids
    ]
    someone = st.sampled_from(contact_ids)
    stages = st.sampled_from(
        ["lead", "mql", "sql", "opportunity", "customer", "recycled", "disqualified"]
    )
    stage_changes = [
        {"contact_id": draw(someone), "stage": draw(stages), "changed_at": draw(instants)}
        for _ in range(draw(st.integers(0, 14)))
    ]
    activities = []
    for index in range(draw(st.integers(0, 18))):
        activities.append(
            {
                "activity_id": f"x{index}",
                "contact_id": draw(someone),
                "type": draw(
                    st.sampled_from(
                        [
                            "email_sent",
                            "email_sent",
                            "email_open",
                            "email_open",
                            "email_click",
                            "email_bounce",
                            "web_visit",
                        ]
                    )
                ),
                "occurred_at": draw(instants),
                "campaign_id": draw(st.sampled_from([None, "k1", "k1", "k2", "k3", "k4"])),
                "message_id": draw(st.sampled_from([None, "m1", "m2", "m3"])),
                "is_machine": draw(st.sampled_from([False, False, True])),
            }
        )
    months = ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05"]
    costs = [
        {
            "month": draw(st.sampled_from(months)),
            "amount": draw(st.sampled_from([0, 100, 250.5, 1000])),
            "category": draw(st.sampled_from(["program", "labor", "technology"])),
            "campaign_id": (campaign := draw(st.sampled_from([None, None, "k1", "k4"]))),
            "channel": None if campaign else draw(st.sampled_from([None, "paid", "organic"])),
        }
        for _ in range(draw(st.integers(0, 8)))
    ]
    deals = []
    for index in range(draw(st.integers(0, 6))):
        status = draw(st.sampled_from(["open", "won", "won", "lost"]))
        created = draw(instants)
        deals.append(
            {
                "deal_id": f"d{index}",
                "account_id": draw(st.sampled_from(["a1", "a2", "a3"])),
                "type": draw(st.sampled_from(["new_business", "upsell", "cross_sell", "renewal"])),
                "status": status,
                "created_at": created,
                "amount": draw(st.sampled_from([0, 500, 1200.25, 3000])),
                "closed_at": draw(instants) if status != "open" else None,
                "contact_id": draw(st.sampled_from([None, *contact_ids])),
                "campaign_id": draw(st.sampled_from([None, "k2", "k4"])),
                "channel": draw(st.sampled_from([None, None, "partner"])),
            }
        )
    subscriptions = []
    for index in range(draw(st.integers(0, 6))):
        start = draw(instants)
        end = draw(st.sampled_from([None, *BOUNDARIES, start + timedelta(days=20)]))
        if end is not None and end <= start:
            end = None
        subscriptions.append(
            {
                "subscription_id": f"s{index}",
                "account_id": draw(st.sampled_from(["a1", "a2", "a3"])),
                "started_at": start,
                "mrr": draw(st.sampled_from([0, 100, 250.5])),
                "ended_at": end,
            }
        )
    nps = [
        {
            "response_id": f"r{index}",
            "score": draw(st.integers(0, 10)),
            "responded_at": draw(instants),
            "contact_id": draw(st.sampled_from([None, *contact_ids])),
            "account_id": draw(st.sampled_from([None, None, "a1", "a3"])),
        }
        for index in range(draw(st.integers(0, 6)))
    ]
    scores = [
        {
            "contact_id": draw(someone),
            "score": draw(st.sampled_from([10, 35, 35, 80])),
            "scored_at": draw(instants),
        }
        for _ in range(draw(st.integers(0, 8)))
    ]
    sessions = [
        {
            "session_id": f"w{index}",
            "visitor_id": draw(st.sampled_from(["v1", "v2", "v3"])),
            "started_at": draw(instants),
            "channel": draw(st.sampled_from([None, "paid", "seo"])),
            "contact_id": draw(st.sampled_from([None, *contact_ids])),
        }
        for index in range(draw(st.integers(0, 6)))
    ]
    tables = {
        "contacts": contacts,
        "accounts": ACCOUNTS,
        "stage_changes": stage_changes,
        "activities": activities,
        "campaigns": CAMPAIGNS,
        "costs": costs,
        "deals": deals,
        "subscriptions": subscriptions,
        "nps_responses": nps,
        "lead_scores": scores,
        "web_sessions": sessions,
    }
    # Optional columns absent now and then: an absent boolean reads as false.
    tables["_drop"] = [
        {"column": c}
        for c in ("is_internal", "is_machine", "source")
        if draw(st.integers(0, 4)) == 0
    ]
    # Some tables absent now and then; never the ones others must resolve against.
    for optional in (
        "costs",
        "deals",
        "subscriptions",
        "nps_responses",
        "lead_scores",
        "web_sessions",
        "activities",
        "stage_changes",
    ):
        if draw(st.integers(0, 5)) == 0:
            del tables[optional]
    return tables


COLUMNS = {
    "contacts": [
        "contact_id",
        "created_at",
        "account_id",
        "channel",
        "source",
        "campaign_id",
        "is_internal",
    ],
    "accounts": ["account_id", "segment"],
    "stage_changes": ["contact_id", "stage", "changed_at"],
    "activities": [
        "activity_id",
        "contact_id",
        "type",
        "occurred_at",
        "campaign_id",
        "message_id",
        "is_machine",
    ],
    "campaigns": ["campaign_id", "name", "channel", "audience", "automated"],
    "costs": ["month", "amount", "category", "campaign_id", "channel"],
    "deals": [
        "deal_id",
        "account_id",
        "type",
        "status",
        "created_at",
        "amount",
        "closed_at",
        "contact_id",
        "campaign_id",
        "channel",
    ],
    "subscriptions": ["subscription_id", "account_id", "started_at", "mrr", "ended_at"],
    "nps_responses": ["response_id", "score", "responded_at", "contact_id", "account_id"],
    "lead_scores": ["contact_id", "score", "scored_at"],
    "web_sessions": ["session_id", "visitor_id", "started_at", "channel", "contact_id"],
}


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def _engine(
    tables: dict[str, list[dict[str, Any]]], tz: str, as_of: datetime | None
) -> dict[tuple, tuple[float | None, bool]]:
    dropped = {row["column"] for row in tables.get("_drop", [])}
    columns = {name: [c for c in names if c not in dropped] for name, names in COLUMNS.items()}
    data = {name: rows for name, rows in tables.items() if name != "_drop"}
    with TemporaryDirectory() as folder:
        write_tables(Path(folder), data, columns)
        dataset = load(folder, tz=tz)
        result = compute_result(dataset, by=DIMS, as_of=as_of)
    return {
        (r["metric"], r["month"], r["dimension"], r["member"]): (r["value"], r["mature"])
        for r in result.rows
    }


def _compare(
    tables: dict[str, list[dict[str, Any]]], tz: str, as_of: datetime | None = None
) -> None:
    assume(any(tables.get(name) for name in ("contacts", "stage_changes")))
    engine = _engine(tables, tz, as_of)
    dropped = {row["column"] for row in tables.get("_drop", [])}
    seen = {
        name: [{k: v for k, v in row.items() if k not in dropped} for row in rows]
        for name, rows in tables.items()
        if name != "_drop"
    }
    expected = Oracle(seen, tz, as_of).compute(DIMS)
    assert set(engine) == set(expected), (
        f"only engine: {sorted(set(engine) - set(expected), key=repr)[:8]}; "
        f"only oracle: {sorted(set(expected) - set(engine), key=repr)[:8]}"
    )
    for key, (value, mature) in expected.items():
        got, got_mature = engine[key]
        assert _close(got, value), f"{key}: engine {got!r}, oracle {value!r}"
        assert got_mature == mature, f"{key}: mature engine {got_mature}, oracle {mature}"
    _check_invariants(engine)


# Rates bounded by construction. Email rates are not: an open counts in the month it happens,
# so a month can hold more unique opens than deliveries (SPEC defines them on events in m).
BOUNDED_RATES = {
    "lead_to_mql_rate",
    "mql_to_sql_rate",
    "sql_to_customer_rate",
    "churn_rate",
    "gross_revenue_retention",
    "upsell_revenue_share",
    "existing_customer_revenue_share",
}


def _check_invariants(values: dict[tuple, tuple[float | None, bool]]) -> None:
    """Additive metrics sum over channel members to the total; bounded rates lie in [0, 1]."""
    additive = {m.id for m in CATALOG if m.additive and "channel" in m.dimensions}
    totals: dict[tuple[str, str], float] = {}
    sums: dict[tuple[str, str], float] = {}
    for (metric, month, dimension, _), (value, _) in values.items():
        if metric in BOUNDED_RATES and value is not None:
            assert -1e-12 <= value <= 1 + 1e-12, (metric, month, value)
        if metric not in additive:
            continue
        if dimension is None:
            totals[(metric, month)] = value or 0.0
        elif dimension == "channel":
            sums[(metric, month)] = sums.get((metric, month), 0.0) + (value or 0.0)
    for key, total in totals.items():
        assert math.isclose(sums.get(key, 0.0), total, rel_tol=1e-9, abs_tol=1e-9), key


# Shrinking a dataset of a dozen tables is slow; a failing example is printed whole instead.
PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    phases=PHASES,
    print_blob=True,
)
@given(datasets())
def test_engine_agrees_with_oracle_in_utc(tables: dict[str, list[dict[str, Any]]]) -> None:
    _compare(tables, "UTC")


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    phases=PHASES,
    print_blob=True,
)
@given(datasets(), st.sampled_from([datetime(2024, 3, 1), datetime(2024, 4, 15, 12)]))
def test_engine_agrees_with_oracle_in_new_york_with_as_of(
    tables: dict[str, list[dict[str, Any]]], as_of: datetime
) -> None:
    assume(any(c["created_at"] <= as_of for c in tables["contacts"]))
    _compare(tables, "America/New_York", as_of)


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    phases=PHASES,
    print_blob=True,
)
@given(datasets())
def test_removing_internal_contacts_from_the_input_changes_nothing(
    tables: dict[str, list[dict[str, Any]]],
) -> None:
    internal = {c["contact_id"] for c in tables["contacts"] if c["is_internal"]}
    assume(internal and len(internal) < len(tables["contacts"]))
    tables.pop("_drop", None)
    cleaned = {
        name: [row for row in rows if row.get("contact_id") not in internal]
        for name, rows in tables.items()
    }
    as_of = datetime(2024, 5, 10)
    assert _engine(tables, "UTC", as_of) == _engine(cleaned, "UTC", as_of)
