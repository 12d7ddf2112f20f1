"""Salesforce: the tables a warehouse connector lands, and Data Loader CSV exports (SPEC §7).

The connector names columns in snake case (`created_date`, `converted_contact_id`,
`lead_date_c`); Data Loader names them by API name (`CreatedDate`, `ConvertedContactId`,
`Lead_Date__c`). `prepare` renames API names to the connector's, so one translation serves both.

One person per lead: a converted lead and its contact are one person, whose id is the
contact's; an unconverted lead is a person of its own, whose id is the lead's. The person's
funnel dates are the custom date fields of its records (`lead_date_c` … `customer_date_c`),
the earliest where several records hold one. docs/sources/salesforce.md has the whole mapping.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from lifecycle_metrics.errors import DataError
from lifecycle_metrics.schema import FUNNEL_STAGES
from lifecycle_metrics.sources.ledger import IMPORTED, QUARANTINED, SKIPPED, Fates, Ledger, Part
from lifecycle_metrics.sources.raw import RawExport, VendorTable
from lifecycle_metrics.sources.values import column, flag, instant, member, number
from lifecycle_metrics.validate.coerce import OFFSET_PATTERN, TIMESTAMP_PATTERN

kind = "salesforce"

HISTORY_KEY = ("id", "_fivetran_start")  # history mode: one row per version of a record
keys: dict[str, tuple[str, ...]] = {
    "lead": ("id",),
    "contact": ("id",),
    "account": ("id",),
    "opportunity": ("id",),
    "campaign": ("id",),
    "campaign_member": ("id",),
    "opportunity_contact_role": ("id",),
    "opportunity_history": HISTORY_KEY,
    "account_history": HISTORY_KEY,
    "contact_history": HISTORY_KEY,
    "lead_history": HISTORY_KEY,
    "event": ("id",),
    "task": ("id",),
    "user": ("id",),
    "user_role": ("id",),
    "order": ("id",),
    "product_2": ("id",),
    "opportunity_line_item": ("id",),
}
NOT_READ = {
    "opportunity_history": "versions of opportunities; deals are read from opportunity",
    "account_history": "versions of accounts; accounts are read from account",
    "contact_history": "versions of contacts; people are read from contact",
    "lead_history": "versions of leads; people are read from lead",
    "event": "calendar events and meetings are sales activities, not marketing touches",
    "task": "calls, logged emails and to-dos are sales activities, not marketing touches",
    "user": "Salesforce users are the team, not contacts",
    "user_role": "roles of Salesforce users",
    "order": "orders are not deals; deals are read from opportunity",
    "product_2": "products are not part of the canonical tables",
    "opportunity_line_item": "line items of deals are not part of the canonical tables",
}

DATE_FIELDS = {stage: f"{stage}_date_c" for stage in FUNNEL_STAGES}
REMOVAL = ("is_deleted", "_fivetran_deleted", "_fivetran_active")
PERSON = ("email", "lead_source", "lead_source_detail_c", "source_detail_c", "campaign_c")
# the columns the import reads of each table (the others are left in the source)
COLUMNS: dict[str, tuple[str, ...]] = {
    "lead": (
        "id",
        "converted_contact_id",
        "is_converted",
        "converted_account_id",
        "account_c",
        "created_date",
        *DATE_FIELDS.values(),
        "converted_date",
        "is_internal_c",
        *PERSON,
        *REMOVAL,
    ),
    "contact": (
        "id",
        "account_id",
        "created_date",
        *DATE_FIELDS.values(),
        "is_internal_c",
        *PERSON,
        *REMOVAL,
    ),
    "account": ("id", "name", "segment_c", "industry", "created_date", *REMOVAL),
    "opportunity": (
        "id",
        "account_id",
        "is_won",
        "is_closed",
        "stage_name",
        "type",
        "amount",
        "created_date",
        "close_date",
        "close_date_time_c",
        "campaign_id",
        "lead_source",
        *REMOVAL,
    ),
    "opportunity_contact_role": (
        "id",
        "opportunity_id",
        "contact_id",
        "is_primary",
        "created_date",
        *REMOVAL,
    ),
    "campaign": (
        "id",
        "name",
        "type",
        "channel_c",
        "audience_c",
        "is_automated_c",
        "start_date",
        "end_date",
        *REMOVAL,
    ),
    "campaign_member": (
        "id",
        "campaign_id",
        "lead_id",
        "contact_id",
        "lead_or_contact_id",
        "status",
        "has_responded",
        "created_date",
        "first_responded_date",
        *REMOVAL,
    ),
}
# opportunity Type picklist, matched without case, spaces or punctuation
DEAL_TYPES = {
    "newbusiness": "new_business",
    "upsell": "upsell",
    "crosssell": "cross_sell",
    "renewal": "renewal",
    # Salesforce's own default values
    "newcustomer": "new_business",
    "existingcustomerupgrade": "upsell",
}
# StageName values of Salesforce's default sales process, for exports without IsWon/IsClosed
OPEN_STAGES = (
    "prospecting",
    "qualification",
    "needsanalysis",
    "valueproposition",
    "iddecisionmakers",
    "perceptionanalysis",
    "proposalpricequote",
    "negotiationreview",
)
STAGE_STATUS = {"closedwon": "won", "closedlost": "lost", **dict.fromkeys(OPEN_STAGES, "open")}
AUDIENCES = {
    "prospect": "prospect",
    "prospects": "prospect",
    "customer": "customer",
    "customers": "customer",
}
SUPERSEDED = "an earlier version of the record (_fivetran_active is false)"
DELETED = "deleted in the source"


# --- prepare: Data Loader's API names become the connector's names ------------------------


def api_name(name: str) -> str:
    """An API field name as the connector spells it.

    >>> [api_name(n) for n in ("ConvertedContactId", "Lead_Date__c", "Product2Id", "IsWon")]
    ['converted_contact_id', 'lead_date_c', 'product_2_id', 'is_won']
    >>> api_name("_fivetran_synced"), api_name("MQL_Date__c"), api_name("SBQQ__Quote__c")
    ('_fivetran_synced', 'mql_date_c', 'sbqq_quote_c')
    """
    text = name.strip()
    prefix = text[: len(text) - len(text.lstrip("_"))]  # the connector's own `_fivetran_…`
    body = text[len(prefix) :]
    if re.search(r"[a-z]", body) and re.search(r"[A-Z]", body):  # CamelCase, not UPPER_SNAKE
        body = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", body)
        body = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", body)
        body = re.sub(r"([A-Za-z])([0-9])", r"\1_\2", body)
    body = re.sub(r"[^A-Za-z0-9]+", "_", body).strip("_")
    return prefix + body.lower()


def _squashed_name(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


KNOWN_TABLES = {_squashed_name(name): name for name in keys}


def _recognised(columns: set[str]) -> str | None:
    """The object a file of an unknown name holds, told by its columns (`extract.csv`)."""
    if columns & {"converted_contact_id", "is_converted"}:
        return "lead"
    if {"opportunity_id", "contact_id"} <= columns and columns & {"is_primary", "role"}:
        return "opportunity_contact_role"
    if "campaign_id" in columns and columns & {"lead_id", "lead_or_contact_id", "has_responded"}:
        return "campaign_member"
    if "stage_name" in columns:
        return "opportunity_history" if "opportunity_id" in columns else "opportunity"
    campaign_marks = {"budgeted_cost", "actual_cost", "number_sent", "audience_c", "channel_c"}
    if "name" in columns and columns & (campaign_marks | {"is_automated_c", "number_of_leads"}):
        return "campaign"
    if "email" in columns and "username" not in columns and columns & {"account_id", "last_name"}:
        return "contact"
    account_marks = {"billing_city", "industry", "segment_c", "number_of_employees", "website"}
    if "name" in columns and "email" not in columns and columns & account_marks:
        return "account"
    return None


def _renamed(given: VendorTable) -> VendorTable:
    """The table with API names as the connector's; connector tables come out as they are."""
    table = given.table
    names: dict[str, str] = {}
    for original in given.header:
        snake = api_name(original)
        if snake in names:
            raise DataError(
                f"{given.origin}: columns {names[snake]!r} and {original!r} are both "
                f"{snake!r}; keep one"
            )
        names[snake] = original
    shaped = table.select(
        **{snake: table[original.strip().lower()] for snake, original in names.items()},
        **{place: table[place] for place in ("_row", "_file")},
    )
    return VendorTable(given.name, given.origin, shaped, tuple(names))


