"""HubSpot: the tables a warehouse connector lands, and HubSpot's own CSV exports (SPEC §7).

Connector tables hold each property as `property_<internal name>`; an export file names its
columns by the property's label ("Create Date", "Became a Lead Date"). `prepare` renames an
export's columns to the connector's, so one translation serves both.
"""

from __future__ import annotations

import re

import ibis
import ibis.expr.types as ir

from lifecycle_metrics.sources.ledger import Fates, Ledger, Part
from lifecycle_metrics.sources.raw import RawExport, VendorTable
from lifecycle_metrics.sources.values import column, first_of, flag, instant, number, text

kind = "hubspot"

keys: dict[str, tuple[str, ...]] = {
    "contact": ("id",),
    "company": ("id",),
    "deal": ("deal_id",),
    "email_campaign": ("id",),
    "email_event": ("id",),
    "deal_pipeline_stage": ("stage_id",),
    # a newer export's links of a deal replace all its earlier ones (a deal moved company)
    "deal_company": ("deal_id",),
    "deal_contact": ("deal_id",),
    "engagement_contact": ("engagement_id",),
    "email_event_status_change": ("id",),
}

# lifecycle stages (internal values; export labels reduce to them, "Marketing Qualified Lead"
# → marketingqualifiedlead) → SPEC's funnel stages
STAGE_VALUES = {
    "subscriber": "lead",
    "lead": "lead",
    "marketingqualifiedlead": "mql",
    "salesqualifiedlead": "sql",
    "opportunity": "opportunity",
    "customer": "customer",
}
NOT_FUNNEL_STAGES = ("evangelist", "other")
LEAD_STATUS_STAGES = {"badtiming": "recycled", "unqualified": "disqualified"}  # squashed
DEAL_TYPES = {
    "newbusiness": "new_business",
    "existingbusiness": "upsell",
    # the canonical words, for portals whose deal type options were renamed to them
    "new_business": "new_business",
    "upsell": "upsell",
    "cross_sell": "cross_sell",
    "crosssell": "cross_sell",
    "renewal": "renewal",
}
EMAIL_TYPES = {
    "SENT": "email_sent",
    "BOUNCE": "email_bounce",
    "OPEN": "email_open",
    "CLICK": "email_click",
    "STATUSCHANGE": "email_unsubscribe",
}
# "Became a … Date" properties, in funnel order, as the stage history when none is given
BECAME_DATES = {
    "hs_lifecyclestage_subscriber_date": "lead",
    "hs_lifecyclestage_lead_date": "lead",
    "hs_lifecyclestage_marketingqualifiedlead_date": "mql",
    "hs_lifecyclestage_salesqualifiedlead_date": "sql",
    "hs_lifecyclestage_opportunity_date": "opportunity",
    "hs_lifecyclestage_customer_date": "customer",
}
# export labels → internal property names (labels are matched without case or spacing)
LABELS = {
    "record id": "id",
    "contact id": "id",
    "company id": "id",
    "deal id": "deal_id",
    "create date": "createdate",
    "created date": "createdate",
    "email": "email",
    "lifecycle stage": "lifecyclestage",
    "original source": "hs_analytics_source",
    "original source type": "hs_analytics_source",
    "original source drill-down 1": "hs_analytics_source_data_1",
    "original source drill down 1": "hs_analytics_source_data_1",
    "original traffic source": "hs_analytics_source",
    "original traffic source drill-down 1": "hs_analytics_source_data_1",
    "original source drill-down 2": "hs_analytics_source_data_2",
    "associated company id": "associatedcompanyid",
    "associated company ids (primary)": "associatedcompanyid",
    "primary associated company id": "associatedcompanyid",
    "is internal": "is_internal",
    "hubspot score": "hubspotscore",
    "lead status": "hs_lead_status",
    "campaign id": "campaign_id",
    "company name": "name",
    "name": "name",
    "industry": "industry",
    "segment": "segment",
    "deal name": "dealname",
    "deal stage": "dealstage",
    "pipeline": "pipeline",
    "amount": "amount",
    "close date": "closedate",
    "deal type": "dealtype",
    "became a subscriber date": "hs_lifecyclestage_subscriber_date",
    "became a lead date": "hs_lifecyclestage_lead_date",
    "became a marketing qualified lead date": "hs_lifecyclestage_marketingqualifiedlead_date",
    "became a sales qualified lead date": "hs_lifecyclestage_salesqualifiedlead_date",
    "became an opportunity date": "hs_lifecyclestage_opportunity_date",
    "became a customer date": "hs_lifecyclestage_customer_date",
    "became an evangelist date": "hs_lifecyclestage_evangelist_date",
    "became an other lifecycle date": "hs_lifecyclestage_other_date",
}
COMPANY_LINKS = (  # "Associated Company" alone holds names, not ids
    "associated company id",
    "associated company ids (primary)",
    "associated company ids",
    "primary associated company id",
)
CONTACT_LINKS = ("associated contact ids", "associated contact id")
# Original Source option labels whose internal value is not their label in capitals
SOURCE_LABELS = {"offline sources": "offline", "organic social": "social_media"}


