"""Marketo: the tables a warehouse connector lands (SPEC §7), made canonical.

Marketo keeps people as leads and everything they did as one activity table per type
(`activity_send_email`, `activity_open_email`, …). Its programs carry the channel and are what
a Marketo team reports on, so programs are the canonical campaigns; a smart campaign (the
`campaign` table, the `campaign_id` of every activity) is read only to find its program. The
lifecycle stage and the lead score are lead fields, their history the `activity_change_data_value`
rows naming the field. Conventions and what is lost: docs/sources/marketo.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from lifecycle_metrics.schema import ROW
from lifecycle_metrics.sources.ledger import Fates, Ledger, Part
from lifecycle_metrics.sources.raw import RawExport, VendorTable
from lifecycle_metrics.sources.values import Read, column, first_of, flag, instant, member, number

kind = "marketo"

# activity tables → the canonical activity type of their rows
EMAIL_ACTIVITIES = {
    "activity_send_email": "email_sent",
    "activity_email_bounced": "email_bounce",
    "activity_email_bounced_soft": "email_bounce",  # not delivered either
    "activity_open_email": "email_open",
    "activity_click_email": "email_click",
    "activity_unsubscribe_email": "email_unsubscribe",
}
FORM_ACTIVITIES = {"activity_fill_out_form": "form_submit"}
ACTIVITIES = {**EMAIL_ACTIVITIES, **FORM_ACTIVITIES}
CHANGE_DATA_VALUE = "activity_change_data_value"
CHANGE_SCORE = "activity_change_score"
MERGES = "activity_merge_leads"
DELETIONS = "activity_delete_lead"
READ_ELSEWHERE = {
    "campaign": "smart campaigns: read to find each activity's program (programs are the "
    "canonical campaigns)",
    "program_tag": "read with the programs (the Audience tag)",
    "lead_describe": "read to name a changed field given only by its id",
    MERGES: "a merge: the merged leads' records are read as the surviving lead's (lead_id)",
    DELETIONS: "a deletion: the lead and its records are kept out of the dataset",
    "activity_email_delivered": "delivery confirmations: SPEC counts delivered as sends minus "
    "bounces",
}
NOT_USED = {
    "email_template_history": "email designs: activities name their smart campaign and program",
    "activity_type": "activity type names: each activity table is one type",
    "program_cost": "period costs: give costs.csv beside the export (with categories and "
    "channel costs Marketo does not hold)",
}

keys: dict[str, tuple[str, ...]] = {
    "lead": ("id",),
    "program": ("id",),
    "campaign": ("id",),
    "lead_describe": ("id",),
    "program_tag": ("program_id", "tag_type"),
    **{
        name: ("id",)
        for name in (
            *ACTIVITIES,
            CHANGE_DATA_VALUE,
            CHANGE_SCORE,
            MERGES,
            DELETIONS,
            "activity_email_delivered",
        )
    },
}

# The lead fields whose changes are the stage and score history, by display name without case,
# spaces or punctuation ("Lifecycle Stage" → lifecyclestage).
STAGE_FIELDS = (
    "lifecyclestage",
    "leadlifecyclestage",
    "lifecyclestatus",
    "revenuestage",
    "revenuecyclestage",
)
SCORE_FIELDS = ("leadscore", "score")
# Revenue Cycle Model stage names (squashed the same way) → SPEC's stages
STAGE_VALUES = {
    "lead": "lead",
    "known": "lead",
    "inquiry": "lead",
    "engaged": "lead",
    "prospect": "lead",
    "subscriber": "lead",
    "mql": "mql",
    "marketingqualified": "mql",
    "marketingqualifiedlead": "mql",
    "marketingqualifiedleadmql": "mql",
    # sales accepted: past MQL, not yet sales-qualified; SPEC's funnel has no such stage
    "sal": "mql",
    "salesaccepted": "mql",
    "salesacceptedlead": "mql",
    "salesacceptedleadsal": "mql",
    "sql": "sql",
    "salesqualified": "sql",
    "salesqualifiedlead": "sql",
    "salesqualifiedleadsql": "sql",
    "opportunity": "opportunity",
    "sqo": "opportunity",
    "salesqualifiedopportunity": "opportunity",
    "salesqualifiedopportunitysqo": "opportunity",
    "customer": "customer",
    "won": "customer",
    "closedwon": "customer",
    "customerwon": "customer",
    "recycled": "recycled",
    "recycle": "recycled",
    "disqualified": "disqualified",
    "disqualify": "disqualified",
    "unqualified": "disqualified",
}
# stages of the model that are no SPEC stage and imply none: not yet known, an opportunity lost
NOT_FUNNEL_STAGES = ("anonymous", "lost")
AUDIENCES = {
    "prospect": "prospect",
    "prospects": "prospect",
    "customer": "customer",
    "customers": "customer",
}
AUTOMATED_PROGRAM_TYPES = ("engagement", "nurture")  # Marketo's nurture (drip) program type
NOT_SENT_RESULTS = ("skipped", "failed")  # a send step that did not send
NO_BOT_PATTERN = ("na", "none", "notabot")
MERGE_DEPTH = 4  # merge chains (a into b, b into c) followed this far


def _id(value: ir.StringValue) -> ir.StringValue:
    """Marketo's numeric ids as text; `12345.0` (an id read as a float) is 12345."""
    return value.re_replace(r"^(\d+)\.0+$", r"\1")