def prepare(export: RawExport) -> RawExport:
    """Name every table and column as the connector does, whatever the export called them."""
    tables: dict[str, VendorTable] = {}
    for name, given in export.tables.items():
        shaped = _renamed(given)
        found = KNOWN_TABLES.get(_squashed_name(name)) or _recognised(set(shaped.header)) or name
        if found in tables:
            raise DataError(
                f"{given.origin}: a second {found} table ({tables[found].origin} is one); "
                "give one file per object"
            )
        tables[found] = VendorTable(found, given.origin, shaped.table, shaped.header)
    return RawExport(tables, export.canonical, export.canonical_origin)


# --- small helpers ---------------------------------------------------------------------
# Every table is first given its parsed values and rule tests as columns, once, and cached:
# rules then name columns, which keeps the SQL of each part small.


@dataclass(frozen=True)
class Rule:
    """One fate rule: rows matching `when` get `fate` (the first matching rule wins)."""

    fate: str
    when: ir.BooleanValue
    reason: str
    column: str | None = None
    value: ir.Value | None = None


def _apply(fates: Fates, rules: list[Rule]) -> Fates:
    for rule in rules:
        if rule.fate == SKIPPED:
            fates.skip(rule.when, rule.reason)
        else:
            fates.quarantine(rule.when, rule.reason, rule.column, rule.value)
    return fates


def _fate_of(rules: list[Rule]) -> ir.StringValue:
    """The reason of the first rule a row matches, or `imported`."""
    if not rules:
        return ibis.literal(IMPORTED)
    branches = [(rule.when.fill_null(False), rule.reason) for rule in rules]
    return ibis.cases(*branches, else_=IMPORTED).cast("string")


def _true(table: ir.Table, name: str) -> ir.BooleanValue:
    return (flag(column(table, name)).text == "true").fill_null(False)


def _deleted(table: ir.Table) -> ir.BooleanValue:
    return _true(table, "is_deleted") | _true(table, "_fivetran_deleted")


def _superseded(table: ir.Table) -> ir.BooleanValue:
    """A history-mode row that is no longer its record's current version."""
    active = column(table, "_fivetran_active").lower()
    return active.isin(("false", "0", "no", "f", "n")).fill_null(False)


def _coalesce(table: ir.Table, *names: str) -> ir.StringValue:
    """The first non-empty of the named columns (an absent column is empty)."""
    return ibis.coalesce(*(column(table, name) for name in names))