def _prop(table: ir.Table, name: str) -> ir.StringValue:
    return column(table, f"property_{name}")


def _hubspot_id(value: ir.StringValue) -> ir.StringValue:
    """Numeric ids as HubSpot writes them; `12345.0` (an id read as a float) is 12345."""
    return value.re_replace(r"^(\d+)\.0+$", r"\1")


def _squashed(value: ir.StringValue) -> ir.StringValue:
    """An option value or label without case, spaces or punctuation: `Closed Won` → closedwon."""
    return value.lower().re_replace(r"[^a-z0-9_]+", "").re_replace(r"_", "")


def channel(value: ir.StringValue) -> ir.StringValue:
    """`hs_analytics_source` as a channel: the internal value in lower case.

    An export gives the option's label ("Organic Search"): its words joined by `_`, as the
    internal value is, except the labels listed in SOURCE_LABELS.
    """
    lowered = value.lower()
    label = lowered.re_replace(r"[^a-z0-9]+", "_").re_replace(r"^_+|_+$", "")
    mapped = lowered.cases(*SOURCE_LABELS.items(), else_=None)
    return ibis.coalesce(mapped, ibis.ifelse(value.re_search(r"\s"), label, lowered)).nullif("")


def _deleted(table: ir.Table) -> ir.BooleanValue:
    marks = [
        flag(column(table, name)).text == "true"
        for name in ("_fivetran_deleted", "is_deleted", "isdeleted", "archived")
        if name in table.columns
    ]
    result: ir.BooleanValue = ibis.literal(False)
    for mark in marks:
        result = result | mark.fill_null(False)
    return result


# --- exports: files named by HubSpot, columns named by label ------------------------------


def _label_key(name: str) -> str:
    return re.sub(r"\s+", " ", name.strip().lower())


def _export_kind(header: tuple[str, ...]) -> str | None:
    labels = {_label_key(name) for name in header}
    if "record id" not in labels and not labels & {"contact id", "company id", "deal id"}:
        return None
    if labels & {"deal stage", "deal name", "deal id"}:
        return "deal"
    people_or_deals = {"email", "lifecycle stage", "first name", "deal stage"}
    company_labels = {"company name", "company domain name", "company id", "name", "segment"}
    if labels & company_labels and not labels & people_or_deals:
        return "company"
    if labels & {"email", "lifecycle stage", "first name", "contact id"}:
        return "contact"
    return None


def _first_id(value: ir.StringValue) -> ir.StringValue:
    """The first of `;`-separated ids (an export's "Associated Contact IDs")."""
    return _hubspot_id(text(value.re_extract(r"^\s*([^;]+)", 1)))


