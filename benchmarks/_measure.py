"""Shared helpers: run a step in a child process and report its wall time and peak memory."""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence


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


def median_of(command: Sequence[str], repeats: int) -> tuple[float, float]:
    """Median wall time and largest peak memory over `repeats` runs."""
    results = [run(command) for _ in range(repeats)]
    return statistics.median(r[0] for r in results), max(r[1] for r in results)


def self_peak_mib() -> float:
    """Peak RSS of this process so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
