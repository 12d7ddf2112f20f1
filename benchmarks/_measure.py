"""Shared helpers: run a step in a child process and report its wall time and peak memory."""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path


def run(command: Sequence[str], *, quiet: bool = True) -> tuple[float, float]:
    """Run `command`; return (wall seconds, peak RSS in MiB of that child alone)."""
    started = time.perf_counter()
    # `resource` reports the largest child so far; a wrapper process isolates each run.
    wrapper = [sys.executable, "-c", _WRAPPER, *command]
    finished = subprocess.run(wrapper, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if finished.returncode != 0:
        sys.stderr.write(finished.stdout + finished.stderr)
        raise SystemExit(f"failed: {' '.join(command)}")
    peak_kib = int(finished.stderr.strip().splitlines()[-1])
    if not quiet:
        sys.stdout.write(finished.stdout)
    return elapsed, peak_kib / 1024


_WRAPPER = """
import resource, subprocess, sys
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)
sys.exit(code)
"""


def _tree_rss_kib(root: int) -> int:
    """Resident memory of a process and all its descendants (from /proc), in KiB."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            status = (entry / "status").read_text()
        except OSError:
            continue
        pid, parent = int(entry.name), int(fields[1])
        children.setdefault(parent, []).append(pid)
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss[pid] = int(line.split()[1])
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack += children.get(pid, [])
    return total


def run_tree(command: Sequence[str], interval: float = 0.25) -> tuple[float, float]:
    """Run `command`; return (wall seconds, peak RSS in MiB of it and every process it starts,
    sampled) — for Spark, whose JVM is not a waited-for child.
    """
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    while process.poll() is None:
        peak = max(peak, _tree_rss_kib(process.pid))
        time.sleep(interval)
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}")
    return elapsed, peak / 1024


def median_of(command: Sequence[str], repeats: int) -> tuple[float, float]:
    """Median wall time and largest peak memory over `repeats` runs."""
    results = [run(command) for _ in range(repeats)]
    return statistics.median(r[0] for r in results), max(r[1] for r in results)


def self_peak_mib() -> float:
    """Peak RSS of this process so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