def _from_export(given: VendorTable, kind_name: str) -> list[VendorTable]:
    table = given.table
    renamed: dict[str, ir.Value] = {}
    links: dict[str, ir.Value] = {}
    for original in given.header:
        lowered = original.strip().lower()
        key = _label_key(original)
        if kind_name == "deal" and key in COMPANY_LINKS:
            if "company_id" not in links or "primary" in key:  # the primary company first
                links["company_id"] = table[lowered]
            continue
        if kind_name == "deal" and key in CONTACT_LINKS:
            links["contact_id"] = table[lowered]
            continue
        if kind_name != "deal" and key == "associated company ids":
            key = "associated company id"
        name = LABELS.get(key) or re.sub(r"[^a-z0-9]+", "_", key).strip("_")
        target = name if name in ("id", "deal_id") else f"property_{name}"
        if kind_name == "deal" and target == "id":
            target = "deal_id"
        if target not in renamed:
            renamed[target] = table[lowered]
    places = {name: table[name] for name in ("_row", "_file")}
    shaped = table.select(**renamed, **places)
    result = [VendorTable(kind_name, given.origin, shaped, tuple(renamed))]
    record = "deal_id"
    if kind_name == "deal":
        for link, value in links.items():
            linked = table.select(
                **{record: table[_record_column(given, kind_name)], link: _first_id(value)},
                **places,
            )
            linked = linked.filter(linked[link].notnull())
            result.append(
                VendorTable(
                    f"deal_{link.removesuffix('_id')}", given.origin, linked, (record, link)
                )
            )
    return result


def _record_column(given: VendorTable, kind_name: str) -> str:
    """The column of an export holding the record id."""
    for original in given.header:
        if _label_key(original) in ("record id", "deal id", "contact id", "company id"):
            return original.strip().lower()
    raise KeyError(kind_name)


def prepare(export: RawExport) -> RawExport:
    """Rename HubSpot's own CSV exports, found by their headers, to connector tables."""
    tables: dict[str, VendorTable] = {}
    for name, given in export.tables.items():
        found = _export_kind(given.header)
        if found is None:
            tables[name] = given
            continue
        for shaped in _from_export(given, found):
            if shaped.name in tables:
                from lifecycle_metrics.errors import DataError

                raise DataError(
                    f"{given.origin}: a second {shaped.name} table ({tables[shaped.name].origin} "
                    "is one); give one export per object"
                )
            tables[shaped.name] = shaped
    return RawExport(tables, export.canonical, export.canonical_origin)


# --- translation ---------------------------------------------------------------------------


def _accounts(company: ir.Table) -> Part:
    fates = Fates("company", company, _hubspot_id(column(company, "id")))
    fates.skip(_deleted(company), "deleted in the source")
    fates.quarantine(column(company, "id").isnull(), "no company id", "id")
    return fates.part(
        {
            "account_id": _hubspot_id(column(company, "id")),
            "name": _prop(company, "name"),
            "segment": _prop(company, "segment"),
            "industry": _prop(company, "industry"),
            "created_at": _prop(company, "createdate"),
        }
    )


def _contacts(contact: ir.Table) -> Part:
    created = instant(_prop(contact, "createdate"))
    internal = flag(_prop(contact, "is_internal"))
    record = _hubspot_id(column(contact, "id"))
    fates = Fates("contact", contact, record)
    fates.skip(_deleted(contact), "deleted in the source")
    fates.quarantine(record.isnull(), "no contact id", "id")
    fates.quarantine(
        created.bad,
        "createdate is not a date and time",
        "property_createdate",
        _prop(contact, "createdate"),
    )
    fates.quarantine(
        created.text.isnull(), "no createdate (a contact's creation time)", "property_createdate"
    )
    fates.quarantine(
        internal.bad,
        "is_internal is not true or false",
        "property_is_internal",
        _prop(contact, "is_internal"),
    )
    return fates.part(
        {
            "contact_id": record,
            "created_at": created.text,
            "account_id": _hubspot_id(_prop(contact, "associatedcompanyid")),
            "email": _prop(contact, "email"),
            "channel": channel(_prop(contact, "hs_analytics_source")),
            "source": _prop(contact, "hs_analytics_source_data_1"),
            "campaign_id": _prop(contact, "campaign_id"),
            "is_internal": internal.text,
        }
    )


