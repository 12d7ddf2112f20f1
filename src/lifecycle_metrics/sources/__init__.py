"""Sources: data as CRMs and marketing-automation platforms export it, made canonical (SPEC §7).

`import_source("hubspot", SRC, OUT)` reads a vendor export (a folder of CSV/Parquet files or
a database URL) and writes the canonical dataset of SPEC §2 as Parquet, with a ledger of what
became of every source row. Each kind is a module with `kind`, `keys`, `prepare` and
`translate` (see `run.Vendor`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import cast

from lifecycle_metrics.errors import UsageError
from lifecycle_metrics.sources.run import ImportResult, Vendor, run_import

KINDS = ("hubspot", "salesforce", "marketo", "mapping")


def vendor(kind: str) -> Vendor:
    """The module that reads one kind of source."""
    if kind not in KINDS:
        raise UsageError(f"unknown source kind {kind!r}: choose one of {', '.join(KINDS)}")
    return cast(Vendor, importlib.import_module(f"lifecycle_metrics.sources.{kind}"))


def import_source(
    kind: str, src: str | Path, out: Path, progress: Callable[[str], None] | None = None
) -> ImportResult:
    """Import SRC, a `kind` export, into the dataset folder OUT."""
    return run_import(vendor(kind), src, out, progress)


__all__ = ["KINDS", "ImportResult", "import_source", "vendor"]
