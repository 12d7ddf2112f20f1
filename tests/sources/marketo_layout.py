"""A canonical dataset rewritten as Marketo's warehouse connector lands it (plain pandas).

The independent route of the Marketo round trip: the conventions of docs/sources/marketo.md
read the other way. Programs are the campaigns, each with one smart campaign that sends its
emails; one send is one (campaign run, email, lead); the lifecycle stage and the lead score are
lead fields whose history is `activity_change_data_value`. What Marketo holds nowhere (deals,
costs, subscriptions, web sessions, …, and activities other than emails and form fills) stays
beside the export as canonical files.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

SYNCED = "2026-11-30 03:15:52.114"
# SPEC's stages as the Revenue Cycle Model names them
STAGE_LABEL = {
    "lead": "Lead",
    "mql": "MQL",
    "sql": "SQL",
    "opportunity": "Opportunity",
    "customer": "Customer",
    "recycled": "Recycled",
    "disqualified": "Disqualified",
}
STAGE_FIELD = ("Lifecycle Stage", "2001")  # display name, field id
SCORE_FIELD = ("Lead Score", "2002")
EMAIL_TABLES = {
    "email_sent": ("activity_send_email", "6"),
    "email_bounce": ("activity_email_bounced", "8"),
    "email_unsubscribe": ("activity_unsubscribe_email", "9"),
    "email_open": ("activity_open_email", "10"),
    "email_click": ("activity_click_email", "11"),
}
BESIDE = ("costs", "deals", "subscriptions", "nps_responses", "web_sessions", "product_usage")


def _read(folder: Path, name: str) -> pd.DataFrame | None:
    path = folder / f"{name}.csv"
    if not path.exists():
        return None
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _connector_time(values: pd.Series) -> pd.Series:
    """Instants as the connector prints them: UTC without an offset, to the millisecond."""

    def one(value: str) -> str:
        if not value:
            return ""
        stamp = pd.Timestamp(value)
        if stamp.tzinfo is not None:
            stamp = stamp.tz_convert("UTC").tz_localize(None)
        if stamp.microsecond % 1000:
            return stamp.strftime("%Y-%m-%d %H:%M:%S.%f")
        return stamp.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]

    return values.map(one)


def _label(channel: str) -> str:
    """A channel as a Marketo picklist shows it: paid_search → Paid Search."""
    return " ".join(word.capitalize() for word in channel.split("_")) if channel else ""


def _leads(contacts: pd.DataFrame, accounts: pd.DataFrame | None) -> pd.DataFrame:
    created = _connector_time(contacts.created_at)
    leads = pd.DataFrame(
        {
            "id": contacts.contact_id,
            "_fivetran_synced": SYNCED,
            "created_at": created,
            "updated_at": created,
            "email": contacts.email,
            "first_name": "",
            "last_name": "",
            "lead_source": contacts.channel.map(_label),
            "lead_source_detail": contacts.source,
            "original_source_type": "Web form fill-out",
            "acquisition_program_id": contacts.campaign_id,
            "account_id": contacts.account_id,
            "is_internal": contacts.is_internal.map(lambda v: "true" if v == "true" else "false"),
        }
    )
    if accounts is not None:
        company = accounts.set_index("account_id")
        leads["company"] = contacts.account_id.map(company["name"]).fillna("")
        leads["industry"] = contacts.account_id.map(company["industry"]).fillna("")
        leads["segment"] = contacts.account_id.map(company["segment"]).fillna("")
    return leads


def _programs(campaigns: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Programs, their Audience tags, and one smart campaign per program."""
    automated = campaigns.automated == "true"
    programs = pd.DataFrame(
        {
            "id": campaigns.campaign_id,
            "_fivetran_synced": SYNCED,
            "_fivetran_deleted": "FALSE",
            "name": campaigns.name,
            "channel": campaigns.channel.map(_label),
            "type": automated.map({True: "Engagement", False: "Default"}),
            "status": automated.map({True: "on", False: ""}),
            "start_date": _connector_time(campaigns.started_at),
            "end_date": _connector_time(campaigns.ended_at),
            "created_at": _connector_time(campaigns.started_at),
            "updated_at": _connector_time(campaigns.started_at),
            "workspace": "Default",
        }
    )
    tags = pd.DataFrame(
        {
            "program_id": campaigns.campaign_id,
            "tag_type": "Audience",
            "tag_value": campaigns.audience.str.capitalize(),
        }
    )
    smart_ids = [str(1001 + index) for index in range(len(campaigns))]
    smart = pd.DataFrame(
        {
            "id": smart_ids,
            "_fivetran_synced": SYNCED,
            "_fivetran_deleted": "FALSE",
            "name": (campaigns.name + " - send").values,
            "program_id": campaigns.campaign_id.values,
            "type": automated.map({True: "trigger", False: "batch"}).values,
            "active": automated.map({True: "TRUE", False: "FALSE"}).values,
            "workspace_name": "Default",
        }
    )
    return programs, tags, smart