def _history_record(history: ir.Table) -> ir.StringValue:
    """A history row has no id of its own: contact, property and instant name it."""
    return (
        _hubspot_id(column(history, "contact_id"))
        + " "
        + column(history, "name").fill_null("")
        + " @"
        + column(history, "timestamp").fill_null("")
    )


def _history_parts(history: ir.Table) -> dict[str, list[Part]]:
    """Property history: lifecyclestage, hs_lead_status → stages; hubspotscore → scores.

    The score rows and the other rows are split, so each row has one fate in the ledger.
    """
    is_score = column(history, "name").lower() == "hubspotscore"
    return {
        "stage_changes": [_stage_rows(history.filter(~is_score))],
        "lead_scores": [_score_rows(history.filter(is_score))],
    }


def _stage_rows(history: ir.Table) -> Part:
    name = column(history, "name").lower()
    value = column(history, "value")
    at = instant(column(history, "timestamp"))
    squashed = _squashed(value)
    stage_of = squashed.cases(*STAGE_VALUES.items(), else_=None)
    status_of = _squashed(value).cases(*LEAD_STATUS_STAGES.items(), else_=None)
    is_stage = name == "lifecyclestage"
    is_status = name == "hs_lead_status"
    stages = Fates("contact_property_history", history, _history_record(history))
    stages.skip(~(is_stage | is_status), "history of a property the import does not read")
    stages.skip(
        is_stage & value.isnull(),
        "stage cleared (a workflow empties lifecyclestage before setting it again)",
    )
    stages.skip(
        is_stage & squashed.isin(NOT_FUNNEL_STAGES), "evangelist and other are not funnel stages"
    )
    stages.quarantine(is_stage & stage_of.isnull(), "unknown lifecycle stage", "value", value)
    stages.skip(is_status & status_of.isnull(), "a lead status that is not a stage")
    stages.quarantine(
        at.bad, "timestamp is not a date and time", "timestamp", column(history, "timestamp")
    )
    stages.quarantine(at.text.isnull(), "no timestamp", "timestamp")
    contact = _hubspot_id(column(history, "contact_id"))
    return stages.part(
        {"contact_id": contact, "stage": ibis.coalesce(stage_of, status_of), "changed_at": at.text}
    )


def _score_rows(history: ir.Table) -> Part:
    value = column(history, "value")
    at = instant(column(history, "timestamp"))
    score = number(value)
    scores = Fates("contact_property_history", history, _history_record(history))
    scores.skip(value.isnull(), "score cleared")
    scores.quarantine(score.bad, "hubspotscore is not a number", "value", value)
    scores.quarantine(
        at.bad | at.text.isnull(),
        "timestamp is not a date and time",
        "timestamp",
        column(history, "timestamp"),
    )
    contact = _hubspot_id(column(history, "contact_id"))
    return scores.part({"contact_id": contact, "score": score.text, "scored_at": at.text})


def _became_dates(contact: ir.Table) -> list[Part]:
    """Stage history from the "Became a … Date" properties, when no property history is given."""
    parts: list[Part] = []
    record = _hubspot_id(column(contact, "id"))
    for prop, stage in BECAME_DATES.items():
        if f"property_{prop}" not in contact.columns:
            continue
        at = instant(_prop(contact, prop))
        fates = Fates("contact", contact, record)
        fates.skip(_deleted(contact) | at.text.isnull() & ~at.bad, "no such date")
        fates.quarantine(
            at.bad, f"{prop} is not a date and time", f"property_{prop}", _prop(contact, prop)
        )
        parts.append(
            fates.part(
                {"contact_id": record, "stage": ibis.literal(stage), "changed_at": at.text},
                counted=False,
            )
        )
    return parts


