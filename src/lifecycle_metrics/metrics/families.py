"""Measure families: one Ibis query each, measures per (month, dimension, member).

A family turns the model into a frame of rows carrying `month` and dimension columns, then
rolls it up to the total and to each requested dimension. Additive families are first
aggregated to their finest grain, so the roll-up reads a small table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir

from lifecycle_metrics.model.model import UNKNOWN, Model
from lifecycle_metrics.periods import days_between, within_days

MeasureBuilder = Callable[[ir.Table], dict[str, ir.Value]]
Rows = list[dict[str, Any]]


def rollup(frame: ir.Table, dims: tuple[str, ...], measures: MeasureBuilder) -> ir.Table:
    """Measures per month for the total and per member of each dimension, in long form."""
    parts = [
        frame.group_by("month")
        .aggregate(**measures(frame))
        .mutate(dimension=ibis.null("string"), member=ibis.null("string"))
    ]
    for dim in dims:
        grouped = frame.group_by(["month", frame[dim].name("member")]).aggregate(**measures(frame))
        parts.append(grouped.mutate(dimension=ibis.literal(dim)))
    columns = [
        "month",
        "dimension",
        "member",
        *[c for c in parts[0].columns if c not in ("month", "dimension", "member")],
    ]
    result = parts[0].select(columns)
    for part in parts[1:]:
        result = result.union(part.select(columns), distinct=False)
    return result


def additive_rollup(frame: ir.Table, dims: tuple[str, ...], counts: MeasureBuilder) -> ir.Table:
    """As `rollup` for sums and counts: aggregate to the finest grain first, then sum up."""
    fine = frame.group_by(["month", *dims]).aggregate(**counts(frame))
    names = [c for c in fine.columns if c not in ("month", *dims)]
    return rollup(fine, dims, lambda t: {name: t[name].sum() for name in names})


@dataclass(frozen=True)
class Family:
    """A named query producing measures, with the tables it needs and dimensions it knows."""

    name: str
    needs: tuple[str, ...]
    dimensions: tuple[str, ...]
    build: Callable[[Model, tuple[str, ...]], ir.Table]
    finish: Callable[[Rows, Model], Rows] | None = None
    extra_needs: tuple[str, ...] = field(default=())


FAMILIES: dict[str, Family] = {}


def family(
    name: str,
    *,
    needs: tuple[str, ...],
    dimensions: tuple[str, ...],
    finish: Callable[[Rows, Model], Rows] | None = None,
) -> Callable[
    [Callable[[Model, tuple[str, ...]], ir.Table]], Callable[[Model, tuple[str, ...]], ir.Table]
]:
    """Register a family builder under `name`; names are unique."""

    def register(
        build: Callable[[Model, tuple[str, ...]], ir.Table],
    ) -> Callable[[Model, tuple[str, ...]], ir.Table]:
        if name in FAMILIES:
            raise ValueError(f"family {name!r} is declared twice")
        FAMILIES[name] = Family(
            name=name, needs=needs, dimensions=dimensions, build=build, finish=finish
        )
        return build

    return register


CONTACT_DIMS = ("channel", "source", "campaign_id", "segment")


def _contact_dims(table: ir.Table) -> dict[str, ir.Value]:
    return {dim: table[dim] for dim in CONTACT_DIMS}


# -- Capture, Nurture, Convert: contacts through the funnel ---------------------------------
@family("reach", needs=("contacts",), dimensions=CONTACT_DIMS)
def _reach(model: Model, dims: tuple[str, ...]) -> ir.Table:
    """Contacts reaching lead, MQL and SQL per month."""
    reach = model.reach
    parts = []
    for stage in ("lead", "mql", "sql"):
        at = reach[f"{stage}_at"]
        parts.append(
            reach.filter(at.notnull()).select(
                month=model.month(at), stage=ibis.literal(stage), **_contact_dims(reach)
            )
        )
    frame = parts[0].union(parts[1], distinct=False).union(parts[2], distinct=False)
    return additive_rollup(
        frame,
        dims,
        lambda t: {
            "leads": (t.stage == "lead").sum(),
            "mqls": (t.stage == "mql").sum(),
            "sqls": (t.stage == "sql").sum(),
        },
    )


@family("new_customers", needs=("stage_changes",), dimensions=CONTACT_DIMS)
def _new_customers(model: Model, dims: tuple[str, ...]) -> ir.Table:
    """Accounts whose first contact to reach customer does so in the month."""
    reach = model.reach
    customers = reach.filter(reach.customer_at.notnull())
    rank = ibis.row_number().over(
        group_by=customers.account_key, order_by=[customers.customer_at, customers.contact_id]
    )
    ranked = customers.mutate(_rank=rank)
    first = ranked.filter(ranked._rank == 0)
    frame = first.select(month=model.month(first.customer_at), **_contact_dims(first))
    return additive_rollup(frame, dims, lambda t: {"accounts": t.count()})


COHORTS = (("lead", "mql", 90), ("mql", "sql", 90), ("sql", "customer", 180))


@family("cohorts", needs=("stage_changes",), dimensions=CONTACT_DIMS)
def _cohorts(model: Model, dims: tuple[str, ...]) -> ir.Table:
    """Contacts reaching a stage in the month, and those reaching the next within the window."""
    reach = model.reach
    parts = []
    for start, end, days in COHORTS:
        begin, finish = reach[f"{start}_at"], reach[f"{end}_at"]
        converted = finish.notnull() & within_days(begin, finish, days)
        parts.append(
            reach.filter(begin.notnull()).select(
                month=model.month(begin),
                cohort=ibis.literal(start),
                converted=converted.fill_null(False),
                **_contact_dims(reach),
            )
        )
    frame = parts[0].union(parts[1], distinct=False).union(parts[2], distinct=False)

    def measures(t: ir.Table) -> dict[str, ir.Value]:
        counted: dict[str, ir.Value] = {}
        for start, _, _ in COHORTS:
            counted[f"{start}_cohort"] = (t.cohort == start).sum()
            counted[f"{start}_converted"] = ((t.cohort == start) & t.converted).sum()
        return counted

    return additive_rollup(frame, dims, measures)


@family("lead_to_customer", needs=("stage_changes",), dimensions=CONTACT_DIMS)
def _lead_to_customer(model: Model, dims: tuple[str, ...]) -> ir.Table:
    """Median days from lead to customer over contacts reaching customer in the month."""
    reach = model.reach
    won = reach.filter(reach.customer_at.notnull())
    frame = won.select(
        month=model.month(won.customer_at),
        days=days_between(won.lead_at, won.customer_at),
        **_contact_dims(won),
    )
    return rollup(frame, dims, lambda t: {"median_days": t.days.median(), "contacts": t.count()})


@family("reopened", needs=("stage_changes",), dimensions=CONTACT_DIMS)
def _reopened(model: Model, dims: tuple[str, ...]) -> ir.Table:
    """Contacts re-entering lead, MQL or SQL straight after being recycled."""
    changes = model.tables["stage_changes"]
    instants = changes.group_by(["contact_id", "changed_at"]).aggregate(
        recycled=(changes.stage == "recycled").any()
    )
    previous = instants.recycled.lag().over(
        group_by=instants.contact_id, order_by=instants.changed_at
    )
    flagged = instants.mutate(previous_recycled=previous.fill_null(False))
    entries = changes.filter(changes.stage.isin(("lead", "mql", "sql")))
    joined = entries.join(flagged, ["contact_id", "changed_at"])
    reopened = joined.filter(joined.previous_recycled).view()
    contacts = model.contacts
    with_dims = reopened.join(contacts, reopened.contact_id == contacts.contact_id)
    frame = with_dims.select(
        contact_id=with_dims.contact_id,
        month=model.month(with_dims.changed_at),
        **_contact_dims(with_dims),
    ).distinct()
    return additive_rollup(frame, dims, lambda t: {"contacts": t.count()})


@family("new_lead_scores", needs=("contacts", "lead_scores"), dimensions=CONTACT_DIMS)
def _new_lead_scores(model: Model, dims: tuple[str, ...]) -> ir.Table:
    """Lead score at the end of the month of contacts reaching lead in it."""
    reach = model.reach
    leads = reach.filter(reach.lead_at.notnull())
    leads = leads.mutate(month=model.month(leads.lead_at))
    spine = model.month_starts.select(
        _month=model.month_starts.month, month_end=model.month_starts.month_end
    )
    leads = leads.join(spine, leads.month == spine._month).view()
    scores = model.tables["lead_scores"]
    matched = leads.join(
        scores, (leads.contact_id == scores.contact_id) & (scores.scored_at <= leads.month_end)
    )
    latest = ibis.row_number().over(
        group_by=matched.contact_id,
        order_by=[ibis.desc(matched.scored_at), ibis.desc(matched.score)],
    )
    ranked = matched.mutate(_rank=latest).view()
    frame = ranked.filter(ranked._rank == 0).select(
        month=ranked.month, score=ranked.score, **_contact_dims(ranked)
    )
    return rollup(frame, dims, lambda t: {"median_score": t.score.median(), "contacts": t.count()})


# -- Attract -----------------------------------------------------------------------------------
@family("web", needs=("web_sessions",), dimensions=("channel",))
def _web(model: Model, dims: tuple[str, ...]) -> ir.Table:
    """Web sessions and distinct visitors per month, by the session's channel."""
    sessions = model.tables["web_sessions"]
    channel = sessions.channel.strip().nullif("").fill_null(UNKNOWN)
    frame = sessions.select(
        month=model.month(sessions.started_at), channel=channel, visitor_id=sessions.visitor_id
    )
    return rollup(
        frame, dims, lambda t: {"sessions": t.count(), "visitors": t.visitor_id.nunique()}
    )


