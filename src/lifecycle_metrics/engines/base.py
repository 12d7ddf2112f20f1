"""What an engine is: the few things that differ between the places metrics can run.

The metric definitions, the model and the validation are the same Ibis expressions on every
engine; an engine only connects, reads the raw canonical tables, and keeps intermediate tables.
A user's own Ibis backend is one subclass of `Engine` (see docs/engines.md).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from lifecycle_metrics.io.readers import RawSource

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Settings:
    """What a run asks of its engine; each engine reads what concerns it and ignores the rest."""

    memory_limit: str | None = None  # the run's memory budget, e.g. "4GB" (DuckDB)
    spark_master: str | None = None  # a Spark master URL (PySpark)


class Engine(ABC):
    """Where a run computes: how to connect, read raw tables and keep intermediate tables."""

    name: ClassVar[str]  # what `--engine` and `load(engine=...)` call it
    # The validated-folder cache keeps clean tables in a DuckDB file (see `validated`): only an
    # engine that can attach one to its connection may skip checking an unchanged folder.
    reads_validated_cache: ClassVar[bool] = False

    @abstractmethod
    def connect(self, data: str, settings: Settings, say: Progress) -> Any:
        """A fresh Ibis connection for one run on DATA; a usage error if DATA is not for it."""

    @abstractmethod
    def read_tables(self, con: Any, data: str, only: frozenset[str], say: Progress) -> RawSource:
        """The canonical tables DATA holds (only those named in `only`), untyped, with `_row`.

        Every source column under its lower-cased name, plus `_row`: the row number as the
        source shows it (a CSV file's header is row 1), so that problems can name their row.
        """

    def materialize(self, con: Any, name: str, expr: ir.Table) -> ir.Table:
        """Compute `expr` once and keep it for the run: a session TEMP table by default."""
        return con.create_table(name, expr, temp=True, overwrite=True)
