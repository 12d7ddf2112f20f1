"""HubSpot: the connector's tables and HubSpot's own exports import as the canonical original."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from lifecycle_metrics.cli import app
from lifecycle_metrics.sources import import_source
from tests.sources.conftest import FIXTURES, every_metric
from tests.sources.layouts import to_hubspot, to_hubspot_exports

HUBSPOT = FIXTURES / "hubspot"


def _rows(path: Path) -> int:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


def _digests(folder: Path) -> dict[str, str]:
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.glob("*.parquet"))
    }


@pytest.fixture(scope="module")
def connector_export(canonical_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo as HubSpot's connector lands it."""
    return to_hubspot(canonical_demo, tmp_path_factory.mktemp("hubspot") / "export")


@pytest.fixture(scope="module")
def imported(connector_export: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The connector export imported."""
    out = tmp_path_factory.mktemp("imported") / "dataset"
    import_source("hubspot", connector_export, out)
    return out


def test_every_fixture_row_is_accounted_for(tmp_path: Path) -> None:
    result = import_source("hubspot", HUBSPOT, tmp_path / "out")
    files = {path.stem.removesuffix("_data"): _rows(path) for path in HUBSPOT.glob("*.csv")}
    ledger = result.ledger.tables
    assert {name: account.read for name, account in ledger.items()} == files
    assert all(account.balanced() for account in ledger.values())
    # the readable facts of the hashed fixtures, counted from the files by hand
    assert ledger["contact"].imported == 22
    assert ledger["company"].imported == 24
    assert ledger["email_campaign"].imported == 100
    events = pd.read_csv(HUBSPOT / "email_event_data.csv", dtype=str)
    not_activities = (~events.type.isin(["SENT", "BOUNCE", "OPEN", "CLICK", "STATUSCHANGE"])).sum()
    assert sum(ledger["email_event"].skipped.values()) == not_activities == 6
    # recipients are hashed, so no event finds its contact: each is named, none dropped
    assert ledger["email_event"].quarantined == {
        "recipient matches no contact (by email, any case)": 94
    }
    quarantine = pd.read_csv(tmp_path / "out" / "import-quarantine.csv", dtype=str)
    assert (quarantine.source_table == "email_event").sum() == 94
    assert set(quarantine[quarantine.source_table == "email_event"].column) == {"recipient"}
    written = json.loads((tmp_path / "out" / "import-ledger.json").read_text())
    assert written["tables"]["contact"]["imported"] == 22


def test_the_connector_layout_gives_every_metric_of_the_original(
    canonical_metrics: list[tuple[object, ...]], imported: Path
) -> None:
    assert every_metric(imported) == canonical_metrics


def test_importing_the_same_export_again_changes_nothing(
    connector_export: Path, imported: Path, runner: CliRunner
) -> None:
    before = _digests(imported)
    result = runner.invoke(
        app, ["import", "hubspot", str(connector_export), "--out", str(imported)]
    )
    assert result.exit_code == 0, result.output
    assert "No change" in result.output
    assert _digests(imported) == before


def _minute_precision(canonical: Path, out: Path) -> Path:
    """A copy of the canonical demo whose exported timestamps are cut to the minute (UTC)."""
    out.mkdir(parents=True)
    columns = {
        "contacts": ["created_at"],
        "stage_changes": ["changed_at"],
        "deals": ["created_at", "closed_at"],
        "accounts": ["created_at"],
    }
    for path in canonical.glob("*.csv"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        for name in columns.get(path.stem, []):
            frame[name] = frame[name].map(
                lambda stamp: pd.Timestamp(stamp).strftime("%Y-%m-%dT%H:%M:00Z") if stamp else ""
            )
        if path.stem == "stage_changes":  # exports hold no recycled or disqualified history
            frame = frame[~frame.stage.isin(["recycled", "disqualified"])]
        frame.to_csv(out / path.name, index=False)
    return out


def test_hubspot_exports_give_the_funnel_of_the_original(
    canonical_demo: Path, tmp_path: Path
) -> None:
    original = _minute_precision(canonical_demo, tmp_path / "original")
    export = to_hubspot_exports(original, tmp_path / "export")
    assert not (export / "contacts.csv").exists()  # the CRM's own files, found by their headers
    import_source("hubspot", export, tmp_path / "dataset")
    # "Became a … Date" keeps each stage's first entry: every metric reads first reach times
    assert every_metric(tmp_path / "dataset") == every_metric(original)


def _write(folder: Path, name: str, rows: list[dict[str, str]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(folder / f"{name}.csv", index=False)


CONTACTS = [
    {
        "id": "1",
        "_fivetran_synced": "2026-01-01 9:00:00",
        "_fivetran_deleted": "false",
        "property_email": "Ann@Example.com",
        "property_createdate": "1704103200000",
        "property_hs_analytics_source": "PAID_SEARCH",
    },
    {
        "id": "2",
        "_fivetran_synced": "2026-01-01 9:00:00",
        "_fivetran_deleted": "false",
        "property_email": "bob@example.com",
        "property_createdate": "2024-01-05 2:50:54",
        "property_hs_analytics_source": "OFFLINE",
    },
]


def test_vendor_timestamps_and_channels_read_as_spec_says(tmp_path: Path) -> None:
    _write(tmp_path / "src", "contact", CONTACTS)
    import_source("hubspot", tmp_path / "src", tmp_path / "out")
    contacts = pd.read_parquet(tmp_path / "out" / "contacts.parquet").sort_values("contact_id")
    # 1704103200000 ms after 1970 is 2024-01-01 10:00 UTC; a one-digit hour is padded
    assert contacts.created_at.tolist() == ["2024-01-01T10:00:00.000Z", "2024-01-05 02:50:54"]
    assert contacts.channel.tolist() == ["paid_search", "offline"]


def test_bad_values_are_quarantined_with_table_record_column_and_value(tmp_path: Path) -> None:
    contacts = [*CONTACTS, {**CONTACTS[1], "id": "2", "property_email": "dup@example.com"}]
    history = [
        {
            "contact_id": "1",
            "timestamp": "2024-01-02 10:00:00",
            "name": "lifecyclestage",
            "value": "marketingqualifiedlead",
        },
        {
            "contact_id": "1",
            "timestamp": "2024-01-03 10:00:00",
            "name": "lifecyclestage",
            "value": "superfan",
        },
        {
            "contact_id": "1",
            "timestamp": "2024-01-04 10:00:00",
            "name": "lifecyclestage",
            "value": "",
        },
    ]
    events = [
        {
            "id": "e1",
            "created": "2024-01-02 10:00:00",
            "type": "SENT",
            "recipient": "ANN@example.com",
            "email_campaign_id": "7",
            "filtered_event": "false",
            "sent_by_id": "",
        },
        {
            "id": "e2",
            "created": "2024-01-02 10:05:00",
            "type": "OPEN",
            "recipient": "nobody@x.com",
            "email_campaign_id": "7",
            "filtered_event": "false",
            "sent_by_id": "e1",
        },
    ]
    deals = [
        {
            "deal_id": "d1",
            "deal_pipeline_id": "p2",
            "deal_pipeline_stage_id": "s1",
            "property_amount": "100",
            "property_createdate": "2024-01-02",
            "property_closedate": "",
        },
    ]
    # p2 closes deals (s2 is closed lost) but has no closed-won stage
    stages = [
        {"stage_id": "s1", "pipeline_id": "p2", "closed_won": "false", "is_closed": "false"},
        {"stage_id": "s2", "pipeline_id": "p2", "closed_won": "false", "is_closed": "true"},
    ]
    src = tmp_path / "src"
    _write(src, "contact", contacts)
    _write(src, "contact_property_history", history)
    _write(src, "email_event", events)
    _write(src, "email_campaign", [{"id": "7", "name": "Welcome", "type": "AUTOMATED_EMAIL"}])
    _write(src, "deal", deals)
    _write(src, "deal_pipeline_stage", stages)
    _write(src, "deal_company", [{"deal_id": "d1", "company_id": "c9"}])
    result = import_source("hubspot", src, tmp_path / "out")
    quarantine = pd.read_csv(tmp_path / "out" / "import-quarantine.csv", dtype=str)
    named = {
        (row.source_table, row.record_id, row.column, row.value, row.reason)
        for row in quarantine.itertuples()
    }
    assert (
        "contact_property_history",
        "1 lifecyclestage @2024-01-03 10:00:00",
        "value",
        "superfan",
        "unknown lifecycle stage",
    ) in named
    assert (
        "email_event",
        "e2",
        "recipient",
        "nobody@x.com",
        "recipient matches no contact (by email, any case)",
    ) in named
    assert (
        "deal",
        "d1",
        "deal_pipeline_id",
        "p2",
        "its pipeline has no closed-won stage, so no deal in it can be won",
    ) in named
    assert ("contact", "2", "contact_id", "2", "contact_id is given by another record too") in named
    ledger = result.ledger.tables
    assert ledger["contact_property_history"].skipped == {
        "stage cleared (a workflow empties lifecyclestage before setting it again)": 1
    }
    assert ledger["contact"].imported == 2 and sum(ledger["contact"].quarantined.values()) == 1
    stages_written = pd.read_parquet(tmp_path / "out" / "stage_changes.parquet")
    assert stages_written[["contact_id", "stage"]].values.tolist() == [["1", "mql"]]
    activities = pd.read_parquet(tmp_path / "out" / "activities.parquet")
    # the recipient matched ANN@example.com whatever the case; the send is its own message
    assert activities[["activity_id", "contact_id", "type", "message_id"]].values.tolist() == [
        ["e1", "1", "email_sent", "e1"]
    ]


def test_a_newer_export_updates_adds_and_deletes_by_record_id(tmp_path: Path) -> None:
    src = tmp_path / "src"
    _write(src, "contact", CONTACTS)
    _write(
        src,
        "contact_property_history",
        [
            {
                "contact_id": "2",
                "timestamp": "2024-01-06 10:00:00",
                "name": "lifecyclestage",
                "value": "lead",
            },
        ],
    )
    out = tmp_path / "out"
    import_source("hubspot", src, out)
    newer = [
        {
            **CONTACTS[0],
            "_fivetran_synced": "2026-02-01 9:00:00",
            "property_hs_analytics_source": "EMAIL_MARKETING",
        },
        {**CONTACTS[1], "_fivetran_synced": "2026-02-01 9:00:00", "_fivetran_deleted": "true"},
        {**CONTACTS[1], "id": "3", "property_email": "cy@example.com"},
    ]
    _write(src, "contact", newer)
    result = import_source("hubspot", src, out)
    contacts = pd.read_parquet(out / "contacts.parquet").sort_values("contact_id")
    assert contacts[["contact_id", "channel"]].values.tolist() == [
        ["1", "email_marketing"],
        ["3", "offline"],
    ]
    assert result.ledger.tables["contact"].skipped == {"deleted in the source": 1}
    # the deleted contact's history goes with it, and says why
    assert (
        not (out / "stage_changes.parquet").exists()
        or pd.read_parquet(out / "stage_changes.parquet").empty
    )
    assert result.ledger.tables["contact_property_history"].skipped == {
        "its contact is not imported (deleted, skipped or quarantined)": 1
    }
    # an older export arriving late changes nothing: the newer sync stamp wins
    _write(src, "contact", CONTACTS)
    import_source("hubspot", src, out)
    again = pd.read_parquet(out / "contacts.parquet").sort_values("contact_id")
    assert again[["contact_id", "channel"]].values.tolist() == [
        ["1", "email_marketing"],
        ["3", "offline"],
    ]


def test_out_must_be_new_empty_or_an_earlier_import(tmp_path: Path, runner: CliRunner) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    result = runner.invoke(app, ["import", "hubspot", str(HUBSPOT), "--out", str(mine)])
    assert result.exit_code == 2
    assert "not empty" in result.output
    assert (mine / "notes.txt").read_text() == "keep me"
    inside = runner.invoke(app, ["import", "hubspot", str(HUBSPOT), "--out", str(HUBSPOT / "x")])
    assert inside.exit_code == 2 and "inside SRC" in inside.output
    unknown = runner.invoke(
        app, ["import", "pipedrive", str(HUBSPOT), "--out", str(tmp_path / "n")]
    )
    assert unknown.exit_code == 2 and "hubspot" in unknown.output


SNAPSHOT = st.lists(
    st.tuples(
        st.sampled_from("abcd"), st.sampled_from(["PAID_SEARCH", "EMAIL", "OFFLINE"]), st.booleans()
    ),
    min_size=1,
    max_size=4,
    unique_by=lambda record: record[0],
)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    snapshots=st.lists(SNAPSHOT, min_size=2, max_size=3), order=st.randoms(use_true_random=False)
)
def test_any_import_order_ends_with_each_records_newest_version(
    tmp_path_factory: pytest.TempPathFactory,
    snapshots: list[list[tuple[str, str, bool]]],
    order: object,
) -> None:
    base = tmp_path_factory.mktemp("orders")
    folders = []
    newest: dict[str, tuple[str, bool]] = {}
    for index, snapshot in enumerate(snapshots):  # snapshot k was synced on day k
        rows = [
            {
                "id": key,
                "_fivetran_synced": f"2026-01-{index + 1:02d} 9:00:00",
                "_fivetran_deleted": str(deleted).lower(),
                "property_createdate": "2024-01-01",
                "property_hs_analytics_source": source,
            }
            for key, source, deleted in snapshot
        ]
        _write(base / f"export{index}", "contact", rows)
        folders.append(base / f"export{index}")
        newest.update({key: (source.lower(), deleted) for key, source, deleted in snapshot})
    shuffled = list(folders)
    order.shuffle(shuffled)  # type: ignore[attr-defined]
    for folder in shuffled:
        import_source("hubspot", folder, base / "shuffled")
    for folder in folders:
        import_source("hubspot", folder, base / "in_order")
    expected = sorted([key, channel] for key, (channel, deleted) in newest.items() if not deleted)
    path = base / "shuffled" / "contacts.parquet"
    contacts = pd.read_parquet(path) if path.exists() else pd.DataFrame(columns=["contact_id"])
    assert sorted(contacts[["contact_id", "channel"]].values.tolist()) == expected
    assert _digests(base / "shuffled") == _digests(base / "in_order")


def test_engagements_become_one_activity_per_contact_and_empty_amounts_count_as_zero(
    tmp_path: Path,
) -> None:
    src = tmp_path / "src"
    _write(src, "contact", CONTACTS)
    _write(
        src,
        "engagement",
        [
            {"id": "g1", "type": "MEETING", "timestamp": "2024-02-01 10:00:00"},
            {"id": "g2", "type": "CALL", "timestamp": ""},
        ],
    )
    _write(
        src,
        "engagement_contact",
        [
            {"engagement_id": "g1", "contact_id": "1"},
            {"engagement_id": "g1", "contact_id": "2"},
            {"engagement_id": "g2", "contact_id": "1"},
            {"engagement_id": "g9", "contact_id": "1"},
        ],
    )
    _write(
        src,
        "deal",
        [
            {
                "deal_id": "d1",
                "deal_pipeline_stage_id": "qualifiedtobuy",
                "property_amount": "",
                "property_createdate": "2024-02-02",
            }
        ],
    )
    _write(src, "deal_contact", [{"deal_id": "d1", "contact_id": "2"}])
    result = import_source("hubspot", src, tmp_path / "out")
    activities = pd.read_parquet(tmp_path / "out" / "activities.parquet").sort_values("activity_id")
    assert activities[["activity_id", "contact_id", "type"]].values.tolist() == [
        ["engagement-g1/1", "1", "engagement_meeting"],
        ["engagement-g1/2", "2", "engagement_meeting"],
    ]
    links = result.ledger.tables["engagement_contact"]
    assert links.read == 4 and links.balanced()
    assert links.quarantined == {"the engagement has no readable timestamp": 1}
    assert links.skipped == {"its engagement is deleted or not in the export": 1}
    # an open deal without an amount is still a deal; its account is its contact's company
    deals = pd.read_parquet(tmp_path / "out" / "deals.parquet")
    assert deals[["deal_id", "status", "amount", "type"]].values.tolist() == [
        ["d1", "open", "0", "new_business"]
    ]


def test_a_warehouse_holding_the_connector_tables_imports_the_same(
    connector_export: Path, imported: Path, tmp_path: Path
) -> None:
    import duckdb

    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        for path in sorted(connector_export.glob("*.csv")):  # typed as DuckDB guesses them
            con.execute(f"CREATE TABLE {path.stem} AS SELECT * FROM read_csv_auto(?)", [str(path)])
    import_source("hubspot", f"duckdb://{warehouse}", tmp_path / "dataset")
    assert every_metric(tmp_path / "dataset") == every_metric(imported)


def test_exports_read_as_a_literal_writer_names_them(tmp_path: Path) -> None:
    src = tmp_path / "src"
    # an export saved under a canonical table's name is still HubSpot's export
    _write(
        src,
        "contacts",
        [
            {
                "Record ID": "1",
                "Email": "a@x.com",
                "Create Date": "2024-01-02 10:05",
                "Original Traffic Source": "Paid Search",
            },
            {
                "Record ID": "2",
                "Email": "A@X.com",
                "Create Date": "2024-01-03 10:05",
                "Original Traffic Source": "Offline Sources",
            },
        ],
    )
    _write(src, "companies", [{"Record ID": "9", "Name": "Acme", "Segment": "SMB"}])
    _write(
        src,
        "deals",
        [
            {
                "Record ID": "d1",
                "Deal Stage": "Closed Won",
                "Amount": "50",
                "Create Date": "2024-01-05",
                "Close Date": "2024-01-09 12:00",
                "Associated Company IDs (Primary)": "9",
                "Associated Contact IDs": "2",
                "Associated Contact": "Bob b@x.com",
            },
        ],
    )
    _write(
        src,
        "email_event",
        [
            {
                "id": "e1",
                "created": "2024-01-04 10:00:00",
                "type": "SENT",
                "recipient": "a@x.com",
                "email_campaign_id": "",
                "filtered_event": "1.0",
                "sent_by_id": "",
            },
        ],
    )
    result = import_source("hubspot", src, tmp_path / "out")
    contacts = pd.read_parquet(tmp_path / "out" / "contacts.parquet").sort_values("contact_id")
    assert contacts.channel.tolist() == ["paid_search", "offline"]
    accounts = pd.read_parquet(tmp_path / "out" / "accounts.parquet")
    assert accounts[["account_id", "name", "segment"]].values.tolist() == [["9", "Acme", "SMB"]]
    deals = pd.read_parquet(tmp_path / "out" / "deals.parquet")
    assert deals[["deal_id", "status", "account_id", "contact_id"]].values.tolist() == [
        ["d1", "won", "9", "2"]
    ]
    # two contacts share the address: the event is named, not given to one of them
    assert result.ledger.tables["email_event"].quarantined == {
        "recipient matches several contacts (by email, any case)": 1
    }


def test_a_stage_table_without_flags_reads_stages_by_their_ids(tmp_path: Path) -> None:
    src = tmp_path / "src"
    _write(
        src,
        "deal",
        [
            {
                "deal_id": "d1",
                "deal_pipeline_id": "default",
                "deal_pipeline_stage_id": "closedwon",
                "property_amount": "10",
                "property_createdate": "2024-01-01",
                "property_closedate": "2024-01-05",
            },
            {
                "deal_id": "d2",
                "deal_pipeline_id": "default",
                "deal_pipeline_stage_id": "appointmentscheduled",
                "property_amount": "20",
                "property_createdate": "2024-01-02",
            },
        ],
    )
    _write(
        src,
        "deal_pipeline_stage",
        [
            {"stage_id": "closedwon", "pipeline_id": "default", "label": "Closed won"},
            {"stage_id": "appointmentscheduled", "pipeline_id": "default", "label": "Appointment"},
        ],
    )
    _write(
        src,
        "deal_company",
        [{"deal_id": "d1", "company_id": "9"}, {"deal_id": "d2", "company_id": "9"}],
    )
    import_source("hubspot", src, tmp_path / "out")
    deals = pd.read_parquet(tmp_path / "out" / "deals.parquet").sort_values("deal_id")
    assert deals[["deal_id", "status"]].values.tolist() == [["d1", "won"], ["d2", "open"]]


def test_a_deal_moved_to_another_company_keeps_only_its_new_link(tmp_path: Path) -> None:
    src = tmp_path / "src"
    deal = {
        "deal_id": "d1",
        "deal_pipeline_stage_id": "closedwon",
        "property_amount": "5",
        "property_createdate": "2024-01-01",
        "property_closedate": "2024-01-02",
    }
    _write(src, "deal", [deal])
    _write(src, "deal_company", [{"deal_id": "d1", "company_id": "7"}])
    import_source("hubspot", src, tmp_path / "out")
    _write(src, "deal_company", [{"deal_id": "d1", "company_id": "8"}])
    import_source("hubspot", src, tmp_path / "out")
    deals = pd.read_parquet(tmp_path / "out" / "deals.parquet")
    assert deals[["deal_id", "account_id"]].values.tolist() == [["d1", "8"]]