def _squashed(value: ir.StringValue) -> ir.StringValue:
    """A field name or picklist value without case, spaces or punctuation."""
    return value.lower().re_replace(r"[^a-z0-9]+", "")


def _deleted(table: ir.Table) -> ir.BooleanValue:
    result: ir.BooleanValue = ibis.literal(False)
    for name in ("_fivetran_deleted", "is_deleted"):
        if name in table.columns:
            result = result | (flag(column(table, name)).text == "true").fill_null(False)
    return result


def _utc(table: ir.Table, name: str) -> ir.Table:
    """The table with column `name` read as an instant (see `_instant`).

    Times without an offset keep none (the connector lands UTC: report with --tz UTC, the
    default); a date alone (a program's start date) stays a date. The reading is a long
    expression, so it is staged as a column and written into the SQL once.
    """
    text = instant(column(table, name)).text
    staged = table.mutate(**{f"_{name}_read": text})
    text = staged[f"_{name}_read"]
    # the pattern checks digits only: 2024-13-45 and 25:00 are no instants either
    calendar = text.substr(0, 10).try_cast("date").notnull() & ~text.re_search(
        r"[T ](2[4-9]|[3-9]\d):|:[6-9]\d"
    )
    # a time without an offset stays without one, read in the report's time zone like every
    # other source's (SPEC §2), so a dataset rewritten in Marketo's layout reads as the original
    utc = text
    return staged.mutate(
        **{f"_{name}_utc": ibis.ifelse(calendar, utc, ibis.null().cast("string"))}
    ).drop(f"_{name}_read")


def _instant(table: ir.Table, name: str) -> Read:
    """Column `name` as read by `_utc` on this table or one it was joined into."""
    text = table[f"_{name}_utc"]
    return Read(text, column(table, name).notnull() & text.isnull())


# --- people: leads, their merges and deletions ---------------------------------------------


@dataclass(frozen=True)
class People:
    """Which lead ids exist, which were merged into which, and which were deleted."""

    known: ir.Table | None  # `_known`: every lead id of the lead table (None: no lead table)
    merged: ir.Table  # `_loser` → `_winner`, chains followed
    deleted: ir.Table  # `_gone`


def _merges(table: ir.Table | None) -> ir.Table:
    if table is None:
        return ibis.memtable(
            {"_loser": [], "_winner": []}, schema={"_loser": "string", "_winner": "string"}
        )
    live = table.filter(~_deleted(table))
    losers = column(live, "merge_ids").re_replace(r"[\[\]\"'\s]", "").split(",")
    pairs = live.select(
        _winner=_id(column(live, "lead_id")),
        _loser=losers.unnest(),
        _at=column(live, "activity_date"),
    )
    pairs = pairs.mutate(_loser=_id(pairs._loser.nullif("")))
    pairs = pairs.filter(pairs._loser.notnull() & pairs._winner.notnull())
    pairs = pairs.filter(pairs._loser != pairs._winner)
    # a lead merged away twice (two syncs of one merge) goes to its latest winner
    mapping = pairs.group_by("_loser").agg(_winner=pairs._winner.argmax(pairs._at.fill_null("")))
    for _ in range(MERGE_DEPTH):
        onward = mapping.select(_next_loser=mapping._loser, _next=mapping._winner)
        joined = mapping.left_join(onward, mapping._winner == onward._next_loser)
        mapping = joined.select(
            _loser=joined._loser, _winner=ibis.coalesce(joined._next, joined._winner)
        )
    return mapping


