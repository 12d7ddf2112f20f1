"""Measure families: one Ibis query each, measures per (month, dimension, member).

A family turns the model into a frame of rows carrying `month` and dimension columns, then
rolls it up to the total and to each requested dimension. Additive families are first
aggregated to their finest grain, so the roll-up reads a small table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import ibis
import ibis.expr.datatypes as dt
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
    reads: tuple[str, ...]  # tables it reads when given (besides contacts, accounts, campaigns)
    dimensions: tuple[str, ...]
    build: Callable[[Model, tuple[str, ...]], ir.Table]
    finish: Callable[[Rows, Model], Rows] | None = None


FAMILIES: dict[str, Family] = {}


def family(
    name: str,
    *,
    reads: tuple[str, ...],
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
            name=name, reads=reads, dimensions=dimensions, build=build, finish=finish
        )
        return build

    return register


CONTACT_DIMS = ("channel", "source", "campaign_id", "segment")
# Money is summed as exact decimals: float sums depend on the order parallel workers add in,
# and the same data must give the same digits on every run and every engine.
MONEY = dt.Decimal(38, 9)


def money(value: ir.Value) -> ir.Value:
    """An amount as an exact decimal for summing."""
    return value.cast(MONEY)


def _contact_dims(table: ir.Table) -> dict[str, ir.Value]:
    return {dim: table[dim] for dim in CONTACT_DIMS}


# -- Capture, Nurture, Convert: contacts through the funnel ---------------------------------
@family("reach", reads=("contacts", "stage_changes"), dimensions=CONTACT_DIMS)
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


def first_customer_rows(model: Model) -> ir.Table:
    """Per account, its first contact to reach customer (ties: lowest contact_id)."""
    reach = model.reach
    customers = reach.filter(reach.customer_at.notnull())
    rank = ibis.row_number().over(
        group_by=customers.account_key, order_by=[customers.customer_at, customers.contact_id]
    )
    ranked = customers.mutate(_rank=rank)
    return ranked.filter(ranked._rank == 0).drop("_rank")


@family("new_customers", reads=("stage_changes",), dimensions=CONTACT_DIMS)
def _new_customers(model: Model, dims: tuple[str, ...]) -> ir.Table:
    """Accounts whose first contact to reach customer does so in the month."""
    first = first_customer_rows(model)
    frame = first.select(month=model.month(first.customer_at), **_contact_dims(first))
    return additive_rollup(frame, dims, lambda t: {"accounts": t.count()})


COHORTS = (("lead", "mql", 90), ("mql", "sql", 90), ("sql", "customer", 180))


@family("cohorts", reads=("stage_changes",), dimensions=CONTACT_DIMS)
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


@family("lead_to_customer", reads=("stage_changes",), dimensions=CONTACT_DIMS)
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


def reopened_rows(model: Model) -> ir.Table:
    """Stage changes into lead, mql or sql whose previous instant was a recycle, with dims."""
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
    rows = reopened.join(contacts, reopened.contact_id == contacts.contact_id)
    return rows.select(
        rows.contact_id,
        rows.stage,
        rows.changed_at,
        month=model.month(rows.changed_at),
        **_contact_dims(rows),
    )


@family("reopened", reads=("stage_changes",), dimensions=CONTACT_DIMS)
def _reopened(model: Model, dims: tuple[str, ...]) -> ir.Table:
    """Contacts re-entering lead, MQL or SQL straight after being recycled."""
    rows = reopened_rows(model)
    frame = rows.select("contact_id", "month", *CONTACT_DIMS).distinct()
    return additive_rollup(frame, dims, lambda t: {"contacts": t.count()})


def new_lead_score_rows(model: Model) -> ir.Table:
    """New leads of each reported month with the score in force at its end (ties: highest)."""
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
    rows = ranked.filter(ranked._rank == 0)
    return rows.select(
        rows.contact_id, rows.month, rows.score, rows.scored_at, **_contact_dims(rows)
    )


@family("new_lead_scores", reads=("stage_changes", "lead_scores"), dimensions=CONTACT_DIMS)
def _new_lead_scores(model: Model, dims: tuple[str, ...]) -> ir.Table:
    """Lead score at the end of the month of contacts reaching lead in it."""
    frame = new_lead_score_rows(model)
    return rollup(frame, dims, lambda t: {"median_score": t.score.median(), "contacts": t.count()})


# -- Attract -----------------------------------------------------------------------------------
@family("web", reads=("web_sessions",), dimensions=("channel",))
def _web(model: Model, dims: tuple[str, ...]) -> ir.Table:
    """Web sessions and distinct visitors per month, by the session's channel."""
    sessions = model.tables["web_sessions"]
    channel = sessions.channel.fill_null(UNKNOWN)  # empties are NULL since loading
    frame = sessions.select(
        month=model.month(sessions.started_at), channel=channel, visitor_id=sessions.visitor_id
    )
    # sessions per (month, channel, visitor) first: the roll-up then counts rows, not sessions
    fine = frame.group_by(["month", "channel", "visitor_id"]).aggregate(sessions=frame.count())
    return rollup(
        fine,
        dims,
        lambda t: {"sessions": t.sessions.sum(), "visitors": t.visitor_id.nunique()},
    )


