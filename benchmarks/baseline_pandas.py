"""Baseline: the same subset as baseline_sql.py, written as an analyst would in pandas.

python benchmarks/baseline_pandas.py DATA OUT.csv
"""

from __future__ import annotations

import sys

import pandas as pd


def main() -> None:
    data, out = sys.argv[1], sys.argv[2]
    read = lambda name, **kw: pd.read_parquet(f"{data}/{name}.parquet", **kw)  # noqa: E731
    contacts = read("contacts")
    internal = set(contacts.loc[contacts.is_internal.fillna(False), "contact_id"])
    contacts = contacts[~contacts.is_internal.fillna(False)].copy()
    accounts = read("accounts", columns=["account_id", "segment"])
    contacts["account"] = contacts.account_id.fillna(contacts.contact_id)
    contacts = contacts.merge(
        accounts, left_on="account", right_on="account_id", how="left", suffixes=("", "_a")
    )
    contacts["channel"] = contacts.channel.fillna("unknown")
    contacts["segment"] = contacts.segment.fillna("unknown")
    changes = read("stage_changes")
    changes = changes[~changes.contact_id.isin(internal)]
    first = changes.groupby("contact_id").changed_at.min().rename("first_change")
    mql = (
        changes[changes.stage.isin(["mql", "sql", "opportunity", "customer"])]
        .groupby("contact_id")
        .changed_at.min()
        .rename("mql_at")
    )
    sql = (
        changes[changes.stage.isin(["sql", "opportunity", "customer"])]
        .groupby("contact_id")
        .changed_at.min()
        .rename("sql_at")
    )
    reach = contacts.set_index("contact_id").join([first, mql, sql])
    reach["lead_at"] = reach[["created_at", "first_change"]].min(axis=1)
    rows = []
    for metric, column in (("new_leads", "lead_at"), ("mqls", "mql_at"), ("sqls", "sql_at")):
        frame = reach[reach[column].notna()].copy()
        frame["month"] = frame[column].dt.strftime("%Y-%m")
        for month, count in frame.groupby("month").size().items():
            rows.append((metric, month, None, None, float(count)))
        for dim in ("channel", "segment"):
            for (month, member), count in frame.groupby(["month", dim]).size().items():
                rows.append((metric, month, dim, member, float(count)))
    sessions = read("web_sessions")
    sessions = sessions[sessions.contact_id.isna() | ~sessions.contact_id.isin(internal)].copy()
    sessions["month"] = sessions.started_at.dt.strftime("%Y-%m")
    sessions["channel"] = sessions.channel.fillna("unknown")
    for month, group in sessions.groupby("month"):
        rows.append(("visits", month, None, None, float(len(group))))
        rows.append(("unique_visitors", month, None, None, float(group.visitor_id.nunique())))
    for (month, channel), group in sessions.groupby(["month", "channel"]):
        rows.append(("visits", month, "channel", channel, float(len(group))))
        rows.append(
            ("unique_visitors", month, "channel", channel, float(group.visitor_id.nunique()))
        )
    activities = read("activities")
    emails = activities[
        activities.type.isin(["email_sent", "email_bounce", "email_open", "email_click"])
        & ~activities.contact_id.isin(internal)
    ].copy()
    sends = emails[
        (emails.type == "email_sent") & emails.campaign_id.notna() & emails.message_id.notna()
    ].sort_values(["occurred_at", "campaign_id"])
    first_send = sends.drop_duplicates("message_id").set_index("message_id").campaign_id
    missing = emails.campaign_id.isna()
    emails.loc[missing, "campaign_id"] = emails.loc[missing, "message_id"].map(first_send)
    campaigns = read("campaigns")
    nurture = campaigns[(campaigns.audience == "prospect") & campaigns.automated]
    emails = emails.merge(nurture[["campaign_id", "channel"]], on="campaign_id")
    emails["month"] = emails.occurred_at.dt.strftime("%Y-%m")
    emails["message"] = emails.message_id.fillna("")
    emails["machine"] = emails.is_machine.fillna(False)

    def open_rate(group: pd.DataFrame) -> float | None:
        opens = group[(group.type == "email_open") & ~group.machine]
        unique = len(opens[["contact_id", "campaign_id", "message"]].drop_duplicates())
        delivered = (group.type == "email_sent").sum() - (group.type == "email_bounce").sum()
        return unique / delivered if delivered > 0 else None

    for month, group in emails.groupby("month"):
        rows.append(("nurture_open_rate", month, None, None, open_rate(group)))
    for (month, channel), group in emails.groupby(["month", "channel"]):
        rows.append(("nurture_open_rate", month, "channel", channel, open_rate(group)))
    pd.DataFrame(rows, columns=["metric", "month", "dimension", "member", "value"]).to_csv(
        out, index=False
    )


if __name__ == "__main__":
    main()