def _people(tables: dict[str, ir.Table]) -> People:
    lead = tables.get("lead")
    known = None
    if lead is not None:
        known = lead.select(_known=_id(column(lead, "id"))).distinct()
    deletions = tables.get(DELETIONS)
    if deletions is None:
        deleted = ibis.memtable({"_gone": []}, schema={"_gone": "string"})
    else:
        live = deletions.filter(~_deleted(deletions))
        deleted = live.select(_gone=_id(column(live, "lead_id"))).distinct()
    return People(known, _merges(tables.get(MERGES)), deleted)


@dataclass(frozen=True)
class Person:
    """An activity table with `_raw_lead` and `_person` (the lead after merges) added."""

    table: ir.Table
    raw: ir.StringValue
    gone: ir.BooleanValue  # the lead (or the lead it was merged into) was deleted
    missing: ir.BooleanValue  # a lead id that names no lead of the lead table


def _person(table: ir.Table, people: People) -> Person:
    resolved = table.mutate(_raw_lead=_id(column(table, "lead_id")))
    resolved = resolved.left_join(people.merged, resolved._raw_lead == people.merged._loser)
    resolved = resolved.mutate(_person=ibis.coalesce(resolved._winner, resolved._raw_lead))
    resolved = resolved.drop("_loser", "_winner")
    gone = resolved._raw_lead.isin(people.deleted._gone) | resolved._person.isin(
        people.deleted._gone
    )
    missing: ir.BooleanValue = ibis.literal(False)
    if people.known is not None:
        missing = resolved._raw_lead.notnull() & ~resolved._person.isin(people.known._known)
    return Person(resolved, resolved._raw_lead, gone, missing)


def _lead_rules(fates: Fates, who: Person) -> None:
    """The rules every lead-stamped activity row shares, in order."""
    table = who.table
    fates.skip(_deleted(table), "deleted in the source")
    fates.skip(who.gone, "its lead was deleted in Marketo (activity_delete_lead)")
    fates.quarantine(column(table, "id").isnull(), "no activity id", "id")
    fates.quarantine(who.raw.isnull(), "no lead_id", "lead_id")
    fates.quarantine(who.missing, "lead_id names no lead of the source", "lead_id", who.raw)


def _at_rule(fates: Fates, table: ir.Table, at: Read) -> None:
    fates.quarantine(
        at.bad | at.text.isnull(),
        "activity_date is not a date and time",
        "activity_date",
        column(table, "activity_date"),
    )


# --- leads → contacts and accounts ---------------------------------------------------------


def _live_lead(lead: ir.Table, people: People) -> tuple[ir.BooleanValue, ir.BooleanValue]:
    """Whether each lead row was deleted in Marketo, and whether it was merged away."""
    record = _id(column(lead, "id"))
    return record.isin(people.deleted._gone), record.isin(people.merged._loser)


def _account_id(lead: ir.Table) -> ir.StringValue:
    return _id(first_of(lead, "account_id", "external_company_id", "sfdc_account_id"))


def _contacts(lead: ir.Table, people: People) -> Part:
    lead = _utc(lead, "created_at")
    created = _instant(lead, "created_at")
    record = _id(column(lead, "id"))
    internal_column = first_of(lead, "is_internal", "is_internal_c")
    internal = flag(internal_column)
    deleted_in_marketo, merged_away = _live_lead(lead, people)
    fates = Fates("lead", lead, record)
    fates.skip(_deleted(lead), "deleted in the source")
    fates.skip(deleted_in_marketo, "deleted in Marketo (activity_delete_lead)")
    fates.skip(
        merged_away, "merged into another lead (activity_merge_leads): its records are that lead's"
    )
    fates.quarantine(record.isnull(), "no lead id", "id")
    fates.quarantine(
        created.bad, "created_at is not a date and time", "created_at", column(lead, "created_at")
    )
    fates.quarantine(created.text.isnull(), "no created_at (a lead's creation time)", "created_at")
    fates.quarantine(
        internal.bad, "is_internal is not true or false", "is_internal", internal_column
    )
    return fates.part(
        {
            "contact_id": record,
            "created_at": created.text,
            "account_id": _account_id(lead),
            "email": column(lead, "email"),
            "channel": member(column(lead, "lead_source")),
            "source": first_of(lead, "lead_source_detail", "original_source_info"),
            "campaign_id": _id(column(lead, "acquisition_program_id")),
            "is_internal": internal.text,
        }
    )


