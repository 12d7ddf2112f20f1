"""Writing one run's quarantine folder: invalid rows and unreadable records, each file listed.

Each file is noted in the folder's marker before it is written (a run stopped half-way still
leaves it listed, so the next run removes it), and `close` lists the run's files with their
size and time (see `io.outputs`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import ibis.expr.types as ir

from lifecycle_metrics.io.csvfile import CsvProblem
from lifecycle_metrics.io.export import write_csv, write_unreadable
from lifecycle_metrics.io.outputs import plan_quarantine_file, record_quarantine

_Write = Callable[[Path], None]


class QuarantineWriter:
    """The files one run sets aside in a prepared quarantine folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.written: list[str] = []

    def rows(self, table: str, rows: ir.Table) -> None:
        """Write the invalid rows of `table` (row, source values, reason) to `<table>.csv`."""
        self._write(f"{table}.csv", lambda path: write_csv(rows, path))

    def unreadable(self, table: str, problems: list[CsvProblem]) -> None:
        """Write the CSV records of `table` that could not be read to `<table>.unreadable.csv`."""
        self._write(f"{table}.unreadable.csv", lambda path: write_unreadable(problems, path))

    def close(self) -> None:
        """List this run's files (none when the data was valid) for the next run to remove."""
        record_quarantine(self.folder, self.written)

    def _write(self, name: str, write: _Write) -> None:
        plan_quarantine_file(self.folder, name)
        write(self.folder / name)
        self.written.append(name)
