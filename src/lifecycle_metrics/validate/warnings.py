"""Things a user should know that do not make the data invalid (SPEC §2 is silent on them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import ibis
import ibis.expr.types as ir

from lifecycle_metrics.schema import KNOWN_ACTIVITY_TYPES, TABLES_BY_NAME
from lifecycle_metrics.validate.issues import EXAMPLES_PER_RULE, Issue, Level, RuleCount


@dataclass(frozen=True)
class WarningFinding:
    """Rows (of `table`) that deserve a warning: `rows` has _row, value and optional detail."""

    rule: str
    table: str
    column: str
    expected: str
    rows: ir.Table


Tables = dict[str, ir.Table]
# Row numbers travel with clean tables in `_row` so warnings can name them.


def _stage_before_creation(tables: Tables) -> WarningFinding | None:
    if not {"stage_changes", "contacts"} <= tables.keys():
        return None
    changes, contacts = tables["stage_changes"], tables["contacts"]
    joined = changes.join(contacts.select("contact_id", created=contacts.created_at), "contact_id")
    rows = joined.filter(joined.changed_at < joined.created).select(
        _row=joined._row,
        value=joined.changed_at.cast("string"),
        detail=joined.created.cast("string"),
    )
    return WarningFinding(
        "stage_change_before_creation",
        "stage_changes",
        "changed_at",
        "a stage change at or after the contact's created_at ({detail})",
        rows,
    )


def _contact_without_stage(tables: Tables) -> WarningFinding | None:
    if not {"stage_changes", "contacts"} <= tables.keys():
        return None
    contacts, changes = tables["contacts"], tables["stage_changes"]
    rows = contacts.anti_join(changes, "contact_id").select(
        _row=contacts._row, value=contacts.contact_id, detail=ibis.null("string")
    )
    return WarningFinding(
        "contact_without_stage_change",
        "contacts",
        "contact_id",
        "at least one stage change (the contact counts as a lead from created_at)",
        rows,
    )


def _future_timestamps(tables: Tables, now: datetime) -> list[WarningFinding]:
    found = []
    for name, table in tables.items():
        for column in TABLES_BY_NAME[name].event_columns:
            rows = table.filter(table[column] > now).select(
                _row=table._row, value=table[column].cast("string"), detail=ibis.null("string")
            )
            found.append(
                WarningFinding(
                    "timestamp_in_future",
                    name,
                    column,
                    f"a time before now ({now:%Y-%m-%d %H:%M} UTC)",
                    rows,
                )
            )
    return found


def _activity_outside_campaign(tables: Tables) -> WarningFinding | None:
    if not {"activities", "campaigns"} <= tables.keys():
        return None
    activities, campaigns = tables["activities"], tables["campaigns"]
    dates = campaigns.select("campaign_id", start=campaigns.started_at, end=campaigns.ended_at)
    joined = activities.join(dates, "campaign_id")
    # An end given as a bare date means that whole day, so one day of grace after ended_at.
    outside = (joined.occurred_at < joined.start) | (
        joined.occurred_at >= joined.end + ibis.interval(days=1)
    )
    rows = joined.filter(outside.fill_null(False)).select(
        _row=joined._row, value=joined.occurred_at.cast("string"), detail=joined.campaign_id
    )
    return WarningFinding(
        "activity_outside_campaign_dates",
        "activities",
        "occurred_at",
        "a time within the dates of campaign {detail}",
        rows,
    )


def _unknown_activity_type(tables: Tables) -> WarningFinding | None:
    if "activities" not in tables:
        return None
    activities = tables["activities"]
    rows = activities.filter(~activities.type.isin(KNOWN_ACTIVITY_TYPES)).select(
        _row=activities._row, value=activities.type, detail=ibis.null("string")
    )
    return WarningFinding(
        "unknown_activity_type",
        "activities",
        "type",
        "a known activity type (others are kept but no metric uses them)",
        rows,
    )


def _unknown_feature(tables: Tables) -> WarningFinding | None:
    if not {"product_usage", "features"} <= tables.keys():
        return None
    usage, features = tables["product_usage"], tables["features"]
    rows = usage.anti_join(features, "feature").select(
        _row=usage._row, value=usage.feature, detail=ibis.null("string")
    )
    return WarningFinding(
        "unknown_feature", "product_usage", "feature", "a feature listed in features", rows
    )


def find_warnings(tables: Tables, now: datetime) -> list[WarningFinding]:
    """Every warning rule that applies to the given (clean) tables."""
    singles: list[Callable[[Tables], WarningFinding | None]] = [
        _stage_before_creation,
        _contact_without_stage,
        _activity_outside_campaign,
        _unknown_activity_type,
        _unknown_feature,
    ]
    found = [finding for rule in singles if (finding := rule(tables)) is not None]
    return found + _future_timestamps(tables, now)


def warning_counts(tables: Tables, now: datetime, sources: dict[str, str]) -> list[RuleCount]:
    """Every warning that fires on the clean tables, counted, with its first examples.

    `sources` names the file (or database table) each table was read from, for the examples.
    """
    counts: list[RuleCount] = []
    for finding in find_warnings(tables, now):
        # the total rides along on every example row, so each rule is one query
        found = finding.rows.mutate(_total=finding.rows._row.count().over())
        rows = found.order_by("_row").limit(EXAMPLES_PER_RULE).to_pyarrow().to_pylist()
        if not rows:
            continue
        examples = tuple(
            Issue(
                level=Level.WARNING,
                rule=finding.rule,
                table=finding.table,
                file=sources[finding.table],
                row=int(row["_row"]),
                column=finding.column,
                value=row["value"],
                expected=finding.expected.replace("{detail}", str(row["detail"])),
            )
            for row in rows
        )
        counts.append(
            RuleCount(
                level=Level.WARNING,
                rule=finding.rule,
                table=finding.table,
                column=finding.column,
                count=int(rows[0]["_total"]),
                examples=examples,
            )
        )
    return counts
