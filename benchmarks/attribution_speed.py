"""`attribute` (SPEC §6) over the 36-month demo, beside hand-written DuckDB SQL of the rule models.

    python benchmarks/attribution_speed.py [--contacts 1000000] [--repeats 3] [--data DIR]

Generates the demo once into DIR (default /tmp/bench-attribution-<size>, e.g. -1m) and reuses
it. Each implementation runs in its own process (peak memory is that process's):
  * the product: `load` once (timed on its own), then per repeat `attribute` with all seven
    models and with the six rule models (first_touch … time_decay); the Markov share is the
    difference;
  * one hand-written DuckDB query straight from the Parquet files computing the six rule
    models' monthly credits per channel of new_business deals (below, SPEC §6.1–6.3).
It prints the medians and the ratio product ÷ SQL for the rule models, and fails unless the
query's credits equal the product's (per model, month and channel, to 1e-6 relative).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import run

RULE_MODELS = ("first_touch", "last_touch", "linear", "position_based", "w_shaped", "time_decay")
REL_TOL = 1e-6
Credit = tuple[str, str, str]  # (model, month, channel)

# SPEC §6 for deals=new_business, by=channel, lookback 365 days, half-life 7 days, UTC months.
# On the demo every event lies on or before as_of, so as_of removes nothing and is not computed.
QUERY = """
WITH
internal AS (SELECT contact_id FROM read_parquet('{d}/contacts.parquet') WHERE is_internal),
contacts AS (
  SELECT contact_id, created_at::TIMESTAMP AS created_at,
         coalesce(account_id, contact_id) AS account_id, coalesce(channel, 'unknown') AS channel
  FROM read_parquet('{d}/contacts.parquet') WHERE NOT coalesce(is_internal, false)
),
campaigns AS (SELECT campaign_id, channel FROM read_parquet('{d}/campaigns.parquet')),
-- a contact is a lead at the earliest of created_at and its stage changes (§3)
first_change AS (
  SELECT contact_id, min(changed_at::TIMESTAMP) AS first_change
  FROM read_parquet('{d}/stage_changes.parquet') GROUP BY contact_id
),
-- human clicks, forms, events and visits; a click without campaign takes its first send's
acts AS (
  SELECT activity_id, contact_id, type, occurred_at::TIMESTAMP AS occurred_at, campaign_id,
         message_id
  FROM read_parquet('{d}/activities.parquet')
  WHERE type IN ('email_click', 'form_submit', 'event_attended', 'web_visit')
    AND NOT coalesce(is_machine, false)
),
first_send AS (
  SELECT s.message_id, arg_min(s.campaign_id, (s.occurred_at, s.campaign_id)) AS send_campaign
  FROM read_parquet('{d}/activities.parquet') s
  SEMI JOIN (SELECT message_id FROM acts WHERE type = 'email_click' AND campaign_id IS NULL) o
    ON o.message_id = s.message_id
  ANTI JOIN internal i ON i.contact_id = s.contact_id
  WHERE s.type = 'email_sent' AND s.campaign_id IS NOT NULL
  GROUP BY s.message_id
),
act_touches AS (
  SELECT a.contact_id, a.occurred_at AS touched_at, 2 AS kind, a.activity_id AS touch_id,
         coalesce(k.channel, 'unknown') AS channel
  FROM (
    SELECT a.*, coalesce(a.campaign_id, CASE WHEN a.type = 'email_click' THEN f.send_campaign END)
             AS campaign
    FROM acts a LEFT JOIN first_send f USING (message_id)  -- an equi-join: a hash join
  ) a
  LEFT JOIN campaigns k ON k.campaign_id = a.campaign
  WHERE a.type <> 'email_click' OR a.campaign IS NOT NULL
),
-- every touch (§6.1), kind 0 lead creation < 1 web session < 2 activity; internal ones drop
-- out with the join to the kept contacts, which also gives the account (§3)
touches AS (
  SELECT c.account_id, t.touched_at, t.kind, t.touch_id, t.channel
  FROM (
    SELECT c.contact_id, least(c.created_at, coalesce(f.first_change, c.created_at)) AS touched_at,
           0 AS kind, c.contact_id AS touch_id, c.channel
    FROM contacts c LEFT JOIN first_change f USING (contact_id)
    UNION ALL
    SELECT contact_id, started_at::TIMESTAMP, 1, session_id, coalesce(channel, 'unknown')
    FROM read_parquet('{d}/web_sessions.parquet') WHERE contact_id IS NOT NULL
    UNION ALL
    SELECT * FROM act_touches
  ) t
  JOIN contacts c USING (contact_id)
),
-- won new_business deals (§6.2), channel: its own, its campaign's, its contact's, unknown
won AS (
  SELECT d.deal_id, d.account_id, d.created_at::TIMESTAMP AS created_at,
         d.closed_at::TIMESTAMP AS closed_at, d.amount::DOUBLE AS amount,
         strftime(d.closed_at::TIMESTAMP, '%Y-%m') AS month,
         coalesce(d.channel, k.channel, c.channel, 'unknown') AS deal_channel
  FROM read_parquet('{d}/deals.parquet') d
  LEFT JOIN campaigns k ON k.campaign_id = d.campaign_id
  LEFT JOIN read_parquet('{d}/contacts.parquet') c ON c.contact_id = d.contact_id
  ANTI JOIN internal i ON i.contact_id = d.contact_id
  WHERE d.status = 'won' AND d.closed_at IS NOT NULL AND d.type = 'new_business'
),
-- the journey: the account's touches in [closed_at − 365 d, closed_at], else one stand-in
-- touch (kind 3) at the deal's created_at with the deal's channel
journey AS (
  SELECT w.deal_id, w.month, w.created_at, w.closed_at, w.amount,
         coalesce(t.touched_at, w.created_at) AS touched_at, coalesce(t.kind, 3) AS kind,
         coalesce(t.touch_id, w.deal_id) AS touch_id, coalesce(t.channel, w.deal_channel) AS member
  FROM won w
  LEFT JOIN touches t ON t.account_id = w.account_id
    AND t.touched_at BETWEEN w.closed_at - INTERVAL 365 DAY AND w.closed_at
),
positioned AS (
  SELECT *,
         row_number() OVER (PARTITION BY deal_id ORDER BY touched_at, kind, touch_id) - 1 AS pos,
         count(*) OVER (PARTITION BY deal_id) AS n,
         -- the opportunity touch: the last at or before created_at (touches sort by time first)
         greatest(count(*) FILTER (WHERE touched_at <= created_at)
                  OVER (PARTITION BY deal_id) - 1, 0) AS opportunity_role,
         pow(2.0, (epoch_us(touched_at) - epoch_us(closed_at)) / 604800000000.0) AS decay
  FROM journey
),
roles AS (
  SELECT *,
         coalesce(min(CASE WHEN kind = 0 THEN pos END) OVER (PARTITION BY deal_id), 0) AS lead_role,
         sum(decay) OVER (PARTITION BY deal_id) AS decay_total
  FROM positioned
),
weighted AS (
  SELECT month, member, amount,
         (pos = 0)::DOUBLE AS first_touch,
         (pos = n - 1)::DOUBLE AS last_touch,
         1.0 / n AS linear,
         CASE WHEN n = 1 THEN 1.0 WHEN n = 2 THEN 0.5 WHEN pos = 0 OR pos = n - 1 THEN 0.4
              ELSE 0.2 / (n - 2) END AS position_based,
         (pos = 0)::INT + (pos = lead_role)::INT + (pos = opportunity_role)::INT AS held,
         n - 1 - (lead_role <> 0)::INT
           - (opportunity_role <> 0 AND opportunity_role <> lead_role)::INT AS others,
         CASE WHEN others = 0 THEN held / 3.0 WHEN held > 0 THEN 0.3 * held
              ELSE 0.1 / others END AS w_shaped,
         decay / decay_total AS time_decay
  FROM roles
),
credits AS (
  SELECT month, member,
         sum(first_touch) AS ft_c, sum(first_touch * amount) AS ft_v,
         sum(last_touch) AS lt_c, sum(last_touch * amount) AS lt_v,
         sum(linear) AS li_c, sum(linear * amount) AS li_v,
         sum(position_based) AS pb_c, sum(position_based * amount) AS pb_v,
         sum(w_shaped) AS ws_c, sum(w_shaped * amount) AS ws_v,
         sum(time_decay) AS td_c, sum(time_decay * amount) AS td_v
  FROM weighted GROUP BY month, member
)
SELECT model, month, member, conversions, value
FROM (
  UNPIVOT credits
  ON (ft_c, ft_v) AS first_touch, (lt_c, lt_v) AS last_touch, (li_c, li_v) AS linear,
     (pb_c, pb_v) AS position_based, (ws_c, ws_v) AS w_shaped, (td_c, td_v) AS time_decay
  INTO NAME model VALUE conversions, value
)
WHERE conversions > 0  -- a member appears when the model credits it
ORDER BY model, month, member
"""


def _size_label(contacts: int) -> str:
    for unit, name in ((1_000_000, "m"), (1_000, "k")):
        if contacts % unit == 0:
            return f"{contacts // unit}{name}"
    return str(contacts)


def _ensure_demo(folder: Path, contacts: int, seed: int) -> None:
    """Generate the demo into `folder` unless a complete one of that size is already there."""
    import pyarrow.parquet as pq

    if (folder / "contacts.parquet").exists():
        found = pq.ParquetFile(folder / "contacts.parquet").metadata.num_rows
        if found != contacts:
            raise SystemExit(f"{folder} holds a demo of {found:,} contacts, not {contacts:,}")
        return
    # written beside and renamed, so an interrupted generation is never taken for a demo;
    # in a child process, so the generator's arrays do not stay in this one
    partial = folder.with_name(folder.name + ".partial")
    print(f"generating the demo ({contacts:,} contacts) into {folder} …", flush=True)
    started = time.perf_counter()
    script = (
        "import sys; from pathlib import Path; "
        "from lifecycle_metrics.demo import DemoConfig, generate; "
        "generate(Path(sys.argv[1]), DemoConfig(contacts=int(sys.argv[2]), seed=int(sys.argv[3])))"
    )
    command = [sys.executable, "-c", script, str(partial), str(contacts), str(seed)]
    subprocess.run(command, check=True)
    partial.rename(folder)
    print(f"  generated in {time.perf_counter() - started:.0f} s", flush=True)


def _ours(data: Path, repeats: int, out: Path) -> None:
    """Child: load once, then time attribute with all models and with the rule models."""
    from lifecycle_metrics.attribution import Settings, attribute
    from lifecycle_metrics.dataset import load

    started = time.perf_counter()
    dataset = load(data)
    loaded = time.perf_counter() - started
    times: dict[str, list[float]] = {"all": [], "rules": []}
    results: dict[str, Any] = {}
    for _ in range(repeats):
        for name, models in (("all", ()), ("rules", RULE_MODELS)):
            started = time.perf_counter()
            results[name] = attribute(dataset, models=models, settings=Settings())
            times[name].append(time.perf_counter() - started)
    rows = results["all"].rows
    report = {
        "load": loaded,
        "times": times,
        "months": len(results["all"].window.months),
        "deals": sum(r["conversions"] for r in rows if r["model"] is None),
        "rules": _credits(results["rules"].rows),
        "all": _credits(rows),
    }
    out.write_text(json.dumps(report))


def _credits(rows: list[dict[str, Any]]) -> list[list[Any]]:
    """A result's credited (model, month, member) rows; members shown only for cost drop out."""
    return [
        [r["model"], r["month"], r["member"], r["conversions"], r["value"]]
        for r in rows
        if r["model"] is not None and (r["conversions"] != 0 or r["value"] != 0)
    ]


