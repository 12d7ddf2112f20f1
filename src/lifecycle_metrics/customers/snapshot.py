"""What each customer account looks like at one instant.

The facts adoption, loyalty, risk and advocacy are scored from: one Ibis query per fact, joined
per account; no row loops.

A customer account at t has an active subscription at t (started_at ≤ t < ended_at). Windows
end at t and include it: "last 30 days" is (t − 30 × 24 h, t].
"""

from __future__ import annotations

from datetime import datetime, timedelta

import ibis
import ibis.expr.types as ir
import pandas as pd

from lifecycle_metrics.dataset import Dataset
from lifecycle_metrics.errors import UsageError
from lifecycle_metrics.model.model import UNKNOWN, Model
from lifecycle_metrics.schema import ADVOCACY_ACTIVITY_TYPES

RECENT_DAYS = 30
ENGAGEMENT_DAYS = 90
ADVOCACY_DAYS = 365
NEEDED = ("subscriptions",)


def _at(value: datetime) -> ir.TimestampScalar:
    return ibis.literal(value, type="timestamp")


def _days_before(t: datetime, days: int) -> ir.TimestampScalar:
    return _at(t - timedelta(hours=24 * days))


def account_snapshot(dataset: Dataset, as_of: datetime | None = None) -> pd.DataFrame:
    """One row per customer account at `as_of` (default: the data's as_of), with its facts."""
    missing = [name for name in NEEDED if name not in dataset.tables]
    if missing:
        raise UsageError("account scoring needs the subscriptions table (who is a customer)")
    model = Model(dataset, as_of=as_of)
    return snapshot_at(model, model.as_of)


def snapshot_at(model: Model, t: datetime) -> pd.DataFrame:
    """Facts per account active at `t`, read from `model` (rows after its as_of are ignored)."""
    subs = model.tables["subscriptions"]
    now = _at(t)
    started = subs.filter(subs.started_at <= now)
    active = started.filter(started.ended_at.isnull() | (started.ended_at > now))
    accounts = active.group_by("account_id").aggregate(
        mrr=active.mrr.cast("float64").sum(), subscriptions=active.count()
    )
    first = started.group_by(_first_account=started.account_id).aggregate(
        customer_since=started.started_at.min()
    )
    frame = accounts.left_join(first, accounts.account_id == first._first_account).drop(
        "_first_account"
    )
    frame = frame.execute()
    if frame.empty:
        return _empty()
    frame["tenure_days"] = (
        pd.Timestamp(t) - pd.to_datetime(frame.customer_since)
    ).dt.total_seconds() / 86_400
    frame = frame.merge(_segments(model), on="account_id", how="left")
    frame["segment"] = frame["segment"].fillna(UNKNOWN)
    for part in (
        _adoption(model, active, t),
        _usage(model, t),
        _engagement(model, t),
        _latest_nps(model, t),
        _expansions(model, t),
        first_use(model, t),
    ):
        if part is not None:
            frame = frame.merge(part, on="account_id", how="left")
    defaults = {
        "features_owned": 0,
        "features_used_30d": 0,
        "uses_30d": 0.0,
        "uses_prev_30d": 0.0,
        "active_users_30d": 0,
        "customer_clicks_90d": 0,
        "events_90d": 0,
        "advocacy_acts_365d": 0,
        "expansions_won": 0,
    }
    for column, default in defaults.items():
        if column not in frame:
            frame[column] = default
        frame[column] = frame[column].fillna(default)
    if "latest_nps" not in frame:
        frame["latest_nps"] = pd.NA
    frame["breadth"] = (frame.features_used_30d / frame.features_owned).where(
        frame.features_owned > 0
    )
    per_user = frame.uses_30d / frame.active_users_30d.where(frame.active_users_30d > 0)
    segment_median = per_user.groupby(frame.segment).transform("median")
    frame["depth"] = (per_user / segment_median).where(segment_median > 0)
    frame["usage_trend"] = (frame.uses_30d / frame.uses_prev_30d - 1).where(frame.uses_prev_30d > 0)
    frame["as_of"] = pd.Timestamp(t)
    return frame.sort_values("account_id").reset_index(drop=True)


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=["account_id", "mrr", "segment", "tenure_days", "breadth"])