# -- Email programs ----------------------------------------------------------------------------
EMAIL_SCOPES = ("nurture", "customer")


def email_events(model: Model) -> ir.Table:
    """Email events of nurture (automated, prospect) and customer programs, campaign filled."""
    activities = model.tables["activities"]
    emails = activities.filter(
        activities.type.isin(("email_sent", "email_bounce", "email_open", "email_click"))
    )
    # Opens, clicks and bounces without a campaign take that of the first send of their
    # message; only those messages are looked up, so the window runs over a handful of rows.
    orphans = emails.filter(
        emails.campaign_id.isnull() & emails.message_id.notnull() & (emails.type != "email_sent")
    )
    wanted = orphans.select(_wanted=orphans.message_id).distinct()
    sends = emails.filter(
        (emails.type == "email_sent") & emails.campaign_id.notnull() & emails.message_id.notnull()
    )
    sends = sends.semi_join(wanted, sends.message_id == wanted._wanted)
    first_send = ibis.row_number().over(
        group_by=sends.message_id, order_by=[sends.occurred_at, sends.campaign_id]
    )
    ranked = sends.mutate(_rank=first_send)
    send_campaign = ranked.filter(ranked._rank == 0).select(
        _message=ranked.message_id, _send_campaign=ranked.campaign_id
    )
    joined = emails.left_join(send_campaign, emails.message_id == send_campaign._message)
    filled = joined.select(
        activity_id=joined.activity_id,
        contact_id=joined.contact_id,
        type=joined.type,
        occurred_at=joined.occurred_at,
        message_id=joined.message_id,
        is_machine=joined.is_machine,
        # a send without campaign stays without: only opens, clicks and bounces borrow one
        campaign_id=ibis.ifelse(
            joined.type == "email_sent",
            joined.campaign_id,
            joined.campaign_id.fill_null(joined._send_campaign),
        ),
    ).view()  # a fresh relation: Ibis would otherwise fold the next join into this one
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


@family("email", reads=("activities",), dimensions=("campaign_id", "channel"))
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


# -- Costs -------------------------------------------------------------------------------------
def _share_costs(rows: Rows, model: Model) -> Rows:
    """Share each month's unallocated cost out over channels in proportion to allocated cost."""
    months: dict[int, dict[str, Any]] = {}
    for row in rows:
        month = months.setdefault(
            row["month"],
            {
                "allocated": {},
                "allocated_rows": {},
                "unallocated": Decimal(0),
                "unallocated_rows": 0,
            },
        )
        if row["channel"] is None:
            month["unallocated"] += row["amount"]
            month["unallocated_rows"] += row["rows"]
        else:
            month["allocated"][row["channel"]] = row["amount"]
            month["allocated_rows"][row["channel"]] = row["rows"]
    result: Rows = []
    for index, month in months.items():
        # exact decimals until the end, so the shares do not depend on row order
        allocated: dict[str, Decimal] = month["allocated"]
        total_allocated = sum(allocated.values(), Decimal(0))
        result.append(
            {
                "month": index,
                "dimension": None,
                "member": None,
                "cost": float(total_allocated + month["unallocated"]),
                "cost_rows": sum(month["allocated_rows"].values()) + month["unallocated_rows"],
            }
        )
        for channel, amount in allocated.items():
            share = (
                month["unallocated"] * amount / total_allocated if total_allocated else Decimal(0)
            )
            result.append(
                {
                    "month": index,
                    "dimension": "channel",
                    "member": channel,
                    "cost": float(amount + share),
                    "cost_rows": month["allocated_rows"][channel],
                }
            )
        if total_allocated == 0 and month["unallocated_rows"]:
            result.append(
                {
                    "month": index,
                    "dimension": "channel",
                    "member": "unallocated",
                    "cost": float(month["unallocated"]),
                    "cost_rows": month["unallocated_rows"],
                }
            )
    return result


def cost_rows(model: Model) -> ir.Table:
    """Cost rows with their month and channel: own, else the campaign's; NULL = unallocated."""
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
    channel = ibis.cases(
        (costs.channel.notnull(), costs.channel),
        (costs.campaign_id.notnull(), campaign_channel.fill_null(UNKNOWN)),
        else_=ibis.null("string"),
    )
    return costs.select(
        costs._row,
        month=costs.month,
        channel=channel,
        amount=costs.amount,
        category=costs.category,
        campaign_id=costs.campaign_id,
    )


@family("costs", reads=("costs",), dimensions=("channel",), finish=_share_costs)
def _costs(model: Model, dims: tuple[str, ...]) -> ir.Table:
    """Cost per month and row channel (shared out afterwards by `_share_costs`)."""
    frame = cost_rows(model)
    return frame.group_by(["month", "channel"]).aggregate(
        amount=money(frame.amount).sum(), rows=frame.count()
    )