# -- Email programs ----------------------------------------------------------------------------
def _email_family(
    model: Model, dims: tuple[str, ...], audience: str, automated_only: bool
) -> ir.Table:
    activities = model.tables["activities"]
    emails = activities.filter(
        activities.type.isin(("email_sent", "email_bounce", "email_open", "email_click"))
    )
    sends = emails.filter(
        (emails.type == "email_sent") & emails.campaign_id.notnull() & emails.message_id.notnull()
    )
    first_send = ibis.row_number().over(
        group_by=sends.message_id, order_by=[sends.occurred_at, sends.campaign_id]
    )
    send_campaign = sends.mutate(_rank=first_send)
    send_campaign = send_campaign.filter(send_campaign._rank == 0).select(
        _message=send_campaign.message_id, _send_campaign=send_campaign.campaign_id
    )
    joined = emails.left_join(send_campaign, emails.message_id == send_campaign._message)
    filled = joined.select(
        contact_id=joined.contact_id,
        type=joined.type,
        occurred_at=joined.occurred_at,
        message_id=joined.message_id,
        is_machine=joined.is_machine,
        campaign_id=joined.campaign_id.fill_null(joined._send_campaign),
    ).view()  # a fresh relation: Ibis would otherwise fold the next join into this one
    campaigns = model.tables["campaigns"]
    scope = campaigns.audience == audience
    if automated_only:
        scope = scope & campaigns.automated
    in_scope = campaigns.filter(scope).select(
        _campaign=campaigns.campaign_id, channel=campaigns.channel
    )
    events = filled.join(in_scope, filled.campaign_id == in_scope._campaign)
    events = events.select(
        month=model.month(events.occurred_at),
        campaign_id=events.campaign_id,
        channel=events.channel.strip().nullif("").fill_null(UNKNOWN),
        type=events.type,
        contact_id=events.contact_id,
        message=events.message_id.fill_null(""),
        human=~events.is_machine,
    )
    grain = ["month", "campaign_id", "channel"]
    counted = events.group_by(grain).aggregate(
        sent=(events.type == "email_sent").sum(), bounced=(events.type == "email_bounce").sum()
    )
    # unique opens and clicks: distinct (contact, campaign, message) per month; additive over
    # campaigns because the campaign is part of what is distinct
    unique = events.filter(events.human & events.type.isin(("email_open", "email_click")))
    unique = unique.select(*grain, "type", "contact_id", "message").distinct()
    uniques = unique.group_by(grain).aggregate(
        opens=(unique.type == "email_open").sum(), clicks=(unique.type == "email_click").sum()
    )
    zero = ibis.literal(0, type="int64")
    fine = counted.select(
        *grain,
        sent=counted.sent.cast("int64"),
        bounced=counted.bounced.cast("int64"),
        opens=zero,
        clicks=zero,
    ).union(
        uniques.select(
            *grain,
            sent=zero,
            bounced=zero,
            opens=uniques.opens.cast("int64"),
            clicks=uniques.clicks.cast("int64"),
        ),
        distinct=False,
    )
    return rollup(
        fine,
        dims,
        lambda t: {
            "sent": t.sent.sum(),
            "bounced": t.bounced.sum(),
            "delivered": t.sent.sum() - t.bounced.sum(),
            "email_rows": t.sent.sum() + t.bounced.sum(),
            "opens": t.opens.sum(),
            "clicks": t.clicks.sum(),
        },
    )


