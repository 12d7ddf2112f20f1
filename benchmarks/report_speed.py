"""The monthly report against `lifecycle metrics` on the same data (issue: report ≤ 1.3×).

    python benchmarks/report_speed.py [--contacts 1000000] [--repeats 3]

Generates (once, cached in /tmp/lifecycle-bench/<contacts>) the demo dataset as Parquet —
1,000,000 contacts is about 10M activities — then runs, alternating, each in its own process:
  * `lifecycle metrics DATA --by channel --by segment --format csv` (every month, 31 metrics);
  * `lifecycle report DATA --out report.html --format json` (the last month: 13 months of
    31 metrics by channel, campaign and segment, warnings, panels, 35 charts, HTML).
Both run on the validated dataset (remembered once, untimed, in a cache of the benchmark's
own), as a team running the report again and again would. Prints the median wall time, the
largest peak RSS and the ratio report / metrics.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import run

CACHE = Path("/tmp/lifecycle-bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    lifecycle = shutil.which("lifecycle") or str(Path(sys.executable).parent / "lifecycle")
    data = CACHE / str(args.contacts)
    if not (data / "activities.parquet").exists():
        print(f"generating {args.contacts:,} demo contacts into {data} …", flush=True)
        run([lifecycle, "demo", str(data), "--contacts", str(args.contacts), "--no-report", "-q"])
    out = Path(tempfile.mkdtemp(prefix="report-bench-")) / "report.html"
    remembered = f"LIFECYCLE_CACHE_DIR={CACHE / f'validated-{args.contacts}'}"
    metrics_cmd = [
        "env",
        remembered,
        lifecycle,
        "metrics",
        str(data),
        "--by",
        "channel",
        "--by",
        "segment",
        "--format",
        "csv",
        "-q",
    ]
    report_cmd = ["env", remembered, lifecycle, "report", str(data), "--out", str(out)]
    report_cmd += ["--format", "json", "-q"]
    run(metrics_cmd)  # validate and remember, untimed
    times: dict[str, list[float]] = {"metrics": [], "report": []}
    peaks: dict[str, float] = {"metrics": 0.0, "report": 0.0}
    for _ in range(args.repeats):  # alternate, so drift in the machine hits both alike
        for name, command in (("metrics", metrics_cmd), ("report", report_cmd)):
            seconds, peak = run(command)
            times[name].append(seconds)
            peaks[name] = max(peaks[name], peak)
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"data: {data} ({args.contacts:,} contacts), median of {args.repeats}")
    for name in ("metrics", "report"):
        runs = ", ".join(f"{t:.1f}" for t in times[name])
        print(f"  {name:8} {medians[name]:6.1f} s  peak {peaks[name]:7.0f} MiB  (runs: {runs})")
    print(
        f"  report / metrics = {medians['report'] / medians['metrics']:.2f}  "
        f"(HTML {out.stat().st_size / 1024:.0f} KiB)"
    )


if __name__ == "__main__":
    main()
