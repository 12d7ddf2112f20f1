"""`lifecycle import salesforce`: the connector's tables and Data Loader exports (SPEC §7).

Hand-made exports name every record after what it tests; each expected value is worked out
by hand from SPEC §7's Salesforce conventions (comments say how). The 2000-contact demo is
written in Salesforce layout by an independent writer (salesforce_layout.py) and must give
back exactly the metrics of the original.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from lifecycle_metrics.cli import app
from lifecycle_metrics.demo import DemoConfig, generate
from lifecycle_metrics.sources import salesforce
from lifecycle_metrics.sources.raw import read_export, vendor_name
from lifecycle_metrics.sources.run import LEDGER_FILE, QUARANTINE_FILE, ImportResult, run_import
from tests.conftest import SHARED_DATA, write_tables
from tests.sources.salesforce_layout import to_data_loader, to_salesforce

FIXTURES = SHARED_DATA / "fivetran-crm-connector-fixtures" / "salesforce"


def _import(src: Path, out: Path) -> ImportResult:
    return run_import(salesforce, src, out)


def _rows(out: Path, table: str, key: str) -> list[dict[str, Any]]:
    frame = pd.read_parquet(out / f"{table}.parquet")
    frame = frame.astype(object).where(frame.notna(), None)
    return sorted(
        frame.to_dict("records"), key=lambda row: tuple(str(row[k]) for k in key.split(","))
    )


def _quarantine(out: Path) -> list[tuple[str, str, str, str, str]]:
    with (out / QUARANTINE_FILE).open(encoding="utf-8") as handle:
        return sorted(
            (row["source_table"], row["record_id"], row["column"], row["value"], row["reason"])
            for row in csv.DictReader(handle)
        )


def _ledger(out: Path) -> dict[str, Any]:
    tables: dict[str, Any] = json.loads((out / LEDGER_FILE).read_text())["tables"]
    return tables


def _table(rows: list[dict[str, str]]) -> tuple[list[dict[str, str]], list[str]]:
    names: list[str] = []
    for row in rows:
        names.extend(name for name in row if name not in names)
    return rows, names


def _write(folder: Path, tables: dict[str, list[dict[str, str]]]) -> Path:
    columns = {name: _table(rows)[1] for name, rows in tables.items()}
    return write_tables(folder, dict(tables), columns)


# --- a hand-made connector export: every rule, each record named after what it tests --------

LIVE = {"is_deleted": "false", "_fivetran_synced": "2024-12-01 3:00:00"}


def _lead(id_: str, created: str, **values: str) -> dict[str, str]:
    return {"id": id_, "created_date": created, "is_converted": "false", **LIVE, **values}


def _converted(id_: str, created: str, contact: str, **values: str) -> dict[str, str]:
    return _lead(id_, created, is_converted="true", converted_contact_id=contact, **values)


ACME: dict[str, list[dict[str, str]]] = {
    "account": [
        {
            "id": "001A",
            "name": "Acme",
            "segment_c": "SMB",
            "industry": "software",
            "created_date": "2023-06-01 00:00:00",
            **LIVE,
        },
        {
            "id": "001B",
            "name": "Globex",
            "segment_c": "Enterprise",
            "industry": "retail",
            "created_date": "2023-07-01 00:00:00",
            **LIVE,
        },
        {"id": "001X", "name": "Gone", "segment_c": "SMB", "is_deleted": "true"},
    ],
    "campaign": [
        {
            "id": "701A",
            "name": "Spring webinar",
            "type": "Webinar",
            "channel_c": "Events",
            "audience_c": "Prospect",
            "is_automated_c": "false",
            "start_date": "2024-01-01",
            "end_date": "2024-06-30",
            **LIVE,
        },
        # no channel_c: the campaign's Type is its channel
        {
            "id": "701B",
            "name": "Customer newsletter",
            "type": "Email",
            "audience_c": "Customer",
            "is_automated_c": "true",
            **LIVE,
        },
        {
            "id": "701C",
            "name": "Partner push",
            "channel_c": "Partner",
            "audience_c": "Partners",
            "is_automated_c": "false",
            **LIVE,
        },
        {"id": "701D", "name": "Deleted", "is_deleted": "true"},
    ],
    "lead": [
        _lead(
            "00Q001",
            "2024-01-05 10:00:00",
            lead_date_c="2024-01-05 10:00:00",
            mql_date_c="2024-02-01 09:00:00",
            lead_source="Paid Search",
            lead_source_detail_c="google_ads",
            campaign_c="701A",
            account_c="001A",
            email="ann@acme.test",
        ),
        _converted(
            "00Q002",
            "2024-01-10 08:00:00",
            "003B",
            lead_date_c="2024-01-10 08:00:00",
            mql_date_c="2024-01-20 12:00:00",
            sql_date_c="2024-03-01 09:30:00",
            lead_source="Organic Search",
            lead_source_detail_c="google",
            campaign_c="701A",
            converted_date="2024-03-01",
            converted_account_id="001A",
            email="bo@acme.test",
        ),
        # two leads converted into one contact (a lead merged into an existing contact)
        _converted(
            "00Q004",
            "2024-02-01 00:00:00",
            "003C",
            mql_date_c="2024-02-05 00:00:00",
            lead_source="Email",
            lead_source_detail_c="newsletter",
            converted_date="2024-03-15",
            email="cy.old@acme.test",
        ),
        _converted(
            "00Q005",
            "2024-01-15 00:00:00",
            "003C",
            mql_date_c="2024-03-01 00:00:00",
            lead_source="Social",
            lead_source_detail_c="linkedin",
            converted_date="2024-03-20",
            is_internal_c="true",
        ),
        _converted("00Q006", "2024-01-01 00:00:00", "003MISSING"),
        _lead("003D", "2024-02-10 00:00:00"),  # a lead whose id is a contact's
        _lead("00Q008", "2024-01-01 00:00:00", mql_date_c="next tuesday"),
        _lead("00Q009", "2024-01-01 00:00:00", is_deleted="true"),
        _lead("00Q010", "2024-01-01 00:00:00", _fivetran_deleted="true"),
        _lead("00Q011", "2024-02-30 10:00:00"),  # no 30 February
        _lead("00Q012", "2024-04-01 12:00:00", lead_source="Direct"),  # no custom date at all
        _converted(
            "00Q013",
            "2024-01-01 00:00:00",
            "003G",
            converted_date="2024-02-15",
            lead_source="Partner",
        ),
        _lead("00Q014", "2024-01-01 00:00:00", is_converted="maybe"),
        _lead("00Q015", "2024-01-01 00:00:00", _fivetran_active="false"),
    ],
    "contact": [
        # no lead_source or campaign_c of its own: its lead's carry over; its sql_date_c is
        # earlier than its lead's, and the earlier is the first entry
        {
            "id": "003B",
            "created_date": "2024-03-01 09:30:00",
            "account_id": "001A",
            "email": "bo@acme.test",
            "sql_date_c": "2024-02-25 15:00:00",
            "opportunity_date_c": "2024-03-10 11:00:00",
            **LIVE,
        },
        {
            "id": "003C",
            "created_date": "2024-03-15 00:00:00",
            "account_id": "001B",
            "email": "cy@acme.test",
            **LIVE,
        },
        {
            "id": "003D",
            "created_date": "2024-02-10 10:00:00",
            "account_id": "001B",
            "email": "di@globex.test",
            "lead_source": "Referral",
            "lead_source_detail_c": "g2",
            "lead_date_c": "2024-02-10 10:00:00",
            **LIVE,
        },
        {
            "id": "003E",
            "created_date": "2024-01-20 00:00:00",
            "opportunity_date_c": "2024-13-45",
            **LIVE,
        },
        {"id": "003F", "created_date": "2024-01-01 00:00:00", "is_deleted": "true"},
        # no custom date on it or its lead: the fallbacks
        {"id": "003G", "created_date": "2024-02-15 10:00:00", "account_id": "001B", **LIVE},
    ],
    "opportunity": [
        {
            "id": "006A",
            "account_id": "001A",
            "type": "New Business",
            "stage_name": "Closed Won",
            "is_won": "true",
            "is_closed": "true",
            "amount": "1000",
            "created_date": "2024-03-10 11:00:00",
            "close_date": "2024-04-01",
            "close_date_time_c": "2024-04-01 15:30:00",
            "lead_source": "Paid Search",
            "campaign_id": "701A",
            **LIVE,
        },
        # no account of its own: its contact's
        {
            "id": "006B",
            "type": "Cross-sell",
            "stage_name": "Closed Lost",
            "is_won": "false",
            "is_closed": "true",
            "amount": "250.5",
            "created_date": "2024-04-01 00:00:00",
            "close_date": "2024-05-02",
            **LIVE,
        },
        {
            "id": "006C",
            "account_id": "001A",
            "stage_name": "Prospecting",
            "is_won": "false",
            "is_closed": "false",
            "amount": "500",
            "created_date": "2024-05-01 00:00:00",
            "close_date": "2024-06-30",
            **LIVE,
        },
        {
            "id": "006D",
            "account_id": "001A",
            "type": "Partnership",
            "is_won": "false",
            "is_closed": "false",
            "amount": "1",
            "created_date": "2024-05-01 00:00:00",
            **LIVE,
        },
        {
            "id": "006E",
            "account_id": "001A",
            "type": "Upsell",
            "stage_name": "Signed",
            "amount": "10",
            "created_date": "2024-05-01 00:00:00",
            "close_date": "2024-05-09",
            **LIVE,
        },
        # no is_won / is_closed: the default stage names say won
        {
            "id": "006F",
            "account_id": "001A",
            "type": "Renewal",
            "stage_name": "Closed Won",
            "amount": "300",
            "created_date": "2024-06-01 00:00:00",
            "close_date": "2024-07-01",
            **LIVE,
        },
        {
            "id": "006G",
            "account_id": "001A",
            "type": "Upsell",
            "is_won": "true",
            "is_closed": "true",
            "amount": "5",
            "created_date": "2024-06-01 00:00:00",
            "close_date": "2024-07-01",
            "close_date_time_c": "soon",
            **LIVE,
        },
        {"id": "006H", "account_id": "001A", "amount": "5", "is_deleted": "true"},
        {
            "id": "006J",
            "account_id": "001B",
            "type": "New Business",
            "is_won": "true",
            "is_closed": "true",
            "amount": "2000",
            "created_date": "2024-03-01 09:00:00",
            "close_date": "2024-03-20",
            "close_date_time_c": "2024-03-20 10:00:00",
            **LIVE,
        },
        {
            "id": "006K",
            "account_id": "001B",
            "type": "New Business",
            "is_won": "false",
            "is_closed": "true",
            "amount": "100",
            "created_date": "2024-02-20 08:00:00",
            "close_date": "2024-02-28",
            **LIVE,
        },
        {
            "id": "006L",
            "account_id": "001A",
            "type": "Upsell",
            "is_won": "true",
            "is_closed": "true",
            "amount": "1,000",
            "created_date": "2024-06-01 00:00:00",
            "close_date": "2024-07-01",
            **LIVE,
        },
    ],
    "opportunity_contact_role": [
        {
            "id": "00K1",
            "opportunity_id": "006A",
            "contact_id": "003B",
            "is_primary": "true",
            "created_date": "2024-03-10 11:00:00",
            **LIVE,
        },
        {
            "id": "00K2",
            "opportunity_id": "006A",
            "contact_id": "003C",
            "is_primary": "false",
            "created_date": "2024-03-09 00:00:00",
            **LIVE,
        },
        {
            "id": "00K3",
            "opportunity_id": "006B",
            "contact_id": "003D",
            "is_primary": "false",
            **LIVE,
        },
        {
            "id": "00K4",
            "opportunity_id": "006C",
            "contact_id": "003NOPE",
            "is_primary": "true",
            **LIVE,
        },
        {
            "id": "00K5",
            "opportunity_id": "006J",
            "contact_id": "003G",
            "is_primary": "true",
            **LIVE,
        },
        {
            "id": "00K6",
            "opportunity_id": "006K",
            "contact_id": "003G",
            "is_primary": "true",
            **LIVE,
        },
        {
            "id": "00K7",
            "opportunity_id": "006A",
            "contact_id": "003D",
            "is_primary": "true",
            "is_deleted": "true",
        },
        {
            "id": "00K8",
            "opportunity_id": "006H",
            "contact_id": "003D",
            "is_primary": "true",
            **LIVE,
        },
    ],
    "campaign_member": [
        {
            "id": "00v1",
            "campaign_id": "701A",
            "lead_id": "00Q001",
            "status": "Attended",
            "has_responded": "true",
            "created_date": "2024-03-05 18:00:00",
            "first_responded_date": "2024-03-05",
            **LIVE,
        },
        {
            "id": "00v2",
            "campaign_id": "701A",
            "lead_id": "00Q002",
            "contact_id": "003B",
            "status": "Responded",
            "has_responded": "true",
            "created_date": "2024-01-12 09:00:00",
            "first_responded_date": "2024-01-12",
            **LIVE,
        },
        # created a day before the response: only the response's date is known
        {
            "id": "00v3",
            "campaign_id": "701B",
            "lead_id": "00Q004",
            "status": "Responded",
            "has_responded": "true",
            "created_date": "2024-02-02 10:00:00",
            "first_responded_date": "2024-02-03",
            **LIVE,
        },
        {
            "id": "00v4",
            "campaign_id": "701B",
            "contact_id": "003D",
            "status": "Sent",
            "has_responded": "false",
            "created_date": "2024-02-11 00:00:00",
            **LIVE,
        },
        {
            "id": "00v5",
            "campaign_id": "701A",
            "lead_id": "00QGHOST",
            "status": "Responded",
            "has_responded": "true",
            "created_date": "2024-03-01 00:00:00",
            **LIVE,
        },
        {
            "id": "00v6",
            "campaign_id": "701A",
            "lead_id": "00Q012",
            "status": "Responded",
            "has_responded": "true",
            "created_date": "2024-04-02 00:00:00",
            "first_responded_date": "yesterday",
            **LIVE,
        },
        {
            "id": "00v7",
            "campaign_id": "701A",
            "lead_id": "00Q001",
            "status": "Responded",
            "has_responded": "true",
            "created_date": "2024-04-02 00:00:00",
            "is_deleted": "true",
        },
        {
            "id": "00v8",
            "campaign_id": "701A",
            "lead_id": "00Q009",
            "status": "Responded",
            "has_responded": "true",
            "created_date": "2024-04-02 00:00:00",
            **LIVE,
        },
    ],
}


@pytest.fixture(scope="module")
def acme(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ImportResult]:
    folder = tmp_path_factory.mktemp("acme")
    src = _write(folder / "src", ACME)
    return src, _import(src, folder / "out")


def test_a_converted_lead_and_its_contact_are_one_person(acme: tuple[Path, ImportResult]) -> None:
    out = acme[1].out
    people = {row["contact_id"]: row for row in _rows(out, "contacts", "contact_id")}
    assert sorted(people) == ["003B", "003C", "003D", "003G", "00Q001", "00Q012"]
    # an unconverted lead is a person of its own, its id the lead's; its account is account_c
    assert people["00Q001"] == {
        "contact_id": "00Q001",
        "created_at": "2024-01-05 10:00:00",
        "account_id": "001A",
        "email": "ann@acme.test",
        "channel": "paid_search",
        "source": "google_ads",
        "campaign_id": "701A",
        "is_internal": "false",
    }
    # 003B: created when its lead was; lead_source, detail and campaign_c carry over from the
    # lead, as the contact has none; its own email and account win
    assert people["003B"] == {
        "contact_id": "003B",
        "created_at": "2024-01-10 08:00:00",
        "account_id": "001A",
        "email": "bo@acme.test",
        "channel": "organic_search",
        "source": "google",
        "campaign_id": "701A",
        "is_internal": "false",
    }
    # 003C, two leads: created with the first (00Q005, 15 Jan), whose channel and source carry
    # over; internal because one of its leads is
    assert people["003C"] == {
        "contact_id": "003C",
        "created_at": "2024-01-15 00:00:00",
        "account_id": "001B",
        "email": "cy@acme.test",
        "channel": "social",
        "source": "linkedin",
        "campaign_id": None,
        "is_internal": "true",
    }
    assert people["003G"]["created_at"] == "2024-01-01 00:00:00"  # its lead 00Q013's
    assert people["003G"]["channel"] == "partner"
    assert people["003D"]["channel"] == "referral"
    assert people["00Q012"]["channel"] == "direct"


def test_funnel_dates_are_first_entries_and_fallbacks_only_for_absent_fields(
    acme: tuple[Path, ImportResult],
) -> None:
    changes = [
        (row["contact_id"], row["stage"], row["changed_at"])
        for row in _rows(acme[1].out, "stage_changes", "contact_id,changed_at")
    ]
    assert changes == [
        # lead and mql from the lead; sql the earlier of the contact's (25 Feb) and the lead's
        # (1 Mar); opportunity from the contact
        ("003B", "lead", "2024-01-10 08:00:00"),
        ("003B", "mql", "2024-01-20 12:00:00"),
        ("003B", "sql", "2024-02-25 15:00:00"),
        ("003B", "opportunity", "2024-03-10 11:00:00"),
        # no table has customer_date_c: every person's customer date is its fallback, the
        # first won close of a deal it is the contact of (006A)
        ("003B", "customer", "2024-04-01 15:30:00"),
        # the earlier mql of its two leads; no lead_date_c on its records, so no lead change
        # (the person still reaches lead at its created_at, SPEC §3); its role on the won 006A
        # is not the primary one, so it is no customer
        ("003C", "mql", "2024-02-05 00:00:00"),
        ("003D", "lead", "2024-02-10 10:00:00"),
        # 003G and its lead leave the custom dates the export has empty: they entered none of
        # those stages (the fallbacks stand in only for a field no table has); customer_date_c
        # is in no table, so its customer date is its first won close (006J)
        ("003G", "customer", "2024-03-20 10:00:00"),
        ("00Q001", "lead", "2024-01-05 10:00:00"),
        ("00Q001", "mql", "2024-02-01 09:00:00"),
    ]


def test_opportunities_become_deals(acme: tuple[Path, ImportResult]) -> None:
    deals = {row["deal_id"]: row for row in _rows(acme[1].out, "deals", "deal_id")}
    assert sorted(deals) == ["006A", "006B", "006C", "006F", "006J", "006K"]
    # the primary role's contact (not the earlier 003C); the close time from close_date_time_c
    assert deals["006A"] == {
        "deal_id": "006A",
        "account_id": "001A",
        "type": "new_business",
        "status": "won",
        "created_at": "2024-03-10 11:00:00",
        "amount": "1000",
        "closed_at": "2024-04-01 15:30:00",
        "contact_id": "003B",
        "campaign_id": "701A",
        "channel": "paid_search",
    }
    # no primary role: its only role's contact, and that contact's account; a close date alone
    assert deals["006B"] == {
        "deal_id": "006B",
        "account_id": "001B",
        "type": "cross_sell",
        "status": "lost",
        "created_at": "2024-04-01 00:00:00",
        "amount": "250.5",
        "closed_at": "2024-05-02",
        "contact_id": "003D",
        "campaign_id": None,
        "channel": None,
    }
    # open: empty Type is new business, the expected close date is not a closed_at, and its
    # one role names no contact
    assert (deals["006C"]["type"], deals["006C"]["status"]) == ("new_business", "open")
    assert (deals["006C"]["closed_at"], deals["006C"]["contact_id"]) == (None, None)
    assert (deals["006F"]["type"], deals["006F"]["status"]) == ("renewal", "won")
    assert deals["006F"]["closed_at"] == "2024-07-01"
    assert (deals["006K"]["status"], deals["006K"]["contact_id"]) == ("lost", "003G")


def test_campaigns_and_responses(acme: tuple[Path, ImportResult]) -> None:
    out = acme[1].out
    assert _rows(out, "campaigns", "campaign_id") == [
        {
            "campaign_id": "701A",
            "name": "Spring webinar",
            "channel": "events",
            "audience": "prospect",
            "automated": "false",
            "started_at": "2024-01-01",
            "ended_at": "2024-06-30",
        },
        {
            "campaign_id": "701B",
            "name": "Customer newsletter",
            "channel": "email",
            "audience": "customer",
            "automated": "true",
            "started_at": None,
            "ended_at": None,
        },
    ]
    activities = [
        (row["activity_id"], row["contact_id"], row["type"], row["occurred_at"], row["campaign_id"])
        for row in _rows(out, "activities", "activity_id")
    ]
    assert activities == [
        ("00v1", "00Q001", "event_attended", "2024-03-05 18:00:00", "701A"),
        # the converted lead's membership is its contact's
        ("00v2", "003B", "form_submit", "2024-01-12 09:00:00", "701A"),
        # created on 2 Feb, responded on 3 Feb: the response's date, all Salesforce keeps
        ("00v3", "003C", "form_submit", "2024-02-03", "701B"),
    ]
    assert _rows(out, "accounts", "account_id") == [
        {
            "account_id": "001A",
            "name": "Acme",
            "segment": "SMB",
            "industry": "software",
            "created_at": "2023-06-01 00:00:00",
        },
        {
            "account_id": "001B",
            "name": "Globex",
            "segment": "Enterprise",
            "industry": "retail",
            "created_at": "2023-07-01 00:00:00",
        },
    ]


def test_every_bad_record_is_quarantined_with_table_record_column_and_value(
    acme: tuple[Path, ImportResult],
) -> None:
    assert _quarantine(acme[1].out) == [
        ("campaign", "701C", "audience_c", "Partners", "unknown audience_c (Prospect or Customer)"),
        ("campaign_member", "00v5", "lead_id", "00QGHOST", "lead_id names no lead of the source"),
        (
            "campaign_member",
            "00v6",
            "first_responded_date",
            "yesterday",
            "first_responded_date is not a date and time",
        ),
        (
            "contact",
            "003E",
            "opportunity_date_c",
            "2024-13-45",
            "opportunity_date_c is not a date and time",
        ),
        (
            "lead",
            "003D",
            "id",
            "003D",
            "its id is also a contact's id (Salesforce ids are unique across objects)",
        ),
        (
            "lead",
            "00Q006",
            "converted_contact_id",
            "003MISSING",
            "converted into a contact that is not in the contact table",
        ),
        ("lead", "00Q008", "mql_date_c", "next tuesday", "mql_date_c is not a date and time"),
        (
            "lead",
            "00Q011",
            "created_date",
            "2024-02-30 10:00:00",
            "created_date is not a date and time",
        ),
        ("lead", "00Q014", "is_converted", "maybe", "is_converted is not true or false"),
        (
            "opportunity",
            "006D",
            "type",
            "Partnership",
            "unknown type (New Business, Upsell, Cross-sell or Renewal)",
        ),
        (
            "opportunity",
            "006E",
            "stage_name",
            "Signed",
            "unknown stage_name (not a stage of the default sales process, and is_won and "
            "is_closed are empty)",
        ),
        ("opportunity", "006G", "close_date", "soon", "the close date is not a date and time"),
        ("opportunity", "006L", "amount", "1,000", "amount is not a number"),
        (
            "opportunity_contact_role",
            "00K4",
            "contact_id",
            "003NOPE",
            "contact_id names no contact of the source",
        ),
    ]


def test_the_ledger_accounts_for_every_row(acme: tuple[Path, ImportResult]) -> None:
    ledger = _ledger(acme[1].out)
    assert ledger["lead"] == {
        "read": 14,
        "imported": 2,  # 00Q001, 00Q012
        "quarantined": {
            "converted into a contact that is not in the contact table": 1,
            "created_date is not a date and time": 1,
            "is_converted is not true or false": 1,
            "its id is also a contact's id (Salesforce ids are unique across objects)": 1,
            "mql_date_c is not a date and time": 1,
        },
        "skipped": {
            "an earlier version of the record (_fivetran_active is false)": 1,
            "converted: one person with its contact, imported as the contact": 4,
            "deleted in the source": 2,  # is_deleted, _fivetran_deleted
        },
    }
    assert ledger["contact"] == {
        "read": 6,
        "imported": 4,
        "quarantined": {"opportunity_date_c is not a date and time": 1},
        "skipped": {"deleted in the source": 1},
    }
    assert ledger["opportunity_contact_role"] == {
        "read": 8,
        "imported": 0,
        "quarantined": {"contact_id names no contact of the source": 1},
        "skipped": {
            "another role of its opportunity is the deal's contact": 1,  # 00K2
            "deleted in the source": 1,
            "its opportunity is deleted": 1,
            "read with its opportunity: the deal's contact": 4,
        },
    }
    assert ledger["campaign_member"] == {
        "read": 8,
        "imported": 3,
        "quarantined": {
            "first_responded_date is not a date and time": 1,
            "lead_id names no lead of the source": 1,
        },
        "skipped": {
            "deleted in the source": 1,
            # 00v8: its lead is deleted
            "its contact is not imported (deleted, skipped or quarantined)": 1,
            "no response: a membership alone is not a touch (sends are not in Salesforce)": 1,
        },
    }
    assert (ledger["opportunity"]["read"], ledger["opportunity"]["imported"]) == (11, 6)
    assert ledger["opportunity"]["skipped"] == {"deleted in the source": 1}
    assert sum(ledger["opportunity"]["quarantined"].values()) == 4
    assert ledger["campaign"]["skipped"] == {"deleted in the source": 1}
    assert ledger["account"] == {
        "read": 3,
        "imported": 2,
        "quarantined": {},
        "skipped": {"deleted in the source": 1},
    }


# --- Data Loader: API names, files named anything, no custom date fields ------------------

DATA_LOADER: dict[str, list[dict[str, str]]] = {
    "Lead": [
        {
            "Id": "00Qa",
            "CreatedDate": "2024-01-01T10:00:00.000Z",
            "IsConverted": "false",
            "ConvertedContactId": "",
            "ConvertedDate": "",
            "LeadSource": "Web",
            "Email": "a@x.test",
            "IsDeleted": "false",
        },
        {
            "Id": "00Qb",
            "CreatedDate": "2024-01-05T08:00:00.000Z",
            "IsConverted": "true",
            "ConvertedContactId": "003b",
            "ConvertedDate": "2024-02-01",
            "LeadSource": "Phone Inquiry",
            "Email": "b@x.test",
            "IsDeleted": "false",
        },
    ],
    "Contact": [
        {
            "Id": "003b",
            "AccountId": "001a",
            "CreatedDate": "2024-02-01T12:00:00.000Z",
            "LeadSource": "",
            "Email": "b@x.test",
        },
    ],
    "Account": [{"Id": "001a", "Name": "Acme", "Segment__c": "Mid-Market", "Industry": "Software"}],
    "Opportunity": [
        {
            "Id": "006a",
            "AccountId": "001a",
            "CreatedDate": "2024-02-10T09:00:00.000Z",
            "CloseDate": "2024-03-01",
            "IsWon": "true",
            "IsClosed": "true",
            "StageName": "Closed Won",
            "Type": "New Business",
            "Amount": "100",
        },
    ],
    # Data Loader's default file name: the columns say it holds contact roles
    "extract": [
        {
            "Id": "00Ka",
            "OpportunityId": "006a",
            "ContactId": "003b",
            "IsPrimary": "true",
            "Role": "Decision Maker",
        },
    ],
    "Campaign": [
        {
            "Id": "701a",
            "Name": "Webinar",
            "Channel__c": "Events",
            "Audience__c": "Prospect",
            "Is_Automated__c": "false",
        },
        {
            "Id": "701b",
            "Name": "Trade list",
            "Channel__c": "Partner",
            "Audience__c": "Prospect",
            "Is_Automated__c": "false",
        },
    ],
    "CampaignMember": [
        {
            "Id": "00va",
            "CampaignId": "701a",
            "LeadId": "00Qa",
            "ContactId": "",
            "Status": "Responded",
            "HasResponded": "true",
            "CreatedDate": "2024-01-02T10:00:00.000Z",
        },
        {
            "Id": "00vb",
            "CampaignId": "701b",
            "LeadId": "00Qa",
            "ContactId": "",
            "Status": "Sent",
            "HasResponded": "false",
            "CreatedDate": "2024-01-01T11:00:00.000Z",
        },
        {
            "Id": "00vc",
            "CampaignId": "701a",
            "LeadId": "00Qb",
            "ContactId": "",
            "Status": "Attended",
            "HasResponded": "true",
            "CreatedDate": "2024-01-20T10:00:00.000Z",
        },
    ],
}


def test_api_names_become_the_connector_names() -> None:
    assert [
        salesforce.api_name(name)
        for name in (
            "Id",
            "CreatedDate",
            "LeadSource",
            "IsConverted",
            "ConvertedContactId",
            "Lead_Date__c",
            "MQL_Date__c",
            "Is_Internal__c",
            "SystemModstamp",
            "Product2Id",
            "LEAD_DATE_C",
            "_fivetran_synced",
            "pi__score__c",
        )
    ] == [
        "id",
        "created_date",
        "lead_source",
        "is_converted",
        "converted_contact_id",
        "lead_date_c",
        "mql_date_c",
        "is_internal_c",
        "system_modstamp",
        "product_2_id",
        "lead_date_c",
        "_fivetran_synced",
        "pi_score_c",
    ]


def test_data_loader_files_are_named_by_object_or_by_their_columns(tmp_path: Path) -> None:
    import ibis

    src = _write(tmp_path / "src", DATA_LOADER)
    export = salesforce.prepare(read_export(ibis.duckdb.connect(), src))
    assert sorted(export.tables) == [
        "account",
        "campaign",
        "campaign_member",
        "contact",
        "lead",
        "opportunity",
        "opportunity_contact_role",
    ]
    assert export.tables["lead"].table.columns[:3] == ("id", "created_date", "is_converted")
    assert "converted_contact_id" in export.tables["lead"].table.columns


def test_a_data_loader_export_without_custom_fields_takes_the_fallbacks(tmp_path: Path) -> None:
    src = _write(tmp_path / "src", DATA_LOADER)
    result = _import(src, tmp_path / "out")
    out = result.out
    people = {row["contact_id"]: row for row in _rows(out, "contacts", "contact_id")}
    # no campaign_c anywhere: a person's campaign is its earliest membership's (00vb, a send)
    assert people["00Qa"]["campaign_id"] == "701b"
    assert (people["00Qa"]["channel"], people["00Qa"]["created_at"]) == (
        "web",
        "2024-01-01T10:00:00.000Z",
    )
    assert people["003b"] == {
        "contact_id": "003b",
        "created_at": "2024-01-05T08:00:00.000Z",
        "account_id": "001a",
        "email": "b@x.test",
        "channel": "phone_inquiry",
        "source": None,
        "campaign_id": "701a",
        "is_internal": "false",
    }
    changes = [
        (row["contact_id"], row["stage"], row["changed_at"])
        for row in _rows(out, "stage_changes", "contact_id,changed_at")
    ]
    # no custom date field in the export: every stage from its fallback
    assert changes == [
        ("003b", "lead", "2024-01-05T08:00:00.000Z"),  # the lead's created_date
        ("003b", "sql", "2024-02-01"),  # converted_date
        ("003b", "opportunity", "2024-02-10T09:00:00.000Z"),  # its opportunity's created_date
        ("003b", "customer", "2024-03-01"),  # the won opportunity's close_date
        ("00Qa", "lead", "2024-01-01T10:00:00.000Z"),
    ]
    deal = _rows(out, "deals", "deal_id")[0]
    assert (deal["contact_id"], deal["status"], deal["closed_at"]) == ("003b", "won", "2024-03-01")
    assert [
        (row["activity_id"], row["contact_id"], row["type"])
        for row in _rows(out, "activities", "activity_id")
    ] == [
        ("00va", "00Qa", "form_submit"),
        ("00vc", "003b", "event_attended"),  # the converted lead's membership: its contact's
    ]
    assert _ledger(out)["campaign_member"]["skipped"] == {
        "no response: a membership alone is not a touch (sends are not in Salesforce)": 1
    }
    # importing the same export again changes nothing
    again = _import(src, out)
    assert again.changed is False


def test_a_lead_converted_since_the_last_import_becomes_its_contact(tmp_path: Path) -> None:
    before = {
        "lead": [
            _lead(
                "00Qz",
                "2024-01-01 00:00:00",
                lead_date_c="2024-01-01 00:00:00",
                lead_source="Web",
                _fivetran_synced="2024-01-02 00:00:00",
            )
        ],
        "campaign_member": [
            {
                "id": "00vz",
                "campaign_id": "701z",
                "lead_id": "00Qz",
                "status": "Responded",
                "has_responded": "true",
                "created_date": "2024-01-03 00:00:00",
                **LIVE,
            },
        ],
    }
    out = tmp_path / "out"
    _import(_write(tmp_path / "before", before), out)
    assert [row["contact_id"] for row in _rows(out, "contacts", "contact_id")] == ["00Qz"]
    after = {  # the newer export holds the converted lead (a newer sync) and its contact
        "lead": [
            _converted(
                "00Qz",
                "2024-01-01 00:00:00",
                "003z",
                lead_date_c="2024-01-01 00:00:00",
                sql_date_c="2024-02-01 00:00:00",
                lead_source="Web",
                _fivetran_synced="2024-02-02 00:00:00",
            )
        ],
        "contact": [{"id": "003z", "created_date": "2024-02-01 00:00:00", **LIVE}],
    }
    result = _import(_write(tmp_path / "after", after), out)
    assert result.changed
    assert [
        (row["contact_id"], row["created_at"], row["channel"])
        for row in _rows(out, "contacts", "contact_id")
    ] == [("003z", "2024-01-01 00:00:00", "web")]
    assert [
        (row["contact_id"], row["stage"])
        for row in _rows(out, "stage_changes", "contact_id,changed_at")
    ] == [
        ("003z", "lead"),
        ("003z", "sql"),
    ]
    # the membership of the earlier import is kept, and is now the contact's
    assert [
        (row["activity_id"], row["contact_id"]) for row in _rows(out, "activities", "activity_id")
    ] == [("00vz", "003z")]


# --- the connector fixtures ----------------------------------------------------------------


def test_the_connector_fixtures_import_with_every_table_accounted_for(tmp_path: Path) -> None:
    result = _import(FIXTURES, tmp_path / "out")
    ledger = result.ledger
    assert sorted(ledger.tables) == sorted(
        vendor_name(path.stem) for path in FIXTURES.glob("*.csv")
    )
    assert all(account.balanced() for account in ledger.tables.values())
    tables = _ledger(result.out)
    # nine of the ten accounts are deleted (three of them older versions too)
    assert tables["account"] == {
        "read": 10,
        "imported": 1,
        "quarantined": {},
        "skipped": {"deleted in the source": 9},
    }
    assert tables["opportunity"]["skipped"] == {"deleted in the source": 10}
    # the fixtures' one lead is converted into a contact they do not hold; three contacts name
    # accounts they do not hold
    assert tables["lead"]["quarantined"] == {
        "converted into a contact that is not in the contact table": 1
    }
    assert tables["contact"] == {
        "read": 4,
        "imported": 1,
        "quarantined": {"account_id names no account of the source": 3},
        "skipped": {},
    }
    for name in (
        "account_history",
        "contact_history",
        "opportunity_history",
        "event",
        "task",
        "user",
        "user_role",
        "order",
        "product_2",
        "opportunity_line_item",
    ):
        assert (
            tables[name]["imported"] == 0
            and sum(tables[name]["skipped"].values()) == (tables[name]["read"])
        ), name
    assert tables["opportunity_history"]["skipped"] == {
        "versions of opportunities; deals are read from opportunity": 10
    }
    assert _quarantine(result.out)[-1] == (
        "lead",
        "00Q1G00000nDnM5UAK",
        "converted_contact_id",
        "0031G00001QtDPlQAN",
        "converted into a contact that is not in the contact table",
    )
    # the contact without an account: created_date is its lead date (no custom field)
    assert _rows(result.out, "stage_changes", "contact_id") == [
        {"contact_id": "0033700000JmrFPAA", "stage": "lead", "changed_at": "2019-11-11 17:23:34"}
    ]


# --- the 2000-contact demo, written in Salesforce layout, gives back its metrics ------------

DIMENSIONS = ("channel", "segment", "campaign_id", "source")


def _metrics(runner: CliRunner, folder: Path) -> list[str]:
    by = [option for dimension in DIMENSIONS for option in ("--by", dimension)]
    result = runner.invoke(app, ["metrics", str(folder), "--format", "csv", "-q", *by])
    assert result.exit_code == 0, result.output
    return sorted(result.stdout.splitlines())


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo of `lifecycle demo /tmp/demo2k --contacts 2000 --file-format csv`."""
    folder = tmp_path_factory.mktemp("demo2k") / "data"
    generate(folder, DemoConfig(contacts=2000, file_format="csv"))
    return folder