def _wall_and_key(text: ir.StringValue) -> tuple[ir.BooleanValue, ir.TimestampValue]:
    """Whether a timestamp's text is a real time, and the instant to compare it by.

    The wall time is read as the dataset loader reads it (`2024-02-30` is none); the key
    applies the offset, and takes a value without one as UTC (it only orders a person's dates).
    """

    def group(index: int) -> ir.StringValue:
        return text.re_extract(TIMESTAMP_PATTERN, index).nullif("")

    wall = (
        group(1)
        + " "
        + group(2).fill_null("00:00")
        + ":"
        + group(3).fill_null("00")
        + ("." + group(4).substr(0, 6)).fill_null("")
    ).try_cast("timestamp")
    zone = group(5).upper()

    def part(index: int) -> ir.IntegerValue:
        return zone.re_extract(OFFSET_PATTERN, index).nullif("").try_cast("int64").fill_null(0)

    sign = ibis.ifelse(zone.re_extract(OFFSET_PATTERN, 1) == "-", -1, 1)
    offset = sign * (part(2) * 3600 + part(3) * 60)
    return wall.notnull(), wall - offset.as_interval("s")


def _with_instants(table: ir.Table, names: tuple[str, ...]) -> ir.Table:
    """The table with `_t_<name>`, `_k_<name>` and `_bad_<name>` for each name.

    `_t_` is the instant's canonical text (NULL when empty or not a real time), `_k_` a
    timestamp to compare by, `_bad_` whether a value was given that is not a time. The values
    of all the columns are stacked and parsed in one pass: the parse is a large expression,
    and once per column would make every query of the import large.
    """
    given = [name for name in names if name in table.columns]
    keyed = table.mutate(_key=ibis.row_number()).cache()
    absent: dict[str, ir.Value] = {}
    for name in names:
        if name not in given:
            absent[f"_t_{name}"] = ibis.null().cast("string")
            absent[f"_k_{name}"] = ibis.null().cast("timestamp")
            absent[f"_bad_{name}"] = ibis.literal(False)
    if not given:
        return keyed.mutate(**absent)
    stacked = [
        keyed.select(_at_key=keyed._key, _field=ibis.literal(name), _given=column(keyed, name))
        for name in given
    ]
    long = stacked[0].union(*stacked[1:]) if len(stacked) > 1 else stacked[0]
    read = long.mutate(_read=instant(long._given).text).cache()
    real, key = _wall_and_key(read._read)
    parsed = read.mutate(_text=ibis.ifelse(real, read._read, ibis.null().cast("string")), _k=key)
    wide = parsed.group_by(parsed._at_key).agg(
        **{f"_t_{name}": parsed._text.max(where=parsed._field == name) for name in given},
        **{f"_k_{name}": parsed._k.max(where=parsed._field == name) for name in given},
    )
    view = keyed.left_join(wide, keyed._key == wide._at_key)
    bad = {
        f"_bad_{name}": (column(view, name).notnull() & view[f"_t_{name}"].isnull()).fill_null(
            False
        )
        for name in given
    }
    return view.mutate(**absent, **bad)


def _ids(table: ir.Table | None, live_only: bool = False) -> ir.Column | None:
    """The record ids of a table, as a column to test membership against."""
    if table is None:
        return None
    rows = table.filter(~_deleted(table) & ~_superseded(table)) if live_only else table
    picked = rows.select(_member_id=column(rows, "id"))
    return picked.filter(picked._member_id.notnull())._member_id


def _is_in(value: ir.Value, ids: ir.Column | None) -> ir.BooleanValue:
    if ids is None:
        return ibis.literal(False)
    return value.isin(ids).fill_null(False)


def _earliest(
    first: ir.StringValue,
    first_key: ir.TimestampValue,
    second: ir.StringValue,
    second_key: ir.TimestampValue,
) -> ir.StringValue:
    """The earlier of two instants, as its text (NULL when both are)."""
    take_second = first.isnull() | (first_key > second_key).fill_null(False)
    return ibis.ifelse(take_second, second, first)


def _squashed(value: ir.StringValue) -> ir.StringValue:
    """A picklist value without case, spaces or punctuation: `Cross-sell` → crosssell."""
    return value.lower().re_replace(r"[^a-z0-9]+", "")


def _checks(table: ir.Table, flags: tuple[str, ...] = ()) -> dict[str, ir.Value]:
    """Columns saying which flags cannot be read, and whether the row is removed."""
    checks: dict[str, ir.Value] = {
        "_is_deleted": _deleted(table),
        "_is_superseded": _superseded(table),
    }
    for name in flags:
        if name in table.columns:
            checks[f"_bad_{name}"] = flag(column(table, name)).bad.fill_null(False)
    return checks


def _check_rules(view: ir.Table, names: tuple[str, ...], what: str) -> list[Rule]:
    """One quarantine rule per checked column the table has."""
    return [
        Rule(QUARANTINED, view[f"_bad_{name}"], f"{name} is not {what}", name, column(view, name))
        for name in names
        if name in view.columns
    ]


def _removed_rules(view: ir.Table) -> list[Rule]:
    return [
        Rule(SKIPPED, view._is_deleted, DELETED),
        Rule(SKIPPED, view._is_superseded, SUPERSEDED),
    ]


def _live(view: ir.Table) -> ir.BooleanValue:
    return ~view._is_deleted & ~view._is_superseded


DATE_AND_TIME = "a date and time"
TRUE_OR_FALSE = "true or false"


# --- people: leads and contacts ----------------------------------------------------------