def _segments(model: Model) -> pd.DataFrame:
    return model.segments.execute()


def _account_of_contacts(model: Model) -> ir.Table | None:
    if "contacts" not in model.tables:
        return None
    contacts = model.tables["contacts"]
    return contacts.select(
        _contact=contacts.contact_id,
        _account=contacts.account_id.fill_null(contacts.contact_id),
    )


def _adoption(model: Model, active: ir.Table, t: datetime) -> pd.DataFrame | None:
    """Features of the products each account owns, and how many it used in the last 30 days."""
    if not model.has("features", "product_usage"):
        return None
    features = model.tables["features"]
    if "product" in active.columns:
        owned = (
            active.filter(active["product"].notnull())
            .select(_owner=active.account_id, _product=active["product"])
            .distinct()
        )
    else:  # without a product column every account owns every product
        owned = (
            active.select(_owner=active.account_id)
            .distinct()
            .cross_join(features.select(_product=features["product"]).distinct())
        )
    catalog = (
        owned.join(features, owned._product == features["product"])
        .select(_owner=owned._owner, _feature=features.feature)
        .distinct()
        .view()
    )
    usage = model.tables["product_usage"]
    recent = (
        usage.filter((usage.used_at > _days_before(t, RECENT_DAYS)) & (usage.used_at <= _at(t)))
        .select(_user_account=usage.account_id, _used=usage.feature)
        .distinct()
    )
    used = catalog.left_join(
        recent, (catalog._owner == recent._user_account) & (catalog._feature == recent._used)
    )
    counted = used.group_by(account_id=used._owner).aggregate(
        features_owned=used._feature.nunique(),
        features_used_30d=used._used.nunique(),
    )
    return counted.execute()


def owned_products(model: Model, t: datetime) -> pd.DataFrame:
    """(account_id, product) of every subscription active at `t` that names a product."""
    subs = model.tables["subscriptions"]
    if "product" not in subs.columns:
        return pd.DataFrame({"account_id": [], "product": []})
    now = _at(t)
    active = subs.filter(
        (subs.started_at <= now)
        & (subs.ended_at.isnull() | (subs.ended_at > now))
        & subs["product"].notnull()
    )
    return active.select("account_id", "product").distinct().execute()


def first_use(model: Model, t: datetime) -> pd.DataFrame:
    """Days from buying each owned product to first using one of its features (by t).

    One column `first_use_days_<product>` per product; empty where not used yet or not owned.
    """
    if not model.has("features", "product_usage"):
        return pd.DataFrame({"account_id": []})
    subs = model.tables["subscriptions"]
    if "product" not in subs.columns:
        return pd.DataFrame({"account_id": []})
    now = _at(t)
    bought = (
        subs.filter((subs.started_at <= now) & subs["product"].notnull())
        .group_by(["account_id", "product"])
        .aggregate(bought_at=subs.started_at.min())
    )
    owned = owned_products(model, t)
    features = model.tables["features"]
    usage = model.tables["product_usage"]
    used = usage.filter(usage.used_at <= now)
    used = used.join(features, used.feature == features.feature).select(
        _account=used.account_id, _product=features["product"], used_at=used.used_at
    )
    joined = bought.left_join(
        used,
        (bought.account_id == used._account)
        & (bought["product"] == used._product)
        & (used.used_at >= bought.bought_at),
    )
    firsts = joined.group_by(["account_id", "product"]).aggregate(
        first_at=joined.used_at.min(), bought_at=joined.bought_at.min()
    )
    frame = firsts.execute().merge(owned, on=["account_id", "product"])
    if frame.empty:
        return pd.DataFrame({"account_id": []})
    frame["days"] = (
        pd.to_datetime(frame.first_at) - pd.to_datetime(frame.bought_at)
    ).dt.total_seconds() / 86_400
    wide = frame.pivot(index="account_id", columns="product", values="days")
    wide.columns = [f"first_use_days_{product}" for product in wide.columns]
    return wide.reset_index()