def _accounts(lead: ir.Table, people: People) -> Part:
    """One account per account id of the leads: the latest-updated lead's company fields."""
    deleted_in_marketo, merged_away = _live_lead(lead, people)
    live = lead.filter(~_deleted(lead) & ~deleted_in_marketo & ~merged_away)
    shaped = live.select(
        account_id=_account_id(live),
        name=column(live, "company"),
        segment=first_of(live, "segment", "segment_c"),
        industry=column(live, "industry"),
        _updated=column(live, "updated_at").fill_null(""),
        _lead=_id(column(live, "id")).fill_null(""),
    ).filter(ibis._.account_id.notnull())
    latest = ibis.window(
        group_by=shaped.account_id, order_by=[ibis.desc(shaped._updated), ibis.desc(shaped._lead)]
    )
    accounts = shaped.filter(ibis.row_number().over(latest) == 0)
    fates = Fates("lead", accounts, accounts.account_id)
    return fates.part(
        {
            "account_id": accounts.account_id,
            "name": accounts.name,
            "segment": accounts.segment,
            "industry": accounts.industry,
            "created_at": ibis.null().cast("string"),
        },
        counted=False,  # the lead rows are counted as contacts
    )


# --- programs → campaigns ------------------------------------------------------------------


def _campaigns(program: ir.Table, tags: ir.Table | None) -> Part:
    program = _utc(_utc(program, "start_date"), "end_date")
    program = program.mutate(_program=_id(column(program, "id")))
    tag_value = ibis.null().cast("string")
    if tags is not None:
        live = tags.filter(~_deleted(tags))
        audience_tags = live.filter(_squashed(column(live, "tag_type")) == "audience")
        per_program = audience_tags.group_by(_tagged=_id(column(audience_tags, "program_id"))).agg(
            _audience=column(audience_tags, "tag_value").min()
        )
        program = program.left_join(per_program, program._program == per_program._tagged)
        tag_value = program._audience
    started, ended = _instant(program, "start_date"), _instant(program, "end_date")
    given_audience = ibis.coalesce(tag_value, column(program, "audience"))
    audience = ibis.ifelse(
        given_audience.isnull(),
        "prospect",
        _squashed(given_audience).cases(*AUDIENCES.items(), else_=None),
    )
    fates = Fates("program", program, program._program)
    fates.skip(_deleted(program), "deleted in the source")
    fates.quarantine(program._program.isnull(), "no program id", "id")
    fates.quarantine(
        audience.isnull(),
        "unknown audience (the Audience tag is Prospect or Customer)",
        "tag_value" if tags is not None else "audience",
        given_audience,
    )
    return fates.part(
        {
            "campaign_id": program._program,
            "name": ibis.coalesce(column(program, "name"), program._program),
            "channel": ibis.coalesce(member(column(program, "channel")), ibis.literal("unknown")),
            "audience": audience,
            "automated": ibis.ifelse(
                _squashed(column(program, "type")).isin(AUTOMATED_PROGRAM_TYPES), "true", "false"
            ),
            # columns nothing computes with: an unreadable value is left for validation to name
            "started_at": ibis.coalesce(started.text, column(program, "start_date")),
            "ended_at": ibis.coalesce(ended.text, column(program, "end_date")),
        }
    )


# --- activities ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Programs:
    """Each smart campaign's program (None: the export holds no campaign table)."""

    of_campaign: ir.Table | None  # `_smart` → `_program`
    ids: ir.Table | None = None  # `_program_id`: the programs themselves


def _programs(campaign: ir.Table | None, program: ir.Table | None = None) -> Programs:
    ids = None
    if program is not None:
        ids = program.select(_program_id=_id(column(program, "id"))).distinct()
    if campaign is None:
        return Programs(None, ids)
    shaped = campaign.select(
        _smart=_id(column(campaign, "id")), _program=_id(column(campaign, "program_id"))
    )
    return Programs(shaped.group_by("_smart").agg(_program=shaped._program.max()), ids)


def _machine(table: ir.Table) -> Read:
    """`is_bot_activity`, or, when only the pattern is given, a pattern that names a bot."""
    said = flag(column(table, "is_bot_activity"))
    pattern = _squashed(column(table, "bot_activity_pattern"))
    by_pattern = pattern.notnull() & ~pattern.isin(NO_BOT_PATTERN)
    given = column(table, "is_bot_activity").notnull()
    text = ibis.cases(
        (given, said.text),
        (by_pattern, ibis.literal("true")),
        else_=ibis.literal("false"),
    )
    return Read(text, said.bad)