FACTS = (
    "_created",
    *(f"_{stage}" for stage in FUNNEL_STAGES),
    "_converted_on",
    "_internal",
    "_account",
    "_email",
    "_channel",
    "_source",
    "_campaign",
)
EARLIEST = ("_created", *(f"_{stage}" for stage in FUNNEL_STAGES), "_converted_on")
PERSON_DATES = ("created_date", *DATE_FIELDS.values())
LEAD_DATES = (*PERSON_DATES, "converted_date")
CONVERTED = "converted: one person with its contact, imported as the contact"


def _record_facts(table: ir.Table, account: ir.StringValue) -> dict[str, ir.Value]:
    """What one lead or contact record says about its person."""
    return {
        "_created": table._t_created_date,
        **{f"_{stage}": table[f"_t_{name}"] for stage, name in DATE_FIELDS.items()},
        "_converted_on": table._t_converted_date,
        "_key_created": table._k_created_date,
        **{f"_key_{stage}": table[f"_k_{name}"] for stage, name in DATE_FIELDS.items()},
        "_key_converted_on": table._k_converted_date,
        "_internal": _true(table, "is_internal_c"),
        "_account": account,
        "_email": column(table, "email"),
        "_channel": member(column(table, "lead_source")),
        "_source": _coalesce(table, "lead_source_detail_c", "source_detail_c"),
        "_campaign": column(table, "campaign_c"),
    }


def _lead_base(lead: ir.Table, contact: ir.Table | None) -> ir.Table:
    """Leads with the person each stands for (its contact once converted, else itself)."""
    lead = _with_instants(lead, LEAD_DATES)
    target = column(lead, "converted_contact_id")
    converted = target.notnull() | _true(lead, "is_converted")
    account = ibis.ifelse(
        converted, _coalesce(lead, "converted_account_id", "account_c"), column(lead, "account_c")
    )
    view = lead.mutate(
        _lead_id=column(lead, "id"),
        _target=target,
        _converted=converted,
        _person=ibis.ifelse(converted, target, column(lead, "id")).cast("string"),
        _target_known=_is_in(target, _ids(contact)),
        _target_live=_is_in(target, _ids(contact, live_only=True)),
        _id_of_contact=_is_in(column(lead, "id"), _ids(contact)),
        **_record_facts(lead, account),
        **_checks(lead, ("is_converted", "is_internal_c")),
    )
    view = view.mutate(_fate=_fate_of(_lead_rules(view)))
    return view.cache()


def _lead_rules(view: ir.Table) -> list[Rule]:
    """Fates of leads in order; converted leads are read with their contact."""
    converted = view._converted
    return [
        *_removed_rules(view),
        Rule(QUARANTINED, view._lead_id.isnull(), "no lead id", "id"),
        *_check_rules(view, ("is_converted", "is_internal_c"), TRUE_OR_FALSE),
        Rule(
            QUARANTINED,
            converted & view._target.isnull(),
            "converted, but converted_contact_id is empty",
            "converted_contact_id",
        ),
        *_check_rules(view, LEAD_DATES, DATE_AND_TIME),
        Rule(QUARANTINED, view._created.isnull(), "no created_date", "created_date"),
        Rule(
            QUARANTINED,
            converted & ~view._target_known,
            "converted into a contact that is not in the contact table",
            "converted_contact_id",
            view._target,
        ),
        Rule(SKIPPED, converted & ~view._target_live, "converted into a deleted contact"),
        Rule(
            QUARANTINED,
            ~converted & view._id_of_contact,
            "its id is also a contact's id (Salesforce ids are unique across objects)",
            "id",
            view._lead_id,
        ),
        Rule(SKIPPED, converted, CONVERTED),
    ]


def _carried(lead: ir.Table) -> ir.Table:
    """Per contact, the facts of the leads converted into it: the first lead's, earliest dates."""
    leads = lead.filter(lead._fate == CONVERTED)
    order = ibis.window(group_by=leads._person, order_by=[leads._key_created, leads._lead_id])
    ranked = leads.mutate(_rank=ibis.row_number().over(order))
    first = ranked.filter(ranked._rank == 0).select(
        _carry_to=ranked._person,
        **{f"_lead{name}": ranked[name] for name in FACTS if name not in EARLIEST},
    )
    dates = leads.group_by(_carry_to=leads._person).agg(
        _lead_internal_any=leads._internal.any(),
        **{f"_lead{name}": leads[name].argmin(leads[f"_key{name}"]) for name in EARLIEST},
        **{f"_lead_key{name}": leads[f"_key{name}"].min() for name in EARLIEST},
    )
    return first.join(dates, "_carry_to")


def _contact_base(contact: ir.Table, lead: ir.Table | None) -> ir.Table:
    """Contacts with their person's facts: their own, completed by their converted leads'."""
    contact = _with_instants(contact, LEAD_DATES)
    view = contact.mutate(
        _contact_id=column(contact, "id"),
        **_record_facts(contact, column(contact, "account_id")),
        **_checks(contact, ("is_internal_c",)),
    )
    if lead is None:
        view = view.mutate(**{f"_person{name}": view[name] for name in FACTS})
    else:
        carried = _carried(lead)
        view = view.left_join(carried, view._contact_id == carried._carry_to)
        merged: dict[str, ir.Value] = {}
        for name in FACTS:
            if name in EARLIEST:
                merged[f"_person{name}"] = _earliest(
                    view[name], view[f"_key{name}"], view[f"_lead{name}"], view[f"_lead_key{name}"]
                )
            elif name == "_internal":
                merged[f"_person{name}"] = view[name] | view._lead_internal_any.fill_null(False)
            else:
                merged[f"_person{name}"] = ibis.coalesce(view[name], view[f"_lead{name}"])
        view = view.mutate(**merged)
    view = view.mutate(_fate=_fate_of(_contact_rules(view)))
    return view.cache()