def _usage(model: Model, t: datetime) -> pd.DataFrame | None:
    """Feature uses (the `count` column, 1 when empty) and active users, last 30 days and before."""
    if not model.has("product_usage"):
        return None
    usage = model.tables["product_usage"]
    uses = usage["count"].cast("float64").fill_null(1.0) if "count" in usage.columns else 1.0
    recent = (usage.used_at > _days_before(t, RECENT_DAYS)) & (usage.used_at <= _at(t))
    before = (usage.used_at > _days_before(t, 2 * RECENT_DAYS)) & (
        usage.used_at <= _days_before(t, RECENT_DAYS)
    )
    frame = usage.mutate(_uses=uses, _recent=recent, _before=before)
    frame = frame.filter(frame._recent | frame._before)
    return (
        frame.group_by("account_id")
        .aggregate(
            uses_30d=frame._uses.sum(where=frame._recent),
            uses_prev_30d=frame._uses.sum(where=frame._before),
            active_users_30d=frame.contact_id.nunique(where=frame._recent),
        )
        .execute()
    )


def _engagement(model: Model, t: datetime) -> pd.DataFrame | None:
    """Unique clicks on customer campaigns and events attended (90 days), advocacy (365 days)."""
    people = _account_of_contacts(model)
    if people is None or not model.has("activities"):
        return None
    activities = model.tables["activities"]
    window = activities.filter(
        (activities.occurred_at > _days_before(t, ADVOCACY_DAYS))
        & (activities.occurred_at <= _at(t))
    )
    if "campaigns" in model.tables:
        campaigns = model.tables["campaigns"]
        customer = campaigns.filter(campaigns.audience == "customer").select(
            _customer_campaign=campaigns.campaign_id
        )
        window = window.left_join(
            customer, window.campaign_id == customer._customer_campaign
        ).view()
        is_customer = window._customer_campaign.notnull()
    else:
        is_customer = ibis.literal(False)
    recent = window.occurred_at > _days_before(t, ENGAGEMENT_DAYS)
    frame = window.mutate(
        _click=(window.type == "email_click") & ~window.is_machine & is_customer & recent,
        _event=(window.type == "event_attended") & recent,
        _advocacy=window.type.isin(ADVOCACY_ACTIVITY_TYPES),
        _click_key=window.campaign_id.fill_null("") + "|" + window.message_id.fill_null(""),
    )
    frame = frame.join(people, frame.contact_id == people._contact)
    return (
        frame.group_by(account_id=frame._account)
        .aggregate(
            customer_clicks_90d=(frame.contact_id + "|" + frame._click_key).nunique(
                where=frame._click
            ),
            events_90d=frame._event.sum(),
            advocacy_acts_365d=frame._advocacy.sum(),
        )
        .execute()
    )


def _latest_nps(model: Model, t: datetime) -> pd.DataFrame | None:
    """The latest NPS score of each account at t (ties: the highest)."""
    if not model.has("nps_responses"):
        return None
    responses = model.tables["nps_responses"]
    responses = responses.filter(responses.responded_at <= _at(t))
    people = _account_of_contacts(model)
    if people is not None:
        responses = responses.left_join(people, responses.contact_id == people._contact).view()
        account = responses.account_id.fill_null(responses._account)
    else:
        account = responses.account_id
    keyed = responses.mutate(_key=account).filter(lambda r: r._key.notnull())
    rank = ibis.row_number().over(
        group_by=keyed._key, order_by=[ibis.desc(keyed.responded_at), ibis.desc(keyed.score)]
    )
    ranked = keyed.mutate(_rank=rank).view()
    latest = ranked.filter(ranked._rank == 0)
    return latest.select(account_id=latest._key, latest_nps=latest.score).execute()


def _expansions(model: Model, t: datetime) -> pd.DataFrame | None:
    """Upsell and cross-sell deals won by t."""
    if not model.has("deals"):
        return None
    deals = model.tables["deals"]
    won = deals.filter(
        (deals.status == "won")
        & deals.type.isin(("upsell", "cross_sell"))
        & (deals.closed_at <= _at(t))
    )
    return won.group_by("account_id").aggregate(expansions_won=won.count()).execute()
