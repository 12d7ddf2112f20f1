"""Email programs: sends, bounces, unique opens and clicks of nurture and customer campaigns."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from lifecycle_metrics.metrics.families.base import Family, record_shape, register, rollup
from lifecycle_metrics.metrics.values import Measure
from lifecycle_metrics.model.model import UNKNOWN, Model

EMAIL_SCOPES = ("nurture", "customer")
EMAIL_TYPES = ("email_sent", "email_bounce", "email_open", "email_click")


def with_send_campaign(events: ir.Table, borrowers: tuple[str, ...] | None = None) -> ir.Table:
    """Activities whose open, click or bounce without campaign takes its message's send's (§4).

    The campaign is that of the first email_sent of the same message_id; a send without a
    campaign stays without, and so does an event whose message has no send with one.
    `borrowers` limits which types borrow (§6: clicks, and opens for score lift); None: every
    type but the send.
    """
    borrows = events.type != "email_sent" if borrowers is None else events.type.isin(borrowers)
    # Only the messages of such orphans are looked up, so the window runs over a few rows.
    orphans = events.filter(events.campaign_id.isnull() & events.message_id.notnull() & borrows)
    wanted = orphans.select(_wanted=orphans.message_id).distinct()
    sends = events.filter(
        (events.type == "email_sent") & events.campaign_id.notnull() & events.message_id.notnull()
    )
    sends = sends.semi_join(wanted, sends.message_id == wanted._wanted)
    first_send = ibis.row_number().over(
        group_by=sends.message_id, order_by=[sends.occurred_at, sends.campaign_id]
    )
    ranked = sends.mutate(_rank=first_send)
    send_campaign = ranked.filter(ranked._rank == 0).select(
        _message=ranked.message_id, _send_campaign=ranked.campaign_id
    )
    joined = events.left_join(send_campaign, events.message_id == send_campaign._message)
    borrowing = joined.type != "email_sent" if borrowers is None else joined.type.isin(borrowers)
    return joined.select(
        *[joined[c] for c in events.columns if c != "campaign_id"],
        campaign_id=ibis.ifelse(
            borrowing, joined.campaign_id.fill_null(joined._send_campaign), joined.campaign_id
        ),
    ).view()  # a fresh relation: Ibis would otherwise fold the next join into this one


def email_events(model: Model) -> ir.Table:
    """Email events of nurture (automated, prospect) and customer programs, campaign filled."""
    activities = model.tables["activities"]
    emails = activities.filter(activities.type.isin(EMAIL_TYPES))
    filled = with_send_campaign(
        emails.select(
            "activity_id",
            "contact_id",
            "type",
            "occurred_at",
            "message_id",
            "is_machine",
            "campaign_id",
        )
    )
    campaigns = model.tables["campaigns"]
    scope = ibis.cases(
        ((campaigns.audience == "prospect") & campaigns.automated, "nurture"),
        (campaigns.audience == "customer", "customer"),
        else_=ibis.null("string"),
    )
    in_scope = campaigns.select(
        _campaign=campaigns.campaign_id, channel=campaigns.channel, scope=scope
    )
    in_scope = in_scope.filter(in_scope.scope.notnull())
    events = filled.join(in_scope, filled.campaign_id == in_scope._campaign)
    return events.select(
        activity_id=events.activity_id,
        occurred_at=events.occurred_at,
        month=model.month(events.occurred_at),
        scope=events.scope,
        campaign_id=events.campaign_id,
        channel=events.channel.fill_null(UNKNOWN),
        type=events.type,
        contact_id=events.contact_id,
        message=events.message_id.fill_null(""),
        human=~events.is_machine,
    )


def _email(model: Model, dims: tuple[str, ...]) -> ir.Table:
    """Sends, bounces, unique opens and clicks of nurture and customer programs."""
    events = email_events(model)
    grain = ["month", "scope", "campaign_id", "channel"]
    # One row per (month, campaign, contact, message): unique opens and clicks are the rows
    # with a human open or click, so they stay additive over campaigns and channels.
    per_message = events.group_by([*grain, "contact_id", "message"]).aggregate(
        sent=(events.type == "email_sent").sum(),
        bounced=(events.type == "email_bounce").sum(),
        opened=(events.human & (events.type == "email_open")).any(),
        clicked=(events.human & (events.type == "email_click")).any(),
    )
    fine = per_message.group_by(grain).aggregate(
        sent=per_message.sent.sum(),
        bounced=per_message.bounced.sum(),
        # counted with ifelse: PostgreSQL cannot cast a boolean to an integer
        opens=ibis.ifelse(per_message.opened, 1, 0).sum(),
        clicks=ibis.ifelse(per_message.clicked, 1, 0).sum(),
    )

    def measures(t: ir.Table) -> dict[str, ir.Value]:
        found: dict[str, ir.Value] = {}
        for name in EMAIL_SCOPES:
            mine = t.scope == name
            sent, bounced = t.sent.sum(where=mine), t.bounced.sum(where=mine)
            found[f"{name}_delivered"] = sent.fill_null(0) - bounced.fill_null(0)
            found[f"{name}_email_rows"] = sent.fill_null(0) + bounced.fill_null(0)
            found[f"{name}_opens"] = t.opens.sum(where=mine).fill_null(0)
            found[f"{name}_clicks"] = t.clicks.sum(where=mine).fill_null(0)
        return found

    return rollup(fine, dims, measures)


def _email_records(model: Model) -> ir.Table:
    rows = email_events(model)
    return record_shape(
        rows,
        month=rows.month,
        campaign_id=rows.campaign_id,
        channel=rows.channel,
        set=rows.scope + ":" + rows.type,
        record=rows.activity_id,
        at=rows.occurred_at,
        note=(
            "contact "
            + rows.contact_id
            + ", message "
            + rows.message.nullif("").fill_null("(none)")
            + ibis.ifelse(rows.human, "", " (machine: not counted)")
        ),
    )


EMAIL = register(
    Family(
        "email",
        reads=("activities",),
        dimensions=("campaign_id", "channel"),
        build=_email,
        sets=tuple(f"{scope}:{kind}" for scope in EMAIL_SCOPES for kind in EMAIL_TYPES),
        records=_email_records,
    )
)


def _scope_measures(scope: str) -> tuple[Measure, Measure, Measure, Measure]:
    sends = (f"{scope}:email_sent", f"{scope}:email_bounce")
    return (
        EMAIL.measure(f"{scope}_delivered", *sends),
        EMAIL.measure(f"{scope}_email_rows", *sends),
        EMAIL.measure(f"{scope}_opens", f"{scope}:email_open"),
        EMAIL.measure(f"{scope}_clicks", f"{scope}:email_click"),
    )


NURTURE_DELIVERED, NURTURE_EMAIL_ROWS, NURTURE_OPENS, NURTURE_CLICKS = _scope_measures("nurture")
CUSTOMER_DELIVERED, CUSTOMER_EMAIL_ROWS, CUSTOMER_OPENS, CUSTOMER_CLICKS = _scope_measures(
    "customer"
)
