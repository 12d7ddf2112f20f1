"""`lifecycle metrics --by channel --by segment` over 36 months at three sizes, with baselines.

    python benchmarks/metrics_speed.py [--sizes 10000 100000 1000000] [--repeats 3]

For each demo size (contacts; about ten activities each) it prints the median wall time and
peak memory of:
  * the product, whole catalog (31 metrics), from the Parquet files: the first run (reads,
    types and checks every table, then remembers the validated tables), the same with the
    cache off (what every run cost before), and a run on the already validated dataset;
  * the product on a subset (new_leads, mqls, sqls, visits, unique_visitors,
    nurture_open_rate), on the validated dataset;
  * the same subset as hand-written DuckDB SQL (benchmarks/baseline_sql.py), the floor;
  * the same subset in pandas (benchmarks/baseline_pandas.py), what an analyst writes.
It also checks that the three subset results agree. Each run is its own process.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import median_of, run

HERE = Path(__file__).resolve().parent
SUBSET = ["new_leads", "mqls", "sqls", "visits", "unique_visitors", "nurture_open_rate"]


def _read(path: Path) -> dict[tuple[str, str, str | None, str | None], float | None]:
    with path.open(newline="") as handle:
        return {
            (r["metric"], r["month"], r["dimension"] or None, r["member"] or None): (
                float(r["value"]) if r["value"] else None
            )
            for r in csv.DictReader(handle)
        }


def _agree(left: dict, right: dict) -> bool:  # type: ignore[type-arg]
    if set(left) != set(right):
        return False
    return all(
        (a is None and b is None)
        or (a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9))
        for a, b in ((left[k], right[k]) for k in left)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "lifecycle-bench"
    )
    args = parser.parse_args()
    python = sys.executable
    lifecycle = str(Path(python).with_name("lifecycle"))
    print(
        f"{'contacts':>10} {'activities':>11}  {'run':<28} {'median s':>9} {'peak MiB':>9}"
        f" {'× SQL':>6} {'pandas ÷':>9}"
    )
    for contacts in args.sizes:
        data = args.cache / str(contacts)
        if not (data / "contacts.parquet").exists():
            run([lifecycle, "demo", str(data), "--contacts", str(contacts), "--no-report", "-q"])
        import pyarrow.parquet as pq

        activities = pq.ParquetFile(data / "activities.parquet").metadata.num_rows
        out = args.cache / f"out-{contacts}"
        out.mkdir(parents=True, exist_ok=True)
        subset = [flag for metric in SUBSET for flag in ("--metric", metric)]
        whole = [lifecycle, "metrics", str(data), "--by", "channel", "--by", "segment"]
        whole += ["--format", "csv", "-q"]
        fresh = args.cache / f"validated-fresh-{contacts}"
        warm = args.cache / f"validated-{contacts}"
        run(["env", f"LIFECYCLE_CACHE_DIR={warm}", *whole])  # remember it once, untimed
        # the product writes CSV to stdout; a shell redirect keeps it for the comparison
        ours_subset = [
            "sh",
            "-c",
            " ".join(
                [
                    f"LIFECYCLE_CACHE_DIR={warm}",
                    lifecycle,
                    "metrics",
                    str(data),
                    *subset,
                    "--by",
                    "channel",
                    "--by",
                    "segment",
                    "--format",
                    "csv",
                    "-q",
                    ">",
                    str(out / "ours.csv"),
                ]
            ),
        ]
        first_run = ["sh", "-c", f"rm -rf {fresh} && LIFECYCLE_CACHE_DIR={fresh} {' '.join(whole)}"]
        runs = [
            ("product, all 31, first run", first_run),
            ("product, all 31, cache off", ["env", "LIFECYCLE_CACHE_DIR=off", *whole]),
            ("product, all 31, validated", ["env", f"LIFECYCLE_CACHE_DIR={warm}", *whole]),
            ("product, subset, validated", ours_subset),
            (
                "hand-written DuckDB SQL",
                [python, str(HERE / "baseline_sql.py"), str(data), str(out / "sql.csv")],
            ),
            (
                "pandas",
                [python, str(HERE / "baseline_pandas.py"), str(data), str(out / "pandas.csv")],
            ),
        ]
        timings = {name: median_of(command, args.repeats) for name, command in runs}
        floor = timings["hand-written DuckDB SQL"][0]
        pandas_seconds = timings["pandas"][0]
        for name, (seconds, peak) in timings.items():
            print(
                f"{contacts:>10,} {activities:>11,}  {name:<28} {seconds:>9.2f} {peak:>9,.0f}"
                f" {seconds / floor:>6.2f} {pandas_seconds / seconds:>9.2f}"
            )
        ours, sql, pandas = (_read(out / f) for f in ("ours.csv", "sql.csv", "pandas.csv"))
        # the product also reports the months before the first lead (as zeros / empty), where
        # the hand-written query has no row: compare the months both report
        months = {(k[0], k[1]) for k in sql}
        ours = {k: v for k, v in ours.items() if (k[0], k[1]) in months}
        print(
            f"{'':>24}subset results agree: product = SQL {_agree(ours, sql)}, "
            f"SQL = pandas {_agree(sql, pandas)}"
        )


if __name__ == "__main__":
    main()