def _contact_rules(view: ir.Table) -> list[Rule]:
    return [
        *_removed_rules(view),
        Rule(QUARANTINED, view._contact_id.isnull(), "no contact id", "id"),
        *_check_rules(view, PERSON_DATES, DATE_AND_TIME),
        *_check_rules(view, ("is_internal_c",), TRUE_OR_FALSE),
        Rule(
            QUARANTINED,
            view._person_created.isnull(),
            "no created_date (on the contact or a lead converted into it)",
            "created_date",
        ),
    ]


@dataclass
class People:
    """Leads and contacts as people: each view with the facts of the person it stands for."""

    lead: ir.Table | None
    contact: ir.Table | None
    contact_table: ir.Table | None  # the contact table as given
    present: dict[str, bool]  # stage → does a table have its custom date field
    campaign_field: bool  # does a table have campaign_c


def _people(lead: ir.Table | None, contact: ir.Table | None) -> People:
    tables = [table for table in (lead, contact) if table is not None]
    present = {
        stage: any(name in table.columns for table in tables) for stage, name in DATE_FIELDS.items()
    }
    lead_view = _lead_base(lead, contact) if lead is not None else None
    contact_view = _contact_base(contact, lead_view) if contact is not None else None
    campaign_field = any("campaign_c" in table.columns for table in tables)
    return People(lead_view, contact_view, contact, present, campaign_field)


def _person_columns(view: ir.Table, person: ir.Value, prefix: str) -> dict[str, ir.Value]:
    return {
        "contact_id": person,
        "created_at": view[f"{prefix}_created"],
        "account_id": view[f"{prefix}_account"],
        "email": view[f"{prefix}_email"],
        "channel": view[f"{prefix}_channel"],
        "source": view[f"{prefix}_source"],
        "campaign_id": view[f"{prefix}_campaign"],
        "is_internal": ibis.ifelse(view[f"{prefix}_internal"], "true", "false"),
    }


def _with_first_campaign(
    view: ir.Table, person: str, prefix: str, memberships: ir.Table | None, use: bool
) -> ir.Table:
    """Without a campaign_c field, a person's campaign is that of its first membership."""
    if not use or memberships is None:
        return view
    view = view.left_join(memberships, view[person] == memberships._first_of)
    return view.mutate(**{f"{prefix}_campaign": view._first_campaign})


def _contact_parts(people: People, memberships: ir.Table | None) -> list[Part]:
    parts: list[Part] = []
    by_membership = not people.campaign_field
    if people.contact is not None:
        view = _with_first_campaign(
            people.contact, "_contact_id", "_person", memberships, by_membership
        )
        fates = _apply(Fates("contact", view, column(view, "id")), _contact_rules(view))
        parts.append(fates.part(_person_columns(view, view._contact_id, "_person")))
    if people.lead is not None:
        view = _with_first_campaign(people.lead, "_lead_id", "", memberships, by_membership)
        fates = _apply(Fates("lead", view, column(view, "id")), _lead_rules(view))
        parts.append(fates.part(_person_columns(view, view._lead_id, "")))
    return parts


# --- stage changes: the custom date fields, else the fallbacks ---------------------------


def _stage_parts(
    view: ir.Table,
    source: str,
    person: ir.StringValue,
    dates: dict[str, ir.StringValue],
    fallbacks: dict[str, ir.StringValue],
    present: dict[str, bool],
) -> list[Part]:
    """One stage change per stage a person entered (the view holds imported people only).

    SPEC §7's fallbacks stand in for a custom date field the export does not have; where the
    field is there, an empty value means the person never entered that stage.
    """
    parts: list[Part] = []
    for stage in FUNNEL_STAGES:
        fallback = fallbacks.get(stage, ibis.null().cast("string"))
        at = dates[stage] if present[stage] else fallback
        rows = view.mutate(_at=at, _who=person).filter(ibis._._at.notnull())
        fates = Fates(source, rows, rows._who + " " + stage)
        parts.append(
            fates.part(
                {"contact_id": rows._who, "stage": ibis.literal(stage), "changed_at": rows._at},
                counted=False,
            )
        )
    return parts


def _opportunity_firsts(opportunities: ir.Table | None, roles: ir.Table | None) -> ir.Table | None:
    """Per contact, the first creation and the first won close of the deals it is contact of."""
    if opportunities is None or roles is None:
        return None
    linked = roles.filter(roles._chosen).select(_link_opp=roles._opp, _link_who=roles._who)
    live = opportunities.filter(_live(opportunities))
    opps = live.select(
        _link_opp=live._opp_id,
        _opp_created=live._created,
        _opp_created_key=live._created_key,
        _opp_won=ibis.ifelse(live._status == "won", live._closed, ibis.null().cast("string")),
        _opp_won_key=ibis.ifelse(
            live._status == "won", live._closed_key, ibis.null().cast("timestamp")
        ),
    )
    joined = linked.join(opps, "_link_opp")
    return joined.group_by(_firsts_of=joined._link_who).agg(
        _first_opportunity=joined._opp_created.argmin(joined._opp_created_key),
        _first_won=joined._opp_won.argmin(joined._opp_won_key),
    )


