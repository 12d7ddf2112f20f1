"""Marketo: the connector's tables import as the canonical original; bad rows are named."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from lifecycle_metrics.cli import app
from lifecycle_metrics.sources import import_source
from tests.sources.conftest import FIXTURES, every_metric
from tests.sources.marketo_layout import to_marketo

MARKETO = FIXTURES / "marketo"
ACTIVITY_FILES = (
    "activity_send_email",
    "activity_email_bounced",
    "activity_open_email",
    "activity_click_email",
    "activity_unsubscribe_email",
)


def _rows(path: Path) -> int:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


def _fixture(name: str) -> pd.DataFrame:
    path = MARKETO / f"marketo_{name}_data.csv"
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _digests(folder: Path) -> dict[str, str]:
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.glob("*.parquet"))
    }


def _write(folder: Path, name: str, rows: list[dict[str, str]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(folder / f"{name}.csv", index=False)


def _table(path: Path, *columns: str) -> list[list[str | None]]:
    """A written table's rows (the named columns, sorted), empty cells as None."""
    frame = pd.read_parquet(path)[list(columns)]
    rows = [[None if pd.isna(value) else str(value) for value in row] for row in frame.values]
    return sorted(rows, key=lambda row: [value or "" for value in row])


def _quarantined(out: Path) -> set[tuple[str, str, str, str, str]]:
    quarantine = pd.read_csv(out / "import-quarantine.csv", dtype=str, keep_default_na=False)
    columns = ["source_table", "record_id", "column", "value", "reason"]
    return {
        (str(table), str(record), str(name), str(value), str(reason))
        for table, record, name, value, reason in quarantine[columns].values
    }