def _sql(data: Path, repeats: int, out: Path) -> None:
    """Child: time the hand-written query, each repeat on a fresh connection."""
    import duckdb

    query = QUERY.format(d=str(data).replace("'", "''"))
    times: list[float] = []
    rows: list[tuple[Any, ...]] = []
    for _ in range(repeats):
        started = time.perf_counter()
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")  # ::TIMESTAMP of a UTC instant stays in UTC
        rows = con.execute(query).fetchall()
        con.close()
        times.append(time.perf_counter() - started)
    out.write_text(json.dumps({"times": times, "rules": [list(r) for r in rows]}))


def _keyed(rows: list[list[Any]], models: tuple[str, ...]) -> dict[Credit, tuple[float, float]]:
    return {(m, month, member): (c, v) for m, month, member, c, v in rows if m in models}


def _differences(
    ours: dict[Credit, tuple[float, float]], sql: dict[Credit, tuple[float, float]]
) -> list[str]:
    """Where two credit tables differ (keys, or a value beyond the tolerance); empty if equal."""
    found = [f"only in ours: {k}" for k in sorted(set(ours) - set(sql))]
    found += [f"only in SQL: {k}" for k in sorted(set(sql) - set(ours))]
    for key in sorted(set(ours) & set(sql)):
        for what, a, b in zip(("conversions", "value"), ours[key], sql[key], strict=True):
            if not math.isclose(a, b, rel_tol=REL_TOL):
                found.append(f"{key} {what}: ours {a!r}, SQL {b!r}")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data", type=Path, help="demo folder to reuse (made when absent)")
    parser.add_argument("--step", choices=("ours", "sql"), help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    data: Path = args.data or Path(tempfile.gettempdir()) / (
        f"bench-attribution-{_size_label(args.contacts)}"
    )
    if args.step is not None:  # a child run: measure one implementation
        (_ours if args.step == "ours" else _sql)(data, args.repeats, args.out)
        return

    _ensure_demo(data, args.contacts, args.seed)
    import pyarrow.parquet as pq

    activities = pq.ParquetFile(data / "activities.parquet").metadata.num_rows
    with tempfile.TemporaryDirectory(prefix="bench-attribution-") as scratch:
        outputs = {step: Path(scratch) / f"{step}.json" for step in ("ours", "sql")}
        peaks: dict[str, float] = {}
        for step, out in outputs.items():
            print(f"running {step} ({args.repeats} repeat(s)) …", flush=True)
            command = [sys.executable, __file__, "--data", str(data), "--step", step]
            _, peaks[step] = run([*command, "--repeats", str(args.repeats), "--out", str(out)])
        ours, sql = (json.loads(out.read_text()) for out in outputs.values())

    load_s = ours["load"]
    all_s = statistics.median(ours["times"]["all"])
    rules_s = statistics.median(ours["times"]["rules"])
    sql_s = statistics.median(sql["times"])
    print(f"contacts            {args.contacts:>12,}")
    print(f"activities          {activities:>12,}")
    print(f"months              {ours['months']:>12}")
    print(f"won new_business    {ours['deals']:>12,}")
    print(f"repeats             {args.repeats:>12}  (medians below)")
    print(f"load s              {load_s:>12.2f}")
    print(f"ours all 7 s        {all_s:>12.2f}")
    print(f"ours 6 rules s      {rules_s:>12.2f}")
    print(f"markov share        {(all_s - rules_s) / all_s:>12.0%}  (of all 7)")
    print(f"SQL 6 rules s       {sql_s:>12.2f}")
    print(f"ours ÷ SQL (rules)  {rules_s / sql_s:>12.2f}")
    print(f"load+rules ÷ SQL    {(load_s + rules_s) / sql_s:>12.2f}")
    print(f"peak MiB ours       {peaks['ours']:>12,.0f}  (load and every run)")
    print(f"peak MiB SQL        {peaks['sql']:>12,.0f}")

    ours_rules = _keyed(ours["rules"], RULE_MODELS)
    problems = _differences(ours_rules, _keyed(sql["rules"], RULE_MODELS))
    # the rule credits of the all-models run are the rule-only run's
    problems += [
        f"all-models run: {p}" for p in _differences(_keyed(ours["all"], RULE_MODELS), ours_rules)
    ]
    if problems:
        print(f"CHECK FAILED: {len(problems)} difference(s) between ours and SQL", file=sys.stderr)
        for problem in problems[:20]:
            print(f"  {problem}", file=sys.stderr)
        raise SystemExit(1)
    print(f"check               SQL credits = ours: {len(ours_rules):,} (model, month, channel)")


if __name__ == "__main__":
    main()
