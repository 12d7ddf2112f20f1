"""Fixed costs a user feels on small data: start-up, the catalog, metrics on 2,000 contacts.

    python benchmarks/startup_speed.py [--contacts 2000] [--repeats 9]

Prints the median and fastest wall time of, each in its own process:
  * `lifecycle --help` and `lifecycle catalog` (targets: 0.5 s);
  * `lifecycle metrics DATA --format csv` on a 2,000-contact demo dataset, validated before
    (target 1.5 s), beside the same run with the cache off and a bare `python -c "pass"`;
  * Python importing Ibis + DuckDB + pandas alone, the floor any Ibis-based run pays.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CACHE = Path(tempfile.gettempdir()) / "lifecycle-bench"


def _times(command: list[str], repeats: int) -> list[float]:
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        seconds.append(time.perf_counter() - started)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=2_000)
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    python = sys.executable
    lifecycle = shutil.which("lifecycle") or str(Path(python).with_name("lifecycle"))
    data = CACHE / f"small-{args.contacts}"
    if not (data / "contacts.parquet").exists():
        subprocess.run(
            [lifecycle, "demo", str(data), "--contacts", str(args.contacts), "--no-report", "-q"],
            check=True,
        )
    remembered = f"LIFECYCLE_CACHE_DIR={CACHE / f'validated-small-{args.contacts}'}"
    metrics = [lifecycle, "metrics", str(data), "--format", "csv", "-q"]
    subprocess.run(["env", remembered, *metrics], stdout=subprocess.DEVNULL, check=True)
    runs = {
        "python -c pass": [python, "-c", "pass"],
        "import ibis, duckdb, pandas": [python, "-c", "import ibis, duckdb, pandas"],
        "lifecycle --help": [lifecycle, "--help"],
        "lifecycle catalog": [lifecycle, "catalog"],
        f"metrics, {args.contacts:,} contacts, validated": ["env", remembered, *metrics],
        f"metrics, {args.contacts:,} contacts, cache off": [
            "env",
            "LIFECYCLE_CACHE_DIR=off",
            *metrics,
        ],
    }
    print(f"{'run':<42} {'median s':>9} {'fastest s':>10}  (of {args.repeats})")
    for name, command in runs.items():
        seconds = _times(command, args.repeats)
        print(f"{name:<42} {statistics.median(seconds):>9.3f} {min(seconds):>10.3f}")


if __name__ == "__main__":
    main()
