"""Lifecycle Metrics: the monthly B2B marketing lifecycle report from the data you have.

>>> import lifecycle_metrics
>>> frame = lifecycle_metrics.compute("path/to/dataset", by=["channel"])  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["__version__", "compute", "load"]

if TYPE_CHECKING:
    from lifecycle_metrics.dataset import load
    from lifecycle_metrics.metrics.engine import compute


def __getattr__(name: str) -> Any:
    # Imported lazily so that `lifecycle --help` does not pay for Ibis.
    if name == "compute":
        from lifecycle_metrics.metrics.engine import compute

        return compute
    if name == "load":
        from lifecycle_metrics.dataset import load

        return load
    raise AttributeError(name)