@family("nurture_email", needs=("activities", "campaigns"), dimensions=("campaign_id", "channel"))
def _nurture_email(model: Model, dims: tuple[str, ...]) -> ir.Table:
    """Email events of automated prospect programs."""
    return _email_family(model, dims, "prospect", automated_only=True)


@family("customer_email", needs=("activities", "campaigns"), dimensions=("campaign_id", "channel"))
def _customer_email(model: Model, dims: tuple[str, ...]) -> ir.Table:
    """Email events of customer programs."""
    return _email_family(model, dims, "customer", automated_only=False)


# -- Costs -------------------------------------------------------------------------------------
def _share_costs(rows: Rows, model: Model) -> Rows:
    """Share each month's unallocated cost out over channels in proportion to allocated cost."""
    months: dict[int, dict[str, Any]] = {}
    for row in rows:
        month = months.setdefault(
            row["month"],
            {"allocated": {}, "allocated_rows": {}, "unallocated": 0.0, "unallocated_rows": 0},
        )
        if row["channel"] is None:
            month["unallocated"] += row["amount"]
            month["unallocated_rows"] += row["rows"]
        else:
            month["allocated"][row["channel"]] = row["amount"]
            month["allocated_rows"][row["channel"]] = row["rows"]
    result: Rows = []
    for index, month in months.items():
        allocated: dict[str, float] = month["allocated"]
        total_allocated = sum(allocated.values())
        result.append(
            {
                "month": index,
                "dimension": None,
                "member": None,
                "cost": total_allocated + month["unallocated"],
                "cost_rows": sum(month["allocated_rows"].values()) + month["unallocated_rows"],
            }
        )
        for channel, amount in allocated.items():
            share = (month["unallocated"] * amount / total_allocated) if total_allocated else 0.0
            result.append(
                {
                    "month": index,
                    "dimension": "channel",
                    "member": channel,
                    "cost": amount + share,
                    "cost_rows": month["allocated_rows"][channel],
                }
            )
        if total_allocated == 0 and month["unallocated_rows"]:
            result.append(
                {
                    "month": index,
                    "dimension": "channel",
                    "member": "unallocated",
                    "cost": month["unallocated"],
                    "cost_rows": month["unallocated_rows"],
                }
            )
    return result


