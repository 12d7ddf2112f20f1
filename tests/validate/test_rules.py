"""Each validation rule on a hand-made fixture: the right table, row, column, value, expectation."""

from __future__ import annotations

from pathlib import Path

import pytest

from lifecycle_metrics.dataset import load
from lifecycle_metrics.validate.issues import Level, ValidationReport

GOOD_CONTACTS = "contact_id,created_at,account_id\nc1,2024-01-01,a1\nc2,2024-01-02,\n"


def check(tmp_path: Path, files: dict[str, str]) -> ValidationReport:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return load(tmp_path, strict=False).report


def only_error(report: ValidationReport):  # type: ignore[no-untyped-def]
    assert len(report.errors) == 1, [(r.rule, r.column) for r in report.errors]
    rule = report.errors[0]
    assert rule.count == 1
    return rule.examples[0]


@pytest.mark.parametrize(
    ("files", "rule", "table", "row", "column", "value", "expected_text"),
    [
        (
            {"contacts.csv": "contact_id\nc1\n"},
            "missing_column",
            "contacts",
            None,
            "created_at",
            None,
            "a column named 'created_at'",
        ),
        (
            {"contacts.csv": "contact_id,created_at\nc1,2024-01-01\n,2024-01-02\n"},
            "required_empty",
            "contacts",
            3,
            "contact_id",
            None,
            "contact_id is required",
        ),
        (
            {
                "stage_changes.csv": "contact_id,stage,changed_at\nc1,mql,2024-01-01\nc1,MQL,2024-01-02\n"
            },
            "not_allowed",
            "stage_changes",
            3,
            "stage",
            "MQL",
            "one of lead, mql, sql",
        ),
        (
            {"contacts.csv": "contact_id,created_at\nc1,2024-01-01\nc2,31/01/2024\n"},
            "invalid_value",
            "contacts",
            3,
            "created_at",
            "31/01/2024",
            "ISO 8601",
        ),
        (
            {"contacts.csv": "contact_id,created_at\nc1,2024-02-30\n"},
            "invalid_value",
            "contacts",
            2,
            "created_at",
            "2024-02-30",
            "ISO 8601",
        ),
        (
            {"contacts.csv": "contact_id,created_at,is_internal\nc1,2024-01-01,maybe\n"},
            "invalid_value",
            "contacts",
            2,
            "is_internal",
            "maybe",
            "true/false",
        ),
        (
            {
                "contacts.csv": "contact_id,created_at\nc1,2024-01-01\nc2,2024-01-02\nc1,2024-01-03\n"
            },
            "duplicate_id",
            "contacts",
            4,
            "contact_id",
            "c1",
            "row 2 holds it already",
        ),
        (
            {
                "contacts.csv": GOOD_CONTACTS,
                "stage_changes.csv": "contact_id,stage,changed_at\nc1,mql,2024-01-05\nc9,sql,2024-01-06\n",
            },
            "unknown_reference",
            "stage_changes",
            3,
            "contact_id",
            "c9",
            "exists in contacts",
        ),
        (
            {"contacts.csv": GOOD_CONTACTS, "accounts.csv": "account_id,segment\na2,SMB\n"},
            "unknown_reference",
            "contacts",
            2,
            "account_id",
            "a1",
            "exists in accounts",
        ),
        (
            {
                "campaigns.csv": "campaign_id,name,channel,audience,automated\nk1,A,email,prospect,1\n",
                "activities.csv": "activity_id,contact_id,type,occurred_at,campaign_id\n"
                "x1,c1,email_sent,2024-01-01,k2\n",
            },
            "unknown_reference",
            "activities",
            2,
            "campaign_id",
            "k2",
            "exists in campaigns",
        ),
        (
            {"nps_responses.csv": "response_id,score,responded_at\nr1,11,2024-01-01\n"},
            "out_of_range",
            "nps_responses",
            2,
            "score",
            "11",
            "from 0 to 10",
        ),
        (
            {"nps_responses.csv": "response_id,score,responded_at\nr1,7.5,2024-01-01\n"},
            "invalid_value",
            "nps_responses",
            2,
            "score",
            "7.5",
            "whole number",
        ),
        (
            {
                "deals.csv": "deal_id,account_id,type,status,created_at,amount,closed_at\n"
                "d1,a1,new_business,won,2024-01-01,100,\n"
            },
            "closed_at_missing",
            "deals",
            2,
            "closed_at",
            "won",
            "closed_at for a won or lost",
        ),
        (
            {
                "deals.csv": "deal_id,account_id,type,status,created_at,amount\n"
                "d1,a1,expansion,open,2024-01-01,100\n"
            },
            "not_allowed",
            "deals",
            2,
            "type",
            "expansion",
            "new_business, upsell",
        ),
        (
            {
                "deals.csv": "deal_id,account_id,type,status,created_at,amount\n"
                'd1,a1,upsell,open,2024-01-01,"1,000"\n'
            },
            "invalid_value",
            "deals",
            2,
            "amount",
            "1,000",
            "decimal number",
        ),
        (
            {
                "subscriptions.csv": "subscription_id,account_id,started_at,mrr,ended_at\n"
                "s1,a1,2024-02-01,10,2024-01-01\n"
            },
            "ends_before_start",
            "subscriptions",
            2,
            "ended_at",
            "2024-01-01",
            "later than started_at",
        ),
        (
            {
                "campaigns.csv": "campaign_id,name,channel,audience,automated\nk1,A,email,partners,1\n"
            },
            "not_allowed",
            "campaigns",
            2,
            "audience",
            "partners",
            "prospect, customer",
        ),
        (
            {"costs.csv": "month,amount,category\n2024-13,10,program\n"},
            "invalid_value",
            "costs",
            2,
            "month",
            "2024-13",
            "YYYY-MM",
        ),
        (
            {"costs.csv": "month,amount,category\n2024-01,10,rent\n"},
            "not_allowed",
            "costs",
            2,
            "category",
            "rent",
            "program, labor, technology",
        ),
        (
            {
                "deals.csv": "deal_id,account_id,type,status,created_at,amount,currency\n"
                "d1,a1,upsell,open,2024-01-01,1,EUR\nd2,a1,upsell,open,2024-01-01,1,EUR\n",
                "costs.csv": "month,amount,category,currency\n2024-01,10,labor,USD\n",
            },
            "mixed_currency",
            "costs",
            2,
            "currency",
            "USD",
            "one currency",
        ),
    ],
    ids=lambda value: (
        value if isinstance(value, str) and " " not in value and len(value) < 25 else None
    ),
)
def test_rule(tmp_path: Path, files, rule, table, row, column, value, expected_text) -> None:  # type: ignore[no-untyped-def]
    issue = only_error(check(tmp_path, files))
    assert (issue.rule, issue.table, issue.row, issue.column, issue.value) == (
        rule,
        table,
        row,
        column,
        value,
    )
    assert expected_text in issue.expected
    assert issue.file.endswith(f"{table}.csv")