def _first_link(links: ir.Table | None, target: str) -> ir.Table | None:
    if links is None:
        return None
    live = links.filter(~_deleted(links))
    shaped = live.select(
        deal_id=_hubspot_id(column(live, "deal_id")), linked=_hubspot_id(column(live, target))
    )
    return (
        shaped.group_by("deal_id").agg(linked=shaped.linked.min()).rename({f"_{target}": "linked"})
    )


def _deals(
    deal: ir.Table,
    stages: ir.Table | None,
    companies: ir.Table | None,
    contacts: ir.Table | None,
    contact: ir.Table | None,
) -> Part:
    deal = deal.mutate(_deal=_hubspot_id(first_of(deal, "deal_id", "id")))
    stage_id = ibis.coalesce(column(deal, "deal_pipeline_stage_id"), _prop(deal, "dealstage"))
    pipeline_id = ibis.coalesce(column(deal, "deal_pipeline_id"), _prop(deal, "pipeline"))
    deal = deal.mutate(_stage=stage_id, _pipeline=pipeline_id)
    known_stage: ir.BooleanValue = ibis.literal(False)
    listed: ir.BooleanValue = ibis.literal(False)
    won_stage: ir.BooleanValue = ibis.literal(False)
    closed_stage: ir.BooleanValue = ibis.literal(False)
    pipeline_wins: ir.BooleanValue = ibis.literal(True)
    if stages is not None:
        live = stages.filter(~_deleted(stages))
        # a stage whose flags are empty is read by its id (closedwon, closedlost), as SPEC says
        flagged = column(live, "closed_won").notnull() | column(live, "is_closed").notnull()
        shaped = live.select(
            _stage=column(live, "stage_id"),
            _won=(flag(column(live, "closed_won")).text == "true").fill_null(False),
            _closed=(flag(column(live, "is_closed")).text == "true").fill_null(False),
            _flagged=flagged,
            _in=column(live, "pipeline_id"),
        )
        per_stage = shaped.group_by("_stage").agg(
            _won=shaped._won.any(), _closed=shaped._closed.any(), _flagged=shaped._flagged.any()
        )
        # a pipeline that closes deals but has no closed-won stage can never win one
        winning = shaped.group_by("_in").agg(
            _wins=shaped._won.any() | ~shaped._closed.any(), _listed=shaped._in.count()
        )
        deal = deal.left_join(per_stage, "_stage").drop("_stage_right")
        deal = deal.left_join(winning, deal._pipeline == winning._in).drop("_in")
        listed = deal._won.notnull()
        known_stage = listed & deal._flagged.fill_null(False)
        won_stage = deal._won.fill_null(False)
        closed_stage = deal._closed.fill_null(False)
        pipeline_wins = deal._wins.fill_null(True)
    squashed = _squashed(deal._stage)
    won = ibis.ifelse(known_stage, won_stage, squashed == "closedwon")
    lost = ibis.ifelse(known_stage, closed_stage & ~won_stage, squashed == "closedlost")
    status = ibis.cases((won, "won"), (lost, "lost"), else_="open")
    company_of = _first_link(companies, "company_id")
    if company_of is not None:
        deal = deal.left_join(company_of, deal._deal == company_of.deal_id).drop("deal_id_right")
    contact_of = _first_link(contacts, "contact_id")
    if contact_of is not None:
        deal = deal.left_join(contact_of, deal._deal == contact_of.deal_id).drop("deal_id_right")
    account = column(deal, "_company_id") if "_company_id" in deal.columns else text(None)
    primary = column(deal, "_contact_id") if "_contact_id" in deal.columns else text(None)
    if contact is not None:
        homes = contact.filter(~_deleted(contact)).select(
            _contact=_hubspot_id(column(contact, "id")),
            _home=_hubspot_id(_prop(contact, "associatedcompanyid")),
        )
        deal = deal.mutate(_primary=primary).left_join(homes, ibis._._primary == homes._contact)
        # SPEC §3: a contact without a company is its own account
        account = ibis.coalesce(account, deal._home, deal._primary)
        primary = deal._primary
    amount = number(_prop(deal, "amount"))
    created = instant(_prop(deal, "createdate"))
    closed = instant(_prop(deal, "closedate"))
    raw_type = _prop(deal, "dealtype")
    deal_type = ibis.ifelse(
        raw_type.isnull(),
        "new_business",
        _squashed(raw_type).cases(
            *((k.replace("_", ""), v) for k, v in DEAL_TYPES.items()), else_=None
        ),
    )
    fates = Fates("deal", deal, deal._deal)
    fates.skip(_deleted(deal), "deleted in the source")
    fates.quarantine(
        stages is not None
        and (deal._stage.notnull() & ~listed & ~squashed.isin(("closedwon", "closedlost")))
        if stages is not None
        else ibis.literal(False),
        "its stage is not in deal_pipeline_stage",
        "deal_pipeline_stage_id",
        deal._stage,
    )
    fates.quarantine(
        ~pipeline_wins,
        "its pipeline has no closed-won stage, so no deal in it can be won",
        "deal_pipeline_id",
        deal._pipeline,
    )
    fates.quarantine(
        deal_type.isnull(),
        "unknown deal type (newbusiness, existingbusiness, …)",
        "property_dealtype",
        raw_type,
    )
    fates.quarantine(amount.bad, "amount is not a number", "property_amount", _prop(deal, "amount"))
    fates.quarantine(
        created.bad | created.text.isnull(),
        "createdate is not a date and time",
        "property_createdate",
        _prop(deal, "createdate"),
    )
    fates.quarantine(
        closed.bad,
        "closedate is not a date and time",
        "property_closedate",
        _prop(deal, "closedate"),
    )
    fates.quarantine(
        (status != "open") & closed.text.isnull(),
        "won or lost without a closedate",
        "property_closedate",
    )
    fates.quarantine(
        account.isnull(),
        "no company: neither deal_company nor its contact names one",
        "deal_company",
    )
    return fates.part(
        {
            "deal_id": deal._deal,
            "account_id": account,
            "type": deal_type,
            "status": status,
            "created_at": created.text,
            # HubSpot leaves the amount of many open deals empty: still a deal, worth 0
            "amount": ibis.ifelse(amount.bad, amount.text, amount.text.fill_null("0")),
            "closed_at": ibis.ifelse(status == "open", ibis.null().cast("string"), closed.text),
            "contact_id": primary,
            "campaign_id": _prop(deal, "campaign_id"),
            "channel": channel(_prop(deal, "hs_analytics_source")),
        }
    )


