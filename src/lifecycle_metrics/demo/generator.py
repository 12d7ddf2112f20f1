"""Generate a realistic B2B SaaS dataset covering every canonical table, vectorised with NumPy.

Everything is drawn from one seeded generator, so the same seed and size give the same files.
Timestamps are drawn as whole seconds since the epoch (UTC) and written as UTC instants.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from lifecycle_metrics.schema import ADVOCACY_ACTIVITY_TYPES

DAY = 86_400
Progress = Callable[[str], None]


@dataclass(frozen=True, kw_only=True)
class DemoConfig:
    """Size, span and seed of a demo dataset."""

    contacts: int = 20_000
    seed: int = 7
    start: datetime = datetime(2023, 1, 1)
    months: int = 36
    file_format: str = "parquet"  # parquet or csv


@dataclass(frozen=True)
class Channel:
    """An acquisition channel and how good its leads are."""

    name: str
    share: float  # of new contacts
    mql_rate: float  # of leads reaching MQL
    sql_rate: float  # of MQLs reaching SQL
    win_rate: float  # of SQLs becoming customers
    monthly_cost: float  # program spend per month
    sources: tuple[str, ...]


CHANNELS: tuple[Channel, ...] = (
    Channel("paid_search", 0.24, 0.32, 0.38, 0.28, 42_000, ("google_ads", "bing_ads")),
    Channel("organic_search", 0.22, 0.30, 0.42, 0.30, 9_000, ("google", "bing", "duckduckgo")),
    Channel("social", 0.16, 0.18, 0.25, 0.18, 21_000, ("linkedin", "twitter", "facebook")),
    Channel("email", 0.10, 0.26, 0.33, 0.24, 6_000, ("newsletter", "partner_list")),
    Channel("events", 0.09, 0.45, 0.50, 0.33, 30_000, ("trade_show", "webinar", "meetup")),
    Channel("referral", 0.07, 0.55, 0.60, 0.42, 4_000, ("customer_referral", "g2_review")),
    Channel("partner", 0.06, 0.40, 0.45, 0.35, 12_000, ("reseller", "integration_partner")),
    Channel("direct", 0.06, 0.28, 0.35, 0.26, 0, ("direct",)),
)
SEGMENTS = ("SMB", "Mid-Market", "Enterprise")
SEGMENT_WEIGHTS = (0.62, 0.28, 0.10)
SEGMENT_MRR = (350.0, 1_800.0, 9_500.0)
# NPS answer distributions (percent for scores 0..10) of promoter-minded buyers and the rest
PROMOTER_SCORES = (0, 0, 0, 0, 1, 1, 2, 6, 15, 35, 40)
OTHER_SCORES = (3, 3, 4, 5, 7, 10, 14, 18, 18, 10, 8)
INDUSTRIES = ("software", "manufacturing", "finance", "healthcare", "retail", "education")
PRODUCTS: dict[str, tuple[str, ...]] = {
    "analytics": ("dashboards", "reports", "alerts", "exports", "sql_editor"),
    "automation": ("workflows", "triggers", "schedules", "webhooks"),
    "insights": ("forecasts", "cohorts", "segments", "benchmarks"),
}
NURTURE_PROGRAMS = (
    "Welcome series",
    "Product tour drip",
    "Case-study nurture",
    "Webinar follow-up",
    "Pricing & ROI track",
    "Re-engagement (recycled leads)",
)
CUSTOMER_PROGRAMS = (
    "Onboarding journey",
    "Feature adoption tips",
    "Customer newsletter",
    "Advocate club invitations",
)
COMMENTS = (
    "Great product, the dashboards save us hours every week.",
    "Support was slow to answer our ticket.",
    "Très bon outil, mais la documentation pourrait être meilleure.",
    "Sehr zufrieden, die Automatisierung funktioniert zuverlässig.",
    "Muy útil para nuestro equipo de marketing.",
    "価格が少し高いですが、機能は素晴らしいです。",
    "Ótima ferramenta, recomendo.",
    "Too expensive for what we use.",
    "Onboarding was smooth; we were live in a week.",
    "Het rapportagemodel is erg duidelijk.",
    "",
)


def _epoch(moment: datetime) -> int:
    return int(moment.replace(tzinfo=UTC).timestamp())


def _ids(prefix: str, count: int) -> pa.Array:
    width = max(6, len(str(count)))
    if count == 0:  # a tiny demo may have no rows of a table; NumPy cannot zfill nothing
        return pa.array([], pa.string())
    numbers = np.char.zfill(np.arange(1, count + 1).astype(str), width)
    return pa.array(np.char.add(prefix, numbers))


def _timestamps(seconds: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    values = seconds.astype("int64") * 1_000_000
    mask = None if valid is None else ~valid
    return pa.array(values, type=pa.timestamp("us", tz="UTC"), mask=mask)


def _strings(values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    mask = None if valid is None else ~valid
    return pa.array(values.astype(object), type=pa.string(), mask=mask)


class _Generator:
    """Holds the random state and the drawn contacts while the tables are built."""

    def __init__(self, config: DemoConfig) -> None:
        self.config = config
        self.rng = np.random.default_rng(config.seed)
        self.start = _epoch(config.start)
        end_year = config.start.year + (config.start.month - 1 + config.months) // 12
        end_month = (config.start.month - 1 + config.months) % 12 + 1
        self.end = _epoch(datetime(end_year, end_month, 1))
        self.month_starts = np.array(
            [
                _epoch(
                    datetime(
                        config.start.year + (config.start.month - 1 + i) // 12,
                        (config.start.month - 1 + i) % 12 + 1,
                        1,
                    )
                )
                for i in range(config.months + 1)
            ]
        )

    def _seasonal_times(self, count: int) -> np.ndarray:
        """Creation times with growth (35 % a year) and seasonality (quiet summer, December)."""
        months = self.config.months
        index = np.arange(months)
        calendar = (self.config.start.month - 1 + index) % 12
        season = 1 + 0.18 * np.cos((calendar - 2) * 2 * np.pi / 12) - 0.15 * (calendar == 11)
        weights = season * 1.35 ** (index / 12)
        month = self.rng.choice(months, size=count, p=weights / weights.sum())
        span = self.month_starts[month + 1] - self.month_starts[month]
        return self.month_starts[month] + (self.rng.random(count) * span).astype("int64")

    def _delay_days(self, count: int, median_days: float) -> np.ndarray:
        return (self.rng.lognormal(np.log(median_days), 0.8, count) * DAY).astype("int64")

    # -----------------------------------------------------------------------------------------
    def build(self, progress: Progress) -> dict[str, pa.Table]:
        """Every canonical table, as Arrow tables."""
        progress("drawing campaigns and accounts")
        tables: dict[str, pa.Table] = {}
        tables["campaigns"] = self._campaigns()
        tables["features"] = pa.table(
            {
                "feature": [f for features in PRODUCTS.values() for f in features],
                "product": [p for p, features in PRODUCTS.items() for _ in features],
            }
        )
        self._accounts(tables)
        progress("drawing contacts and their funnel")
        self._contacts(tables)
        self._funnel(tables)
        progress("drawing deals and subscriptions")
        self._deals_and_subscriptions(tables)
        progress("drawing activities")
        self._activities(tables)
        progress("drawing scores, surveys, sessions and usage")
        self._lead_scores(tables)
        self._nps(tables)
        self._web_sessions(tables)
        self._usage(tables)
        self._costs(tables)
        return tables

    def _campaigns(self) -> pa.Table:
        rows: list[tuple[str, str, str, bool]] = []
        for channel in CHANNELS:
            for number in range(3):
                rows.append(
                    (
                        f"{channel.name.replace('_', ' ').title()} campaign {number + 1}",
                        channel.name,
                        "prospect",
                        False,
                    )
                )
        rows += [(name, "email", "prospect", True) for name in NURTURE_PROGRAMS]
        rows += [(name, "email", "customer", True) for name in CUSTOMER_PROGRAMS]
        count = len(rows)
        self.campaign_ids = np.array([f"cmp{i + 1:03d}" for i in range(count)])
        self.campaign_channel = np.array([row[1] for row in rows])
        self.campaign_audience = np.array([row[2] for row in rows])
        self.campaign_automated = np.array([row[3] for row in rows])
        started = self.start - 30 * DAY - (self.rng.random(count) * 60 * DAY).astype("int64")
        return pa.table(
            {
                "campaign_id": self.campaign_ids,
                "name": [row[0] for row in rows],
                "channel": self.campaign_channel,
                "audience": self.campaign_audience,
                "automated": self.campaign_automated,
                "started_at": _timestamps(started),
                "ended_at": pa.nulls(count, pa.timestamp("us", tz="UTC")),
            }
        )

    def _accounts(self, tables: dict[str, pa.Table]) -> None:
        count = max(1, self.config.contacts // 3)
        self.account_ids = np.char.add("acc", np.char.zfill(np.arange(1, count + 1).astype(str), 7))
        self.account_segment = self.rng.choice(len(SEGMENTS), size=count, p=SEGMENT_WEIGHTS)
        created = self.start - (self.rng.random(count) * 365 * DAY).astype("int64")
        tables["accounts"] = pa.table(
            {
                "account_id": self.account_ids,
                "name": np.char.add("Company ", np.arange(1, count + 1).astype(str)),
                "segment": np.array(SEGMENTS)[self.account_segment],
                "industry": self.rng.choice(INDUSTRIES, size=count),
                "created_at": _timestamps(created),
            }
        )

    def _contacts(self, tables: dict[str, pa.Table]) -> None:
        count = self.config.contacts
        rng = self.rng
        self.created = np.sort(self._seasonal_times(count))
        shares = np.array([c.share for c in CHANNELS])
        self.channel = rng.choice(len(CHANNELS), size=count, p=shares / shares.sum())
        # Later paid-search leads get worse (rising competition): a trend worth spotting.
        self.account = rng.integers(0, len(self.account_ids), size=count)
        has_account = rng.random(count) > 0.04
        self.internal = rng.random(count) < 0.004
        channel_names = np.array([c.name for c in CHANNELS])
        source = np.array([rng.choice(CHANNELS[i].sources) for i in range(len(CHANNELS))])
        sources = source[self.channel]
        # some contacts pick another source of their channel
        alternative = np.array([CHANNELS[i].sources[-1] for i in range(len(CHANNELS))])
        swap = rng.random(count) < 0.35
        sources = np.where(swap, alternative[self.channel], sources)
        campaign_of_channel = {
            name: np.flatnonzero((self.campaign_channel == name) & ~self.campaign_automated)
            for name in channel_names
        }
        picks = rng.integers(0, 3, size=count)
        campaign = np.array(
            [
                self.campaign_ids[campaign_of_channel[channel_names[c]][0]]
                for c in range(len(CHANNELS))
            ]
        )[self.channel]
        # campaign number within the channel: ids are consecutive per channel
        base = np.array(
            [int(campaign_of_channel[channel_names[c]][0]) for c in range(len(CHANNELS))]
        )[self.channel]
        campaign = self.campaign_ids[base + picks]
        has_campaign = rng.random(count) > 0.2
        # the first campaign of each channel brings better leads than the third
        self.campaign_quality = np.where(has_campaign, 1.15 - 0.15 * picks, 1.0)
        self.contact_ids = np.char.add("c", np.char.zfill(np.arange(1, count + 1).astype(str), 8))
        self.contact_account = np.where(has_account, self.account_ids[self.account], "")
        emails = np.char.add(
            np.char.add("person", np.arange(1, count + 1).astype(str)),
            np.where(self.internal, "@ourcompany.example", "@example.com"),
        )
        tables["contacts"] = pa.table(
            {
                "contact_id": self.contact_ids,
                "created_at": _timestamps(self.created),
                "account_id": _strings(self.contact_account, has_account),
                "email": emails,
                "channel": _strings(channel_names[self.channel], rng.random(count) > 0.01),
                "source": sources,
                "campaign_id": _strings(campaign, has_campaign),
                "is_internal": self.internal,
            }
        )

    def _funnel(self, tables: dict[str, pa.Table]) -> None:
        rng, count = self.rng, self.config.contacts
        mql_rate = np.array([c.mql_rate for c in CHANNELS])[self.channel] * self.campaign_quality
        sql_rate = np.array([c.sql_rate for c in CHANNELS])[self.channel]
        win_rate = np.array([c.win_rate for c in CHANNELS])[self.channel]
        segment = self.account_segment[self.account]
        win_rate = win_rate * np.array([1.0, 0.85, 0.6])[segment]
        lead_at = self.created + rng.integers(0, 600, size=count)
        reach_mql = rng.random(count) < mql_rate
        mql_at = lead_at + self._delay_days(count, 9)
        reach_sql = reach_mql & (rng.random(count) < sql_rate)
        sql_at = mql_at + self._delay_days(count, 14)
        reach_opp = reach_sql & (rng.random(count) < 0.8)
        opp_at = sql_at + self._delay_days(count, 5)
        reach_customer = reach_opp & (rng.random(count) < win_rate / 0.8)
        customer_at = opp_at + self._delay_days(count, 30) * np.array([1, 1.6, 2.5])[segment]
        customer_at = customer_at.astype("int64")
        # stage skips: some leads go straight to SQL (sales-accepted inbound), some wins skip opp
        skip_mql = reach_sql & (rng.random(count) < 0.08)
        skip_opp = reach_customer & (rng.random(count) < 0.1)
        no_lead_row = rng.random(count) < 0.05  # lead reached only through created_at
        # recycling: MQLs that do not reach SQL are often recycled; a third come back as MQL
        recycled = reach_mql & ~reach_sql & (rng.random(count) < 0.45)
        recycled_at = mql_at + self._delay_days(count, 25)
        reopened = recycled & (rng.random(count) < 0.35)
        reopened_at = recycled_at + self._delay_days(count, 40)
        disqualified = ~reach_mql & (rng.random(count) < 0.2)
        disqualified_at = lead_at + self._delay_days(count, 12)

        parts = [
            (~no_lead_row, "lead", lead_at),
            (reach_mql & ~skip_mql, "mql", mql_at),
            (reach_sql, "sql", sql_at),
            (reach_opp & ~skip_opp, "opportunity", opp_at),
            (reach_customer, "customer", customer_at),
            (recycled, "recycled", recycled_at),
            (reopened, "mql", reopened_at),
            (disqualified, "disqualified", disqualified_at),
        ]
        contacts, stages, times = [], [], []
        for mask, stage, at in parts:
            keep = mask & (at < self.end)
            contacts.append(np.flatnonzero(keep))
            stages.append(np.full(int(keep.sum()), stage))
            times.append(at[keep])
        who = np.concatenate(contacts)
        when = np.concatenate(times)
        order = np.lexsort((when, who))
        tables["stage_changes"] = pa.table(
            {
                "contact_id": self.contact_ids[who[order]],
                "stage": np.concatenate(stages)[order],
                "changed_at": _timestamps(when[order]),
            }
        )
        self.customer_at = np.where(reach_customer & (customer_at < self.end), customer_at, -1)
        self.sql_at = np.where(reach_sql & (sql_at < self.end), sql_at, -1)
        self.lead_at = lead_at
        self.mql_at = np.where(reach_mql & (mql_at < self.end), mql_at, -1)

    def _deals_and_subscriptions(self, tables: dict[str, pa.Table]) -> None:
        rng = self.rng
        won = np.flatnonzero((self.customer_at >= 0) & (self.contact_account != ""))
        # the first customer contact of each account makes it a customer
        order = won[np.argsort(self.customer_at[won], kind="stable")]
        _, first = np.unique(self.account[order], return_index=True)
        buyers = order[first]
        account_index = self.account[buyers]
        segment = self.account_segment[account_index]
        base_mrr = np.array(SEGMENT_MRR)[segment] * rng.lognormal(0, 0.35, len(buyers))
        won_at = self.customer_at[buyers]
        product_names = np.array(list(PRODUCTS))
        first_product = rng.choice(len(product_names), size=len(buyers), p=(0.6, 0.25, 0.15))
        # lost and open new-business deals from SQLs that did not buy
        lost = np.flatnonzero(
            (self.sql_at >= 0) & (self.customer_at < 0) & (self.contact_account != "")
        )
        lost_closed = self.sql_at[lost] + self._delay_days(len(lost), 35)
        is_open = lost_closed >= self.end
        # Two hidden traits per buyer make the after-sale signals real: adopters use more of
        # the product and expand; promoters answer 9–10 and advocate; both churn less.
        adopter = rng.random(len(buyers)) < 0.6
        promoter = rng.random(len(buyers)) < 0.5
        # expansions (cross-sell after adoption) and renewals of the buyers
        expand = rng.random(len(buyers)) < np.where(adopter, 0.5, 0.1)
        expand_at = won_at + self._delay_days(len(buyers), 160)
        expand_type = np.where(rng.random(len(buyers)) < 0.55, "upsell", "cross_sell")
        renew_at = won_at + 365 * DAY
        churn_at = won_at + self._delay_days(len(buyers), 540)
        churns = rng.random(len(buyers)) < 0.2 + 0.3 * ~adopter + 0.2 * ~promoter
        churn_at = np.where(churns, churn_at, np.iinfo("int64").max)
        expand_ok = expand & (expand_at < self.end) & (expand_at < churn_at)
        renew_ok = (renew_at < self.end) & (renew_at < churn_at)

        deal_account = np.concatenate(
            [
                self.account_ids[account_index],
                self.account_ids[self.account[lost]],
                self.account_ids[account_index[expand_ok]],
                self.account_ids[account_index[renew_ok]],
            ]
        )
        deal_contact = np.concatenate(
            [
                self.contact_ids[buyers],
                self.contact_ids[lost],
                self.contact_ids[buyers[expand_ok]],
                self.contact_ids[buyers[renew_ok]],
            ]
        )
        deal_type = np.concatenate(
            [
                np.full(len(buyers), "new_business"),
                np.full(len(lost), "new_business"),
                expand_type[expand_ok],
                np.full(int(renew_ok.sum()), "renewal"),
            ]
        )
        status = np.concatenate(
            [
                np.full(len(buyers), "won"),
                np.where(is_open, "open", "lost"),
                np.full(int(expand_ok.sum()), "won"),
                np.full(int(renew_ok.sum()), "won"),
            ]
        )
        closed = np.concatenate([won_at, lost_closed, expand_at[expand_ok], renew_at[renew_ok]])
        created = closed - self._delay_days(len(closed), 40)
        created = np.concatenate(
            [self.sql_at[buyers], self.sql_at[lost], created[len(buyers) + len(lost) :]]
        )
        created = np.where(created < 0, closed - 30 * DAY, created)
        expansion_mrr = base_mrr * rng.uniform(0.2, 0.6, len(buyers))
        amount = np.concatenate(
            [
                base_mrr * 12,
                np.array(SEGMENT_MRR)[self.account_segment[self.account[lost]]] * 12,
                expansion_mrr[expand_ok] * 12,
                base_mrr[renew_ok] * 12,
            ]
        ).round(2)
        product = np.concatenate(
            [
                product_names[first_product],
                product_names[rng.integers(0, 3, len(lost))],
                product_names[(first_product[expand_ok] + 1) % 3],
                product_names[first_product[renew_ok]],
            ]
        )
        count = len(deal_type)
        channel_override = rng.random(count) < 0.05
        tables["deals"] = pa.table(
            {
                "deal_id": _ids("d", count),
                "account_id": deal_account,
                "type": deal_type,
                "status": status,
                "created_at": _timestamps(created),
                "amount": amount,
                "closed_at": _timestamps(np.where(status == "open", 0, closed), status != "open"),
                "contact_id": deal_contact,
                "campaign_id": pa.nulls(count, pa.string()),
                "channel": _strings(np.full(count, "partner"), channel_override),
                "product": product,
            }
        )
        # subscriptions: the first product from the win, an expansion line, ended at churn
        sub_account = np.concatenate(
            [self.account_ids[account_index], self.account_ids[account_index[expand_ok]]]
        )
        sub_start = np.concatenate([won_at, expand_at[expand_ok]])
        sub_mrr = np.concatenate([base_mrr, expansion_mrr[expand_ok]]).round(2)
        sub_end = np.concatenate([churn_at, churn_at[expand_ok]])
        ended = sub_end < self.end
        sub_product = np.concatenate(
            [product_names[first_product], product_names[(first_product[expand_ok] + 1) % 3]]
        )
        tables["subscriptions"] = pa.table(
            {
                "subscription_id": _ids("s", len(sub_account)),
                "account_id": sub_account,
                "started_at": _timestamps(sub_start),
                "mrr": sub_mrr,
                "ended_at": _timestamps(np.where(ended, sub_end, 0), ended),
                "product": sub_product,
            }
        )
        self.buyers = buyers
        self.buyer_account = account_index
        self.buyer_won_at = won_at
        self.buyer_churn_at = churn_at
        self.buyer_product = first_product
        self.buyer_adopter = adopter
        self.buyer_promoter = promoter

    def _activities(self, tables: dict[str, pa.Table]) -> None:
        rng, count = self.rng, self.config.contacts
        nurture = np.flatnonzero((self.campaign_audience == "prospect") & self.campaign_automated)
        customer_programs = np.flatnonzero(self.campaign_audience == "customer")
        # every lead gets a number of nurture emails; customers get customer-program emails
        sends_per_contact = rng.poisson(4.5, count)
        contact = np.repeat(np.arange(count), sends_per_contact)
        sent_at = self.lead_at[contact] + (rng.exponential(45, len(contact)) * DAY).astype("int64")
        campaign = nurture[rng.integers(0, len(nurture), len(contact))]
        customer_contacts = self.buyers
        c_sends = rng.poisson(4, len(customer_contacts))
        c_contact = np.repeat(customer_contacts, c_sends)
        c_sent = self.customer_at[c_contact] + (rng.random(len(c_contact)) * 400 * DAY).astype(
            "int64"
        )
        c_campaign = customer_programs[rng.integers(0, len(customer_programs), len(c_contact))]
        contact = np.concatenate([contact, c_contact])
        sent_at = np.concatenate([sent_at, c_sent])
        campaign = np.concatenate([campaign, c_campaign])
        keep = sent_at < self.end
        contact, sent_at, campaign = contact[keep], sent_at[keep], campaign[keep]
        sends = len(contact)
        message = np.arange(sends)
        # program quality differs: open and click rates per campaign
        open_rate = 0.22 + 0.25 * (campaign % 5) / 4
        click_rate = 0.05 + 0.12 * ((campaign * 7) % 5) / 4
        bounced = rng.random(sends) < 0.03
        opened = ~bounced & (rng.random(sends) < open_rate)
        repeat_opens = np.where(opened, rng.poisson(0.6, sends), 0)
        machine_open = ~bounced & (rng.random(sends) < 0.08)
        clicked = opened & (rng.random(sends) < click_rate / open_rate.clip(0.01))
        unsubscribed = opened & (rng.random(sends) < 0.02)

        def events(
            mask_or_counts: np.ndarray, kind: str, delay_hours: float, machine: bool = False
        ) -> dict[str, np.ndarray]:
            counts = mask_or_counts.astype("int64")
            index = np.repeat(np.arange(sends), counts)
            delay = (rng.exponential(delay_hours, len(index)) * 3600).astype("int64")
            return {
                "contact": contact[index],
                "campaign": campaign[index],
                "message": message[index],
                "at": sent_at[index] + (0 if kind == "email_sent" else delay + 60),
                "type": np.full(len(index), kind),
                "machine": np.full(len(index), machine),
            }

        groups = [
            events(np.ones(sends), "email_sent", 0),
            events(bounced, "email_bounce", 0.1),
            events(opened.astype(int) + repeat_opens, "email_open", 20),
            events(machine_open, "email_open", 0.01, machine=True),
            events(clicked, "email_click", 22),
            events(unsubscribed, "email_unsubscribe", 30),
        ]
        # web visits, form fills, event attendance and advocacy (no message)
        visits = rng.poisson(2.0, count)
        v_contact = np.repeat(np.arange(count), visits)
        v_at = self.created[v_contact] + (rng.exponential(60, len(v_contact)) * DAY).astype("int64")
        forms = rng.random(count) < 0.5
        f_contact = np.flatnonzero(forms)
        f_at = self.created[f_contact] + 30
        attendees = np.flatnonzero(np.array([c.name for c in CHANNELS])[self.channel] == "events")
        e_at = self.created[attendees] - 3600
        # advocacy: more likely for long-standing customers; lovers are rare
        advocates = self.buyers[
            rng.random(len(self.buyers)) < np.where(self.buyer_promoter, 0.2, 0.03)
        ]
        a_count = rng.poisson(1.5, len(advocates)) + 1
        a_contact = np.repeat(advocates, a_count)
        a_at = self.customer_at[a_contact] + (rng.exponential(200, len(a_contact)) * DAY).astype(
            "int64"
        )
        a_type = rng.choice(ADVOCACY_ACTIVITY_TYPES, len(a_contact))
        event_campaign = np.flatnonzero(self.campaign_channel == "events")[0]
        for kinds, who, at, campaign_index in (
            ("web_visit", v_contact, v_at, -1),
            ("form_submit", f_contact, f_at, -1),
            ("event_attended", attendees, e_at, event_campaign),
        ):
            groups.append(
                {
                    "contact": who,
                    "campaign": np.full(len(who), campaign_index),
                    "message": np.full(len(who), -1),
                    "at": at,
                    "type": np.full(len(who), kinds),
                    "machine": np.zeros(len(who), bool),
                }
            )
        groups.append(
            {
                "contact": a_contact,
                "campaign": np.full(len(a_contact), -1),
                "message": np.full(len(a_contact), -1),
                "at": a_at,
                "type": a_type,
                "machine": np.zeros(len(a_contact), bool),
            }
        )
        merged = {key: np.concatenate([g[key] for g in groups]) for key in groups[0]}
        keep = merged["at"] < self.end
        merged = {key: value[keep] for key, value in merged.items()}
        order = np.argsort(merged["at"], kind="stable")
        merged = {key: value[order] for key, value in merged.items()}
        total = len(order)
        has_campaign = merged["campaign"] >= 0
        has_message = merged["message"] >= 0
        # a few opens and clicks lose their campaign id and keep only the message id
        drop_campaign = has_message & (merged["type"] != "email_sent") & (rng.random(total) < 0.03)
        message_ids = np.char.add("m", merged["message"].astype(str))
        tables["activities"] = pa.table(
            {
                "activity_id": _ids("a", total),
                "contact_id": self.contact_ids[merged["contact"]],
                "type": merged["type"],
                "occurred_at": _timestamps(merged["at"]),
                "campaign_id": _strings(
                    self.campaign_ids[merged["campaign"].clip(0)], has_campaign & ~drop_campaign
                ),
                "message_id": _strings(message_ids, has_message),
                "is_machine": merged["machine"],
            }
        )

    def _lead_scores(self, tables: dict[str, pa.Table]) -> None:
        rng, count = self.rng, self.config.contacts
        per_contact = rng.integers(1, 4, count)
        contact = np.repeat(np.arange(count), per_contact)
        step = np.arange(len(contact)) - np.repeat(
            np.cumsum(per_contact) - per_contact, per_contact
        )
        at = self.lead_at[contact] + step * 12 * DAY + 3600
        quality = np.array([c.mql_rate for c in CHANNELS])[self.channel[contact]]
        score = (quality * 120 + step * 9 + rng.normal(0, 8, len(contact))).clip(0, 100).round()
        keep = at < self.end
        tables["lead_scores"] = pa.table(
            {
                "contact_id": self.contact_ids[contact[keep]],
                "score": score[keep],
                "scored_at": _timestamps(at[keep]),
            }
        )

    def _nps(self, tables: dict[str, pa.Table]) -> None:
        rng = self.rng
        answering = np.flatnonzero(rng.random(len(self.buyers)) < 0.6)
        respondents = self.buyers[answering]
        answers = rng.integers(1, 4, len(respondents))
        is_promoter = np.repeat(self.buyer_promoter[answering], answers)
        contact = np.repeat(respondents, answers)
        step = np.arange(len(contact)) - np.repeat(np.cumsum(answers) - answers, answers)
        at = (
            self.customer_at[contact] + (60 + step * 120) * DAY + rng.integers(0, DAY, len(contact))
        )
        promoter_score = rng.choice(11, len(contact), p=np.array(PROMOTER_SCORES) / 100)
        other_score = rng.choice(11, len(contact), p=np.array(OTHER_SCORES) / 100)
        score = np.where(is_promoter, promoter_score, other_score)
        keep = at < self.end
        contact, at, score = contact[keep], at[keep], score[keep]
        comment_index = rng.integers(0, len(COMMENTS), len(contact))
        comments = np.array(COMMENTS)[comment_index]
        tables["nps_responses"] = pa.table(
            {
                "response_id": _ids("r", len(contact)),
                "score": score.astype("int64"),
                "responded_at": _timestamps(at),
                "contact_id": self.contact_ids[contact],
                "account_id": self.contact_account[contact],
                "comment": _strings(comments, comments != ""),
            }
        )

    def _web_sessions(self, tables: dict[str, pa.Table]) -> None:
        rng = self.rng
        total = self.config.contacts * 6
        visitors = max(1, total // 3)
        at = self._seasonal_times(total)
        visitor = rng.integers(0, visitors, total)
        # a visitor who became a contact: visitor numbers below the contact count map onto them
        identified = (visitor < self.config.contacts) & (rng.random(total) < 0.3)
        channel_names = np.array([c.name for c in CHANNELS])
        order = np.argsort(at, kind="stable")
        tables["web_sessions"] = pa.table(
            {
                "session_id": _ids("ws", total),
                "visitor_id": np.char.add("v", visitor[order].astype(str)),
                "started_at": _timestamps(at[order]),
                "channel": channel_names[rng.integers(0, len(CHANNELS), total)],
                "contact_id": _strings(
                    self.contact_ids[visitor.clip(0, self.config.contacts - 1)][order],
                    identified[order],
                ),
            }
        )

    def _usage(self, tables: dict[str, pa.Table]) -> None:
        rng = self.rng
        product_names = list(PRODUCTS)
        features = [np.array(PRODUCTS[name]) for name in product_names]
        # a Poisson stream of feature use over each buyer's life: adopters use more and more
        # features; in the 90 days before churn use falls to a quarter (adoption falls first)
        start = self.buyer_won_at
        stop = np.minimum(self.buyer_churn_at, self.end)
        life_months = np.maximum(stop - start, 0) / (30 * DAY)
        rate = np.where(self.buyer_adopter, 8.0, 3.0)
        per_account = rng.poisson(rate * life_months)
        buyer = np.repeat(np.arange(len(self.buyers)), per_account)
        at = start[buyer] + ((stop - start)[buyer] * rng.random(len(buyer))).astype("int64")
        churning = self.buyer_churn_at[buyer] < self.end
        fading = churning & (at >= self.buyer_churn_at[buyer] - 90 * DAY)
        kept_use = ~fading | (rng.random(len(buyer)) < 0.25)
        product = self.buyer_product[buyer]
        # a product × slot table of feature names; slots past a product's features wrap around
        slots = np.array([[names[i % len(names)] for i in range(5)] for names in features])
        reach = np.where(self.buyer_adopter[buyer], 5, 2)  # non-adopters stay on two features
        feature = slots[product, (rng.random(len(buyer)) * reach).astype("int64")]
        keep = (at < self.end) & kept_use
        tables["product_usage"] = pa.table(
            {
                "account_id": self.account_ids[self.buyer_account[buyer[keep]]],
                "feature": feature[keep],
                "used_at": _timestamps(at[keep]),
                "contact_id": self.contact_ids[self.buyers[buyer[keep]]],
                "count": rng.integers(1, 20, int(keep.sum())),
            }
        )

    def _costs(self, tables: dict[str, pa.Table]) -> None:
        rng = self.rng
        months = self.config.months
        labels = np.array(
            [
                f"{self.config.start.year + (self.config.start.month - 1 + i) // 12:04d}-"
                f"{(self.config.start.month - 1 + i) % 12 + 1:02d}"
                for i in range(months)
            ]
        )
        scale = self.config.contacts / 20_000
        rows_month: list[str] = []
        rows_amount: list[float] = []
        rows_category: list[str] = []
        rows_campaign: list[str | None] = []
        rows_channel: list[str | None] = []
        for index, label in enumerate(labels):
            growth = 1.3 ** (index / 12)
            for channel in CHANNELS:
                if channel.monthly_cost == 0:
                    continue
                amount = channel.monthly_cost * scale * growth * rng.uniform(0.8, 1.2)
                rows_month.append(label)
                rows_amount.append(round(amount * 0.7, 2))
                rows_category.append("program")
                rows_campaign.append(None)
                rows_channel.append(channel.name)
                campaign = self.campaign_ids[
                    (self.campaign_channel == channel.name) & ~self.campaign_automated
                ][index % 3]
                rows_month.append(label)
                rows_amount.append(round(amount * 0.3, 2))
                rows_category.append("program")
                rows_campaign.append(campaign)
                rows_channel.append(None)
            for category, amount in (("labor", 85_000), ("technology", 14_000)):
                rows_month.append(label)
                rows_amount.append(round(amount * scale * growth**0.5, 2))
                rows_category.append(category)
                rows_campaign.append(None)
                rows_channel.append(None)
        tables["costs"] = pa.table(
            {
                "month": rows_month,
                "amount": rows_amount,
                "category": rows_category,
                "campaign_id": pa.array(rows_campaign, pa.string()),
                "channel": pa.array(rows_channel, pa.string()),
            }
        )


def generate(
    out: Path, config: DemoConfig | None = None, progress: Progress | None = None
) -> dict[str, int]:
    """Write a demo dataset into folder `out`; returns rows written per table."""
    config = config or DemoConfig()
    say = progress or (lambda _message: None)
    if config.contacts < 10:
        raise ValueError("the demo needs at least 10 contacts")
    out.mkdir(parents=True, exist_ok=True)
    tables = _Generator(config).build(say)
    written: dict[str, int] = {}
    for name, table in tables.items():
        say(f"writing {name} ({table.num_rows:,} rows)")
        for stale in (out / f"{name}.csv", out / f"{name}.parquet"):
            stale.unlink(missing_ok=True)
        if config.file_format == "csv":
            pacsv.write_csv(table, out / f"{name}.csv")
        else:
            pq.write_table(table, out / f"{name}.parquet", compression="zstd")
        written[name] = table.num_rows
    return written
