"""Canonical datasets rewritten in vendor layouts, as a connector or an export writes them.

An independent route for the round-trip tests: plain pandas over the canonical CSV files, with
SPEC §7's conventions read the other way. Facts a vendor has no standard place for stay
beside the export as canonical files (costs.csv, …), as a user would add them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

STAGE_VALUE = {
    "lead": "lead",
    "mql": "marketingqualifiedlead",
    "sql": "salesqualifiedlead",
    "opportunity": "opportunity",
    "customer": "customer",
}
LEAD_STATUS = {"recycled": "BAD_TIMING", "disqualified": "UNQUALIFIED"}
DEAL_TYPE = {
    "new_business": "newbusiness",
    "upsell": "existingbusiness",
    "cross_sell": "cross_sell",
    "renewal": "renewal",
}
EMAIL_TYPE = {
    "email_sent": "SENT",
    "email_bounce": "BOUNCE",
    "email_open": "OPEN",
    "email_click": "CLICK",
    "email_unsubscribe": "STATUSCHANGE",
}
SYNCED = "2026-11-30 3:15:52"  # a one-digit hour, as the connector's seeds print it


NOT_IN_A_CRM = (
    "costs",
    "subscriptions",
    "nps_responses",
    "web_sessions",
    "product_usage",
    "features",
)


def copy_beside(canonical: Path, out: Path, names: tuple[str, ...]) -> Path:
    """Copy the canonical files a vendor has no place for beside its export, as a user would."""
    for name in names:
        if (canonical / f"{name}.csv").exists():
            shutil.copy(canonical / f"{name}.csv", out / f"{name}.csv")
    return out


def _read(folder: Path, name: str) -> pd.DataFrame | None:
    path = folder / f"{name}.csv"
    if not path.exists():
        return None
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _upper(value: str) -> str:
    return value.upper() if value else ""


def to_hubspot(canonical: Path, out: Path) -> Path:
    """Write a canonical CSV dataset as HubSpot's connector tables (plus canonical extras)."""
    out.mkdir(parents=True, exist_ok=True)
    contacts = _read(canonical, "contacts")
    accounts = _read(canonical, "accounts")
    stages = _read(canonical, "stage_changes")
    scores = _read(canonical, "lead_scores")
    activities = _read(canonical, "activities")
    campaigns = _read(canonical, "campaigns")
    deals = _read(canonical, "deals")
    assert contacts is not None and accounts is not None
    pd.DataFrame(
        {
            "_fivetran_deleted": "FALSE",
            "_fivetran_synced": SYNCED,
            "id": contacts.contact_id,
            "property_email": contacts.email,
            "property_createdate": contacts.created_at,
            "property_associatedcompanyid": contacts.account_id,
            "property_hs_analytics_source": contacts.channel.map(_upper),
            "property_hs_analytics_source_data_1": contacts.source,
            "property_campaign_id": contacts.campaign_id,
            "property_is_internal": contacts.is_internal,
        }
    ).to_csv(out / "contact.csv", index=False)
    pd.DataFrame(
        {
            "id": accounts.account_id,
            "is_deleted": "false",
            "_fivetran_synced": SYNCED,
            "property_name": accounts.name,
            "property_segment": accounts.segment,
            "property_industry": accounts.industry,
            "property_createdate": accounts.created_at,
        }
    ).to_csv(out / "company.csv", index=False)
    history = []
    if stages is not None:
        funnel = stages[stages.stage.isin(STAGE_VALUE)]
        history.append(
            pd.DataFrame(
                {
                    "contact_id": funnel.contact_id,
                    "timestamp": funnel.changed_at,
                    "name": "lifecyclestage",
                    "value": funnel.stage.map(STAGE_VALUE),
                    "source": "CRM_UI",
                }
            )
        )
        status = stages[stages.stage.isin(LEAD_STATUS)]
        history.append(
            pd.DataFrame(
                {
                    "contact_id": status.contact_id,
                    "timestamp": status.changed_at,
                    "name": "hs_lead_status",
                    "value": status.stage.map(LEAD_STATUS),
                    "source": "CRM_UI",
                }
            )
        )
    if scores is not None:
        history.append(
            pd.DataFrame(
                {
                    "contact_id": scores.contact_id,
                    "timestamp": scores.scored_at,
                    "name": "hubspotscore",
                    "value": scores.score,
                    "source": "CALCULATED",
                }
            )
        )
    if history:
        pd.concat(history).to_csv(out / "contact_property_history.csv", index=False)
    kept_activities = activities
    if activities is not None:
        emails = activities[activities.type.isin(EMAIL_TYPE)].copy()
        sends = emails[emails.type == "email_sent"]
        send_of = dict(zip(sends.message_id, sends.activity_id, strict=True))
        email_of = dict(zip(contacts.contact_id, contacts.email, strict=True))
        sent_by = emails.message_id.map(lambda message: send_of.get(message, message))
        pd.DataFrame(
            {
                "id": emails.activity_id,
                "_fivetran_synced": SYNCED,
                "created": emails.occurred_at,
                "email_campaign_id": emails.campaign_id,
                "type": emails.type.map(EMAIL_TYPE),
                "filtered_event": emails.is_machine,
                "recipient": emails.contact_id.map(email_of).str.upper(),
                "sent_by_id": sent_by.where(emails.type != "email_sent", ""),
            }
        ).to_csv(out / "email_event.csv", index=False)
        forms = activities[activities.type == "form_submit"]
        pd.DataFrame(
            {
                "timestamp": forms.occurred_at,
                "form_id": "f1",
                "contact_id": forms.contact_id,
                "conversion_id": forms.activity_id.str.removeprefix("form-"),
                "campaign_id": forms.campaign_id,
            }
        ).to_csv(out / "contact_form_submission.csv", index=False)
        kept_activities = activities[~activities.type.isin([*EMAIL_TYPE, "form_submit"])]
    if campaigns is not None:
        pd.DataFrame(
            {
                "id": campaigns.campaign_id,
                "_fivetran_synced": SYNCED,
                "name": campaigns.name,
                "type": campaigns.automated.map(
                    lambda value: "AUTOMATED_EMAIL" if value == "true" else "BATCH_EMAIL"
                ),
            }
        ).to_csv(out / "email_campaign.csv", index=False)
    if deals is not None:
        stage_of = {"won": "closedwon", "lost": "closedlost", "open": "appointmentscheduled"}
        pd.DataFrame(
            {
                "deal_id": deals.deal_id,
                "is_deleted": "false",
                "_fivetran_synced": SYNCED,
                "deal_pipeline_id": "default",
                "deal_pipeline_stage_id": deals.status.map(stage_of),
                "property_amount": deals.amount,
                "property_createdate": deals.created_at,
                "property_closedate": deals.closed_at,
                "property_dealtype": deals.type.map(DEAL_TYPE),
                "property_hs_analytics_source": deals.channel.map(_upper),
                "property_campaign_id": deals.campaign_id,
                **({"property_product": deals["product"]} if "product" in deals else {}),
            }
        ).to_csv(out / "deal.csv", index=False)
        pd.DataFrame(
            {
                "_fivetran_deleted": "FALSE",
                "_fivetran_synced": SYNCED,
                "active": "TRUE",
                "closed_won": ["TRUE", "FALSE", "FALSE"],
                "is_closed": ["TRUE", "TRUE", "FALSE"],
                "stage_id": ["closedwon", "closedlost", "appointmentscheduled"],
                "label": ["Closed won", "Closed lost", "Appointment scheduled"],
                "pipeline_id": "default",
            }
        ).to_csv(out / "deal_pipeline_stage.csv", index=False)
        pd.DataFrame({"company_id": deals.account_id, "deal_id": deals.deal_id}).to_csv(
            out / "deal_company.csv", index=False
        )
        linked = deals[deals.contact_id != ""]
        pd.DataFrame({"contact_id": linked.contact_id, "deal_id": linked.deal_id}).to_csv(
            out / "deal_contact.csv", index=False
        )
    # what HubSpot holds nowhere: as canonical tables beside the export
    if kept_activities is not None and len(kept_activities):
        kept_activities.to_csv(out / "activities.csv", index=False)
    if campaigns is not None:
        campaigns.to_csv(out / "campaigns.csv", index=False)
    return copy_beside(canonical, out, NOT_IN_A_CRM)


