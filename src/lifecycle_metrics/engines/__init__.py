"""Where the computation runs: the registry of engines, by name.

Built in: embedded DuckDB (default), PySpark and PostgreSQL, one module each. A built-in
engine's module is imported only when a run asks for it, so listing the names (as
`lifecycle --help` does) loads neither Ibis nor a driver. Nothing is ever written to a user's
database except by `lifecycle load`: intermediate tables on PostgreSQL are session TEMP
tables, dropped when the connection closes.

>>> from lifecycle_metrics import engines
>>> engines.names()
('duckdb', 'pyspark', 'postgres')
"""

from __future__ import annotations

import importlib
from enum import StrEnum
from typing import cast

from lifecycle_metrics.engines.base import Engine, Progress, Settings
from lifecycle_metrics.errors import UsageError

DEFAULT = "duckdb"
# name → the engine, or the module whose `ENGINE` it is (imported on first use)
_REGISTRY: dict[str, Engine | str] = {
    "duckdb": "lifecycle_metrics.engines.duckdb",
    "pyspark": "lifecycle_metrics.engines.pyspark",
    "postgres": "lifecycle_metrics.engines.postgres",
}


def register(engine: Engine) -> Engine:
    """Make `engine` available by its name (replacing any engine of that name); returns it."""
    _REGISTRY[engine.name] = engine
    return engine


def names() -> tuple[str, ...]:
    """The registered engines' names, in the order they were registered."""
    return tuple(_REGISTRY)


def get(engine: str | Engine) -> Engine:
    """The engine of that name (an `Engine` given is returned as it is)."""
    if isinstance(engine, Engine):
        return engine
    found = _REGISTRY.get(str(engine))
    if found is None:
        raise UsageError(f"unknown engine {engine!r}: expected one of {', '.join(names())}")
    if isinstance(found, str):
        found = importlib.import_module(found).ENGINE
        assert isinstance(found, Engine), f"{_REGISTRY[str(engine)]}.ENGINE is not an Engine"
        _REGISTRY[str(engine)] = found
    return found


def choices() -> type[StrEnum]:
    """The registered names as an enum, for a command-line option's choices."""
    # the functional API makes a new enum class; typeshed types the call as a member
    return cast("type[StrEnum]", StrEnum("EngineName", {name: name for name in names()}))


__all__ = ["DEFAULT", "Engine", "Progress", "Settings", "choices", "get", "names", "register"]