def test_all_problems_are_reported_not_just_the_first(tmp_path: Path) -> None:
    report = check(
        tmp_path,
        {
            "contacts.csv": "contact_id,created_at,is_internal\n"
            "c1,bad,x\nc2,2024-01-01,\nc3,,maybe\n"
        },
    )
    found = {(rule.rule, rule.column): [i.row for i in rule.examples] for rule in report.errors}
    assert found == {
        ("invalid_value", "created_at"): [2],
        ("invalid_value", "is_internal"): [2, 4],
        ("required_empty", "created_at"): [4],
    }
    assert report.error_count == 4


def test_examples_are_capped_but_counts_are_whole(tmp_path: Path) -> None:
    lines = "".join(f"c{i},not-a-date\n" for i in range(50))
    report = check(tmp_path, {"contacts.csv": "contact_id,created_at\n" + lines})
    rule = report.errors[0]
    assert rule.count == 50
    assert len(rule.examples) == 20
    assert [i.row for i in rule.examples[:3]] == [2, 3, 4]


def test_unknown_activity_types_are_kept_with_a_warning(tmp_path: Path) -> None:
    report = check(
        tmp_path,
        {
            "activities.csv": "activity_id,contact_id,type,occurred_at\n"
            "x1,c1,webinar_registered,2024-01-01\n"
            "x2,c1,referral_given,2024-01-01\n"
        },
    )
    assert not report.errors
    warning = report.warnings[0]
    assert (warning.rule, warning.count, warning.examples[0].value) == (
        "unknown_activity_type",
        1,
        "webinar_registered",
    )
    assert report.tables["activities"].rows_used == 2


@pytest.mark.parametrize(
    ("files", "rule", "table", "row"),
    [
        (
            {
                "contacts.csv": "contact_id,created_at\nc1,2024-02-01\n",
                "stage_changes.csv": "contact_id,stage,changed_at\nc1,lead,2024-01-01\n",
            },
            "stage_change_before_creation",
            "stage_changes",
            2,
        ),
        (
            {
                "contacts.csv": GOOD_CONTACTS,
                "stage_changes.csv": "contact_id,stage,changed_at\nc1,lead,2024-01-05\n",
            },
            "contact_without_stage_change",
            "contacts",
            3,
        ),
        (
            {"contacts.csv": "contact_id,created_at\nc1,2999-01-01\n"},
            "timestamp_in_future",
            "contacts",
            2,
        ),
        (
            {
                "campaigns.csv": "campaign_id,name,channel,audience,automated,started_at,ended_at\n"
                "k1,A,email,prospect,1,2024-01-01,2024-01-31\n",
                "activities.csv": "activity_id,contact_id,type,occurred_at,campaign_id\n"
                "x1,c1,email_sent,2024-01-31 18:00,k1\nx2,c1,email_sent,2024-02-02,k1\n",
            },
            "activity_outside_campaign_dates",
            "activities",
            3,
        ),
    ],
)
def test_warning(tmp_path: Path, files, rule, table, row) -> None:  # type: ignore[no-untyped-def]
    report = check(tmp_path, files)
    assert not report.errors
    assert [(w.rule, w.table, w.count, w.examples[0].row) for w in report.warnings] == [
        (rule, table, 1, row)
    ]
    assert all(w.level is Level.WARNING for w in report.warnings)


def test_references_are_checked_against_valid_rows_only(tmp_path: Path) -> None:
    # c2's row is invalid, so its stage change has nothing to point at once c2 is set aside
    report = check(
        tmp_path,
        {
            "contacts.csv": "contact_id,created_at\nc1,2024-01-01\nc2,never\n",
            "stage_changes.csv": "contact_id,stage,changed_at\nc2,mql,2024-01-05\n",
        },
    )
    assert [(r.rule, r.table) for r in report.errors] == [
        ("invalid_value", "contacts"),
        ("unknown_reference", "stage_changes"),
    ]