@family("costs", needs=("costs",), dimensions=("channel",), finish=_share_costs)
def _costs(model: Model, dims: tuple[str, ...]) -> ir.Table:
    """Cost per month and row channel (own channel, else its campaign's; None = unallocated)."""
    costs = model.tables["costs"]
    if "campaigns" in model.tables:
        campaigns = model.tables["campaigns"]
        lookup = campaigns.select(
            _campaign=campaigns.campaign_id, _campaign_channel=campaigns.channel
        )
        costs = costs.left_join(lookup, costs.campaign_id == lookup._campaign)
        campaign_channel = costs._campaign_channel
    else:
        campaign_channel = ibis.null("string")
    own = costs.channel.strip().nullif("")
    channel = ibis.cases(
        (own.notnull(), own),
        (costs.campaign_id.notnull(), campaign_channel.strip().nullif("").fill_null(UNKNOWN)),
        else_=ibis.null("string"),
    )
    frame = costs.select(month=costs.month, channel=channel, amount=costs.amount)
    return frame.group_by(["month", "channel"]).aggregate(
        amount=frame.amount.sum(), rows=frame.count()
    )


# -- Deals -------------------------------------------------------------------------------------
@family("won_deals", needs=("deals",), dimensions=("channel",))
def _won_deals(model: Model, dims: tuple[str, ...]) -> ir.Table:
    """Amounts of deals won per month (closed_at), by the deal's channel."""
    deals = model.tables["deals"]
    won = deals.filter((deals.status == "won") & deals.closed_at.notnull())
    own = won.channel.strip().nullif("")
    if "campaigns" in model.tables:
        campaigns = model.tables["campaigns"]
        lookup = campaigns.select(
            _campaign=campaigns.campaign_id, _campaign_channel=campaigns.channel
        )
        won = won.left_join(lookup, won.campaign_id == lookup._campaign)
        own = won.channel.strip().nullif("")
        campaign_channel = won._campaign_channel.strip().nullif("")
    else:
        campaign_channel = ibis.null("string")
    if "contacts" in model.tables:
        contacts = model.tables["contacts"]
        people = contacts.select(_contact=contacts.contact_id, _contact_channel=contacts.channel)
        won = won.left_join(people, won.contact_id == people._contact)
        own = won.channel.strip().nullif("")
        if "campaigns" in model.tables:
            campaign_channel = won._campaign_channel.strip().nullif("")
        contact_channel = won._contact_channel.strip().nullif("")
    else:
        contact_channel = ibis.null("string")
    channel = own.fill_null(campaign_channel).fill_null(contact_channel).fill_null(UNKNOWN)
    frame = won.select(
        month=model.month(won.closed_at), channel=channel, type=won.type, amount=won.amount
    )
    return additive_rollup(
        frame,
        dims,
        lambda t: {
            "won_rows": t.count(),
            "amount": t.amount.sum(),
            "expansion_amount": t.amount.sum(where=t.type.isin(("upsell", "cross_sell"))),
            "existing_amount": t.amount.sum(where=t.type.isin(("upsell", "cross_sell", "renewal"))),
            "new_business_amount": t.amount.sum(where=t.type == "new_business"),
            "new_business_rows": (t.type == "new_business").sum(),
        },
    )


