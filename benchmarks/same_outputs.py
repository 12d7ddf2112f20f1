"""Record every command's output on fixed datasets, or compare two recordings byte for byte.

A refactoring must not change a figure, a file or an exit code. Run this before and after:

    python benchmarks/same_outputs.py record /tmp/outputs-before
    python benchmarks/same_outputs.py record /tmp/outputs-after
    python benchmarks/same_outputs.py compare /tmp/outputs-before /tmp/outputs-after

Each command's stdout, stderr and exit status, and every file it writes, go to one folder per
command. The datasets are made here (the seeded demo, the acme fixture, Telco and Olist through
the examples) so the two recordings read the same bytes.
"""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
LIFECYCLE = [str(Path(sys.executable).parent / "lifecycle")]
DIMS = ["--by", "channel", "--by", "source", "--by", "campaign_id", "--by", "segment"]


def _datasets(work: Path) -> dict[str, Path]:
    """Make the datasets the commands read (fixed seeds, fixed sources)."""
    made: dict[str, Path] = {}
    demo = work / "demo"
    subprocess.run(
        [*LIFECYCLE, "demo", str(demo), "--contacts", "1500", "--no-report", "-q"], check=True
    )
    made["demo"] = demo
    demo_csv = work / "demo-csv"
    subprocess.run(
        [*LIFECYCLE, "demo", str(demo_csv), "--contacts", "400", "--seed", "7"]
        + ["--file-format", "csv", "--no-report", "-q"],
        check=True,
    )
    made["demo-csv"] = demo_csv
    broken = work / "broken"
    shutil.copytree(demo_csv, broken)
    lines = (broken / "contacts.csv").read_text().splitlines(keepends=True)
    lines[3] = lines[3].replace(",", ",not-a-date,", 1)  # a record with one field too many
    lines[5] = '"unclosed,' + lines[5]
    (broken / "contacts.csv").write_text("".join(lines))
    made["broken"] = broken
    made["acme"] = ROOT / "tests" / "fixtures" / "acme"
    telco = work / "telco"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "examples" / "telco_to_canonical.py"),
            str(SHARED / "ibm-telco-customer-churn" / "WA_Fn-UseC_-Telco-Customer-Churn.csv"),
            str(telco),
        ],
        check=True,
        capture_output=True,
    )
    made["telco"] = telco
    olist = work / "olist"
    olist.mkdir()
    subprocess.run(
        [sys.executable, str(ROOT / "examples" / "olist_to_canonical.py"), str(olist)],
        check=True,
        capture_output=True,
    )
    made["olist"] = olist
    return made


def _metric_ids() -> list[str]:
    from lifecycle_metrics.metrics.catalog import CATALOG

    return [metric.id for metric in CATALOG]


def _commands(data: dict[str, Path]) -> dict[str, list[str]]:
    """Every command to record, by a name that is also its folder."""
    commands: dict[str, list[str]] = {
        "help": ["--help"],
        "catalog": ["catalog"],
        "catalog-md": ["catalog", "--format", "markdown"],
        "catalog-json": ["catalog", "--format", "json"],
    }
    for name in ("validate", "metrics", "drill", "report", "accounts", "advocates", "cross-sell"):
        commands[f"help-{name}"] = [name, "--help"]
    for name, folder in data.items():
        path = str(folder)
        commands[f"{name}-validate"] = ["validate", path]
        commands[f"{name}-validate-json"] = ["validate", path, "--format", "json"]
        commands[f"{name}-metrics-csv"] = ["metrics", path, *DIMS, "--format", "csv", "-q"]
        commands[f"{name}-metrics-json"] = ["metrics", path, "--format", "json", "-q"]
        commands[f"{name}-metrics-table"] = ["metrics", path, "--stage", "convert", "-q"]
        commands[f"{name}-metrics-paris"] = [
            "metrics", path, "--tz", "Europe/Paris", "--by", "channel", "--format", "csv", "-q",
        ]  # fmt: skip
        for fmt in ("terminal", "markdown", "json", "html"):
            commands[f"{name}-report-{fmt}"] = ["report", path, "--format", fmt, "-q"]
        commands[f"{name}-report-out"] = ["report", path, "--out", "{out}/report.html", "-q"]
        commands[f"{name}-accounts"] = ["accounts", path, "--format", "csv", "-q"]
        commands[f"{name}-accounts-json"] = ["accounts", path, "--format", "json", "-q"]
        commands[f"{name}-advocates"] = ["advocates", path, "-q"]
        commands[f"{name}-advocates-json"] = ["advocates", path, "--format", "json", "-q"]
        commands[f"{name}-cross-sell"] = [
            "cross-sell", path, "--product", "insights", "--format", "csv", "-q",
        ]  # fmt: skip
        commands[f"{name}-quarantine"] = ["validate", path, "--quarantine", "{out}/q", "-q"]
    for metric_id in _metric_ids():
        commands[f"demo-drill-{metric_id}"] = [
            "drill", str(data["demo"]), "--metric", metric_id, "--month", "2024-06",
            "--member", "channel=paid_search", "--format", "csv", "-q",
        ]  # fmt: skip
    commands["usage-bad-metric"] = ["metrics", str(data["acme"]), "--metric", "nope"]
    commands["usage-bad-dim"] = ["metrics", str(data["acme"]), "--by", "nope"]
    commands["usage-bad-month"] = ["drill", str(data["acme"]), "--metric", "mqls", "--month", "x"]
    return commands