BECAME = {
    "lead": "Became a Lead Date",
    "mql": "Became a Marketing Qualified Lead Date",
    "sql": "Became a Sales Qualified Lead Date",
    "opportunity": "Became an Opportunity Date",
    "customer": "Became a Customer Date",
}
SOURCE_LABEL = {"offline": "Offline Sources"}


def _label(channel: str) -> str:
    """An Original Source option label: `paid_search` → "Paid Search"."""
    if not channel:
        return ""
    return SOURCE_LABEL.get(channel, channel.replace("_", " ").title())


def _minutes(stamp: str) -> str:
    """A canonical timestamp as HubSpot's export prints it: `YYYY-MM-DD HH:MM` (UTC)."""
    if not stamp:
        return ""
    moment = pd.Timestamp(stamp)
    if moment.tzinfo is not None:
        moment = moment.tz_convert("UTC").tz_localize(None)
    return moment.strftime("%Y-%m-%d %H:%M")


def to_hubspot_exports(canonical: Path, out: Path) -> Path:
    """Write contacts, companies and deals as HubSpot's own CSV exports (label headers).

    Times are cut to the minute, as the exports print them; stage history is the first entry
    into each stage ("Became a … Date"). Everything else stays beside as canonical files.
    """
    out.mkdir(parents=True, exist_ok=True)
    contacts = _read(canonical, "contacts")
    accounts = _read(canonical, "accounts")
    stages = _read(canonical, "stage_changes")
    deals = _read(canonical, "deals")
    assert contacts is not None and accounts is not None and stages is not None
    exported = pd.DataFrame(
        {
            "Record ID": contacts.contact_id,
            "First Name": "Ann",
            "Email": contacts.email,
            "Create Date": contacts.created_at.map(_minutes),
            "Original Source": contacts.channel.map(_label),
            "Original Source Drill-Down 1": contacts.source,
            "Associated Company ID": contacts.account_id,
            "Is Internal": contacts.is_internal.map({"true": "Yes", "false": "No", "": ""}),
            "Campaign ID": contacts.campaign_id,
        }
    )
    for stage, label in BECAME.items():
        first = stages[stages.stage == stage].groupby("contact_id").changed_at.min()
        exported[label] = contacts.contact_id.map(first).fillna("").map(_minutes)
    exported.to_csv(out / "hubspot-crm-exports-all-contacts-2026-11-30.csv", index=False)
    pd.DataFrame(
        {
            "Record ID": accounts.account_id,
            "Company name": accounts.name,
            "Segment": accounts.segment,
            "Industry": accounts.industry,
            "Create Date": accounts.created_at.map(_minutes),
        }
    ).to_csv(out / "hubspot-crm-exports-all-companies-2026-11-30.csv", index=False)
    if deals is not None:
        stage_label = {"won": "Closed Won", "lost": "Closed Lost", "open": "Qualified To Buy"}
        type_label = {
            "new_business": "New Business",
            "upsell": "Existing Business",
            "cross_sell": "cross_sell",
            "renewal": "renewal",
        }
        pd.DataFrame(
            {
                "Record ID": deals.deal_id,
                "Deal Name": "Deal " + deals.deal_id,
                "Deal Stage": deals.status.map(stage_label),
                "Pipeline": "Sales Pipeline",
                "Amount": deals.amount,
                "Create Date": deals.created_at.map(_minutes),
                "Close Date": deals.closed_at.map(_minutes),
                "Deal Type": deals.type.map(type_label),
                "Original Source Type": deals.channel.map(_label),
                "Associated Company IDs (Primary)": deals.account_id,
                "Associated Contact IDs": deals.contact_id,
                "Campaign ID": deals.campaign_id,
            }
        ).to_csv(out / "hubspot-crm-exports-all-deals-2026-11-30.csv", index=False)
    return copy_beside(canonical, out, ("activities", "campaigns", "lead_scores", *NOT_IN_A_CRM))