@pytest.fixture(scope="module")
def connector_import(demo: Path, tmp_path_factory: pytest.TempPathFactory) -> ImportResult:
    folder = tmp_path_factory.mktemp("salesforce2k")
    return _import(to_salesforce(demo, folder / "src"), folder / "out")


def test_the_demo_in_salesforce_layout_gives_back_its_metrics(
    demo: Path, connector_import: ImportResult
) -> None:
    runner = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"})
    original, imported = _metrics(runner, demo), _metrics(runner, connector_import.out)
    dimensions = {line.split(",")[4] for line in original}
    assert dimensions >= {"", *DIMENSIONS}  # totals and every dimension are compared
    assert len(original) > 10_000
    assert imported == original
    ledger = connector_import.ledger
    assert all(account.balanced() for account in ledger.tables.values())
    # 2000 people: 206 reached sql and are converted leads with a contact
    assert (ledger.tables["lead"].read, ledger.tables["contact"].imported) == (2000, 206)
    assert ledger.tables["lead"].imported + ledger.tables["contact"].imported == 2000
    assert not (connector_import.out / QUARANTINE_FILE).exists()


def _canonical(out: Path) -> dict[str, pd.DataFrame]:
    """The imported tables with instants as instants (the layouts print them differently)."""
    tables: dict[str, pd.DataFrame] = {}
    for path in sorted(out.glob("*.parquet")):
        frame = pd.read_parquet(path)
        for name in frame.columns:
            if name.endswith(("_at", "_date")):
                frame[name] = pd.to_datetime(frame[name], utc=True, format="ISO8601")
        tables[path.stem] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
    return tables


def test_a_data_loader_export_imports_as_the_connector_layout_does(
    connector_import: ImportResult, tmp_path: Path
) -> None:
    src = to_data_loader(connector_import.out.parent / "src", tmp_path / "src")
    assert (src / "extract.csv").exists() and (src / "Lead.csv").exists()
    header = (src / "Lead.csv").read_text().splitlines()[0]
    assert "ConvertedContactId" in header and "Lead_Date__c" in header
    result = _import(src, tmp_path / "out")
    expected, got = _canonical(connector_import.out), _canonical(result.out)
    assert sorted(got) == sorted(expected)
    for name, frame in expected.items():
        pd.testing.assert_frame_equal(got[name], frame, obj=name)
