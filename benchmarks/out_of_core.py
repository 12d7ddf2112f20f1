"""Out of core on one machine: 100M activities (10M contacts) under a 4 GB memory limit, and
the 10M-activity run on DuckDB and on local Spark side by side.

    python benchmarks/out_of_core.py [--shards 10] [--memory-limit 4GB] [--skip-spark]

The demo generator holds one dataset in memory, so the big one is made in shards of 1M
contacts (seeds 100, 101, …) whose ids get a shard prefix, appended row group by row group into
one Parquet file per table (campaigns, features and costs from the first shard only). Cached in
/tmp/lifecycle-bench/shards-<n>. Then, each in its own process, prints wall time and peak RSS of
`lifecycle metrics DATA --by channel --memory-limit 4GB` (36 months, all 31 metrics).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import run

CACHE = Path("/tmp/lifecycle-bench")
SHARD_CONTACTS = 1_000_000
SHARED = ("campaigns", "features", "costs")
ID_COLUMNS = {
    "contacts": ("contact_id", "account_id"),
    "accounts": ("account_id",),
    "stage_changes": ("contact_id",),
    "activities": ("activity_id", "contact_id", "message_id"),
    "deals": ("deal_id", "account_id", "contact_id"),
    "subscriptions": ("subscription_id", "account_id"),
    "nps_responses": ("response_id", "contact_id", "account_id"),
    "lead_scores": ("contact_id",),
    "web_sessions": ("session_id", "visitor_id", "contact_id"),
    "product_usage": ("account_id", "contact_id"),
}


def build(folder: Path, shards: int) -> None:
    from lifecycle_metrics.demo import DemoConfig, generate

    folder.mkdir(parents=True, exist_ok=True)
    writers: dict[str, pq.ParquetWriter] = {}
    for shard in range(shards):
        started = time.perf_counter()
        scratch = Path(tempfile.mkdtemp(prefix=f"shard{shard}-"))
        generate(scratch, DemoConfig(contacts=SHARD_CONTACTS, seed=100 + shard))
        for path in sorted(scratch.glob("*.parquet")):
            name = path.stem
            if name in SHARED and shard > 0:
                continue
            table = pq.read_table(path)
            for column in ID_COLUMNS.get(name, ()):
                values = table[column]
                prefixed = pc.if_else(
                    pc.is_null(values),
                    values,
                    pc.binary_join_element_wise(f"s{shard}", values, "-"),
                )
                table = table.set_column(table.schema.get_field_index(column), column, prefixed)
            if name not in writers:
                writers[name] = pq.ParquetWriter(folder / path.name, table.schema)
            writers[name].write_table(table.cast(writers[name].schema))
        shutil.rmtree(scratch)
        print(f"  shard {shard + 1}/{shards}: {time.perf_counter() - started:.0f} s", flush=True)
    for writer in writers.values():
        writer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shards", type=int, default=10)
    parser.add_argument("--memory-limit", default="4GB")
    parser.add_argument("--skip-spark", action="store_true")
    args = parser.parse_args()
    lifecycle = str(Path(sys.executable).parent / "lifecycle")
    big = CACHE / f"shards-{args.shards}"
    if not (big / "activities.parquet").exists():
        print(f"generating {args.shards} × {SHARD_CONTACTS:,} contacts into {big}", flush=True)
        build(big, args.shards)
    rows = pq.ParquetFile(big / "activities.parquet").metadata.num_rows
    command = [
        lifecycle,
        "metrics",
        str(big),
        "--by",
        "channel",
        "--format",
        "csv",
        "-q",
        "--memory-limit",
        args.memory_limit,
    ]
    seconds, peak = run(command)
    print(
        f"{rows:,} activities, --memory-limit {args.memory_limit}: {seconds:.0f} s, "
        f"peak RSS {peak:,.0f} MiB"
    )
    if args.skip_spark:
        return
    ten = CACHE / "1000000"
    if (ten / "activities.parquet").exists():
        rows = pq.ParquetFile(ten / "activities.parquet").metadata.num_rows
        for engine in ("duckdb", "pyspark"):
            command = [
                lifecycle,
                "metrics",
                str(ten),
                "--by",
                "channel",
                "--format",
                "csv",
                "-q",
                "--engine",
                engine,
            ]
            seconds, peak = run(command)
            print(
                f"{rows:,} activities on {engine}: {seconds:.0f} s, peak RSS {peak:,.0f} MiB "
                "(Spark's JVM is a child process: its memory is included)"
            )


if __name__ == "__main__":
    main()
