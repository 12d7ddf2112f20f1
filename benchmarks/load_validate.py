"""Generate a large demo dataset, then load and validate it; print seconds and peak memory.

    python benchmarks/load_validate.py [--contacts 1000000] [--out /tmp/lifecycle-1m]

Each step runs in its own process so its peak memory is its own. Issue 2 asks for 1M contacts.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="lifecycle-bench-"))
    lifecycle = str(Path(sys.executable).with_name("lifecycle"))
    print(f"demo dataset of {args.contacts:,} contacts in {out}")
    seconds, peak = run(
        [lifecycle, "demo", str(out), "--contacts", str(args.contacts), "--no-report", "-q"]
    )
    rows = _rows(out)
    print(
        f"generate         {seconds:8.1f} s   peak {peak:8,.0f} MiB   "
        f"({rows['contacts']:,} contacts, {rows['activities']:,} activities, "
        f"{sum(rows.values()):,} rows in all)"
    )
    seconds, peak = run([lifecycle, "validate", str(out), "-q"])
    print(f"load + validate  {seconds:8.1f} s   peak {peak:8,.0f} MiB")
    if args.out is None:
        shutil.rmtree(out)


def _rows(folder: Path) -> dict[str, int]:
    import pyarrow.parquet as pq

    return {
        path.stem: pq.ParquetFile(path).metadata.num_rows
        for path in sorted(folder.glob("*.parquet"))
    }


if __name__ == "__main__":
    main()
