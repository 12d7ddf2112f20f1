"""Embedded DuckDB, the default engine: any DATA is landed on it, within a memory budget.

A folder's Parquet files are read in place and its CSV files as text, a DuckDB file is
attached read-only, and any other Ibis URL is copied in through Arrow (see `io.readers`).
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
from typing import Any

import ibis
from ibis.backends.duckdb import Backend as DuckDBBackend

from lifecycle_metrics.engines.base import Engine, Progress, Settings
from lifecycle_metrics.errors import UsageError
from lifecycle_metrics.io.readers import RawSource, read_raw_tables

MEMORY_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", re.I)
UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12, "kib": 2**10,
         "mib": 2**20, "gib": 2**30, "tib": 2**40}  # fmt: skip
DEFAULT_MEMORY_SHARE = 0.6
DUCKDB_SHARE = 0.75  # of the run's budget; the rest is Python, Ibis and Arrow


def memory_bytes(limit: str) -> int:
    """A size such as 4GB or 512MiB in bytes; a usage error otherwise."""
    match = MEMORY_PATTERN.match(limit)
    if not match:
        raise UsageError(f"--memory-limit {limit!r}: expected a size such as 4GB or 512MB")
    return int(float(match.group(1)) * UNITS[match.group(2).lower()])


def default_memory_limit() -> str:
    """60 % of this machine's RAM, leaving room for the operating system."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return "4GB"
    return f"{int(total * DEFAULT_MEMORY_SHARE / 2**20)}MiB"


def connect(memory_limit: str | None = None) -> DuckDBBackend:
    """A fresh embedded DuckDB connection for one run, spilling to a private temp folder.

    `memory_limit` is the budget of the whole run: DuckDB gets three quarters of it (its own
    limit covers its buffers, not the Python process around it).
    """
    budget = memory_bytes(memory_limit or default_memory_limit())
    con = ibis.duckdb.connect()
    con.raw_sql(f"SET memory_limit = '{int(budget * DUCKDB_SHARE) // 2**20}MiB'")
    spill = tempfile.mkdtemp(prefix="lifecycle-spill-")
    atexit.register(shutil.rmtree, spill, True)
    con.raw_sql("SET temp_directory = '" + spill.replace("'", "''") + "'")
    threads = os.environ.get("LIFECYCLE_THREADS")
    if threads:
        con.raw_sql(f"SET threads = {int(threads)}")
    return con


class DuckDB(Engine):
    """Embedded DuckDB: reads folders, DuckDB files and Ibis URLs; tuned to the memory budget."""

    name = "duckdb"
    reads_validated_cache = True

    def connect(self, data: str, settings: Settings, say: Progress) -> DuckDBBackend:
        """A tuned embedded connection (any DATA can be landed on it)."""
        return connect(settings.memory_limit)

    def read_tables(self, con: Any, data: str, only: frozenset[str], say: Progress) -> RawSource:
        """Land DATA's canonical tables on the connection (see `io.readers`)."""
        return read_raw_tables(con, data, say, only)


ENGINE = DuckDB()