def _campaigns(campaign: ir.Table) -> Part:
    fates = Fates("email_campaign", campaign, column(campaign, "id"))
    fates.skip(_deleted(campaign), "deleted in the source")
    kind_of = column(campaign, "type").upper()
    return fates.part(
        {
            "campaign_id": _hubspot_id(column(campaign, "id")),
            "name": ibis.coalesce(column(campaign, "name"), column(campaign, "id")),
            "channel": ibis.coalesce(column(campaign, "channel"), ibis.literal("email")),
            "audience": ibis.coalesce(column(campaign, "audience"), ibis.literal("prospect")),
            "automated": ibis.ifelse(kind_of == "AUTOMATED_EMAIL", "true", "false"),
        }
    )


def _email_events(event: ir.Table, contact: ir.Table | None, status: ir.Table | None) -> Part:
    kind_of = column(event, "type").upper()
    if contact is not None:
        people = contact.filter(~_deleted(contact))
        people = people.select(
            _email=_prop(people, "email").lower(), _who=_hubspot_id(column(people, "id"))
        ).filter(ibis._._email.notnull())
        people = people.group_by("_email").agg(_who=people._who.min(), _many=people._who.nunique())
        event = event.mutate(_recipient=column(event, "recipient").lower()).left_join(
            people, ibis._._recipient == people._email
        )
        who = event._who
    else:
        event = event.mutate(_many=ibis.literal(1, "int64"))
        who = text(None)
    unsubscribe_only: ir.BooleanValue = ibis.literal(True)
    if status is not None:
        states = status.select(
            _change=column(status, "id"),
            _state=column(status, "portal_subscription_status").upper(),
        )
        event = event.left_join(states, column(event, "id") == states._change)
        unsubscribe_only = event._state.isnull() | (event._state != "SUBSCRIBED")
    at = instant(column(event, "created"))
    machine = flag(column(event, "filtered_event"))
    activity = kind_of.cases(*EMAIL_TYPES.items(), else_=None)
    fates = Fates("email_event", event, column(event, "id"))
    fates.skip(_deleted(event), "deleted in the source")
    fates.skip(
        activity.isnull(),
        "delivery and processing events (DELIVERED, PROCESSED, DROPPED, …) are not activities",
    )
    fates.skip((kind_of == "STATUSCHANGE") & ~unsubscribe_only, "a resubscription")
    fates.quarantine(
        who.isnull(),
        "recipient matches no contact (by email, any case)",
        "recipient",
        column(event, "recipient"),
    )
    fates.quarantine(
        event._many > 1,
        "recipient matches several contacts (by email, any case)",
        "recipient",
        column(event, "recipient"),
    )
    fates.quarantine(
        at.bad | at.text.isnull(),
        "created is not a date and time",
        "created",
        column(event, "created"),
    )
    fates.quarantine(
        machine.bad,
        "filtered_event is not true or false",
        "filtered_event",
        column(event, "filtered_event"),
    )
    return fates.part(
        {
            "activity_id": column(event, "id"),
            "contact_id": who,
            "type": activity,
            "occurred_at": at.text,
            "campaign_id": _hubspot_id(column(event, "email_campaign_id")),
            "message_id": ibis.ifelse(
                kind_of == "SENT", column(event, "id"), column(event, "sent_by_id")
            ),
            "is_machine": machine.text,
        }
    )


