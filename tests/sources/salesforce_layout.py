"""Canonical datasets rewritten as Salesforce holds them: the connector's tables, or Data Loader's.

An independent route for the round-trip tests: plain pandas over the canonical CSV files, with
SPEC §7's Salesforce conventions read the other way. Table and column names are the
connector's (as in the shared fivetran-crm-connector-fixtures/salesforce); campaign,
campaign_member and opportunity_contact_role, which the fixtures lack, as the connector lands
them (id, campaign_id, lead_id, contact_id, status, has_responded, first_responded_date, …;
id, opportunity_id, contact_id, role, is_primary, …).

How a canonical person becomes Salesforce records:
- a contact that reached sql, opportunity or customer, or is a deal's contact, is a lead
  converted into a contact: the lead (id `00Q` + contact_id) holds the lead and mql dates,
  the contact (id = contact_id) the opportunity and customer dates, both the sql date (as a
  conversion's field mapping copies it); the contact is created at the conversion;
- every other contact is an unconverted lead whose id is the contact_id.
What Salesforce has no place for stays beside the export as canonical files, as a user would
add them: stage changes beyond the first entry into each funnel stage (recycled, disqualified,
a second mql, …), activities other than campaign responses, lead scores, costs,
subscriptions, NPS responses, web sessions, product usage and features.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd

FUNNEL = ("lead", "mql", "sql", "opportunity", "customer")
CONVERTED_FROM = ("sql", "opportunity", "customer")  # a lead is converted when it reaches sql
LEAD_DATES = ("lead", "mql", "sql")  # on the lead; the contact holds sql, opportunity, customer
CONTACT_DATES = ("sql", "opportunity", "customer")
DEAL_TYPE = {
    "new_business": "New Business",
    "upsell": "Upsell",
    "cross_sell": "Cross-sell",
    "renewal": "Renewal",
}
STAGE_NAME = {"won": "Closed Won", "lost": "Closed Lost", "open": "Prospecting"}
MEMBER_STATUS = {"event_attended": "Attended", "form_submit": "Responded"}
SYNCED = "2026-11-30 3:15:52"  # a one-digit hour, as the connector's seeds print it
BESIDE = (
    "lead_scores",
    "costs",
    "subscriptions",
    "nps_responses",
    "web_sessions",
    "product_usage",
    "features",
)
# API names of the connector's columns, for Data Loader exports
API_NAMES = {
    "id": "Id",
    "is_deleted": "IsDeleted",
    "created_date": "CreatedDate",
    "lead_source": "LeadSource",
    "is_converted": "IsConverted",
    "converted_contact_id": "ConvertedContactId",
    "converted_account_id": "ConvertedAccountId",
    "converted_date": "ConvertedDate",
    "account_id": "AccountId",
    "email": "Email",
    "last_name": "LastName",
    "company": "Company",
    "status": "Status",
    "name": "Name",
    "industry": "Industry",
    "amount": "Amount",
    "type": "Type",
    "stage_name": "StageName",
    "is_won": "IsWon",
    "is_closed": "IsClosed",
    "close_date": "CloseDate",
    "campaign_id": "CampaignId",
    "opportunity_id": "OpportunityId",
    "contact_id": "ContactId",
    "lead_id": "LeadId",
    "role": "Role",
    "is_primary": "IsPrimary",
    "has_responded": "HasResponded",
    "first_responded_date": "FirstRespondedDate",
    "start_date": "StartDate",
    "end_date": "EndDate",
    "is_active": "IsActive",
    "system_modstamp": "SystemModstamp",
}
# Data Loader's file names (the object's API name), one left as Data Loader's default name
DATA_LOADER_FILES = {
    "lead": "Lead.csv",
    "contact": "Contact.csv",
    "account": "Account.csv",
    "opportunity": "Opportunity.csv",
    "opportunity_contact_role": "OpportunityContactRole.csv",
    "campaign": "Campaign.csv",
    "campaign_member": "extract.csv",  # recognised by its columns
}


def _read(folder: Path, name: str) -> pd.DataFrame | None:
    path = folder / f"{name}.csv"
    if not path.exists():
        return None
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def label(member: str) -> str:
    """A SPEC member as a picklist label: `paid_search` → "Paid Search"."""
    return " ".join(word.capitalize() for word in member.split("_")) if member else ""


def _connector_time(value: str) -> str:
    """A canonical instant as the connector prints a UTC timestamp: `… UTC`."""
    return re.sub(r"Z$", " UTC", value) if value else ""


def _day(value: str) -> str:
    """The date of an instant (Salesforce's Date fields hold no time)."""
    return value[:10] if value else ""


def _first_entries(stages: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The first entry of each contact into each funnel stage, and every other stage change."""
    ordered = stages.sort_values(["contact_id", "changed_at"], kind="stable")
    funnel = ordered[ordered.stage.isin(FUNNEL)]
    first = funnel.drop_duplicates(["contact_id", "stage"], keep="first")
    rest = ordered.drop(first.index)
    wide = first.pivot(index="contact_id", columns="stage", values="changed_at")
    return wide.reindex(columns=list(FUNNEL)).fillna(""), rest


def _people(
    contacts: pd.DataFrame, stages: pd.DataFrame | None, deals: pd.DataFrame | None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Leads and contacts of the canonical contacts, and the stage changes Salesforce lacks."""
    if stages is not None:
        firsts, rest = _first_entries(stages)
    else:
        firsts, rest = pd.DataFrame(columns=list(FUNNEL)), pd.DataFrame()
    people = contacts.set_index("contact_id").join(firsts).fillna("").reset_index()
    reached_sql = people[list(CONVERTED_FROM)].apply(
        lambda row: min((value for value in row if value), default=""), axis=1
    )
    deal_contacts = set(deals.contact_id) if deals is not None else set()
    converted = (reached_sql != "") | people.contact_id.isin(deal_contacts)
    common = {
        "email": people.email,
        "lead_source": people.channel.map(label),
        "lead_source_detail_c": people.source,
        "campaign_c": people.campaign_id,
        "is_internal_c": people.is_internal,
        "is_deleted": "false",
        "_fivetran_synced": SYNCED,
    }
    lead = pd.DataFrame(
        {
            "id": ("00Q" + people.contact_id).where(converted, people.contact_id),
            "created_date": people.created_at.map(_connector_time),
            "last_name": "Person " + people.contact_id,
            "company": people.account_id,
            "status": ["Closed - Converted" if c else "Open - Not Contacted" for c in converted],
            "is_converted": converted.map({True: "true", False: "false"}),
            "converted_contact_id": people.contact_id.where(converted, ""),
            "converted_account_id": people.account_id.where(converted, ""),
            "converted_date": reached_sql.map(_day).where(converted, ""),
            "account_c": people.account_id.where(~converted, ""),
            **{f"{stage}_date_c": people[stage].map(_connector_time) for stage in LEAD_DATES},
            **common,
        }
    )
    chosen = people[converted]
    # the contact is created at the conversion, which is never before the lead
    conversion = reached_sql[converted].where(reached_sql[converted] != "", chosen.created_at)
    conversion = conversion.where(conversion >= chosen.created_at, chosen.created_at)
    contact = pd.DataFrame(
        {
            "id": chosen.contact_id,
            "created_date": conversion.map(_connector_time),
            "account_id": chosen.account_id,
            "last_name": "Person " + chosen.contact_id,
            **{f"{stage}_date_c": chosen[stage].map(_connector_time) for stage in CONTACT_DATES},
            **{
                name: value[converted] if isinstance(value, pd.Series) else value
                for name, value in common.items()
            },
        }
    )
    return lead, contact, rest


def _deals(deals: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    closed = deals.status != "open"
    opportunity = pd.DataFrame(
        {
            "id": deals.deal_id,
            "_fivetran_synced": SYNCED,
            "_fivetran_active": "true",
            "account_id": deals.account_id,
            "name": "Deal " + deals.deal_id,
            "amount": deals.amount,
            "type": deals.type.map(DEAL_TYPE),
            "stage_name": deals.status.map(STAGE_NAME),
            "is_won": (deals.status == "won").map({True: "true", False: "false"}),
            "is_closed": closed.map({True: "true", False: "false"}),
            "created_date": deals.created_at.map(_connector_time),
            # an open opportunity's close date is the expected one; Salesforce requires it
            "close_date": deals.closed_at.where(closed, deals.created_at).map(_day),
            "close_date_time_c": deals.closed_at.where(closed, "").map(_connector_time),
            "lead_source": deals.channel.map(label),
            "campaign_id": deals.campaign_id,
            "is_deleted": "false",
        }
    )
    linked = deals[deals.contact_id != ""]
    roles = pd.DataFrame(
        {
            "id": "00K" + linked.deal_id,
            "_fivetran_synced": SYNCED,
            "opportunity_id": linked.deal_id,
            "contact_id": linked.contact_id,
            "role": "Decision Maker",
            "is_primary": "true",
            "created_date": linked.created_at.map(_connector_time),
            "is_deleted": "false",
        }
    )
    return opportunity, roles


def _campaigns(campaigns: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": campaigns.campaign_id,
            "_fivetran_synced": SYNCED,
            "name": campaigns.name,
            "type": campaigns.channel.map(label),
            "status": "In Progress",
            "is_active": "true",
            "start_date": campaigns.started_at.map(_day),
            "end_date": campaigns.ended_at.map(_day),
            "channel_c": campaigns.channel.map(label),
            "audience_c": campaigns.audience.map(label),
            "is_automated_c": campaigns.automated,
            "is_deleted": "false",
        }
    )


def _members(activities: pd.DataFrame, lead: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Campaign responses as members (one per campaign and person); the rest stays canonical."""
    responses = activities[
        activities.type.isin(MEMBER_STATUS)
        & (activities.campaign_id != "")
        & (activities.message_id == "")
        & (activities.is_machine != "true")
    ]
    responses = responses.sort_values("occurred_at", kind="stable").drop_duplicates(
        ["campaign_id", "contact_id"], keep="first"
    )
    person = lead.converted_contact_id.where(lead.converted_contact_id != "", lead.id)
    lead_of = dict(zip(person, lead.id, strict=True))
    converted = set(lead.converted_contact_id) - {""}
    members = pd.DataFrame(
        {
            "id": responses.activity_id,
            "_fivetran_synced": SYNCED,
            "campaign_id": responses.campaign_id,
            "lead_id": responses.contact_id.map(lead_of),
            "contact_id": responses.contact_id.where(responses.contact_id.isin(converted), ""),
            "status": responses.type.map(MEMBER_STATUS),
            "has_responded": "true",
            "first_responded_date": responses.occurred_at.map(_day),
            "created_date": responses.occurred_at.map(_connector_time),
            "is_deleted": "false",
        }
    )
    return members, activities.drop(responses.index)


def to_salesforce(canonical: Path, out: Path) -> Path:
    """Write a canonical CSV dataset as the Salesforce connector's tables (plus canonical extras)."""
    out.mkdir(parents=True, exist_ok=True)
    contacts = _read(canonical, "contacts")
    accounts = _read(canonical, "accounts")
    assert contacts is not None and accounts is not None
    stages, deals = _read(canonical, "stage_changes"), _read(canonical, "deals")
    lead, contact, rest = _people(contacts, stages, deals)
    lead.to_csv(out / "lead.csv", index=False)
    contact.to_csv(out / "contact.csv", index=False)
    if len(rest):
        rest.to_csv(out / "stage_changes.csv", index=False)
    pd.DataFrame(
        {
            "id": accounts.account_id,
            "_fivetran_synced": SYNCED,
            "name": accounts.name,
            "industry": accounts.industry,
            "segment_c": accounts.segment,
            "created_date": accounts.created_at.map(_connector_time),
            "is_deleted": "false",
        }
    ).to_csv(out / "account.csv", index=False)
    if deals is not None:
        opportunity, roles = _deals(deals)
        opportunity.to_csv(out / "opportunity.csv", index=False)
        roles.to_csv(out / "opportunity_contact_role.csv", index=False)
    campaigns = _read(canonical, "campaigns")
    if campaigns is not None:
        _campaigns(campaigns).to_csv(out / "campaign.csv", index=False)
    activities = _read(canonical, "activities")
    if activities is not None:
        members, rest_activities = _members(activities, lead)
        members.to_csv(out / "campaign_member.csv", index=False)
        if len(rest_activities):
            rest_activities.to_csv(out / "activities.csv", index=False)
    for name in BESIDE:
        if (canonical / f"{name}.csv").exists():
            shutil.copy(canonical / f"{name}.csv", out / f"{name}.csv")
    return out


def _api(name: str) -> str:
    """A connector column as its API name: `lead_date_c` → Lead_Date__c, `is_won` → IsWon."""
    if name in API_NAMES:
        return API_NAMES[name]
    if name.endswith("_c"):
        words = name.removesuffix("_c").split("_")
        spelled = (word.upper() if word in ("mql", "sql") else word.capitalize() for word in words)
        return "_".join(spelled) + "__c"
    return "".join(word.capitalize() for word in name.split("_"))


def _api_time(value: str) -> str:
    """A connector timestamp as Data Loader writes one: `2024-06-30T14:05:00.000Z`."""
    if not value:
        return ""
    match = re.match(r"^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)? UTC$", value)
    if not match:
        return value  # a date alone, as Date fields are exported
    fraction = (match.group(3) or ".000")[:4].ljust(4, "0")
    return f"{match.group(1)}T{match.group(2)}{fraction}Z"


def to_data_loader(connector: Path, out: Path) -> Path:
    """Rewrite a connector-layout folder as Data Loader exports: API names, Salesforce's times.

    The connector's own columns (`_fivetran_*`) go; canonical files beside are copied.
    """
    out.mkdir(parents=True, exist_ok=True)
    for path in sorted(connector.glob("*.csv")):
        if path.stem not in DATA_LOADER_FILES:
            shutil.copy(path, out / path.name)
            continue
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        table = table[[name for name in table.columns if not name.startswith("_fivetran")]]
        for name in table.columns:
            table[name] = table[name].map(_api_time)
        table.columns = [_api(name) for name in table.columns]
        table.to_csv(out / DATA_LOADER_FILES[path.stem], index=False)
    return out