@pytest.fixture(scope="module")
def connector_export(canonical_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 2,000-contact demo as Marketo's connector lands it."""
    return to_marketo(canonical_demo, tmp_path_factory.mktemp("marketo") / "export")


@pytest.fixture(scope="module")
def imported(connector_export: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The connector export imported."""
    out = tmp_path_factory.mktemp("imported") / "dataset"
    import_source("marketo", connector_export, out)
    return out


# --- the connector's fixture tables --------------------------------------------------------


def test_every_fixture_table_is_accounted_for(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = import_source("marketo", MARKETO, out)
    files = {
        path.stem.removeprefix("marketo_").removesuffix("_data"): _rows(path)
        for path in MARKETO.glob("*.csv")
    }
    ledger = result.ledger.tables
    assert {name: account.read for name, account in ledger.items()} == files
    assert all(account.balanced() for account in ledger.values())
    assert ledger["lead"].imported == 100
    assert ledger["program"].imported == 100  # none is _fivetran_deleted
    # the fixture's activities name leads the lead table does not hold (ids are sampled
    # independently): a send that sent nothing and the rows of a lead deleted in
    # activity_delete_lead are kept out, the rest are each named in the quarantine
    leads = set(_fixture("lead").id)
    deleted = set(_fixture("activity_delete_lead").lead_id)
    named = _quarantined(out)
    for name in ACTIVITY_FILES:
        rows = _fixture(name)
        assert not rows.lead_id.isin(leads).any()
        results = rows.get("action_result", pd.Series("", index=rows.index))
        not_sent = results.str.lower().isin(["skipped", "failed"])
        gone = rows.lead_id.isin(deleted) & ~not_sent
        missing = ~not_sent & ~gone
        expected = {
            "not sent: the send step was skipped or failed (action_result)": int(not_sent.sum()),
            "its lead was deleted in Marketo (activity_delete_lead)": int(gone.sum()),
        }
        assert ledger[name].skipped == {reason: n for reason, n in expected.items() if n}
        assert ledger[name].quarantined == {"lead_id names no lead of the source": missing.sum()}
        for record, lead in zip(rows.id[missing], rows.lead_id[missing], strict=True):
            assert (name, record, "lead_id", lead, "lead_id names no lead of the source") in named
    # counted from the files by hand: 2 sends skipped by their step (action_result), 1 send
    # and 1 open of a deleted lead
    assert ledger["activity_send_email"].skipped == {
        "not sent: the send step was skipped or failed (action_result)": 2,
        "its lead was deleted in Marketo (activity_delete_lead)": 1,
    }
    assert sum(ledger["activity_open_email"].skipped.values()) == 1
    # no fixture field is the lifecycle stage or the lead score (Demographic Score Marketing,
    # Priority, … are other fields)
    assert ledger["activity_change_data_value"].skipped == {
        "a change of another field (neither the lifecycle stage nor the lead score)": 100
    }
    assert ledger["activity_email_delivered"].skipped == {
        "delivery confirmations: SPEC counts delivered as sends minus bounces": 100
    }
    campaigns = pd.read_parquet(out / "campaigns.parquet")
    counts = campaigns.channel.value_counts().to_dict()
    # program.channel as members: Webinar 47, Content 23, Email Campaign 14, Operational 13, …
    assert counts == {
        "webinar": 47,
        "content": 23,
        "email_campaign": 14,
        "operational": 13,
        "email_nurture": 2,
        "web_request": 1,
    }
    # the two Engagement programs are the automated (nurture) ones
    assert (campaigns.automated == "true").sum() == 2
    contacts = pd.read_parquet(out / "contacts.parquet")
    # a connector time keeps its lack of an offset (read in the report time zone)
    assert contacts.set_index("contact_id").created_at["1031229"] == "2019-12-29 08:15:15.000"


# --- the round trip ------------------------------------------------------------------------


def test_the_connector_layout_gives_every_metric_of_the_original(
    canonical_metrics: list[tuple[object, ...]], imported: Path
) -> None:
    assert every_metric(imported) == canonical_metrics


def test_the_round_trip_ledger_balances_and_drops_nothing(
    connector_export: Path, imported: Path, canonical_demo: Path
) -> None:
    import json

    ledger = json.loads((imported / "import-ledger.json").read_text())["tables"]
    for name, account in ledger.items():
        kept = account["imported"] + sum(account["quarantined"].values())
        assert account["read"] == kept + sum(account["skipped"].values()), name
        assert not account["quarantined"], name
    delivered = _rows(connector_export / "activity_email_delivered.csv")
    assert ledger["activity_email_delivered"]["skipped"] == {
        "delivery confirmations: SPEC counts delivered as sends minus bounces": delivered
    }
    original = pd.read_csv(canonical_demo / "activities.csv", dtype=str, keep_default_na=False)
    activities = pd.read_parquet(imported / "activities.parquet")
    assert len(activities) == len(original)
    # one message per send: opens and clicks find their send through (run, email, lead)
    sends = activities[activities.type == "email_sent"]
    assert sends.message_id.is_unique
    opened = activities[activities.type.isin(["email_open", "email_click", "email_bounce"])]
    assert opened.message_id.isin(sends.message_id).all()
    machine = activities[activities.is_machine == "true"]
    assert len(machine) == (original.is_machine == "true").sum() == 652


def test_importing_the_same_export_again_changes_nothing(
    connector_export: Path, imported: Path, runner: CliRunner
) -> None:
    before = _digests(imported)
    result = runner.invoke(
        app, ["import", "marketo", str(connector_export), "--out", str(imported)]
    )
    assert result.exit_code == 0, result.output
    assert "No change" in result.output
    assert _digests(imported) == before


# --- hand-made exports: conventions and bad input ------------------------------------------

LEADS = [
    {
        "id": "1",
        "created_at": "2024-01-01 10:00:00.000",
        "updated_at": "2024-01-02 10:00:00",
        "email": "ann@example.com",
        "lead_source": "Paid Search",
        "lead_source_detail": "Google Ads",
        "acquisition_program_id": "1001",
        "account_id": "A1",
        "company": "Acme",
        "segment": "Enterprise",
        "is_internal": "false",
    },
    {
        "id": "2",
        "created_at": "2024-01-03 10:00:00.000",
        "updated_at": "2024-01-03 10:00:00",
        "email": "bob@example.com",
        "lead_source": "Trade Show",
        "lead_source_detail": "",
        "acquisition_program_id": "",
        "account_id": "A1",
        "company": "Acme Inc",
        "segment": "Mid-Market",
        "is_internal": "TRUE",
    },
    {
        "id": "3",
        "created_at": "2024-01-04 10:00:00.000",
        "updated_at": "2024-01-04 10:00:00",
        "email": "cy@example.com",
        "lead_source": "",
        "lead_source_detail": "",
        "acquisition_program_id": "",
        "account_id": "",
        "company": "",
        "segment": "",
        "is_internal": "",
    },
]
PROGRAMS = [
    {
        "id": "1001",
        "name": "Welcome nurture",
        "channel": "Email Nurture",
        "type": "Engagement",
        "start_date": "2024-01-01",
        "_fivetran_deleted": "FALSE",
    },
    {
        "id": "1002",
        "name": "Spring webinar",
        "channel": "Webinar",
        "type": "EventWithWebinar",
        "start_date": "",
        "_fivetran_deleted": "FALSE",
    },
]
SMART_CAMPAIGNS = [
    {"id": "7", "name": "Welcome - send", "program_id": "1001", "type": "trigger"},
    {"id": "8", "name": "Global unsubscribe", "program_id": "", "type": "trigger"},
]


def _email(table: str, record: str, lead: str, at: str, **extra: str) -> tuple[str, dict[str, str]]:
    row = {
        "id": record,
        "lead_id": lead,
        "activity_date": at,
        "campaign_id": "7",
        "campaign_run_id": "55",
        "email_template_id": "3001",
        **extra,
    }
    return table, row


def _export(folder: Path, tables: dict[str, list[dict[str, str]]]) -> Path:
    for name, rows in tables.items():
        _write(folder, name, rows)
    return folder


def test_leads_programs_and_emails_follow_the_conventions(tmp_path: Path) -> None:
    emails: dict[str, list[dict[str, str]]] = {}
    for table, row in [
        _email(
            "activity_send_email", "s1", "1", "2024-02-01 09:00:00.000", action_result="succeeded"
        ),
        _email(
            "activity_send_email", "s2", "2", "2024-02-01 09:00:00.000", action_result="skipped"
        ),
        _email(
            "activity_open_email",
            "o1",
            "1",
            "2024-02-01 10:00:00.000",
            is_bot_activity="false",
            bot_activity_pattern="N/A",
        ),
        _email(
            "activity_open_email",
            "o2",
            "1",
            "2024-02-01 09:00:01.000",
            is_bot_activity="true",
            bot_activity_pattern="Match with Proxy Pattern",
        ),
        _email(
            "activity_click_email",
            "k1",
            "1",
            "2024-02-01 10:01:00.000",
            bot_activity_pattern="Match with Invisible Link",
        ),
        _email("activity_unsubscribe_email", "u1", "1", "2024-02-02 10:00:00.000", campaign_id="8"),
    ]:
        emails.setdefault(table, []).append(row)
    src = _export(
        tmp_path / "src",
        {
            "lead": LEADS,
            "program": PROGRAMS,
            "program_tag": [
                {"program_id": "1002", "tag_type": "Audience", "tag_value": "Customer"}
            ],
            "campaign": SMART_CAMPAIGNS,
            "activity_fill_out_form": [
                {
                    "id": "f1",
                    "lead_id": "3",
                    "activity_date": "2024-01-04 10:00:00.000",
                    "campaign_id": "",
                    "primary_attribute_value": "Contact Us",
                },
            ],
            **emails,
        },
    )
    result = import_source("marketo", src, tmp_path / "out")
    out = tmp_path / "out"
    contact_columns = ("contact_id", "created_at", "account_id", "email", "channel", "source")
    assert _table(out / "contacts.parquet", *contact_columns, "campaign_id", "is_internal") == [
        # a connector time as given; Lead Source as a member; the acquisition program
        [
            "1",
            "2024-01-01 10:00:00.000",
            "A1",
            "ann@example.com",
            "paid_search",
            "Google Ads",
            "1001",
            "false",
        ],
        [
            "2",
            "2024-01-03 10:00:00.000",
            "A1",
            "bob@example.com",
            "trade_show",
            None,
            None,
            "true",
        ],
        ["3", "2024-01-04 10:00:00.000", None, "cy@example.com", None, None, None, "false"],
    ]
    # one account per account id, its fields from the lead updated last (lead 2, 2024-01-03)
    assert _table(out / "accounts.parquet", "account_id", "name", "segment") == [
        ["A1", "Acme Inc", "Mid-Market"]
    ]
    campaign_columns = ("campaign_id", "channel", "audience", "automated", "started_at")
    assert _table(out / "campaigns.parquet", *campaign_columns) == [
        ["1001", "email_nurture", "prospect", "true", "2024-01-01"],  # a date stays a date
        ["1002", "webinar", "customer", "false", None],  # its Audience tag
    ]
    activity_columns = ("activity_id", "type", "campaign_id", "message_id", "is_machine")
    assert _table(out / "activities.parquet", *activity_columns) == [
        ["f1", "form_submit", None, None, "false"],
        # the pattern alone names a bot when is_bot_activity is not given
        ["k1", "email_click", "1001", "55-3001-1", "true"],
        ["o1", "email_open", "1001", "55-3001-1", "false"],
        ["o2", "email_open", "1001", "55-3001-1", "true"],
        # s2 was skipped by its send step: not sent
        ["s1", "email_sent", "1001", "55-3001-1", "false"],
        # smart campaign 8 lies in no program: the activity has no campaign
        ["u1", "email_unsubscribe", None, "55-3001-1", "false"],
    ]
    assert result.ledger.tables["activity_send_email"].skipped == {
        "not sent: the send step was skipped or failed (action_result)": 1
    }


def _changes(rows: list[tuple[str, str, str, str, str]]) -> list[dict[str, str]]:
    return [
        {
            "id": record,
            "lead_id": lead,
            "activity_date": at,
            "primary_attribute_value": field,
            "new_value": value,
        }
        for record, lead, at, field, value in rows
    ]


def test_stage_and_score_history_come_from_change_data_value(tmp_path: Path) -> None:
    src = _export(
        tmp_path / "src",
        {
            "lead": LEADS,
            "lead_describe": [{"id": "2001", "display_name": "Lifecycle Stage"}],
            "activity_change_data_value": [
                *_changes(
                    [
                        ("c1", "1", "2024-01-01 10:00:00", "Lifecycle Stage", "Lead"),
                        (
                            "c2",
                            "1",
                            "2024-01-05 10:00:00",
                            "Lifecycle Stage",
                            "Marketing Qualified Lead",
                        ),
                        ("c3", "1", "2024-01-06 10:00:00", "lifecycle stage", "SAL"),
                        ("c4", "1", "2024-01-07 10:00:00", "Lifecycle Stage", "Recycled"),
                        ("c5", "1", "2024-01-08 10:00:00", "Lifecycle Stage", ""),
                        ("c6", "1", "2024-01-09 10:00:00", "Lifecycle Stage", "Anonymous"),
                        ("c7", "2", "2024-01-09 10:00:00", "Lead Score", "35"),
                        ("c8", "2", "2024-01-10 10:00:00", "Behavior Score", "10"),
                        ("c9", "2", "2024-01-10 11:00:00", "Job Title", "CMO"),
                    ]
                ),
                # a field given only by its id, named through lead_describe
                {
                    "id": "c10",
                    "lead_id": "3",
                    "activity_date": "2024-01-11 10:00:00",
                    "primary_attribute_value": "",
                    "primary_attribute_value_id": "2001",
                    "new_value": "Disqualified",
                },
            ],
            "activity_change_score": _changes(
                [
                    ("s1", "3", "2024-01-12 10:00:00", "Lead Score", "+10 → 50"),
                    ("s2", "3", "2024-01-12 11:00:00", "Lead Score", "50"),
                ]
            ),
        },
    )
    result = import_source("marketo", src, tmp_path / "out")
    assert _table(
        tmp_path / "out" / "stage_changes.parquet", "contact_id", "stage", "changed_at"
    ) == [
        ["1", "lead", "2024-01-01 10:00:00"],
        ["1", "mql", "2024-01-05 10:00:00"],
        ["1", "mql", "2024-01-06 10:00:00"],  # sales accepted: past MQL, not yet an SQL
        ["1", "recycled", "2024-01-07 10:00:00"],
        ["3", "disqualified", "2024-01-11 10:00:00"],
    ]
    assert _table(tmp_path / "out" / "lead_scores.parquet", "contact_id", "score") == [
        ["2", "35"],
        ["3", "50"],
    ]
    ledger = result.ledger.tables
    assert ledger["activity_change_data_value"].skipped == {
        "stage cleared (a flow empties the field before setting it again)": 1,
        "Anonymous and Lost are not SPEC stages and imply none": 1,
        # Behavior Score and Job Title
        "a change of another field (neither the lifecycle stage nor the lead score)": 2,
    }
    assert ledger["activity_change_score"].quarantined == {"the lead score is not a number": 1}
    assert all(account.balanced() for account in ledger.values())


def test_deleted_and_merged_leads(tmp_path: Path) -> None:
    leads = [
        *LEADS,
        {**LEADS[2], "id": "4", "email": "ann.old@example.com"},  # merged into lead 1
        {**LEADS[2], "id": "5", "_fivetran_deleted": "true"},
    ]
    src = _export(
        tmp_path / "src",
        {
            "lead": leads,
            "activity_merge_leads": [
                {
                    "id": "m1",
                    "lead_id": "1",
                    "activity_date": "2024-03-01 10:00:00",
                    "merge_ids": "[4]",
                },
            ],
            "activity_delete_lead": [
                {"id": "d1", "lead_id": "3", "activity_date": "2024-03-02 10:00:00"},
            ],
            "activity_fill_out_form": [
                {"id": "f1", "lead_id": "4", "activity_date": "2024-02-01 10:00:00"},
                {"id": "f2", "lead_id": "3", "activity_date": "2024-02-01 10:00:00"},
                {"id": "f3", "lead_id": "5", "activity_date": "2024-02-01 10:00:00"},
            ],
            "activity_change_data_value": _changes(
                [
                    ("c1", "4", "2024-01-02 10:00:00", "Lifecycle Stage", "MQL"),
                ]
            ),
        },
    )
    result = import_source("marketo", src, tmp_path / "out")
    contacts = pd.read_parquet(tmp_path / "out" / "contacts.parquet")
    assert sorted(contacts.contact_id) == ["1", "2"]
    ledger = result.ledger.tables
    assert ledger["lead"].skipped == {
        "deleted in Marketo (activity_delete_lead)": 1,
        "merged into another lead (activity_merge_leads): its records are that lead's": 1,
        "deleted in the source": 1,
    }
    # the merged lead's form fill and stage are the surviving lead's
    assert _table(tmp_path / "out" / "activities.parquet", "activity_id", "contact_id") == [
        ["f1", "1"]
    ]
    assert _table(tmp_path / "out" / "stage_changes.parquet", "contact_id", "stage") == [
        ["1", "mql"]
    ]
    assert ledger["activity_fill_out_form"].skipped == {
        "its lead was deleted in Marketo (activity_delete_lead)": 1,
        "its contact is not imported (deleted, skipped or quarantined)": 1,
    }
    assert ledger["activity_merge_leads"].skipped == {
        "a merge: the merged leads' records are read as the surviving lead's (lead_id)": 1
    }


def test_bad_input_is_named_with_table_record_column_and_value(tmp_path: Path) -> None:
    leads = [
        *LEADS,
        {**LEADS[2], "id": "2", "email": "bob.twin@example.com"},  # a duplicate id
        {**LEADS[2], "id": "6", "created_at": "yesterday"},
    ]
    src = _export(
        tmp_path / "src",
        {
            "lead": leads,
            "activity_send_email": [
                _email("activity_send_email", "s1", "1", "2024-02-01 09:00:00")[1],
                _email("activity_send_email", "s2", "1", "2024-13-45 09:00:00")[1],
            ],
            "activity_open_email": [
                _email("activity_open_email", "o1", "999", "2024-02-01 10:00:00")[1],
                _email("activity_open_email", "s1", "1", "2024-02-01 10:00:00")[1],  # id of a send
                _email(
                    "activity_open_email", "o3", "1", "2024-02-01 10:00:00", is_bot_activity="maybe"
                )[1],
            ],
            "program": PROGRAMS,
            "program_tag": [
                {"program_id": "1002", "tag_type": "Audience", "tag_value": "Partners"}
            ],
            "activity_change_data_value": _changes(
                [
                    ("c1", "1", "2024-01-05 10:00:00", "Lifecycle Stage", "Superfan"),
                    ("c2", "1", "2024-01-06 10:00:00", "Lifecycle Stage", "MQL"),
                    ("c2", "1", "2024-01-07 10:00:00", "Lifecycle Stage", "SQL"),
                    ("c3", "1", "05/32/2024", "Lead Score", "20"),
                ]
            ),
        },
    )
    result = import_source("marketo", src, tmp_path / "out")
    named = _quarantined(tmp_path / "out")
    assert named >= {
        ("activity_change_data_value", "c1", "new_value", "Superfan", "unknown lifecycle stage"),
        ("activity_open_email", "o1", "lead_id", "999", "lead_id names no lead of the source"),
        ("lead", "6", "created_at", "yesterday", "created_at is not a date and time"),
        (
            "activity_send_email",
            "s2",
            "activity_date",
            "2024-13-45 09:00:00",
            "activity_date is not a date and time",
        ),
        (
            "activity_change_data_value",
            "c3",
            "activity_date",
            "05/32/2024",
            "activity_date is not a date and time",
        ),
        ("lead", "2", "contact_id", "2", "contact_id is given by another record too"),
        (
            "program",
            "1002",
            "tag_value",
            "Partners",
            "unknown audience (the Audience tag is Prospect or Customer)",
        ),
        (
            "activity_change_data_value",
            "c2",
            "id",
            "c2",
            "the activity id is given by another row too",
        ),
        (
            "activity_open_email",
            "o3",
            "is_bot_activity",
            "maybe",
            "is_bot_activity is not true or false",
        ),
    }
    duplicates = {row for row in named if row[4] == "activity_id is given by another record too"}
    assert len(duplicates) == 1 and next(iter(duplicates))[1:4] == ("s1", "activity_id", "s1")
    ledger = result.ledger.tables
    assert ledger["lead"].quarantined == {
        "created_at is not a date and time": 1,
        "contact_id is given by another record too": 1,
    }
    assert ledger["activity_change_data_value"].quarantined == {
        "unknown lifecycle stage": 1,
        "the activity id is given by another row too": 1,
        "activity_date is not a date and time": 1,
    }
    assert ledger["activity_change_data_value"].imported == 1
    assert all(account.balanced() for account in ledger.values())
    # every quarantined row counted once: 2 leads, s2, o1, o3, one of the two s1, 3 changes,
    # the program
    counted = sum(sum(account.quarantined.values()) for account in ledger.values())
    assert counted == len(named) == 10


def test_fallback_columns_for_account_source_internal_and_segment(tmp_path: Path) -> None:
    lead = {
        "id": "1",
        "created_at": "2024-01-01T12:00:00+02:00",
        "email": "ann@example.com",
        "lead_source": "Paid Search",
        "original_source_info": "https://www.google.com/",
        "external_company_id": "ACME",
        "company": "Acme",
        "segment_c": "SMB",
        "is_internal_c": "Yes",
    }
    src = _export(tmp_path / "src", {"lead": [lead]})
    import_source("marketo", src, tmp_path / "out")
    out = tmp_path / "out"
    columns = ("contact_id", "created_at", "account_id", "source", "is_internal")
    assert _table(out / "contacts.parquet", *columns) == [
        # an instant with its offset is kept as given
        ["1", "2024-01-01T12:00:00+02:00", "ACME", "https://www.google.com/", "true"]
    ]
    assert _table(out / "accounts.parquet", "account_id", "name", "segment") == [
        ["ACME", "Acme", "SMB"]
    ]


def test_an_activity_may_name_its_program_and_carry_its_own_message_id(tmp_path: Path) -> None:
    src = _export(
        tmp_path / "src",
        {
            "lead": LEADS,
            "program": PROGRAMS,  # no smart-campaign table: campaign_id names the program
            "activity_send_email": [
                {
                    "id": "s1",
                    "lead_id": "1",
                    "activity_date": "2024-02-01 09:00:00",
                    "campaign_id": "1001",
                    "message_id": "m-7",
                },
            ],
            "activity_open_email": [
                {
                    "id": "o1",
                    "lead_id": "1",
                    "activity_date": "2024-02-01 10:00:00",
                    "campaign_id": "1001",
                    "message_id": "m-7",
                },
            ],
        },
    )
    import_source("marketo", src, tmp_path / "out")
    assert _table(
        tmp_path / "out" / "activities.parquet", "activity_id", "campaign_id", "message_id"
    ) == [["o1", "1001", "m-7"], ["s1", "1001", "m-7"]]