def _activities(name: str, table: ir.Table, people: People, programs: Programs) -> Part:
    rows = _utc(table, "activity_date")
    rows = rows.mutate(_smart_id=_id(column(rows, "campaign_id")))
    if programs.of_campaign is not None:
        rows = rows.left_join(programs.of_campaign, rows._smart_id == programs.of_campaign._smart)
    who = _person(rows, people)
    rows = who.table
    unresolved: ir.BooleanValue = ibis.literal(False)
    program = ibis.null().cast("string")
    # a campaign_id that is a program's own id (a writer with programs and no smart campaigns)
    names_program: ir.BooleanValue = ibis.literal(False)
    if programs.ids is not None:
        names_program = rows._smart_id.isin(programs.ids._program_id)
    if programs.of_campaign is not None:
        unresolved = rows._smart_id.notnull() & rows._smart.isnull() & ~names_program
        program = ibis.ifelse(rows._smart.isnull() & names_program, rows._smart_id, rows._program)
    elif programs.ids is not None:
        program = ibis.ifelse(names_program, rows._smart_id, ibis.null().cast("string"))
    at = _instant(rows, "activity_date")
    machine = _machine(rows)
    record = _id(column(rows, "id"))
    fates = Fates(name, rows, record)
    if name == "activity_send_email":
        fates.skip(
            column(rows, "action_result").lower().isin(NOT_SENT_RESULTS),
            "not sent: the send step was skipped or failed (action_result)",
        )
    _lead_rules(fates, who)
    _at_rule(fates, rows, at)
    fates.quarantine(
        unresolved,
        "campaign_id names no smart campaign of the source",
        "campaign_id",
        rows._smart_id,
    )
    fates.quarantine(
        machine.bad,
        "is_bot_activity is not true or false",
        "is_bot_activity",
        column(rows, "is_bot_activity"),
    )
    message = ibis.null().cast("string")
    if name in EMAIL_ACTIVITIES and "message_id" in rows.columns:
        message = column(rows, "message_id")  # a writer's own message ids, as given
    elif name in EMAIL_ACTIVITIES:
        # Marketo has no message id: one send is one run of a smart campaign, one email, one lead
        run = _id(column(rows, "campaign_run_id"))
        template = _id(
            ibis.coalesce(
                column(rows, "email_template_id"), column(rows, "primary_attribute_value_id")
            )
        )
        message = ibis.ifelse(
            run.isnull() & template.isnull(),
            ibis.null().cast("string"),
            run.fill_null("") + "-" + template.fill_null("") + "-" + rows._person,
        )
    return fates.part(
        {
            "activity_id": record,
            "contact_id": rows._person,
            "type": ibis.literal(ACTIVITIES[name]),
            "occurred_at": at.text,
            "campaign_id": program,
            "message_id": message,
            "is_machine": machine.text if name in EMAIL_ACTIVITIES else ibis.literal("false"),
        }
    )


# --- field changes → stage changes and lead scores ------------------------------------------


def _field_names(table: ir.Table, describe: ir.Table | None) -> ir.Table:
    """The changed field's name, squashed; from `lead_describe` when only its id is given."""
    named = column(table, "primary_attribute_value")
    if describe is None:
        return table.mutate(_field=_squashed(named))
    names = describe.select(
        _field_id=_id(column(describe, "id")),
        _label=first_of(describe, "display_name", "restname"),
    )
    names = names.group_by("_field_id").agg(_label=names._label.min())
    joined = table.left_join(
        names, _id(column(table, "primary_attribute_value_id")) == names._field_id
    )
    return joined.mutate(_field=_squashed(ibis.coalesce(named, joined._label))).drop(
        "_field_id", "_label"
    )


def _repeated(table: ir.Table) -> ir.Table:
    """`_repeat`: a row whose activity id an earlier row of the table already gave."""
    record = _id(column(table, "id"))
    order = ibis.window(group_by=record, order_by=[table[ROW]])
    return table.mutate(_repeat=record.notnull() & (ibis.row_number().over(order) > 0))


