"""Baseline: hand-written DuckDB SQL for a subset of the catalog, straight from the files.

    python benchmarks/baseline_sql.py DATA OUT.csv

new_leads, mqls, sqls (total, by channel, by segment), visits and unique_visitors (total, by
session channel) and nurture_open_rate (total, by campaign channel), per UTC month — written
the way an expert would, to show the floor the product's generated queries are held to.
"""

from __future__ import annotations

import sys

import duckdb

QUERY = """
WITH
internal AS (SELECT contact_id FROM read_parquet('{d}/contacts.parquet') WHERE is_internal),
contacts AS (
  SELECT c.contact_id, c.created_at::TIMESTAMP AS created_at,
         coalesce(c.channel, 'unknown') AS channel,
         coalesce(a.segment, 'unknown') AS segment
  FROM read_parquet('{d}/contacts.parquet') c
  LEFT JOIN read_parquet('{d}/accounts.parquet') a
    ON a.account_id = coalesce(c.account_id, c.contact_id)
  WHERE NOT coalesce(c.is_internal, false)
),
changes AS (
  SELECT contact_id,
         min(changed_at::TIMESTAMP) AS first_change,
         min(changed_at::TIMESTAMP) FILTER (WHERE stage IN ('mql','sql','opportunity','customer')) AS mql_at,
         min(changed_at::TIMESTAMP) FILTER (WHERE stage IN ('sql','opportunity','customer')) AS sql_at
  FROM read_parquet('{d}/stage_changes.parquet')
  WHERE contact_id NOT IN (SELECT contact_id FROM internal)
  GROUP BY contact_id
),
reach AS (
  SELECT c.contact_id, c.channel, c.segment,
         least(c.created_at, coalesce(ch.first_change, c.created_at)) AS lead_at,
         ch.mql_at, ch.sql_at
  FROM contacts c LEFT JOIN changes ch USING (contact_id)
),
events AS (
  SELECT 'new_leads' AS metric, date_trunc('month', lead_at) AS month, channel, segment FROM reach
  UNION ALL SELECT 'mqls', date_trunc('month', mql_at), channel, segment FROM reach WHERE mql_at IS NOT NULL
  UNION ALL SELECT 'sqls', date_trunc('month', sql_at), channel, segment FROM reach WHERE sql_at IS NOT NULL
),
funnel AS (
  SELECT metric, month,
         CASE WHEN GROUPING(channel) = 0 THEN 'channel' WHEN GROUPING(segment) = 0 THEN 'segment' END AS dimension,
         coalesce(channel, segment) AS member, count(*)::DOUBLE AS value
  FROM events GROUP BY GROUPING SETS ((metric, month), (metric, month, channel), (metric, month, segment))
),
sessions AS (
  SELECT date_trunc('month', started_at::TIMESTAMP) AS month, coalesce(channel, 'unknown') AS channel, visitor_id
  FROM read_parquet('{d}/web_sessions.parquet')
  WHERE contact_id IS NULL OR contact_id NOT IN (SELECT contact_id FROM internal)
),
web AS (
  SELECT 'visits' AS metric, month, CASE WHEN GROUPING(channel) = 0 THEN 'channel' END, channel, count(*)::DOUBLE
  FROM sessions GROUP BY GROUPING SETS ((month), (month, channel))
  UNION ALL
  SELECT 'unique_visitors', month, CASE WHEN GROUPING(channel) = 0 THEN 'channel' END, channel, count(DISTINCT visitor_id)::DOUBLE
  FROM sessions GROUP BY GROUPING SETS ((month), (month, channel))
),
emails AS (
  SELECT * FROM read_parquet('{d}/activities.parquet')
  WHERE type IN ('email_sent','email_bounce','email_open','email_click')
    AND contact_id NOT IN (SELECT contact_id FROM internal)
),
first_send AS (
  SELECT message_id, arg_min(campaign_id, (occurred_at, campaign_id)) AS send_campaign
  FROM emails WHERE type = 'email_sent' AND campaign_id IS NOT NULL AND message_id IS NOT NULL
    AND message_id IN (SELECT message_id FROM emails WHERE campaign_id IS NULL AND type <> 'email_sent')
  GROUP BY message_id
),
nurture AS (
  SELECT date_trunc('month', e.occurred_at::TIMESTAMP) AS month, k.channel, e.type, e.contact_id,
         k.campaign_id, coalesce(e.message_id, '') AS message, coalesce(e.is_machine, false) AS machine
  FROM emails e LEFT JOIN first_send f ON f.message_id = e.message_id
  JOIN read_parquet('{d}/campaigns.parquet') k
    ON k.campaign_id = coalesce(e.campaign_id, f.send_campaign)
  WHERE k.audience = 'prospect' AND k.automated
),
opens AS (
  SELECT month, channel, count(*) AS opens FROM (
    SELECT DISTINCT month, channel, contact_id, campaign_id, message
    FROM nurture WHERE type = 'email_open' AND NOT machine)
  GROUP BY ALL
),
delivered AS (
  SELECT month, channel,
         count(*) FILTER (WHERE type = 'email_sent') - count(*) FILTER (WHERE type = 'email_bounce') AS delivered
  FROM nurture GROUP BY ALL
),
per_channel AS (
  SELECT month, channel, coalesce(o.opens, 0) AS opens, d.delivered
  FROM delivered d LEFT JOIN opens o USING (month, channel)
),
rates AS (
  SELECT 'nurture_open_rate' AS metric, month, CASE WHEN GROUPING(channel) = 0 THEN 'channel' END, channel,
         CASE WHEN sum(delivered) > 0 THEN sum(opens)::DOUBLE / sum(delivered) END
  FROM per_channel GROUP BY GROUPING SETS ((month), (month, channel))
)
SELECT metric, strftime(month, '%Y-%m') AS month, dimension, member, value FROM funnel
UNION ALL SELECT * REPLACE (strftime(month, '%Y-%m') AS month) FROM web
UNION ALL SELECT * REPLACE (strftime(month, '%Y-%m') AS month) FROM rates
"""


def main() -> None:
    data, out = sys.argv[1], sys.argv[2]
    con = duckdb.connect()
    con.execute(f"COPY ({QUERY.format(d=data)}) TO '{out}' (HEADER, DELIMITER ',')")


if __name__ == "__main__":
    main()