def _sends(emails: pd.DataFrame, template_of: dict[str, str]) -> dict[str, tuple[str, str]]:
    """Each message's (campaign run, email template): the k-th send of a campaign to a lead is
    its k-th run, so leads share runs and one (run, email, lead) is one send."""
    sends = emails[emails.type == "email_sent"].sort_values(["occurred_at", "activity_id"])
    ordinal = sends.groupby(["campaign_id", "contact_id"]).cumcount()
    runs: dict[tuple[str, int], str] = {}
    keys: dict[str, tuple[str, str]] = {}
    for message, campaign, k in zip(sends.message_id, sends.campaign_id, ordinal, strict=True):
        run = runs.setdefault((campaign, int(k)), str(501 + len(runs)))
        keys[message] = (run, template_of.get(campaign, ""))
    # a message without its send (none in the demo) gets a run of its own
    for message, campaign in zip(emails.message_id, emails.campaign_id, strict=True):
        if message and message not in keys:
            keys[message] = (str(90001 + len(keys)), template_of.get(campaign, ""))
    return keys


def _emails(
    emails: pd.DataFrame, smart_of: dict[str, str], template_of: dict[str, str]
) -> dict[str, pd.DataFrame]:
    keys = _sends(emails, template_of)
    run = emails.message_id.map(lambda m: keys.get(m, ("", ""))[0])
    template = emails.message_id.map(lambda m: keys.get(m, ("", ""))[1])
    common = pd.DataFrame(
        {
            "id": emails.activity_id,
            "_fivetran_synced": SYNCED,
            "activity_date": _connector_time(emails.occurred_at),
            "campaign_id": emails.campaign_id.map(lambda c: smart_of.get(c, "")),
            "campaign_run_id": run,
            "choice_number": "0",
            "email_template_id": template,
            "lead_id": emails.contact_id,
            "primary_attribute_value": template.map(lambda t: f"Email {t}" if t else ""),
            "primary_attribute_value_id": template,
            "step_id": "1",
            "type": emails.type,
            "is_machine": emails.is_machine,
        }
    )
    tables: dict[str, pd.DataFrame] = {}
    for kind, (table, type_id) in EMAIL_TABLES.items():
        rows = common[common.type == kind].drop(columns=["type", "is_machine"]).copy()
        machine = common.is_machine[common.type == kind] == "true"
        rows.insert(3, "activity_type_id", type_id)
        if kind == "email_sent":
            rows["action_result"] = "succeeded"
        elif kind == "email_bounce":
            rows["category"] = "1"
            rows["subcategory"] = "1001"
            rows["details"] = "550 5.1.1 The email account does not exist"
            rows["email"] = ""
        elif kind in ("email_open", "email_click"):
            rows["device"] = "unknown"
            rows["is_mobile_device"] = "FALSE"
            rows["platform"] = "unknown"
            rows["user_agent"] = "Mozilla/5.0"
            rows["is_bot_activity"] = machine.map({True: "true", False: "false"})
            pattern = {"email_open": "Match with Proxy Pattern"}.get(
                kind, "Match with Invisible Link"
            )
            rows["bot_activity_pattern"] = machine.map({True: pattern, False: "N/A"})
            if kind == "email_click":
                rows["link"] = "https://example.com/?utm_medium=email"
        else:
            rows["client_ip_address"] = "203.0.113.7"
            rows["webform_id"] = "1"
            rows["webpage_id"] = "1"
        tables[table] = rows
    # Marketo also confirms each delivery; SPEC's delivered is sends minus bounces
    bounced = set(emails.message_id[emails.type == "email_bounce"])
    sent = tables["activity_send_email"]
    message_of = dict(zip(emails.activity_id, emails.message_id, strict=True))
    delivered = sent[~sent.id.map(message_of).isin(bounced)]
    tables["activity_email_delivered"] = delivered.drop(columns=["action_result"]).assign(
        id=delivered.id + "-delivered", activity_type_id="7"
    )
    return tables


def _forms(forms: pd.DataFrame, smart_of: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": forms.activity_id,
            "_fivetran_synced": SYNCED,
            "activity_date": _connector_time(forms.occurred_at),
            "activity_type_id": "2",
            "campaign_id": forms.campaign_id.map(lambda c: smart_of.get(c, "")),
            "lead_id": forms.contact_id,
            "primary_attribute_value": "Contact Us",
            "primary_attribute_value_id": "3001",
            "webpage_id": "4001",
            "client_ip_address": "203.0.113.7",
            "form_fields": "{}",
            "query_parameters": "",
            "referrer_url": "",
            "user_agent": "Mozilla/5.0",
        }
    )