# -- Deals -------------------------------------------------------------------------------------
def won_deal_rows(model: Model) -> ir.Table:
    """Deals won, with the month of closed_at and the deal's channel (SPEC §3's order)."""
    deals = model.tables["deals"]
    won = deals.filter((deals.status == "won") & deals.closed_at.notnull())
    if "campaigns" in model.tables:
        campaigns = model.tables["campaigns"]
        lookup = campaigns.select(_campaign=campaigns.campaign_id, _via_campaign=campaigns.channel)
        won = won.left_join(lookup, won.campaign_id == lookup._campaign).view()
    else:
        won = won.mutate(_via_campaign=ibis.null("string"))
    if "contacts" in model.tables:
        contacts = model.tables["contacts"]
        people = contacts.select(_contact=contacts.contact_id, _via_contact=contacts.channel)
        won = won.left_join(people, won.contact_id == people._contact).view()
    else:
        won = won.mutate(_via_contact=ibis.null("string"))
    channel = won.channel.fill_null(won._via_campaign).fill_null(won._via_contact)
    return won.select(
        won.deal_id,
        won.closed_at,
        won.type,
        won.amount,
        month=model.month(won.closed_at),
        channel=channel.fill_null(UNKNOWN),
    )


@family("won_deals", reads=("deals",), dimensions=("channel",))
def _won_deals(model: Model, dims: tuple[str, ...]) -> ir.Table:
    """Amounts of deals won per month (closed_at), by the deal's channel."""
    won = won_deal_rows(model)
    frame = won.select(won.month, won.channel, won.type, amount=money(won.amount))
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
def account_months(model: Model) -> ir.Table:
    """Accounts active at the start of each reported month: segment, MRR at start and end.

    `mrr_end` is NULL when the account has no active subscription at the end of the month.
    """
    subs = model.tables["subscriptions"]
    spine = model.month_starts
    boundaries = (
        spine.select(month=spine.month, at=spine.month_start)
        .union(spine.select(month=spine.month + 1, at=spine.month_end))
        .distinct()
    )
    active = subs.join(
        boundaries,
        (subs.started_at <= boundaries.at)
        & (subs.ended_at.isnull() | (boundaries.at < subs.ended_at)),
    )
    at_boundary = active.group_by(["account_id", "month"]).aggregate(mrr=money(active.mrr).sum())
    end = at_boundary.select(
        account_id=at_boundary.account_id, month=at_boundary.month - 1, mrr_end=at_boundary.mrr
    )
    joined = at_boundary.left_join(end, ["account_id", "month"]).view()
    segments = model.segments.rename({"_segment_account": "account_id"})
    joined = joined.left_join(segments, joined.account_id == segments._segment_account)
    rows = joined.select(
        joined.account_id,
        joined.month,
        segment=joined.segment.fill_null(UNKNOWN),
        mrr_start=joined.mrr,
        mrr_end=joined.mrr_end,
    )
    return rows.filter(rows.month.isin(list(model.window.months)))


@family("subscriptions", reads=("subscriptions",), dimensions=("segment",))
def _subscriptions(model: Model, dims: tuple[str, ...]) -> ir.Table:
    """Accounts active at the start of each month and their MRR at its start and end."""
    rows = account_months(model)
    mrr_end = rows.mrr_end.fill_null(ibis.literal(0).cast(MONEY))
    frame = rows.select(
        rows.month,
        rows.segment,
        mrr_start=rows.mrr_start,
        mrr_end=mrr_end,
        churned=rows.mrr_end.isnull(),
        mrr_kept=ibis.ifelse(mrr_end < rows.mrr_start, mrr_end, rows.mrr_start),
    )
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
def response_rows(model: Model) -> ir.Table:
    """NPS responses with their month and segment (the account's, else the contact's)."""
    responses = model.tables["nps_responses"]
    if "contacts" in model.tables:
        contacts = model.tables["contacts"]
        people = contacts.select(
            _contact=contacts.contact_id,
            _contact_account=contacts.account_id.fill_null(contacts.contact_id),
        )
        responses = responses.left_join(people, responses.contact_id == people._contact).view()
        contact_account = responses._contact_account
    else:
        contact_account = responses.contact_id
    keyed = responses.mutate(_account=responses.account_id.fill_null(contact_account)).view()
    segments = model.segments.rename({"_segment_account": "account_id"})
    keyed = keyed.left_join(segments, keyed._account == segments._segment_account)
    return keyed.select(
        keyed.response_id,
        keyed.responded_at,
        keyed.score,
        keyed.comment,
        month=model.month(keyed.responded_at),
        segment=keyed.segment.fill_null(UNKNOWN),
    )


@family("nps", reads=("nps_responses",), dimensions=("segment",))
def _nps(model: Model, dims: tuple[str, ...]) -> ir.Table:
    """Responses, promoters and detractors per month."""
    rows = response_rows(model)
    frame = rows.select(rows.month, rows.score, rows.segment)
    return additive_rollup(
        frame,
        dims,
        lambda t: {
            "responses": t.count(),
            "net_promoters": (t.score >= 9).sum() - (t.score <= 6).sum(),
        },
    )
