"""Touches (SPEC §6.1): lead creation, human clicks/forms/events/visits, and web sessions.

Every touch carries the contact, its account (§3), the instant, a kind that breaks ties
(lead creation < web session < activity), its own id, and its channel and campaign members.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from lifecycle_metrics.metrics.families.email import with_send_campaign
from lifecycle_metrics.model.model import UNKNOWN, Model

TOUCH_ACTIVITY_TYPES = ("email_click", "form_submit", "event_attended", "web_visit")
# Tie order at one instant (SPEC §6.1), then the touch's id in code-point order.
LEAD_CREATION, WEB_SESSION, ACTIVITY = 0, 1, 2
KIND_NAMES = {LEAD_CREATION: "lead creation", WEB_SESSION: "web session", ACTIVITY: "activity"}
TOUCH_COLUMNS = (
    "contact_id",
    "account_id",
    "touched_at",
    "kind",
    "touch_id",
    "type",
    "channel",
    "campaign_id",
)


def _member(value: ir.Value) -> ir.StringValue:
    return value.cast("string").fill_null(UNKNOWN)


def activity_touches(model: Model) -> ir.Table | None:
    """Human activities that are touches, campaign filled as for clicks (§4); None without."""
    if "activities" not in model.tables:
        return None
    activities = model.tables["activities"]
    # sends stay, machine or not, to lend their campaign to clicks without one
    human = activities.type.isin(TOUCH_ACTIVITY_TYPES) & ~activities.is_machine.fill_null(False)
    kept = activities.filter(human | (activities.type == "email_sent"))
    filled = with_send_campaign(
        kept.select(
            "activity_id", "contact_id", "type", "occurred_at", "message_id", "campaign_id"
        ),
        borrowers=("email_click",),
    )
    # a click whose campaign is neither its own nor its send's is ignored (§6.1, as in §4)
    touches = filled.filter(
        (filled.type != "email_sent")
        & ((filled.type != "email_click") | filled.campaign_id.notnull())
    )
    if "campaigns" in model.tables:
        campaigns = model.tables["campaigns"]
        lookup = campaigns.select(_campaign=campaigns.campaign_id, _channel=campaigns.channel)
        touches = touches.left_join(lookup, touches.campaign_id == lookup._campaign).view()
        channel = touches._channel
    else:
        channel = ibis.null("string")
    return touches.select(
        contact_id=touches.contact_id,
        touched_at=touches.occurred_at,
        kind=ibis.literal(ACTIVITY),
        touch_id=touches.activity_id,
        type=touches.type,
        channel=_member(channel),
        campaign_id=_member(touches.campaign_id),
    )


def touches(model: Model) -> ir.Table:
    """Every touch of every contact, with its account (SPEC §6.1); empty without contacts."""
    parts: list[ir.Table] = []
    if model.has("contacts") or model.has("stage_changes"):
        reach = model.reach
        leads = reach.filter(reach.lead_at.notnull())
        parts.append(
            leads.select(
                contact_id=leads.contact_id,
                touched_at=leads.lead_at,
                kind=ibis.literal(LEAD_CREATION),
                touch_id=leads.contact_id,
                type=ibis.literal("lead_created"),
                channel=leads.channel,
                campaign_id=leads.campaign_id,
            )
        )
    if "web_sessions" in model.tables:
        sessions = model.tables["web_sessions"]
        known = sessions.filter(sessions.contact_id.notnull())
        parts.append(
            known.select(
                contact_id=known.contact_id,
                touched_at=known.started_at,
                kind=ibis.literal(WEB_SESSION),
                touch_id=known.session_id,
                type=ibis.literal("web_session"),
                channel=_member(known.channel),
                campaign_id=ibis.literal(UNKNOWN),
            )
        )
    from_activities = activity_touches(model)
    if from_activities is not None:
        parts.append(from_activities)
    if not parts:
        return _no_touches()
    # one schema for the union: timestamps of different precision, kinds as one small int
    parts = [p.mutate(touched_at=p.touched_at.cast("timestamp")) for p in parts]
    every = parts[0]
    for part in parts[1:]:
        every = every.union(part, distinct=False)
    every = every.mutate(kind=every.kind.cast("int8")).view()
    accounts = _contact_accounts(model)
    joined = every.left_join(accounts, every.contact_id == accounts._contact)
    return joined.select(
        contact_id=joined.contact_id,
        # a contact outside contacts (only in stage changes) is its own account (§3)
        account_id=joined._account.fill_null(joined.contact_id),
        touched_at=joined.touched_at,
        kind=joined.kind,
        touch_id=joined.touch_id,
        type=joined.type,
        channel=joined.channel,
        campaign_id=joined.campaign_id,
    )


def _contact_accounts(model: Model) -> ir.Table:
    if model.has("contacts") or model.has("stage_changes"):
        contacts = model.contacts
        return contacts.select(_contact=contacts.contact_id, _account=contacts.account_key)
    schema = pa.schema([("_contact", pa.string()), ("_account", pa.string())])
    return ibis.memtable(schema.empty_table())


def _no_touches() -> ir.Table:
    # an Arrow table carries the types of its empty columns (a dict of empty lists would not)
    schema = pa.schema(
        [
            ("contact_id", pa.string()),
            ("account_id", pa.string()),
            ("touched_at", pa.timestamp("us")),
            ("kind", pa.int8()),
            ("touch_id", pa.string()),
            ("type", pa.string()),
            ("channel", pa.string()),
            ("campaign_id", pa.string()),
        ]
    )
    return ibis.memtable(schema.empty_table())