def _field_changes(stages: pd.DataFrame | None, scores: pd.DataFrame | None) -> pd.DataFrame | None:
    """Stage and score history as Change Data Value rows, each with the value it replaced."""
    frames = []
    if stages is not None:
        frames.append(
            pd.DataFrame(
                {
                    "lead_id": stages.contact_id,
                    "at": stages.changed_at,
                    "field": STAGE_FIELD[0],
                    "field_id": STAGE_FIELD[1],
                    "new_value": stages.stage.map(STAGE_LABEL),
                }
            )
        )
    if scores is not None:
        frames.append(
            pd.DataFrame(
                {
                    "lead_id": scores.contact_id,
                    "at": scores.scored_at,
                    "field": SCORE_FIELD[0],
                    "field_id": SCORE_FIELD[1],
                    "new_value": scores.score,
                }
            )
        )
    if not frames:
        return None
    changes = pd.concat(frames, ignore_index=True)
    changes["_order"] = pd.to_datetime(changes["at"], utc=True, format="ISO8601")
    changes = changes.sort_values(["lead_id", "field", "_order"], kind="stable")
    changes["old_value"] = changes.groupby(["lead_id", "field"]).new_value.shift().fillna("")
    return pd.DataFrame(
        {
            "activity_date": _connector_time(changes["at"]),
            "activity_type_id": "13",
            "api_method_name": "",
            "campaign_id": "",
            "id": [f"cdv{index + 1}" for index in range(len(changes))],
            "lead_id": changes.lead_id.values,
            "modifying_user": "",
            "new_value": changes.new_value.values,
            "old_value": changes.old_value.values,
            "primary_attribute_value": changes.field.values,
            "primary_attribute_value_id": changes.field_id.values,
            "reason": "Change Data Value",
            "request_id": "",
            "source": "Marketo Flow Action",
        }
    )


def to_marketo(canonical: Path, out: Path) -> Path:
    """Write a canonical CSV dataset as Marketo's connector tables (plus canonical extras)."""
    out.mkdir(parents=True, exist_ok=True)
    contacts = _read(canonical, "contacts")
    assert contacts is not None
    _leads(contacts, _read(canonical, "accounts")).to_csv(out / "lead.csv", index=False)
    campaigns = _read(canonical, "campaigns")
    smart_of: dict[str, str] = {}
    template_of: dict[str, str] = {}
    if campaigns is not None:
        programs, tags, smart = _programs(campaigns)
        programs.to_csv(out / "program.csv", index=False)
        tags.to_csv(out / "program_tag.csv", index=False)
        smart.to_csv(out / "campaign.csv", index=False)
        smart_of = dict(zip(smart.program_id, smart.id, strict=True))
        template_of = {program: str(2001 + index) for index, program in enumerate(smart.program_id)}
    activities = _read(canonical, "activities")
    if activities is not None:
        emails = activities[activities.type.isin(EMAIL_TABLES)]
        for table, rows in _emails(emails, smart_of, template_of).items():
            rows.to_csv(out / f"{table}.csv", index=False)
        forms = activities[activities.type == "form_submit"]
        _forms(forms, smart_of).to_csv(out / "activity_fill_out_form.csv", index=False)
        others = activities[~activities.type.isin([*EMAIL_TABLES, "form_submit"])]
        if len(others):
            others.to_csv(out / "activities.csv", index=False)
    changes = _field_changes(_read(canonical, "stage_changes"), _read(canonical, "lead_scores"))
    if changes is not None:
        changes.to_csv(out / "activity_change_data_value.csv", index=False)
    pd.DataFrame(
        {
            "id": [STAGE_FIELD[1], SCORE_FIELD[1], "2003", "2004", "2005"],
            "display_name": [
                STAGE_FIELD[0],
                SCORE_FIELD[0],
                "Segment",
                "Is Internal",
                "Account ID",
            ],
            "data_type": ["string", "score", "string", "boolean", "string"],
            "restname": ["lifecycleStage", "leadScore", "segment", "isInternal", "accountId"],
        }
    ).to_csv(out / "lead_describe.csv", index=False)
    # what Marketo holds nowhere: as canonical tables beside the export
    for name in (*BESIDE, "features"):
        if (canonical / f"{name}.csv").exists():
            shutil.copy(canonical / f"{name}.csv", out / f"{name}.csv")
    return out