def _stage_changes(people: People, firsts: ir.Table | None) -> list[Part]:
    parts: list[Part] = []
    if people.contact is not None:
        view = people.contact.filter(people.contact._fate == IMPORTED)
        fallbacks = {"lead": view._person_created, "sql": view._person_converted_on}
        if firsts is not None:
            view = view.left_join(firsts, view._contact_id == firsts._firsts_of)
            fallbacks = {
                "lead": view._person_created,
                "sql": view._person_converted_on,
                "opportunity": view._first_opportunity,
                "customer": view._first_won,
            }
        dates = {stage: view[f"_person_{stage}"] for stage in FUNNEL_STAGES}
        parts += _stage_parts(view, "contact", view._contact_id, dates, fallbacks, people.present)
    if people.lead is not None:
        view = people.lead.filter(people.lead._fate == IMPORTED)
        dates = {stage: view[f"_{stage}"] for stage in FUNNEL_STAGES}
        parts += _stage_parts(
            view, "lead", view._lead_id, dates, {"lead": view._created}, people.present
        )
    return parts


# --- opportunities and their contact roles ---------------------------------------------


def _opportunity_base(opportunity: ir.Table) -> ir.Table:
    """Opportunities with status (is_won/is_closed, else the default stage names) and type."""
    opportunity = _with_instants(opportunity, ("created_date", "close_date_time_c", "close_date"))
    won_given, closed_given = column(opportunity, "is_won"), column(opportunity, "is_closed")
    by_flags = ibis.cases(
        (_true(opportunity, "is_won"), "won"),
        (_true(opportunity, "is_closed"), "lost"),
        else_="open",
    )
    by_stage = _squashed(column(opportunity, "stage_name")).cases(*STAGE_STATUS.items(), else_=None)
    status = ibis.ifelse(won_given.notnull() | closed_given.notnull(), by_flags, by_stage)
    raw_type = column(opportunity, "type")
    deal_type = ibis.ifelse(
        raw_type.isnull(), "new_business", _squashed(raw_type).cases(*DEAL_TYPES.items())
    )
    amount = number(column(opportunity, "amount"))
    timed = column(opportunity, "close_date_time_c").notnull()  # a close time, where kept
    view = opportunity.mutate(
        _opp_id=column(opportunity, "id"),
        _status=status.cast("string"),
        _type=deal_type.cast("string"),
        _created=opportunity._t_created_date,
        _created_key=opportunity._k_created_date,
        _closed=ibis.ifelse(timed, opportunity._t_close_date_time_c, opportunity._t_close_date),
        _closed_key=ibis.ifelse(timed, opportunity._k_close_date_time_c, opportunity._k_close_date),
        _closed_given=_coalesce(opportunity, "close_date_time_c", "close_date"),
        _closing_bad=ibis.ifelse(
            timed, opportunity._bad_close_date_time_c, opportunity._bad_close_date
        ),
        _amount=amount.text,
        _bad_amount=amount.bad.fill_null(False),
        **_checks(opportunity, ("is_won", "is_closed")),
    )
    return view.cache()


def _role_base(role: ir.Table, people: People, opportunities: ir.Table | None) -> ir.Table:
    """Contact roles; the one a deal takes as its contact comes first per opportunity.

    Only a role whose contact is imported can be it: a deal whose contact is deleted or
    quarantined keeps its other facts.
    """
    role = _with_instants(role, ("created_date",))
    who = column(role, "contact_id")
    opp = column(role, "opportunity_id")
    live_opps = None
    if opportunities is not None:
        live_opps = opportunities.filter(_live(opportunities))._opp_id
    view = role.mutate(
        _opp=opp,
        _who=who,
        _who_known=_is_in(who, _ids(people.contact_table)),
        _who_live=_is_in(who, _imported_contacts(people)),
        _opp_known=_is_in(opp, _ids(opportunities)),
        _opp_live=_is_in(opp, live_opps),
        _primary=_true(role, "is_primary"),
        _role_created=role._k_created_date,
        **_checks(role),
    )
    view = view.mutate(_usable=_live(view) & view._who_live & view._opp_live)
    order = ibis.window(
        group_by=view._opp,
        order_by=[
            ibis.desc(view._usable),
            ibis.desc(view._primary),
            view._role_created,
            column(view, "id"),
        ],
    )
    view = view.mutate(_chosen=(ibis.row_number().over(order) == 0) & view._usable)
    return view.cache()


def _imported_contacts(people: People) -> ir.Column | None:
    if people.contact is None:
        return None
    return people.contact.filter(people.contact._fate == IMPORTED)._contact_id


def _role_part(roles: ir.Table) -> Part:
    """Contact roles are read with their opportunity; the ledger says what became of each."""
    rules = [
        *_removed_rules(roles),
        Rule(
            QUARANTINED,
            ~roles._who_known,
            "contact_id names no contact of the source",
            "contact_id",
            roles._who,
        ),
        Rule(SKIPPED, ~roles._who_live, "its contact is not imported (deleted or quarantined)"),
        Rule(
            QUARANTINED,
            ~roles._opp_known,
            "opportunity_id names no opportunity of the source",
            "opportunity_id",
            roles._opp,
        ),
        Rule(SKIPPED, ~roles._opp_live, "its opportunity is deleted"),
        Rule(SKIPPED, ~roles._chosen, "another role of its opportunity is the deal's contact"),
        Rule(SKIPPED, ibis.literal(True), "read with its opportunity: the deal's contact"),
    ]
    fates = _apply(Fates("opportunity_contact_role", roles, column(roles, "id")), rules)
    return fates.part({"deal_id": roles._opp, "contact_id": roles._who})