# -- Subscriptions -----------------------------------------------------------------------------
@family("subscriptions", needs=("subscriptions",), dimensions=("segment",))
def _subscriptions(model: Model, dims: tuple[str, ...]) -> ir.Table:
    """Accounts active at the start of each month and their MRR at its start and end."""
    subs = model.tables["subscriptions"]
    spine = model.month_starts
    boundaries = (
        spine.select(month=spine.month, at=spine.month_start)
        .union(spine.select(month=spine.month + 1, at=spine.month_end))
        .distinct()
    )

    def mrr_at(table: ir.Table) -> ir.Table:
        active = subs.join(
            table,
            (subs.started_at <= table.at) & (subs.ended_at.isnull() | (table.at < subs.ended_at)),
        )
        return active.group_by(["account_id", "month"]).aggregate(mrr=active.mrr.sum())

    at_boundary = mrr_at(boundaries)
    start = at_boundary
    end = at_boundary.select(
        account_id=at_boundary.account_id, month=at_boundary.month - 1, mrr_end=at_boundary.mrr
    )
    joined = start.left_join(end, ["account_id", "month"]).view()
    segments = model.segments
    joined = joined.left_join(segments, joined.account_id == segments.account_id)
    mrr_end = joined.mrr_end.fill_null(0)
    frame = joined.select(
        month=joined.month,
        segment=joined.segment.fill_null(UNKNOWN),
        mrr_start=joined.mrr,
        mrr_end=mrr_end,
        churned=joined.mrr_end.isnull(),
        mrr_kept=ibis.ifelse(mrr_end < joined.mrr, mrr_end, joined.mrr),
    )
    frame = frame.filter(frame.month.isin(list(model.window.months)))
    return additive_rollup(
        frame,
        dims,
        lambda t: {
            "active": t.count(),
            "churned": t.churned.sum(),
            "mrr_start": t.mrr_start.sum(),
            "mrr_end": t.mrr_end.sum(),
            "mrr_kept": t.mrr_kept.sum(),
        },
    )


# -- Surveys -----------------------------------------------------------------------------------
@family("nps", needs=("nps_responses",), dimensions=("segment",))
def _nps(model: Model, dims: tuple[str, ...]) -> ir.Table:
    """Responses, promoters and detractors per month."""
    responses = model.tables["nps_responses"]
    segments = model.segments
    if "contacts" in model.tables:
        contacts = model.tables["contacts"]
        people = contacts.select(
            _contact=contacts.contact_id,
            _contact_account=contacts.account_id.fill_null(contacts.contact_id),
        )
        responses = responses.left_join(people, responses.contact_id == people._contact)
        contact_account = responses._contact_account
    else:
        contact_account = responses.contact_id
    account = responses.account_id.fill_null(contact_account)
    keyed = responses.select(
        month=model.month(responses.responded_at), score=responses.score, _account=account
    )
    keyed = keyed.view()
    keyed = keyed.left_join(segments, keyed._account == segments.account_id)
    frame = keyed.select(keyed.month, keyed.score, segment=keyed.segment.fill_null(UNKNOWN))
    return additive_rollup(
        frame,
        dims,
        lambda t: {
            "responses": t.count(),
            "net_promoters": (t.score >= 9).sum() - (t.score <= 6).sum(),
        },
    )