def _drills(data: dict[str, Path], target: Path) -> None:
    """Every metric's drill-down, in one process: total and one member of each dimension."""
    import json

    from lifecycle_metrics.dataset import load
    from lifecycle_metrics.errors import LifecycleError
    from lifecycle_metrics.metrics.catalog import CATALOG
    from lifecycle_metrics.metrics.drill import drill

    target.mkdir()
    members = ["channel=paid_search", "segment=smb", "source=unknown", "campaign_id=unknown"]
    for name, month in (("acme", "2025-02"), ("demo", "2024-06"), ("telco", "2024-01")):
        dataset = load(str(data[name]))
        lines = []
        for metric in CATALOG:
            for member in [None, *(m for m in members if m.split("=")[0] in metric.dimensions)]:
                try:
                    found = drill(dataset, metric.id, month, member)
                    lines.append(json.dumps([metric.id, member, found.rows], default=str))
                except LifecycleError as error:
                    lines.append(json.dumps([metric.id, member, str(error)]))
        (target / f"{name}.jsonl").write_text("\n".join(lines) + "\n")


def record(target: Path) -> None:
    """Run every command and keep what it printed, wrote and returned."""
    if target.exists():
        sys.exit(f"{target} exists: give a new folder")
    target.mkdir(parents=True)
    work = target / "_datasets"
    work.mkdir()
    env = {**os.environ, "LIFECYCLE_CACHE_DIR": "off", "COLUMNS": "100", "NO_COLOR": "1"}
    data = _datasets(work)
    commands = _commands(data)
    started = time.perf_counter()

    def run(item: tuple[str, list[str]]) -> None:
        name, args = item
        out = target / name
        out.mkdir()
        argv = [arg.replace("{out}", str(out)) for arg in args]
        done = subprocess.run([*LIFECYCLE, *argv], capture_output=True, env=env, cwd=out)
        (out / "stdout").write_bytes(done.stdout.replace(str(target).encode(), b"<TARGET>"))
        (out / "stderr").write_bytes(done.stderr.replace(str(target).encode(), b"<TARGET>"))
        (out / "exit").write_text(f"{done.returncode}\n")

    with ThreadPoolExecutor(max_workers=2) as pool:
        for index, _ in enumerate(pool.map(run, commands.items()), 1):
            if index % 50 == 0:
                print(f"{index}/{len(commands)} commands, {time.perf_counter() - started:.0f} s")
    _drills(data, target / "drills")
    print(f"recorded {len(commands)} commands in {target}")


def _files(folder: Path) -> dict[str, Path]:
    return {
        str(path.relative_to(folder)): path
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not str(path.relative_to(folder)).startswith("_datasets")
    }


def compare(before: Path, after: Path) -> int:
    """Print every file that differs; 0 when the recordings are byte-identical."""
    old, new = _files(before), _files(after)
    differing = 0
    for name in sorted(set(old) | set(new)):
        if name not in old or name not in new:
            print(f"only in {'before' if name in old else 'after'}: {name}")
            differing += 1
            continue
        a, b = old[name].read_bytes(), new[name].read_bytes()
        a = a.replace(str(before).encode(), b"<TARGET>")
        b = b.replace(str(after).encode(), b"<TARGET>")
        if a != b:
            differing += 1
            print(f"differs: {name}")
            diff = difflib.unified_diff(
                a.decode(errors="replace").splitlines(),
                b.decode(errors="replace").splitlines(),
                lineterm="",
                n=1,
            )
            for line in list(diff)[:12]:
                print("   ", line[:200])
    print(f"{len(set(old) | set(new))} files compared, {differing} differ")
    return 1 if differing else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "record":
        record(Path(sys.argv[2]).resolve())
    elif len(sys.argv) == 4 and sys.argv[1] == "compare":
        sys.exit(compare(Path(sys.argv[2]).resolve(), Path(sys.argv[3]).resolve()))
    else:
        sys.exit(__doc__)