def _deal_rules(view: ir.Table, account: ir.Value) -> list[Rule]:
    closed = view._status.isin(("won", "lost")).fill_null(False)
    return [
        *_removed_rules(view),
        Rule(QUARANTINED, view._opp_id.isnull(), "no opportunity id", "id"),
        *_check_rules(view, ("is_won", "is_closed"), TRUE_OR_FALSE),
        Rule(
            QUARANTINED,
            view._status.isnull(),
            "unknown stage_name (not a stage of the default sales process, and is_won and "
            "is_closed are empty)",
            "stage_name",
            column(view, "stage_name"),
        ),
        Rule(
            QUARANTINED,
            view._type.isnull(),
            "unknown type (New Business, Upsell, Cross-sell or Renewal)",
            "type",
            column(view, "type"),
        ),
        Rule(QUARANTINED, view._bad_amount, "amount is not a number", "amount", view.amount),
        Rule(
            QUARANTINED, view._amount.isnull(), "no amount (a deal's value is required)", "amount"
        ),
        *_check_rules(view, ("created_date",), DATE_AND_TIME),
        Rule(QUARANTINED, view._created.isnull(), "no created_date", "created_date"),
        Rule(
            QUARANTINED,
            closed & view._closing_bad,
            "the close date is not a date and time",
            "close_date",
            view._closed_given,
        ),
        Rule(
            QUARANTINED,
            closed & view._closed.isnull(),
            "won or lost without a close_date",
            "close_date",
        ),
        Rule(
            QUARANTINED,
            account.isnull(),
            "no account: neither account_id nor its contact's account",
            "account_id",
        ),
    ]


def _deal_part(opps: ir.Table, roles: ir.Table | None, people: People) -> Part:
    view = opps
    contact_of: ir.Value = ibis.null().cast("string")
    home: ir.Value = ibis.null().cast("string")
    if roles is not None:
        chosen = roles.filter(roles._chosen).select(_deal_of=roles._opp, _deal_contact=roles._who)
        view = view.left_join(chosen, view._opp_id == chosen._deal_of)
        contact_of = view._deal_contact
        if people.contact is not None:
            persons = people.contact.filter(people.contact._fate == IMPORTED)
            homes = persons.select(_home_of=persons._contact_id, _home=persons._person_account)
            view = view.left_join(homes, view._deal_contact == homes._home_of)
            contact_of, home = view._deal_contact, view._home
    account = ibis.coalesce(column(view, "account_id"), home)
    fates = _apply(Fates("opportunity", view, view._opp_id), _deal_rules(view, account))
    return fates.part(
        {
            "deal_id": view._opp_id,
            "account_id": account,
            "type": view._type,
            "status": view._status,
            "created_at": view._created,
            "amount": view._amount,
            "closed_at": ibis.ifelse(
                view._status == "open", ibis.null().cast("string"), view._closed
            ),
            "contact_id": contact_of,
            "campaign_id": column(view, "campaign_id"),
            "channel": member(column(view, "lead_source")),
        }
    )


# --- accounts and campaigns --------------------------------------------------------------


def _or_raw(table: ir.Table, name: str) -> ir.StringValue:
    """A date no computation reads: canonical when readable, else as given (a warning later)."""
    return ibis.coalesce(table[f"_t_{name}"], column(table, name))


def _account_part(account: ir.Table) -> Part:
    account = _with_instants(account, ("created_date",))
    view = account.mutate(**_checks(account))
    rules = [
        *_removed_rules(view),
        Rule(QUARANTINED, column(view, "id").isnull(), "no account id", "id"),
    ]
    fates = _apply(Fates("account", view, column(view, "id")), rules)
    return fates.part(
        {
            "account_id": column(view, "id"),
            "name": column(view, "name"),
            "segment": column(view, "segment_c"),
            "industry": column(view, "industry"),
            "created_at": _or_raw(view, "created_date"),
        }
    )


def _campaign_part(campaign: ir.Table) -> Part:
    campaign = _with_instants(campaign, ("start_date", "end_date"))
    audience_given = column(campaign, "audience_c")
    audience = ibis.ifelse(
        audience_given.isnull(),
        "prospect",
        member(audience_given).cases(*AUDIENCES.items(), else_=None),
    )
    view = campaign.mutate(
        _audience=audience.cast("string"), **_checks(campaign, ("is_automated_c",))
    )
    rules = [
        *_removed_rules(view),
        Rule(QUARANTINED, column(view, "id").isnull(), "no campaign id", "id"),
        Rule(
            QUARANTINED,
            view._audience.isnull(),
            "unknown audience_c (Prospect or Customer)",
            "audience_c",
            column(view, "audience_c"),
        ),
        *_check_rules(view, ("is_automated_c",), TRUE_OR_FALSE),
    ]
    fates = _apply(Fates("campaign", view, column(view, "id")), rules)
    return fates.part(
        {
            "campaign_id": column(view, "id"),
            "name": ibis.coalesce(column(view, "name"), column(view, "id")),
            "channel": ibis.coalesce(
                member(column(view, "channel_c")),
                member(column(view, "type")),
                ibis.literal("unknown"),
            ),
            "audience": view._audience,
            "automated": flag(column(view, "is_automated_c")).text,
            "started_at": _or_raw(view, "start_date"),
            "ended_at": _or_raw(view, "end_date"),
        }
    )


# --- campaign members: responses become activities --------------------------------------


