"""A deliberately plain, row-by-row Python reading of SPEC §3–§4, to check the engine against.

Nothing here is shared with the product: no Ibis, no catalog, no families, no periods helpers.
Tables are lists of dicts with Python values; a timestamp is either a naive UTC datetime or the
ISO 8601 text a file holds, read here by SPEC §2 (`read_instant`); booleans are bools, empties
are None. The result maps (metric, 'YYYY-MM', dimension, member) to (value, mature), with
dimension and member None on totals.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

FUNNEL = ["lead", "mql", "sql", "opportunity", "customer"]
CONTACT_DIMS = ["channel", "source", "campaign_id", "segment"]
EVENT_COLUMNS = {
    "contacts": "created_at",
    "stage_changes": "changed_at",
    "activities": "occurred_at",
    "deals": "created_at",
    "subscriptions": "started_at",
    "nps_responses": "responded_at",
    "lead_scores": "scored_at",
    "web_sessions": "started_at",
    "product_usage": "used_at",
}
CONTACT_TABLES = [
    "stage_changes",
    "activities",
    "lead_scores",
    "nps_responses",
    "deals",
    "web_sessions",
    "product_usage",
]


# Every timestamp column of SPEC §2 (read even where no metric uses it).
TIMESTAMP_COLUMNS = {
    "contacts": ("created_at",),
    "accounts": ("created_at",),
    "stage_changes": ("changed_at",),
    "activities": ("occurred_at",),
    "campaigns": ("started_at", "ended_at"),
    "deals": ("created_at", "closed_at"),
    "subscriptions": ("started_at", "ended_at"),
    "nps_responses": ("responded_at",),
    "lead_scores": ("scored_at",),
    "web_sessions": ("started_at",),
    "product_usage": ("used_at",),
}
ISO = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?"
    r" ?(Z|[+-]\d{2}(?::?\d{2})?)?$"
)


def to_local(utc: datetime, tz: str) -> datetime:
    """The wall-clock time in zone `tz` of a naive UTC instant."""
    return utc.replace(tzinfo=UTC).astimezone(ZoneInfo(tz)).replace(tzinfo=None)


def local_to_utc(wall: datetime, tz: str) -> datetime:
    """SPEC §2's reading of a local wall-clock time, worked out from its definition.

    The instants whose wall clock in `tz` is `wall` are found by trying each offset the zone
    has around it and keeping those that convert back to `wall`: one instant normally, the
    earlier of two when the clock was set back (the first occurrence). None in a gap, where
    the clock was set forward: the time is moved forward by the gap and read again.
    """
    zone = ZoneInfo(tz)
    offsets = {
        (wall + timedelta(hours=hours)).replace(tzinfo=zone).utcoffset()
        for hours in (-30, -3, 0, 3, 30)
    }
    found = [wall - offset for offset in offsets if offset is not None]
    found = [utc for utc in found if to_local(utc, tz) == wall]
    if found:
        return min(found)
    before = (wall - timedelta(days=1)).replace(tzinfo=zone).utcoffset()
    after = (wall + timedelta(days=1)).replace(tzinfo=zone).utcoffset()
    assert before is not None and after is not None and after > before, (wall, tz)
    return local_to_utc(wall + (after - before), tz)


def read_instant(value: object, tz: str) -> datetime | None:
    """A timestamp cell as naive UTC: with an offset converted, without one read in `tz`."""
    if value is None or isinstance(value, datetime):
        return value
    match = ISO.match(str(value).strip())
    assert match, f"the generator wrote a timestamp the oracle cannot read: {value!r}"
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    wall = datetime(
        int(year),
        int(month),
        int(day),
        int(hour or 0),
        int(minute or 0),
        int(second or 0),
        int((fraction or "0").ljust(6, "0")),
    )
    if offset is None:
        return local_to_utc(wall, tz)
    if offset == "Z":
        return wall
    digits = offset[1:].replace(":", "")
    shift = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
    return wall - shift if offset[0] == "+" else wall + shift


def local_month(ts: datetime, tz: str) -> int:
    local = to_local(ts, tz)
    return local.year * 12 + local.month - 1


def month_start(month: int, tz: str) -> datetime:
    return local_to_utc(datetime(month // 12, month % 12 + 1, 1), tz)


def label(month: int) -> str:
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


def median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def member(value: object) -> str:
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return "unknown"
    return str(value).strip()


def ratio(numerator: float, denominator: float, scale: float = 1.0) -> float | None:
    if denominator <= 0:
        return None
    return scale * numerator / denominator


class NoEvents(ValueError):
    """No event timestamp is left to take as_of from (SPEC §3): as_of must be given."""


class Oracle:
    def __init__(
        self,
        tables: dict[str, list[dict]],
        tz: str = "UTC",
        as_of: datetime | str | None = None,
    ) -> None:
        self.tz = tz
        tables = {name: [dict(row) for row in rows] for name, rows in tables.items()}
        for name, rows in tables.items():
            for row in rows:
                for column in TIMESTAMP_COLUMNS.get(name, ()):
                    if column in row:
                        row[column] = read_instant(row[column], tz)
        as_of = read_instant(as_of, tz)
        internal = {c["contact_id"] for c in tables.get("contacts", []) if c.get("is_internal")}
        if "contacts" in tables:
            tables["contacts"] = [c for c in tables["contacts"] if not c.get("is_internal")]
        for name in CONTACT_TABLES:
            if name in tables:
                tables[name] = [r for r in tables[name] if r.get("contact_id") not in internal]
        events = []
        for name, column in EVENT_COLUMNS.items():
            events += [r[column] for r in tables.get(name, []) if r.get(column) is not None]
        for deal in tables.get("deals", []):
            if deal["status"] in ("won", "lost") and deal.get("closed_at") is not None:
                events.append(deal["closed_at"])
        if as_of is None and not events:
            raise NoEvents("no event timestamp to take as_of from")
        self.as_of = as_of if as_of is not None else max(events)
        for name, column in EVENT_COLUMNS.items():
            if name in tables:
                tables[name] = [r for r in tables[name] if r[column] <= self.as_of]
        for deal in tables.get("deals", []):
            if deal.get("closed_at") is not None and deal["closed_at"] > self.as_of:
                deal["status"], deal["closed_at"] = "open", None
        self.tables = tables
        kept_events = [e for e in events if e <= self.as_of]
        earliest = min(kept_events) if kept_events else self.as_of
        first, last = local_month(earliest, tz), local_month(self.as_of, tz)
        self.months = [m for m in range(first, last + 1) if month_start(m, tz) <= self.as_of]
        self._contacts()

    # -- model ---------------------------------------------------------------------------------
    def _segment_of_account(self, account_id: str | None) -> str:
        for account in self.tables.get("accounts", []):
            if account["account_id"] == account_id:
                return member(account.get("segment"))
        return "unknown"

    def _contacts(self) -> None:
        self.contact = {}
        for c in self.tables.get("contacts", []):
            account = c.get("account_id") or c["contact_id"]
            self.contact[c["contact_id"]] = {
                "created_at": c["created_at"],
                "channel": member(c.get("channel")),
                "source": member(c.get("source")),
                "campaign_id": member(c.get("campaign_id")),
                "account": account,
                "segment": self._segment_of_account(account),
            }
        for change in self.tables.get("stage_changes", []):
            if change["contact_id"] not in self.contact:
                cid = change["contact_id"]
                self.contact[cid] = {
                    "created_at": None,
                    "channel": "unknown",
                    "source": "unknown",
                    "campaign_id": "unknown",
                    "account": cid,
                    "segment": self._segment_of_account(cid),
                }
        self.reach: dict[str, dict[str, datetime | None]] = {}
        for cid, info in self.contact.items():
            changes = [s for s in self.tables.get("stage_changes", []) if s["contact_id"] == cid]
            times: dict[str, datetime | None] = {}
            candidates = [s["changed_at"] for s in changes]
            if info["created_at"] is not None:
                candidates.append(info["created_at"])
            times["lead"] = min(candidates) if candidates else None
            for position, stage in enumerate(FUNNEL[1:], start=1):
                later = FUNNEL[position:]
                hits = [s["changed_at"] for s in changes if s["stage"] in later]
                times[stage] = min(hits) if hits else None
            self.reach[cid] = times

    # -- helpers -------------------------------------------------------------------------------
    def month(self, ts: datetime) -> int:
        return local_month(ts, self.tz)

    def _contact_sets(
        self, members_of: dict[str, list[str]], month: int
    ) -> dict[tuple[str | None, str | None], set[str]]:
        """Group contact ids per (dimension, member) for the total and every contact dim."""
        groups: dict[tuple[str | None, str | None], set[str]] = defaultdict(set)
        for cid in members_of.get(month, []):
            groups[(None, None)].add(cid)
            for dim in CONTACT_DIMS:
                groups[(dim, self.contact[cid][dim])].add(cid)
        return groups

    # -- the catalog ---------------------------------------------------------------------------
    def compute(self, by: list[str]) -> dict[tuple, tuple[float | None, bool]]:
        out: dict[tuple, tuple[float | None, bool]] = {}
        have = self.tables.keys()

        def put(
            metric: str,
            month: int,
            key: tuple[str | None, str | None],
            value: float | None,
            mature: bool = True,
        ) -> None:
            dim, mem = key
            if dim is not None and dim not in by:
                return
            out[(metric, label(month), dim, mem)] = (value, mature)

        for m in self.months:
            start, end = month_start(m, self.tz), month_start(m + 1, self.tz)
            # Attract
            if "web_sessions" in have:
                sessions = [
                    s for s in self.tables["web_sessions"] if self.month(s["started_at"]) == m
                ]
                put("visits", m, (None, None), len(sessions))
                put("unique_visitors", m, (None, None), len({s["visitor_id"] for s in sessions}))
                for channel in sorted({member(s.get("channel")) for s in sessions}):
                    mine = [s for s in sessions if member(s.get("channel")) == channel]
                    put("visits", m, ("channel", channel), len(mine))
                    put(
                        "unique_visitors",
                        m,
                        ("channel", channel),
                        len({s["visitor_id"] for s in mine}),
                    )
            # funnel sets
            reached = {
                stage: [
                    c
                    for c, t in self.reach.items()
                    if t[stage] is not None and self.month(t[stage]) == m
                ]
                for stage in ("lead", "mql", "sql", "customer")
            }
            if "contacts" in have:
                leads = self._contact_sets({m: reached["lead"]}, m)
                put("new_leads", m, (None, None), len(leads[(None, None)]))
                for key, ids in leads.items():
                    if key != (None, None):
                        put("new_leads", m, key, len(ids))
                if "web_sessions" in have:
                    visitors = len(
                        {
                            s["visitor_id"]
                            for s in self.tables["web_sessions"]
                            if self.month(s["started_at"]) == m
                        }
                    )
                    put(
                        "visit_to_lead_rate",
                        m,
                        (None, None),
                        ratio(len(leads[(None, None)]), visitors),
                    )
            if "stage_changes" in have:
                for stage, metric in (("mql", "mqls"), ("sql", "sqls")):
                    sets = self._contact_sets({m: reached[stage]}, m)
                    put(metric, m, (None, None), len(sets[(None, None)]))
                    for key, ids in sets.items():
                        if key != (None, None):
                            put(metric, m, key, len(ids))
                self._new_customers(m, put)
                self._cohorts(m, put)
                self._lead_to_customer(m, reached["customer"], put)
                self._reopened(m, start, end, put)
            if "contacts" in have and "lead_scores" in have:
                self._lead_scores(m, reached["lead"], end, put)
            if "costs" in have:
                self._costs(m, reached, put)
            if "activities" in have and "campaigns" in have:
                self._email(m, "nurture", put)
                self._email(m, "customer", put)
            if "deals" in have:
                self._deals(m, put)
            if "deals" in have and "costs" in have:
                self._roi(m, put)
            if "subscriptions" in have:
                self._subscriptions(m, start, end, put)
            if "nps_responses" in have:
                self._nps(m, put)
        return out

    def _new_customers(self, m, put):
        first_by_account: dict[str, tuple[datetime, str]] = {}
        for cid, times in self.reach.items():
            if times["customer"] is None:
                continue
            account = self.contact[cid]["account"]
            candidate = (times["customer"], cid)
            if account not in first_by_account or candidate < first_by_account[account]:
                first_by_account[account] = candidate
        firsts = [cid for at, cid in first_by_account.values() if self.month(at) == m]
        sets = self._contact_sets({m: firsts}, m)
        put("new_customers", m, (None, None), len(sets[(None, None)]))
        for key, ids in sets.items():
            if key != (None, None):
                put("new_customers", m, key, len(ids))
        self._customers_firsts = getattr(self, "_customers_firsts", {})
        self._customers_firsts[m] = firsts

    def _cohorts(self, m, put):
        for start_stage, end_stage, days, metric in (
            ("lead", "mql", 90, "lead_to_mql_rate"),
            ("mql", "sql", 90, "mql_to_sql_rate"),
            ("sql", "customer", 180, "sql_to_customer_rate"),
            ("sql", "opportunity", 90, "sql_to_opportunity_rate"),
        ):
            mature = month_start(m + 1, self.tz) + timedelta(hours=24 * days) <= self.as_of
            cohort = [
                c
                for c, t in self.reach.items()
                if t[start_stage] is not None and self.month(t[start_stage]) == m
            ]
            sets = self._contact_sets({m: cohort}, m)
            total = sets.get((None, None), set())
            for key in [(None, None)] + [k for k in sets if k != (None, None)]:
                ids = sets.get(key, set())
                converted = [
                    c
                    for c in ids
                    if self.reach[c][end_stage] is not None
                    and self.reach[c][end_stage] - self.reach[c][start_stage]
                    <= timedelta(hours=24 * days)
                ]
                put(metric, m, key, ratio(len(converted), len(ids)), mature)
            del total

    def _lead_to_customer(self, m, customers, put):
        sets = self._contact_sets({m: customers}, m)
        for key in [(None, None)] + [k for k in sets if k != (None, None)]:
            ids = sets.get(key, set())
            days = [
                (self.reach[c]["customer"] - self.reach[c]["lead"]).total_seconds() / 86400
                for c in ids
            ]
            put("lead_to_customer_days", m, key, median(days))

    def _reopened(self, m, start, end, put):
        ids = []
        changes = self.tables["stage_changes"]
        for change in changes:
            if (
                change["stage"] not in ("lead", "mql", "sql")
                or self.month(change["changed_at"]) != m
            ):
                continue
            mine = [c for c in changes if c["contact_id"] == change["contact_id"]]
            before = [c["changed_at"] for c in mine if c["changed_at"] < change["changed_at"]]
            if not before:
                continue
            previous = max(before)
            if any(c["stage"] == "recycled" for c in mine if c["changed_at"] == previous):
                ids.append(change["contact_id"])
        ids = sorted(set(ids))
        sets = self._contact_sets({m: ids}, m)
        put("reopened_leads", m, (None, None), len(sets[(None, None)]))
        for key, members in sets.items():
            if key != (None, None):
                put("reopened_leads", m, key, len(members))

    def _lead_scores(self, m, leads, end, put):
        scored: dict[str, float] = {}
        for cid in leads:
            rows = [
                s
                for s in self.tables["lead_scores"]
                if s["contact_id"] == cid and s["scored_at"] <= end
            ]
            if rows:
                latest = max(s["scored_at"] for s in rows)
                scored[cid] = max(s["score"] for s in rows if s["scored_at"] == latest)
        sets = self._contact_sets({m: list(scored)}, m)
        for key in [(None, None)] + [k for k in sets if k != (None, None)]:
            put("new_lead_score_median", m, key, median([scored[c] for c in sets.get(key, set())]))

    def _channel_costs(self, m) -> tuple[bool, float, dict[str, float], dict[str, int]]:
        campaigns = {c["campaign_id"]: c for c in self.tables.get("campaigns", [])}
        rows = [r for r in self.tables["costs"] if r["month"] == label(m)]
        allocated: dict[str, float] = defaultdict(float)
        counts: dict[str, int] = defaultdict(int)
        unallocated, unallocated_rows = 0.0, 0
        for row in rows:
            channel = row.get("channel") if member(row.get("channel")) != "unknown" else None
            if channel is None and row.get("campaign_id") is not None:
                campaign = campaigns.get(row["campaign_id"])
                channel = member(campaign["channel"]) if campaign else "unknown"
            if channel is None:
                unallocated += row["amount"]
                unallocated_rows += 1
            else:
                allocated[str(channel).strip()] += row["amount"]
                counts[str(channel).strip()] += 1
        total_allocated = sum(allocated.values())
        shared = {
            c: a + (unallocated * a / total_allocated if total_allocated else 0)
            for c, a in allocated.items()
        }
        if total_allocated == 0 and unallocated_rows:
            shared["unallocated"] = unallocated
            counts["unallocated"] = unallocated_rows
        total = sum(r["amount"] for r in rows)
        return bool(rows), total, shared, counts

    def _costs(self, m, reached, put):
        known, total, shared, counts = self._channel_costs(m)
        firsts = getattr(self, "_customers_firsts", {}).get(m, [])
        for metric, ids, needs in (
            ("cost_per_lead", reached["lead"], "contacts"),
            ("cost_per_mql", reached["mql"], "stage_changes"),
            ("cost_per_sql", reached["sql"], "stage_changes"),
            ("cost_per_customer", firsts, "stage_changes"),
        ):
            if needs not in self.tables:
                continue
            put(metric, m, (None, None), total / len(ids) if known and ids else None)
            by_channel: dict[str, int] = defaultdict(int)
            for cid in ids:
                by_channel[self.contact[cid]["channel"]] += 1
            for channel in set(by_channel) | {c for c in counts if counts[c]}:
                count = by_channel.get(channel, 0)
                value = shared.get(channel, 0.0) / count if known and count else None
                put(metric, m, ("channel", channel), value)

    def _email(self, m, audience_kind, put):
        campaigns = {c["campaign_id"]: c for c in self.tables["campaigns"]}
        if audience_kind == "nurture":
            scope = {
                k for k, c in campaigns.items() if c["audience"] == "prospect" and c["automated"]
            }
            prefix = "nurture"
        else:
            scope = {k for k, c in campaigns.items() if c["audience"] == "customer"}
            prefix = "customer"
        activities = self.tables["activities"]
        sends = [
            a
            for a in activities
            if a["type"] == "email_sent"
            and a.get("campaign_id") is not None
            and a.get("message_id") is not None
        ]
        events = []
        for a in activities:
            if a["type"] not in ("email_sent", "email_bounce", "email_open", "email_click"):
                continue
            campaign = a.get("campaign_id")
            # only opens, clicks and bounces borrow their send's campaign (SPEC §4)
            if campaign is None and a.get("message_id") is not None and a["type"] != "email_sent":
                matching = sorted(
                    (s["occurred_at"], s["campaign_id"])
                    for s in sends
                    if s["message_id"] == a["message_id"]
                )
                campaign = matching[0][1] if matching else None
            if campaign is None or campaign not in scope or self.month(a["occurred_at"]) != m:
                continue
            events.append({**a, "campaign_id": campaign})
        groups: dict[tuple[str | None, str | None], list[dict]] = defaultdict(list)
        for e in events:
            groups[(None, None)].append(e)
            groups[("campaign_id", e["campaign_id"])].append(e)
            groups[("channel", member(campaigns[e["campaign_id"]]["channel"]))].append(e)
        groups.setdefault((None, None), [])
        for key, mine in groups.items():
            sent = sum(1 for e in mine if e["type"] == "email_sent")
            bounced = sum(1 for e in mine if e["type"] == "email_bounce")
            delivered = sent - bounced
            opens = {
                (e["contact_id"], e["campaign_id"], e.get("message_id") or "")
                for e in mine
                if e["type"] == "email_open" and not e.get("is_machine")
            }
            clicks = {
                (e["contact_id"], e["campaign_id"], e.get("message_id") or "")
                for e in mine
                if e["type"] == "email_click" and not e.get("is_machine")
            }
            total = key == (None, None)
            if total or sent or bounced or opens:
                put(f"{prefix}_open_rate", m, key, ratio(len(opens), delivered))
            if total or sent or bounced or clicks:
                put(f"{prefix}_click_rate", m, key, ratio(len(clicks), delivered))
            if prefix == "nurture" and (total or opens or clicks):
                put("nurture_click_to_open_rate", m, key, ratio(len(clicks), len(opens)))

    def deal_channel(self, deal) -> str:
        if member(deal.get("channel")) != "unknown":
            return member(deal["channel"])
        campaigns = {c["campaign_id"]: c for c in self.tables.get("campaigns", [])}
        if deal.get("campaign_id") in campaigns:
            return member(campaigns[deal["campaign_id"]]["channel"])
        contacts = {c["contact_id"]: c for c in self.tables.get("contacts", [])}
        if deal.get("contact_id") in contacts:
            return member(contacts[deal["contact_id"]].get("channel"))
        return "unknown"

    def _won(self, m):
        return [
            d
            for d in self.tables["deals"]
            if d["status"] == "won"
            and d.get("closed_at") is not None
            and self.month(d["closed_at"]) == m
        ]

    def _deals(self, m, put):
        won = self._won(m)
        groups: dict[tuple[str | None, str | None], list[dict]] = defaultdict(list)
        groups[(None, None)] = []
        for d in won:
            groups[(None, None)].append(d)
            groups[("channel", self.deal_channel(d))].append(d)
        for key, mine in groups.items():
            amount = sum(d["amount"] for d in mine)
            put("bookings", m, key, amount)
            expansion = sum(d["amount"] for d in mine if d["type"] in ("upsell", "cross_sell"))
            existing = sum(
                d["amount"] for d in mine if d["type"] in ("upsell", "cross_sell", "renewal")
            )
            put("upsell_revenue_share", m, key, ratio(expansion, amount))
            put("existing_customer_revenue_share", m, key, ratio(existing, amount))

    def _roi(self, m, put):
        window = range(m - 11, m + 1)
        gains: dict[str, float] = defaultdict(float)
        gain_rows: dict[str, int] = defaultdict(int)
        costs: dict[str, float] = defaultdict(float)
        cost_rows: dict[str, int] = defaultdict(int)
        total_gain, total_cost = 0.0, 0.0
        for w in window:
            for d in self._won(w):
                if d["type"] == "new_business":
                    total_gain += d["amount"]
                    gains[self.deal_channel(d)] += d["amount"]
                    gain_rows[self.deal_channel(d)] += 1
            _, total, shared, counts = self._channel_costs(w)
            total_cost += total
            for channel, amount in shared.items():
                costs[channel] += amount
                cost_rows[channel] += counts.get(channel, 0)
        put(
            "marketing_roi",
            m,
            (None, None),
            (total_gain - total_cost) / total_cost if total_cost > 0 else None,
        )
        for channel in set(gain_rows) | {c for c in cost_rows if cost_rows[c]}:
            cost = costs.get(channel, 0.0)
            put(
                "marketing_roi",
                m,
                ("channel", channel),
                (gains.get(channel, 0.0) - cost) / cost if cost > 0 else None,
            )

    def _subscriptions(self, m, start, end, put):
        def mrr_at(t):
            mrr: dict[str, float] = defaultdict(float)
            active = set()
            for s in self.tables["subscriptions"]:
                if s["started_at"] <= t and (s.get("ended_at") is None or t < s["ended_at"]):
                    mrr[s["account_id"]] += s["mrr"]
                    active.add(s["account_id"])
            return mrr, active

        mrr_start, active_start = mrr_at(start)
        mrr_end, active_end = mrr_at(end)
        groups: dict[tuple[str | None, str | None], list[str]] = defaultdict(list)
        groups[(None, None)] = []
        for account in active_start:
            groups[(None, None)].append(account)
            groups[("segment", self._segment_of_account(account))].append(account)
        for key, accounts in groups.items():
            put("customers", m, key, len(accounts))
            churned = [a for a in accounts if a not in active_end]
            put("churn_rate", m, key, ratio(len(churned), len(accounts)))
            base = sum(mrr_start[a] for a in accounts)
            put(
                "gross_revenue_retention",
                m,
                key,
                ratio(sum(min(mrr_end.get(a, 0.0), mrr_start[a]) for a in accounts), base),
            )
            put(
                "net_revenue_retention",
                m,
                key,
                ratio(sum(mrr_end.get(a, 0.0) for a in accounts), base),
            )

    def _nps(self, m, put):
        contacts = {c["contact_id"]: c for c in self.tables.get("contacts", [])}
        groups: dict[tuple[str | None, str | None], list[int]] = defaultdict(list)
        groups[(None, None)] = []
        for r in self.tables["nps_responses"]:
            if self.month(r["responded_at"]) != m:
                continue
            if r.get("account_id") is not None:
                account = r["account_id"]
            elif r.get("contact_id") in contacts:
                account = contacts[r["contact_id"]].get("account_id") or r["contact_id"]
            else:
                account = r.get("contact_id")
            groups[(None, None)].append(r["score"])
            groups[("segment", self._segment_of_account(account))].append(r["score"])
        for key, scores in groups.items():
            promoters = sum(1 for s in scores if s >= 9)
            detractors = sum(1 for s in scores if s <= 6)
            put("nps", m, key, ratio(promoters - detractors, len(scores), 100.0))