def _form_submissions(forms: ir.Table) -> Part:
    at = instant(column(forms, "timestamp"))
    contact = _hubspot_id(column(forms, "contact_id"))
    identity = ibis.coalesce(
        column(forms, "conversion_id"),
        contact
        + "@"
        + column(forms, "timestamp").fill_null("")
        + "/"
        + column(forms, "form_id").fill_null(""),
    )
    fates = Fates("contact_form_submission", forms, identity)
    fates.quarantine(
        at.bad | at.text.isnull(),
        "timestamp is not a date and time",
        "timestamp",
        column(forms, "timestamp"),
    )
    fates.quarantine(contact.isnull(), "no contact_id", "contact_id")
    return fates.part(
        {
            "activity_id": "form-" + identity,
            "contact_id": contact,
            "type": ibis.literal("form_submit"),
            "occurred_at": at.text,
            "campaign_id": column(forms, "campaign_id"),
            "message_id": text(None),
            "is_machine": ibis.literal("false"),
        }
    )


def _engagements(engagement: ir.Table, links: ir.Table) -> Part:
    """Calls, meetings, notes, tasks and sales emails → one activity per contact they name.

    SPEC §2 keeps activity types it does not use; a meeting is not an `event_attended` (that is
    a marketing event), so each keeps HubSpot's name, lower-cased, prefixed `engagement_`.
    """
    facts = engagement.filter(~_deleted(engagement))
    facts = facts.select(
        _engagement=column(facts, "id"),
        _type=column(facts, "type").lower(),
        _at=first_of(facts, "timestamp", "created_at", "createdate"),
    )
    rows = links.left_join(facts, column(links, "engagement_id") == facts._engagement)
    at = instant(rows._at)
    who = _hubspot_id(column(rows, "contact_id"))
    record = column(rows, "engagement_id") + "/" + who.fill_null("")
    fates = Fates("engagement_contact", rows, record)
    fates.skip(_deleted(rows), "deleted in the source")
    fates.skip(rows._engagement.isnull(), "its engagement is deleted or not in the export")
    fates.quarantine(
        at.bad | at.text.isnull(), "the engagement has no readable timestamp", "timestamp", rows._at
    )
    return fates.part(
        {
            "activity_id": "engagement-" + record,
            "contact_id": who,
            "type": "engagement_" + rows._type.fill_null("unknown"),
            "occurred_at": at.text,
            "campaign_id": text(None),
            "message_id": text(None),
            "is_machine": ibis.literal("false"),
        }
    )


