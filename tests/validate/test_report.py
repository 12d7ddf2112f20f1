"""A validation report as JSON data: every field `lifecycle validate --format json` prints."""

from __future__ import annotations

from lifecycle_metrics.schema import TABLE_NAMES
from lifecycle_metrics.validate.issues import (
    Issue,
    Level,
    RuleCount,
    TableStats,
    ValidationReport,
)

BAD_DATE = Issue(
    level=Level.ERROR,
    rule="invalid_value",
    table="contacts",
    file="contacts.csv",
    row=3,
    column="created_at",
    value="x",
    expected="a timestamp",
)


def _report() -> ValidationReport:
    return ValidationReport(
        rules=[
            RuleCount(
                level=Level.ERROR,
                rule="invalid_value",
                table="contacts",
                column="created_at",
                count=2,
                examples=(BAD_DATE,),
            ),
            RuleCount(
                level=Level.WARNING,
                rule="unknown_channel",
                table="contacts",
                column=None,
                count=1,
                examples=(),
            ),
        ],
        tables={
            "contacts": TableStats(
                table="contacts",
                source="contacts.csv",
                rows_read=4,
                rows_used=2,
                rows_quarantined=2,
                first_event="2024-01-01T00:00:00Z",
                last_event="2024-02-01T00:00:00Z",
            )
        },
        ignored=["notes"],
    )


def test_to_dict_is_every_field_in_order() -> None:
    enables = {name: ("mqls", "sqls") if name == "stage_changes" else () for name in TABLE_NAMES}
    data = _report().to_dict(enables)
    assert list(data) == ["valid", "tables", "absent", "ignored", "problems"]
    assert data["valid"] is False
    assert data["tables"] == [
        {
            "table": "contacts",
            "source": "contacts.csv",
            "rows_read": 4,
            "rows_used": 2,
            "rows_quarantined": 2,
            "first_event": "2024-01-01T00:00:00Z",
            "last_event": "2024-02-01T00:00:00Z",
        }
    ]
    # every canonical table but contacts, in the schema's order, with what it would enable
    assert [entry["table"] for entry in data["absent"]] == [
        name for name in TABLE_NAMES if name != "contacts"
    ]
    assert {"table": "stage_changes", "enables": ["mqls", "sqls"]} in data["absent"]
    assert {"table": "deals", "enables": []} in data["absent"]
    assert data["ignored"] == ["notes"]
    assert data["problems"] == [
        {
            "level": "error",
            "rule": "invalid_value",
            "table": "contacts",
            "column": "created_at",
            "count": 2,
            "examples": [
                {
                    "level": "error",
                    "rule": "invalid_value",
                    "table": "contacts",
                    "file": "contacts.csv",
                    "row": 3,
                    "column": "created_at",
                    "value": "x",
                    "expected": "a timestamp",
                }
            ],
        },
        {
            "level": "warning",
            "rule": "unknown_channel",
            "table": "contacts",
            "column": None,
            "count": 1,
            "examples": [],
        },
    ]


def test_warnings_alone_leave_the_data_valid() -> None:
    report = _report()
    report.rules = report.warnings
    assert report.to_dict({})["valid"] is True


def test_absent_lists_what_the_dataset_lacks() -> None:
    assert ValidationReport().absent(TABLE_NAMES) == list(TABLE_NAMES)
    assert _report().absent(["deals", "contacts", "costs"]) == ["deals", "costs"]