def _stage_part(name: str, changes: ir.Table, people: People) -> Part:
    who = _person(_utc(changes, "activity_date"), people)
    rows = who.table
    value = column(rows, "new_value")
    squashed = _squashed(value)
    stage = squashed.cases(*STAGE_VALUES.items(), else_=None)
    is_stage = rows._field.isin(STAGE_FIELDS)
    at = _instant(rows, "activity_date")
    fates = Fates(name, rows, _id(column(rows, "id")))
    fates.skip(
        ~is_stage, "a change of another field (neither the lifecycle stage nor the lead score)"
    )
    _lead_rules(fates, who)
    fates.skip(value.isnull(), "stage cleared (a flow empties the field before setting it again)")
    fates.skip(
        squashed.isin(NOT_FUNNEL_STAGES), "Anonymous and Lost are not SPEC stages and imply none"
    )
    fates.quarantine(stage.isnull(), "unknown lifecycle stage", "new_value", value)
    _at_rule(fates, rows, at)
    fates.quarantine(
        rows._repeat, "the activity id is given by another row too", "id", column(rows, "id")
    )
    return fates.part({"contact_id": rows._person, "stage": stage, "changed_at": at.text})


def _score_part(name: str, changes: ir.Table, people: People) -> Part:
    who = _person(_utc(changes, "activity_date"), people)
    rows = who.table
    value = column(rows, "new_value")
    score = number(value)
    at = _instant(rows, "activity_date")
    fates = Fates(name, rows, _id(column(rows, "id")))
    fates.skip(~rows._field.isin(SCORE_FIELDS), "a score field other than the lead score")
    _lead_rules(fates, who)
    fates.skip(value.isnull(), "score cleared")
    fates.quarantine(score.bad, "the lead score is not a number", "new_value", value)
    _at_rule(fates, rows, at)
    fates.quarantine(
        rows._repeat, "the activity id is given by another row too", "id", column(rows, "id")
    )
    return fates.part({"contact_id": rows._person, "score": score.text, "scored_at": at.text})


def _field_changes(tables: dict[str, ir.Table], people: People) -> dict[str, list[Part]]:
    """Stage and score history: each change row in exactly one part, so the ledger adds up."""
    parts: dict[str, list[Part]] = {}
    describe = tables.get("lead_describe")
    if CHANGE_DATA_VALUE in tables:
        changes = _repeated(_field_names(tables[CHANGE_DATA_VALUE], describe))
        is_score = changes._field.isin(SCORE_FIELDS).fill_null(False)
        parts.setdefault("stage_changes", []).append(
            _stage_part(CHANGE_DATA_VALUE, changes.filter(~is_score), people)
        )
        parts.setdefault("lead_scores", []).append(
            _score_part(CHANGE_DATA_VALUE, changes.filter(is_score), people)
        )
    if CHANGE_SCORE in tables:
        changes = _repeated(_field_names(tables[CHANGE_SCORE], describe))
        parts.setdefault("lead_scores", []).append(_score_part(CHANGE_SCORE, changes, people))
    return parts


# --- the kind ------------------------------------------------------------------------------


def prepare(export: RawExport) -> RawExport:
    """The connector's tables need no renaming."""
    return export


def translate(tables: dict[str, VendorTable], ledger: Ledger) -> dict[str, list[Part]]:
    """Canonical parts of a Marketo connector export."""
    get = {name: given.table for name, given in tables.items()}
    people = _people(get)
    parts: dict[str, list[Part]] = {}
    if "lead" in get:
        parts["contacts"] = [_contacts(get["lead"], people)]
        parts["accounts"] = [_accounts(get["lead"], people)]
    if "program" in get:
        parts["campaigns"] = [_campaigns(get["program"], get.get("program_tag"))]
    programs = _programs(get.get("campaign"), get.get("program"))
    for name in ACTIVITIES:
        if name in get:
            parts.setdefault("activities", []).append(
                _activities(name, get[name], people, programs)
            )
    if programs.of_campaign is None and any(name in get for name in ACTIVITIES):
        ledger.notes.append(
            "no campaign table: activities cannot be tied to their programs, so they carry no "
            "campaign (email rates need one)"
        )
    for name, found in _field_changes(get, people).items():
        parts.setdefault(name, []).extend(found)
    used = {"lead", "program", *ACTIVITIES, CHANGE_DATA_VALUE, CHANGE_SCORE}
    for name, given in tables.items():
        if name in used:
            continue
        rows = int(given.table.count().execute())
        why = READ_ELSEWHERE.get(name) or NOT_USED.get(name)
        if why is None and name.startswith("activity_"):
            why = "an activity type the import does not read"
        ledger.skip_table(name, rows, why or "not a table the import reads")
    return parts