NOT_USED = {
    "deal_pipeline": "pipelines are read through their stages (deal_pipeline_stage)",
    "deal_stage": "a deal's current stage is on the deal",
    "owner": "owners are not part of the canonical tables",
    "property": "property definitions: labels are read from the export headers",
    "property_option": "option labels: values are read as HubSpot stores them",
    "form": "form definitions: submissions are read from contact_form_submission",
    "engagement": "engagements need engagement_contact to name their contacts",
}


def _activities(get: dict[str, ir.Table]) -> list[Part]:
    parts: list[Part] = []
    if "email_event" in get:
        status = get.get("email_event_status_change")
        parts.append(_email_events(get["email_event"], get.get("contact"), status))
    if "contact_form_submission" in get:
        parts.append(_form_submissions(get["contact_form_submission"]))
    if "engagement_contact" in get:
        engagement = get.get("engagement")
        if engagement is None:  # links alone: every row says its engagement is missing
            engagement = get["engagement_contact"].select(id=text(None), type=text(None)).limit(0)
        parts.append(_engagements(engagement, get["engagement_contact"]))
    return parts


def _stage_history(get: dict[str, ir.Table]) -> dict[str, list[Part]]:
    parts: dict[str, list[Part]] = {}
    history = get.get("contact_property_history")
    has_stage_history = False
    if history is not None:
        stage_rows = history.filter(column(history, "name").lower() == "lifecyclestage")
        has_stage_history = int(stage_rows.count().execute()) > 0
        parts = _history_parts(history)
    if "contact" in get and not has_stage_history:
        parts.setdefault("stage_changes", []).extend(_became_dates(get["contact"]))
    return parts


READ_ELSEWHERE = {
    "deal_pipeline_stage": "read with the deals (which stages are won or lost)",
    "deal_company": "read with the deals (a deal's account)",
    "deal_contact": "read with the deals (a deal's primary contact)",
    "email_event_status_change": "read with email_event (unsubscribe or resubscribe)",
}
USED = {
    "company",
    "contact",
    "contact_property_history",
    "email_campaign",
    "email_event",
    "contact_form_submission",
    "deal",
    "engagement_contact",
}


def _why_unused(name: str, tables: dict[str, VendorTable]) -> str:
    if name in READ_ELSEWHERE:
        return READ_ELSEWHERE[name]
    if name.startswith("email_event_"):
        return "event details; the events are read from email_event"
    if name == "engagement":
        if "engagement_contact" in tables:
            return "read through engagement_contact (one activity per contact)"
        return NOT_USED["engagement"]
    if name.startswith("engagement_"):
        return "engagement details; the engagements are read from engagement"
    return NOT_USED.get(name, "not a table the import reads")


def translate(tables: dict[str, VendorTable], ledger: Ledger) -> dict[str, list[Part]]:
    """Canonical parts of a HubSpot export."""
    get = {name: given.table for name, given in tables.items()}
    parts: dict[str, list[Part]] = {}
    if "company" in get:
        parts["accounts"] = [_accounts(get["company"])]
    if "contact" in get:
        parts["contacts"] = [_contacts(get["contact"])]
    parts.update(_stage_history(get))
    if "email_campaign" in get:
        parts["campaigns"] = [_campaigns(get["email_campaign"])]
    activities = _activities(get)
    if activities:
        parts["activities"] = activities
    if "deal" in get:
        stages, companies = get.get("deal_pipeline_stage"), get.get("deal_company")
        parts["deals"] = [
            _deals(get["deal"], stages, companies, get.get("deal_contact"), get.get("contact"))
        ]
    for name, given in tables.items():
        if name not in USED:
            ledger.skip_table(name, int(given.table.count().execute()), _why_unused(name, tables))
    return parts
