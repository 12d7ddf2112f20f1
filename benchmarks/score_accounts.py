"""Scoring a million customer accounts: snapshot, loyalty, risk, advocacy (issue: < 1 minute).

    python benchmarks/score_accounts.py [--accounts 1000000] [--repeats 3]

The demo's funnel makes few customers, so this writes (once, cached in /tmp/lifecycle-bench/
accounts-<n>) a customer base of its own as Parquet: one subscription per account over three
years (a fifth ended), three products with five features each, ~10 feature-use rows per
account in the last 90 days, one contact per account with a customer-program click or an
event for a third of them, an NPS answer for 60 %, an upsell for 20 %, advocacy for 3 %. It
then times, each in its own process, `lifecycle accounts DATA --format csv` (load, validate,
snapshot, score, write) and, in this process, the snapshot + scoring alone on the loaded data.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import run, self_peak_mib

CACHE = Path("/tmp/lifecycle-bench")
DAY = 86_400_000_000  # microseconds
END = np.datetime64("2025-12-31T00:00:00", "us").astype("int64")


def _ts(values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    mask = None if valid is None else ~valid
    return pa.array(values, type=pa.timestamp("us", tz="UTC"), mask=mask)


def write_base(folder: Path, accounts: int, seed: int = 3) -> None:
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    ids = np.char.add("a", np.arange(accounts).astype(str))
    contacts = np.char.add("u", np.arange(accounts).astype(str))
    started = END - (rng.random(accounts) * 3 * 365 * DAY).astype("int64")
    ended = rng.random(accounts) < 0.2
    ended_at = started + ((END - started) * rng.random(accounts)).astype("int64")
    products = np.array(["analytics", "automation", "insights"])
    product = products[rng.integers(0, 3, accounts)]
    segment = np.array(["SMB", "Mid-Market", "Enterprise"])[rng.integers(0, 3, accounts)]
    pq.write_table(pa.table({"account_id": ids, "segment": segment}), folder / "accounts.parquet")
    pq.write_table(
        pa.table(
            {
                "contact_id": contacts,
                "created_at": _ts(started - 30 * DAY),
                "account_id": ids,
            }
        ),
        folder / "contacts.parquet",
    )
    pq.write_table(
        pa.table(
            {
                "subscription_id": np.char.add("s", np.arange(accounts).astype(str)),
                "account_id": ids,
                "started_at": _ts(started),
                "mrr": rng.lognormal(6, 1, accounts).round(2),
                "ended_at": _ts(ended_at, ended),
                "product": product,
            }
        ),
        folder / "subscriptions.parquet",
    )
    features = [(f"{p}_{i}", p) for p in products for i in range(5)]
    pq.write_table(
        pa.table({"feature": [f for f, _ in features], "product": [p for _, p in features]}),
        folder / "features.parquet",
    )
    per = rng.poisson(10, accounts)
    who = np.repeat(np.arange(accounts), per)
    used_at = END - (rng.random(len(who)) * 90 * DAY).astype("int64")
    slot = rng.integers(0, 5, len(who))
    feature = np.char.add(np.char.add(product[who], "_"), slot.astype(str))
    pq.write_table(
        pa.table(
            {
                "account_id": ids[who],
                "feature": feature,
                "used_at": _ts(used_at),
                "contact_id": contacts[who],
                "count": rng.integers(1, 20, len(who)),
            }
        ),
        folder / "product_usage.parquet",
    )
    pq.write_table(
        pa.table(
            {
                "campaign_id": ["k1", "k2"],
                "name": ["Customer news", "User conference"],
                "channel": ["email", "events"],
                "audience": ["customer", "customer"],
                "automated": [False, False],
            }
        ),
        folder / "campaigns.parquet",
    )
    engaged = np.flatnonzero(rng.random(accounts) < 0.33)
    advocates = np.flatnonzero(rng.random(accounts) < 0.03)
    kinds = np.concatenate(
        [
            np.where(rng.random(len(engaged)) < 0.7, "email_click", "event_attended"),
            np.full(len(advocates), "review_posted"),
        ]
    )
    people = np.concatenate([engaged, advocates])
    at = END - (rng.random(len(people)) * 80 * DAY).astype("int64")
    pq.write_table(
        pa.table(
            {
                "activity_id": np.char.add("e", np.arange(len(people)).astype(str)),
                "contact_id": contacts[people],
                "type": kinds,
                "occurred_at": _ts(at),
                "campaign_id": np.where(kinds == "event_attended", "k2", "k1"),
                "message_id": np.char.add("m", people.astype(str)),
                "is_machine": np.zeros(len(people), bool),
            }
        ),
        folder / "activities.parquet",
    )
    answering = np.flatnonzero(rng.random(accounts) < 0.6)
    pq.write_table(
        pa.table(
            {
                "response_id": np.char.add("r", answering.astype(str)),
                "score": rng.integers(0, 11, len(answering)),
                "responded_at": _ts(END - (rng.random(len(answering)) * 300 * DAY).astype("int64")),
                "account_id": ids[answering],
            }
        ),
        folder / "nps_responses.parquet",
    )
    upsold = np.flatnonzero(rng.random(accounts) < 0.2)
    closed = END - (rng.random(len(upsold)) * 200 * DAY).astype("int64")
    pq.write_table(
        pa.table(
            {
                "deal_id": np.char.add("d", upsold.astype(str)),
                "account_id": ids[upsold],
                "type": np.full(len(upsold), "upsell"),
                "status": np.full(len(upsold), "won"),
                "created_at": _ts(closed - 30 * DAY),
                "amount": rng.lognormal(8, 1, len(upsold)).round(2),
                "closed_at": _ts(closed),
            }
        ),
        folder / "deals.parquet",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    folder = CACHE / f"accounts-{args.accounts}"
    if not (folder / "product_usage.parquet").exists():
        started = time.perf_counter()
        write_base(folder, args.accounts)
        print(f"wrote {args.accounts:,} accounts in {time.perf_counter() - started:.1f} s")
    lifecycle = str(Path(sys.executable).parent / "lifecycle")
    command = [lifecycle, "accounts", str(folder), "--format", "csv", "-q"]
    runs = [run(command) for _ in range(args.repeats)]
    print(f"data: {folder}, median of {args.repeats}")
    print(
        f"  lifecycle accounts --format csv: {statistics.median(r[0] for r in runs):.1f} s, "
        f"peak {max(r[1] for r in runs):.0f} MiB (load, validate, score, write)"
    )
    from lifecycle_metrics.customers import customer_view
    from lifecycle_metrics.dataset import load

    dataset = load(folder)
    times = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        view = customer_view(dataset)
        times.append(time.perf_counter() - started)
    print(
        f"  snapshot + scoring of {len(view.scored):,} customer accounts: "
        f"{statistics.median(times):.1f} s (in process, peak {self_peak_mib():.0f} MiB)"
    )


if __name__ == "__main__":
    main()