def _member_base(members: ir.Table, people: People) -> ir.Table:
    """Campaign members with the person each is (a converted lead's member is its contact's)."""
    members = _with_instants(members, ("created_date", "first_responded_date"))
    contacts = _ids(people.contact_table)
    either = column(members, "lead_or_contact_id")
    either_is_contact = _is_in(either, contacts)
    nothing = ibis.null().cast("string")
    view = members.mutate(
        _contact_key=ibis.coalesce(
            column(members, "contact_id"), ibis.ifelse(either_is_contact, either, nothing)
        ),
        _lead_key=ibis.coalesce(
            column(members, "lead_id"), ibis.ifelse(either_is_contact, nothing, either)
        ),
    )
    view = view.mutate(_contact_known=_is_in(view._contact_key, contacts))
    resolved: ir.Value = nothing
    if people.lead is not None:
        leads = people.lead
        persons = leads.group_by(_map_lead=leads._lead_id).agg(_map_person=leads._person.min())
        view = view.left_join(persons, view._lead_key == persons._map_lead)
        resolved = view._map_person
    joined = view._t_created_date
    responded_on = view._t_first_responded_date
    # Salesforce keeps the day of the first response; a member created that day was created by
    # the response (a form fill, a check-in), so its creation time is the response's
    same_day = (view._k_created_date.date() == view._k_first_responded_date.date()).fill_null(False)
    status = _squashed(column(view, "status"))
    activity = ibis.cases(
        (status == "attended", "event_attended"),
        (_true(view, "has_responded"), "form_submit"),
        else_=nothing,
    )
    view = view.mutate(
        _who=ibis.ifelse(view._contact_known, view._contact_key, resolved).cast("string"),
        _joined=joined,
        _joined_key=view._k_created_date,
        _occurred=ibis.ifelse(responded_on.isnull() | same_day, joined, responded_on),
        _type=activity.cast("string"),
        **_checks(view, ("has_responded",)),
    )
    return view.cache()


def _first_memberships(members: ir.Table | None) -> ir.Table | None:
    """Per person, the campaign of its earliest campaign membership."""
    if members is None:
        return None
    live = members.filter(_live(members) & members._who.notnull() & members._joined.notnull())
    return live.group_by(_first_of=live._who).agg(
        _first_campaign=column(live, "campaign_id").argmin(live._joined_key)
    )


def _activity_part(members: ir.Table) -> Part:
    given = ibis.coalesce(members._contact_key, members._lead_key)
    rules = [
        *_removed_rules(members),
        Rule(QUARANTINED, column(members, "id").isnull(), "no campaign member id", "id"),
        *_check_rules(members, ("has_responded",), TRUE_OR_FALSE),
        Rule(
            SKIPPED,
            members._type.isnull(),
            "no response: a membership alone is not a touch (sends are not in Salesforce)",
        ),
        Rule(QUARANTINED, column(members, "campaign_id").isnull(), "no campaign_id", "campaign_id"),
        Rule(QUARANTINED, given.isnull(), "neither lead_id nor contact_id", "lead_id"),
        Rule(
            QUARANTINED,
            members._who.isnull() & members._lead_key.notnull(),
            "lead_id names no lead of the source",
            "lead_id",
            members._lead_key,
        ),
        Rule(
            QUARANTINED,
            members._who.isnull(),
            "contact_id names no contact of the source",
            "contact_id",
            members._contact_key,
        ),
        *_check_rules(members, ("created_date", "first_responded_date"), DATE_AND_TIME),
        Rule(QUARANTINED, members._occurred.isnull(), "no created_date", "created_date"),
    ]
    fates = _apply(Fates("campaign_member", members, column(members, "id")), rules)
    return fates.part(
        {
            "activity_id": column(members, "id"),
            "contact_id": members._who,
            "type": members._type,
            "occurred_at": members._occurred,
            "campaign_id": column(members, "campaign_id"),
            "message_id": ibis.null().cast("string"),
            "is_machine": ibis.literal("false"),
        }
    )


# --- the translation ---------------------------------------------------------------------


def translate(tables: dict[str, VendorTable], ledger: Ledger) -> dict[str, list[Part]]:
    """Canonical parts of a Salesforce export."""
    get: dict[str, ir.Table] = {}
    for name, given in tables.items():
        if name in COLUMNS:
            wanted = [c for c in given.table.columns if c in COLUMNS[name]]
            get[name] = given.table.select(*wanted).cache()  # read once, narrow: small queries
            ledger.table(name)  # a table without rows is accounted for too
    people = _people(get.get("lead"), get.get("contact"))
    members = _member_base(get["campaign_member"], people) if "campaign_member" in get else None
    opportunities = _opportunity_base(get["opportunity"]) if "opportunity" in get else None
    roles = None
    if "opportunity_contact_role" in get:
        roles = _role_base(get["opportunity_contact_role"], people, opportunities)
    parts: dict[str, list[Part]] = {}
    contacts = _contact_parts(people, _first_memberships(members))
    if contacts:
        parts["contacts"] = contacts
        parts["stage_changes"] = _stage_changes(people, _opportunity_firsts(opportunities, roles))
    if "account" in get:
        parts["accounts"] = [_account_part(get["account"])]
    if "campaign" in get:
        parts["campaigns"] = [_campaign_part(get["campaign"])]
    if members is not None:
        parts["activities"] = [_activity_part(members)]
    deals: list[Part] = []
    if opportunities is not None:
        deals.append(_deal_part(opportunities, roles, people))
    if roles is not None:
        deals.append(_role_part(roles))
    if deals:
        parts["deals"] = deals
    for name, given in tables.items():
        if name not in COLUMNS:
            rows = int(given.table.count().execute())
            ledger.skip_table(name, rows, NOT_READ.get(name, "not a table the import reads"))
    return parts
